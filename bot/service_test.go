package bot_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/muster-bot/muster"
)

// TestServiceOwnersInvited: the owners of the services an incident
// affects are invited to its war room at declare, and those of a service
// added later when it is added; the header and the topic name them.
func TestServiceOwnersInvited(t *testing.T) {
	h := newHarness(t)
	h.catalog = muster.Services{
		{Name: "checkout", Owners: []string{"checkout-team", "oncall-sre"}, Keywords: []string{"checkout"}},
		{Name: "payments", Owners: []string{"payments-team"}},
	}
	h.restart()
	inc := h.declare("sev2 Checkout is returning 500s") // by keyword
	if !slices.Equal(inc.Services, []string{"checkout"}) {
		t.Fatalf("services = %q", inc.Services)
	}
	invites := h.fp.ok("Invite", inc.Room)
	if len(invites) != 1 || !slices.Equal(invites[0].Users, []string{"alice", "oncall-sre", "checkout-team", "standing-1", "standing-2"}) {
		t.Fatalf("invites at declare = %+v", invites)
	}

	h.command("bob", inc.Room, "service payments")
	invites = h.fp.ok("Invite", inc.Room)
	if len(invites) != 2 || !slices.Equal(invites[1].Users, []string{"payments-team"}) {
		t.Errorf("invites after `service payments` = %+v, want payments-team", invites)
	}
	if got := h.fp.posted(inc.Room, "🧩"); len(got) != 1 || !strings.Contains(got[0], "added payments") {
		t.Errorf("room told %q", got)
	}
	topics := h.fp.ok("SetTopic", inc.Room)
	if last := topics[len(topics)-1].Topic; !strings.Contains(last, "checkout, payments") {
		t.Errorf("topic = %q", last)
	}
	updates := h.fp.ok("Update", inc.Room)
	if len(updates) == 0 || !slices.ContainsFunc(updates[len(updates)-1].Msg.Fields, func(f muster.Field) bool {
		return f.Label == "Services" && f.Value == "checkout · payments"
	}) {
		t.Errorf("the header was not redrawn with the services: %+v", updates)
	}

	// From elsewhere, the incident is named; the sender is told where it went.
	h.command("bob", lobby, "service INC-1 remove payments")
	if got := h.fp.posted(inc.Room, "🧩"); len(got) != 2 || !strings.Contains(got[1], "removed payments") {
		t.Errorf("room told %q", got)
	}
	if n := len(h.fp.ok("Invite", inc.Room)); n != 2 {
		t.Errorf("%d invites, want none more for a removal", n)
	}

	// An unknown service: a private reply naming the valid ones, nothing declared.
	rooms := len(h.fp.ok("CreateRoom", ""))
	h.command("carol", lobby, "declare sev1 svc:billing Invoices fail")
	replies := h.fp.ok("Private", lobby)
	if last := replies[len(replies)-1]; last.User != "carol" || !strings.Contains(last.Msg.Text, `"billing" is not a service. Services: checkout, payments.`) {
		t.Errorf("reply = %+v", last)
	}
	if all, _ := h.db.Incidents(h.ctx, false); len(all) != 1 || len(h.fp.ok("CreateRoom", "")) != rooms {
		t.Errorf("%d incidents after a declaration naming an unknown service", len(all))
	}
}
