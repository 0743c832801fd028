package slack

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/muster-bot/muster"
)

// TestAckCache checks that a cached acknowledgement is the acknowledgement
// itself, that answers with controls are encoded afresh, and that the
// cache stays bounded.
func TestAckCache(t *testing.T) {
	var c ackCache
	help := muster.Message{Title: "muster commands", Text: "`declare [sevN] [private] <title>` — declare a new incident & open its war room", Footer: "see <@U1>"}
	want, err := json.Marshal(ephemeral(help))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		got, err := json.Marshal(c.body(help))
		if err != nil || string(got) != string(want) {
			t.Fatalf("answer %d encodes as %s (%v), want %s", i+1, got, err, want)
		}
	}
	if _, ok := c.acks[ackKey{help.Title, help.Text, help.Footer}]; !ok {
		t.Error("help's acknowledgement is not cached")
	}

	buttons := muster.Message{Text: "Take a role", Buttons: []muster.Button{{Label: "I'll be IC", Action: "ic", Value: "INC-1"}}}
	if _, raw := c.body(buttons).(json.RawMessage); raw {
		t.Error("an answer with buttons came from the cache")
	}

	for i := range 3 * maxCachedAcks {
		c.body(muster.Message{Text: fmt.Sprintf("`%d` is not a command.", i)})
		if len(c.acks) > maxCachedAcks {
			t.Fatalf("cache holds %d answers, more than %d", len(c.acks), maxCachedAcks)
		}
	}
}
