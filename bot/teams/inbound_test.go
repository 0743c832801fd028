package teams

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
)

func sample(t *testing.T, name string) activity {
	t.Helper()
	raw, err := os.ReadFile("testdata/payloads/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var act activity
	if err := json.Unmarshal(raw, &act); err != nil {
		t.Fatal(err)
	}
	return act
}

func TestTranslate(t *testing.T) {
	p := New(Config{AppID: "app"}, nil, zerolog.Nop())

	// Microsoft's documented @mention sample: the mentioned user is not
	// the bot, so this is a message for the timeline, with the mention as
	// an id.
	doc := sample(t, "teams-message-mention.json")
	ev, async, ok := p.translate(doc)
	if !ok || async || ev.Kind != muster.EventMessage || ev.Text != "Hey <@29:08q2j2o3jc09au90eucae> check out this message" {
		t.Errorf("documented mention sample: %+v, async %v, ok %v", ev, async, ok)
	}
	if ev.Room != "19:aebd0ad4d6ab42c8b9ed19c251c2fc37@thread.skype" || ev.ThreadID != "1481567603816" {
		t.Errorf("room %q thread %q", ev.Room, ev.ThreadID)
	}

	// The bot mentioned, whatever its display name: a command.
	cmd := doc
	cmd.Recipient = account{ID: "28:bot", Name: "Whatever The Admin Chose"}
	cmd.Text = "<at>Whatever The Admin Chose</at> incident declare sev1 Checkout &amp; payments down for <at>Pranav Smith</at>"
	cmd.Entities = append(cmd.Entities, doc.Entities...)
	cmd.Entities[0].Mentioned, cmd.Entities[0].Text = account{ID: "28:bot", Name: "Whatever The Admin Chose"}, "<at>Whatever The Admin Chose</at>"
	cmd.Entities = append(cmd.Entities, doc.Entities[0])
	cmd.Entities[1].Text = "<at>Pranav Smith</at>"
	ev, async, ok = p.translate(cmd)
	if !ok || !async || ev.Kind != muster.EventCommand || ev.Text != "incident declare sev1 Checkout & payments down for <@29:08q2j2o3jc09au90eucae>" {
		t.Errorf("command: %+v", ev)
	}

	// A card click, as the documented Action.Submit sample with our data.
	click := sample(t, "teams-card-action-inbound.json")
	click.Value = map[string]any{"muster": "role ic", "incident": "INC-7"}
	ev, async, ok = p.translate(click)
	if !ok || !async || ev.Kind != muster.EventAction || ev.Action != "role ic" || ev.Value != "INC-7" || ev.MessageID != "1575667808184" {
		t.Errorf("click: %+v ok %v", ev, ok)
	}
	click.Value = map[string]any{"property": "propertyValue"} // someone else's card
	if _, _, ok := p.translate(click); ok {
		t.Error("a foreign card's click was taken as an action")
	}

	for _, kind := range []string{"conversationUpdate", "typing", "messageReaction"} {
		other := doc
		other.Type = kind
		if _, _, ok := p.translate(other); ok {
			t.Errorf("%s was translated", kind)
		}
	}
}

func TestThreadRooms(t *testing.T) {
	withGraph := New(Config{AppID: "app", TeamID: "team", AnnounceChannelID: "19:inc@thread.tacv2"}, nil, zerolog.Nop())
	threads := New(Config{AppID: "app", AnnounceChannelID: "19:inc@thread.tacv2"}, nil, zerolog.Nop())
	conv := "19:inc@thread.tacv2;messageid=42"
	if got := withGraph.room(conv); got != "19:inc@thread.tacv2" {
		t.Errorf("with Graph, room = %q, want the channel", got)
	}
	if got := threads.room(conv); got != conv {
		t.Errorf("without Graph, room = %q, want the thread", got)
	}
	if got := threads.room("19:other@thread.tacv2;messageid=1"); got != "19:other@thread.tacv2" {
		t.Errorf("another channel without Graph = %q", got)
	}
}

func TestChunks(t *testing.T) {
	text := strings.Repeat("line of the postmortem é\n", 3000)
	parts := chunks(text, 24<<10)
	if strings.Join(parts, "") != text {
		t.Fatal("chunks lose text")
	}
	for i, p := range parts {
		if len(p) > 24<<10 || (i < len(parts)-1 && !strings.HasSuffix(p, "\n")) {
			t.Errorf("part %d: %d bytes, ends %q", i, len(p), p[len(p)-3:])
		}
	}
}

func TestEditsAndDeletes(t *testing.T) {
	p := New(Config{AppID: "app"}, nil, zerolog.Nop())
	msg := sample(t, "teams-message-mention.json")
	msg.ID = "1700000000123"
	edit := msg
	edit.Type, edit.Text = "messageUpdate", "Hey <at>Pranav Smith</at> look at this instead"
	ev, _, ok := p.translate(edit)
	if !ok || ev.Kind != muster.EventMessageEdited || ev.MessageID != msg.ID || !strings.Contains(ev.Text, "look at this instead") {
		t.Errorf("edit: %+v %v", ev, ok)
	}
	del := msg
	del.Type = "messageDelete"
	ev, _, ok = p.translate(del)
	if !ok || ev.Kind != muster.EventMessageDeleted || ev.MessageID != msg.ID {
		t.Errorf("delete: %+v %v", ev, ok)
	}
}
