package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

// TestCommandRepliesThenDelivers: Command returns the sender's reply once
// the change is durable, sending nothing itself, and the room posts wait
// for deliver; a mistake is the reply, with nothing to deliver.
func TestCommandRepliesThenDelivers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	command := func(user, room, text string) (*muster.Message, func()) {
		t.Helper()
		reply, deliver, err := h.bot.Command(h.ctx, muster.Event{Platform: platformName, Kind: muster.EventCommand, User: user, Room: room, Text: text})
		if err != nil {
			t.Fatalf("Command(%q): %v", text, err)
		}
		return reply, func() { deliver(h.ctx) }
	}

	// A declaration: its room is open and recorded when the reply names it.
	reply, deliver := command("alice", lobby, "declare sev1 Checkout down")
	inc := h.incident(1)
	if reply == nil || !strings.Contains(reply.Text, "INC-1 declared") || !strings.Contains(reply.Text, "#inc-1-checkout-down") || inc.Room == "" {
		t.Fatalf("declare: reply %+v, stored room %q; want the reply naming the war room, which is stored", reply, inc.Room)
	}
	if privs := h.fp.ok("Private", ""); len(privs) != 0 {
		t.Errorf("Command sent private replies itself: %+v", privs)
	}
	deliver()

	// An update from the lobby: saved before the reply; posted by deliver.
	mark := h.fp.mark()
	h.at(10 * time.Minute)
	reply, deliver = command("carol", lobby, "update INC-1 Rolled back; errors falling")
	if n := len(h.entries(inc.ID, muster.EntryUpdate)); n != 1 || reply != nil {
		t.Fatalf("update: %d update entries, reply %+v; want the update saved and no reply yet", n, reply)
	}
	if calls := h.fp.since(mark); len(calls) != 0 {
		t.Fatalf("before deliver, the platform got %+v, want nothing", calls)
	}
	deliver()
	if posts := h.fp.ok("Post", inc.Room); len(posts) == 0 || posts[len(posts)-1].Msg.Text != "Rolled back; errors falling" {
		t.Errorf("after deliver, war-room posts %+v, want the update last", posts)
	}
	if privs := h.fp.ok("Private", lobby); len(privs) == 0 || !strings.HasPrefix(privs[len(privs)-1].Msg.Text, "Done:") {
		t.Errorf("after deliver, private replies %+v, want the confirmation", privs)
	}

	// A mistake: the reply names it; nothing to deliver.
	mark = h.fp.mark()
	reply, deliver = command("carol", inc.Room, "severity sev9")
	deliver()
	if reply == nil || !strings.Contains(reply.Text, `"sev9" is not a severity`) {
		t.Errorf("bad severity: reply %+v", reply)
	}
	if calls := h.fp.since(mark); len(calls) != 0 {
		t.Errorf("a refused command delivered %+v", calls)
	}
}
