package slack

import (
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestSlackDocumentedExample checks Slack's own worked example of request
// signing (the body is byte-exact in the research payloads).
func TestSlackDocumentedExample(t *testing.T) {
	// Byte-exact copy of Slack's example body: an editor adding a newline
	// at the end of the file breaks the signature.
	body, err := os.ReadFile("testdata/payloads/slack-slash-command-doc-vector.form")
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", "1531420618")
	h.Set("X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")
	secret := []byte("8f742231b10e8888abcd99yyyzzz85a5")
	if err := VerifySignature(secret, h, body, time.Unix(1531420618, 0)); err != nil {
		t.Fatalf("Slack's documented example does not verify: %v", err)
	}
	if err := VerifySignature(secret, h, body, time.Unix(1531420618, 0).Add(6*time.Minute)); err != ErrStaleTimestamp {
		t.Errorf("the example six minutes later: %v, want ErrStaleTimestamp", err)
	}
}

func TestVerifySignature(t *testing.T) {
	secret := []byte("s3cret")
	now := time.Unix(1_800_000_000, 0)
	body := []byte("token=x&text=declare+sev1+Checkout+down")
	signed := func(ts time.Time, b []byte) http.Header {
		h := http.Header{}
		s := strconv.FormatInt(ts.Unix(), 10)
		h.Set("X-Slack-Request-Timestamp", s)
		h.Set("X-Slack-Signature", Sign(secret, s, b))
		return h
	}
	tests := []struct {
		name   string
		header http.Header
		body   []byte
		want   error
	}{
		{"valid", signed(now, body), body, nil},
		{"4m59s old", signed(now.Add(-299*time.Second), body), body, nil},
		{"stale", signed(now.Add(-301*time.Second), body), body, ErrStaleTimestamp},
		{"from the future", signed(now.Add(6*time.Minute), body), body, ErrStaleTimestamp},
		{"body changed", signed(now, body), append([]byte(nil), append(body, '!')...), ErrBadSignature},
		{"no headers", http.Header{}, body, ErrMissingSignature},
		{"timestamp not a number", func() http.Header { h := signed(now, body); h.Set("X-Slack-Request-Timestamp", "soon"); return h }(), body, ErrBadTimestamp},
		{"no v0 prefix", func() http.Header {
			h := signed(now, body)
			h.Set("X-Slack-Signature", h.Get("X-Slack-Signature")[3:])
			return h
		}(), body, ErrBadSignature},
		{"not hex", func() http.Header { h := signed(now, body); h.Set("X-Slack-Signature", "v0=zz"); return h }(), body, ErrBadSignature},
		{"other secret", func() http.Header {
			h := signed(now, body)
			h.Set("X-Slack-Signature", Sign([]byte("other"), h.Get("X-Slack-Request-Timestamp"), body))
			return h
		}(), body, ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifySignature(secret, tt.header, tt.body, now); got != tt.want {
				t.Errorf("VerifySignature = %v, want %v", got, tt.want)
			}
		})
	}
}
