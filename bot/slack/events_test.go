package slack

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	goslack "github.com/slack-go/slack"

	"github.com/muster-bot/muster"
)

// wrapInner wraps an inner event sample in an event_callback.
func wrapInner(t *testing.T, inner string, id string) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/payloads/" + inner)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(map[string]any{"type": "event_callback", "event_id": id, "team_id": "T1", "event": json.RawMessage(raw)})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func rawEnvelope(t *testing.T, id string, inner map[string]any) []byte {
	t.Helper()
	body, err := json.Marshal(map[string]any{"type": "event_callback", "event_id": id, "team_id": "T1", "event": inner})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestTranslateEvents(t *testing.T) {
	p := New(Config{APIURL: "http://127.0.0.1:1/"}, zerolog.Nop())
	p.botUser = "UBOT"
	sample, err := os.ReadFile("testdata/payloads/slack-event-callback-message-channels.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		body []byte
		ok   bool
		want muster.Event
	}{
		{"a message (Slack's sample envelope)", sample, true, muster.Event{ID: "Ev123ABC456", Kind: muster.EventMessage, User: "U123ABC456", Room: "C123ABC456", Text: "Live long and prospect.", MessageID: "1355517523.000005", At: time.Unix(1355517523, 5000).UTC()}},
		{"an edit keeps the message id", wrapInner(t, "slack-event-message-changed.json", "Ev2"), true, muster.Event{ID: "Ev2", Kind: muster.EventMessageEdited, User: "U123ABC456", Room: "G024BE91L", Text: "Live long and prospect.", MessageID: "1355517523.000005", At: time.Unix(1358878755, 1000).UTC()}},
		{"a pin flags the pinned message", wrapInner(t, "slack-event-pin-added.json", "Ev3"), true, muster.Event{ID: "Ev3", Kind: muster.EventKeyFlag, User: "U061F7AUR", Room: "C0LAN2Q65", MessageID: "1539904112.000100", At: time.Unix(1515449522, 16000).UTC()}},
		{"a bot's message is not a human message", wrapInner(t, "slack-event-bot-message.json", "Ev4"), false, muster.Event{}},
		{"joins are noise", wrapInner(t, "slack-event-member-joined-channel.json", "Ev5"), false, muster.Event{}},
		{"a thread reply keeps its parent", rawEnvelope(t, "Ev6", map[string]any{"type": "message", "user": "U1", "channel": "C1", "text": "on it", "ts": "1700000002.000200", "thread_ts": "1700000001.000100"}), true,
			muster.Event{ID: "Ev6", Kind: muster.EventMessage, User: "U1", Room: "C1", Text: "on it", MessageID: "1700000002.000200", ThreadID: "1700000001.000100", At: time.Unix(1700000002, 200000).UTC()}},
		{"the bot's own post", rawEnvelope(t, "Ev7", map[string]any{"type": "message", "user": "UBOT", "channel": "C1", "text": "⏰", "ts": "1700000003.000100"}), false, muster.Event{}},
		{"a deletion", rawEnvelope(t, "Ev8", map[string]any{"type": "message", "subtype": "message_deleted", "channel": "C1", "deleted_ts": "1700000002.000200", "ts": "1700000009.000100", "event_ts": "1700000009.000100"}), true,
			muster.Event{ID: "Ev8", Kind: muster.EventMessageDeleted, Room: "C1", MessageID: "1700000002.000200", At: time.Unix(1700000009, 100000).UTC()}},
		{"a 📌 reaction", rawEnvelope(t, "Ev9", map[string]any{"type": "reaction_added", "user": "U2", "reaction": "pushpin", "item": map[string]any{"type": "message", "channel": "C1", "ts": "1700000002.000200"}, "event_ts": "1700000010.000100"}), true,
			muster.Event{ID: "Ev9", Kind: muster.EventKeyFlag, User: "U2", Room: "C1", MessageID: "1700000002.000200", At: time.Unix(1700000010, 100000).UTC()}},
		{"another reaction", rawEnvelope(t, "Ev10", map[string]any{"type": "reaction_added", "user": "U2", "reaction": "eyes", "item": map[string]any{"type": "message", "channel": "C1", "ts": "1"}, "event_ts": "1"}), false, muster.Event{}},
		{"an unfurl is not an edit", rawEnvelope(t, "Ev11", map[string]any{"type": "message", "subtype": "message_changed", "channel": "C1", "ts": "5.1",
			"message": map[string]any{"type": "message", "user": "U1", "text": "see https://x", "ts": "4.1"}, "previous_message": map[string]any{"type": "message", "user": "U1", "text": "see https://x", "ts": "4.1"}}), false, muster.Event{}},
		{"an event type slack-go does not know", rawEnvelope(t, "Ev12", map[string]any{"type": "something_new"}), false, muster.Event{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := p.translateEvent(tt.body)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (event %+v)", ok, tt.ok, got)
			}
			if !ok {
				return
			}
			tt.want.Platform = Name
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestInboundTextIsUnescaped(t *testing.T) {
	p := New(Config{APIURL: "http://127.0.0.1:1/"}, zerolog.Nop())
	ev, ok := p.translateEvent(rawEnvelope(t, "E1", map[string]any{"type": "message", "user": "U1", "channel": "C1", "text": "p99 &lt; 2s &amp;&amp; errors &gt; 1% cc <@U2>", "ts": "1.1"}))
	if !ok || ev.Text != "p99 < 2s && errors > 1% cc <@U2>" {
		t.Errorf("text = %q", ev.Text)
	}
	if got := commandText(goslack.SlashCommand{Text: " note a &lt;b&gt; &amp;c "}); got != "note a <b> &c" {
		t.Errorf("command text = %q", got)
	}
	// What comes in unescaped goes out escaped once.
	_, blocks := render(muster.Message{Text: ev.Text})
	out, _ := json.Marshal(blocks)
	if !strings.Contains(string(out), `p99 \u0026lt; 2s \u0026amp;\u0026amp; errors \u0026gt; 1% cc \u003c@U2\u003e`) {
		t.Errorf("rendered = %s", out)
	}
}
