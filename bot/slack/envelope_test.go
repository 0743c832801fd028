package slack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeEnvelope checks the envelope scanner against encoding/json:
// the same envelope for every body encoding/json reads, an error for
// every body it refuses.
//
//	go test ./bot/slack -run '^$' -fuzz FuzzDecodeEnvelope -fuzztime 30s
func FuzzDecodeEnvelope(f *testing.F) {
	files, _ := filepath.Glob("testdata/payloads/*.json")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		`{"type":"event_callback","event_id":"Ev1","event":{"type":"message","user":"U1","channel":"C1","text":"a \"quoted\" \/ path \u00e9 \ud83d\ude00","ts":"1.2"}}`,
		`{"type":"event_callback","event":{"type":"message","text":"lone \ud800 surrogate \udc00"}}`,
		`{"Type":"event_callback","event":{"TEXT":"folded keys"}}`,
		`{"type":"event_callback","\u0065vent":{"text":"escaped key"}}`,
		`{"type":"event_callback","event":null,"event":{"text":"second"},"event":{"user":"U2"}}`,
		`{"type":5}`,
		`{"type":"x","event":"not an object"}`,
		`{"type":null,"challenge":"c","extra":[1,{"a":[true,false,null]},"s\"]"],"n":-1.5e3}`,
		`[1,2]`,
		`null`,
		`{"event":{"type":"message","text":"invalid \xff utf-8"}}`,
		`{"type":"url_verification","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`,
		`{"ſubtype":"long s"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var want envelope
		wantErr := json.Unmarshal(body, &want)
		got, err := decodeEnvelope(body)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("decodeEnvelope(%q): error %v; encoding/json: %v", body, err, wantErr)
		}
		if err == nil && got != want {
			t.Fatalf("decodeEnvelope(%q) = %+v; encoding/json reads %+v", body, got, want)
		}
	})
}

// TestScanEnvelopeReadsSlackEvents checks that Slack's sample events take
// the scanner's path, not encoding/json's.
func TestScanEnvelopeReadsSlackEvents(t *testing.T) {
	files, _ := filepath.Glob("testdata/payloads/slack-event-*.json")
	if len(files) == 0 {
		t.Fatal("no sample events in testdata/payloads")
	}
	files = append(files, "testdata/payloads/slack-url-verification.json")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := scanEnvelope(b); !ok {
			t.Errorf("%s: the scanner left it to encoding/json", filepath.Base(name))
		}
	}
}

// BenchmarkDecodeEnvelope compares the scanner with encoding/json on a
// message event:
//
//	go test ./bot/slack -run '^$' -bench DecodeEnvelope
func BenchmarkDecodeEnvelope(b *testing.B) {
	body, err := os.ReadFile("testdata/payloads/slack-event-callback-message-channels.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("scanner", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeEnvelope(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			var env envelope
			if err := json.Unmarshal(body, &env); err != nil {
				b.Fatal(err)
			}
		}
	})
}
