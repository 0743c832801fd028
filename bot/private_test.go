package bot_test

import (
	"strings"
	"testing"
)

// TestInvitedBecomeMembers: people brought into a private incident's room
// later (an upgrade notifies the new severity's people) are its members,
// also when they ask from outside the room.
func TestInvitedBecomeMembers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev3 private Wyvern token leaked")
	ask := func() string {
		mark := h.fp.mark()
		h.command("oncall-sre", lobby, "show "+inc.Ref())
		text := ""
		for _, c := range h.fp.since(mark) {
			if c.Method == "Private" {
				text += c.Msg.Title + c.Msg.Text
			}
		}
		return text
	}
	if got := ask(); strings.Contains(got, "Wyvern") || !strings.Contains(got, "There is no incident INC-1") {
		t.Fatalf("before being invited, oncall-sre was shown %q", got)
	}
	h.command("alice", inc.Room, "severity sev2") // SEV2 notifies oncall-sre
	if got := ask(); !strings.Contains(got, "Wyvern") {
		t.Errorf("once invited, oncall-sre was shown %q, want the incident", got)
	}
}
