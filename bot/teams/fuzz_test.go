package teams

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
)

// fuzzPlatforms are the two shapes of the platform translate depends on:
// war rooms as Graph channels (a team id) and as threads of the
// announcement channel (no team id).
func fuzzPlatforms() []*Platform {
	return []*Platform{
		New(Config{AppID: "28:bot", TenantID: "tenant", TeamID: "team"}, nil, zerolog.Nop()),
		New(Config{AppID: "28:bot", TenantID: "tenant", AnnounceChannelID: "19:incidents@thread.tacv2"}, nil, zerolog.Nop()),
	}
}

// checkTranslate runs translate and plain on act and checks what must hold
// of their results whatever the activity.
func checkTranslate(t *testing.T, p *Platform, act activity) {
	t.Helper()
	p.plain(act)
	ev, async, ok := p.translate(act)
	if !ok {
		return
	}
	if ev.Kind == "" {
		t.Fatalf("translate(%+v) is ok with an empty Kind: %+v", act, ev)
	}
	if ev.Platform != Name {
		t.Errorf("translate(%+v): platform %q, want %q", act, ev.Platform, Name)
	}
	switch ev.Kind {
	case muster.EventAction, muster.EventCommand:
		if !async {
			t.Errorf("a %s is handled before the answer; it must follow it: %+v", ev.Kind, ev)
		}
	case muster.EventMessage, muster.EventMessageEdited, muster.EventMessageDeleted:
		if async {
			t.Errorf("a %s is acknowledged before it is recorded: %+v", ev.Kind, ev)
		}
	}
}

// FuzzActivity decodes arbitrary bodies as inbound activities: whatever
// decodes must go through translate and plain without a panic, and
// translate never says ok without saying what the event is. Seeds are the
// sample payloads and a few odd shapes.
//
//	go test ./bot/teams -run '^$' -fuzz FuzzActivity -fuzztime 30s
func FuzzActivity(f *testing.F) {
	files, err := filepath.Glob("testdata/payloads/*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed payloads: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, seed := range []string{
		`{"type":"message","from":{"id":"29:a"},"recipient":{"id":"28:bot"},"text":"<at>Muster</at>","entities":[{"type":"mention","text":"<at>Muster</at>","mentioned":{"id":"28:bot","name":"Muster"}}]}`,
		`{"type":"message","from":{"id":"29:a"},"recipient":{"id":"28:bot"},"text":"<at></at><at>","entities":[{"type":"mention","text":"","mentioned":{"id":"28:bot","name":""}}]}`,
		`{"type":"message","from":{"id":"29:a"},"value":"role ic","conversation":{"id":"19:x@thread.tacv2;messageid=1"}}`,
		`{"type":"message","from":{"id":"29:a"},"value":42}`,
		`{"type":"message","from":{"id":"29:a"},"value":{"muster":7,"incident":[]}}`,
		`{"type":"message","from":{"id":"29:a"},"value":{"muster":"role ic"}}`,
		`{"type":"messageUpdate","id":"5","timestamp":"2026-11-22T10:00:00Z","text":"&lt;b&gt;edited&amp;"}`,
		`{"type":"messageDelete","id":"5","conversation":{"id":"19:incidents@thread.tacv2;messageid=9"}}`,
		`{"type":"message","from":{"id":"28:bot"},"recipient":{"id":"28:bot"},"text":"echo"}`,
		`{"type":"typing"}`,
		`{}`,
		`null`,
	} {
		f.Add([]byte(seed))
	}
	platforms := fuzzPlatforms()
	f.Fuzz(func(t *testing.T, body []byte) {
		var act activity
		if json.Unmarshal(body, &act) != nil {
			return
		}
		for _, p := range platforms {
			checkTranslate(t, p, act)
		}
	})
}

// TestTranslateOKHasKind is the fuzz property over every activity type
// the platform names and every shape of value, from and mention: when
// translate says ok, the event has a Kind.
func TestTranslateOKHasKind(t *testing.T) {
	types := []string{"", "message", "messageUpdate", "messageDelete", "conversationUpdate", "messageReaction", "typing", "invoke", "somethingNew"}
	values := []any{nil, "role ic", 42.0, true, []any{}, map[string]any{}, map[string]any{"muster": "role ic"}, map[string]any{"muster": "role ic", "incident": "INC-1"}, map[string]any{"muster": 1}}
	froms := []account{{}, {ID: "29:alice", Name: "Alice"}, {ID: "28:bot", Name: "Muster"}}
	texts := []string{"", "hello", "<at>Muster</at>", "<at>Muster</at> declare sev1 x", "<p>&amp;</p>"}
	n := 0
	for _, p := range fuzzPlatforms() {
		for _, typ := range types {
			for _, v := range values {
				for _, from := range froms {
					for _, text := range texts {
						act := activity{Type: typ, ID: "1", Text: text, Value: v, From: from, Recipient: account{ID: "28:bot", Name: "Muster"}}
						act.Conversation.ID = "19:incidents@thread.tacv2;messageid=1"
						act.Entities = append(act.Entities, struct {
							Type      string  `json:"type"`
							Mentioned account `json:"mentioned"`
							Text      string  `json:"text"`
						}{Type: "mention", Mentioned: account{ID: "28:bot", Name: "Muster"}, Text: "<at>Muster</at>"})
						checkTranslate(t, p, act)
						n++
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no activities checked")
	}
}
