package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

// A drill runs the whole flow in a room named drill-<n>-…, and everything
// the stakeholders see of it says it is a drill.
func TestDrillRoomAndAnnouncements(t *testing.T) {
	h := newHarness(t)
	inc := h.declare("drill sev1 Checkout down")
	if !inc.Drill || inc.RoomName != "drill-1-checkout-down" {
		t.Fatalf("drill room %q (drill=%v)", inc.RoomName, inc.Drill)
	}
	real := h.declare("sev2 Search slow")
	if real.RoomName != "inc-2-search-slow" {
		t.Errorf("a real incident after a drill got room %q", real.RoomName)
	}
	room := inc.Room
	h.command("alice", room, "ic")
	h.command("alice", room, "update Failing over to the standby")
	for _, m := range []time.Duration{31, 61, 91} { // SEV1: every 30m; two reminders unanswered, then an escalation
		h.mustTick(m * time.Minute)
	}
	h.command("alice", room, "resolve Failover rehearsed")

	announced := 0
	for _, c := range h.fp.ok("Post", announceRoom) {
		text := c.Msg.Title + c.Msg.Text
		if !strings.Contains(text, "INC-1") && c.Msg.Thread == "" {
			continue // the real incident's own announcement
		}
		if c.Msg.Thread != "" && c.Msg.Thread != h.incident(1).Announcement {
			continue // threaded under the real incident
		}
		announced++
		if !strings.HasPrefix(text, muster.DrillMark) {
			t.Errorf("a drill's announcement without the mark: %q", text)
		}
		if strings.Contains(c.Msg.Title, "🚨") {
			t.Errorf("a drill announced with a siren: %q", c.Msg.Title)
		}
	}
	if announced < 3 { // declared, the update, the escalation, the resolution
		t.Errorf("only %d announcements of the drill", announced)
	}
	if len(h.entries(1, muster.EntryEscalation)) == 0 || len(h.entries(1, muster.EntryResolved)) == 0 {
		t.Errorf("the drill's flow did not run: %+v", h.timeline(1))
	}
	topics := h.fp.ok("SetTopic", room)
	if len(topics) == 0 || !strings.HasPrefix(topics[len(topics)-1].Topic, muster.DrillMark) {
		t.Errorf("drill topics: %+v", topics)
	}
}
