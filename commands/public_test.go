package commands_test

import (
	"strings"
	"testing"

	"github.com/muster-bot/muster"
)

func TestPublicPublishes(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare sev1 Checkout down")
	e.must("alice", 1, "ic")
	out := e.must("alice", 1, "public We are investigating failed checkouts.")
	inc := e.incident(1)
	if len(inc.Public) != 1 || inc.Public[0].Text != "We are investigating failed checkouts." || inc.Public[0].Status != muster.StatusInvestigating {
		t.Fatalf("public posts = %+v", inc.Public)
	}
	if inc.Status != muster.StatusInvestigating || !inc.Reminder.LastUpdate.Equal(t0) {
		t.Errorf("public changed more than the posts: status %s, last update %s", inc.Status, inc.Reminder.LastUpdate)
	}
	if len(out.Room) != 1 || !strings.Contains(out.Room[0].Text, "failed checkouts") || len(out.Announce) != 0 {
		t.Errorf("outcome = room %+v announce %+v, want the post in the room only", out.Room, out.Announce)
	}
	tl := e.timeline(1)
	if last := tl[len(tl)-1]; last.Kind != muster.EntryPublic || last.Actor != "alice" {
		t.Errorf("last timeline entry = %+v, want a public entry by alice", last)
	}
}

func TestPublicRefusals(t *testing.T) {
	tests := []struct {
		name, user, text, want string
		private                bool
	}{
		{"a user mention", "alice", "public Thanks <@U123> for the fix", "must not name people", false},
		{"a Slack group mention", "alice", "public <!subteam^S1|@sre> is on it", "must not name people", false},
		{"here", "alice", "public <!here> checkout is down", "must not name people", false},
		{"a console mention", "alice", "public @bob restarted the database", "must not name people", false},
		{"a channel", "alice", "public see <#C123>", "must not name people", false},
		{"no text", "alice", "public", "needs text", false},
		{"too long", "alice", "public " + strings.Repeat("x", muster.MaxPublic+1), "at most 2000", false},
		{"not Comms nor IC", "bob", "public All good", "Only the Incident Commander or the Communications lead", false},
		{"a private incident", "alice", "public All good", "private", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.private {
				e.must("alice", 0, "declare sev1 private Key leaked")
			} else {
				e.must("alice", 0, "declare sev1 Checkout down")
			}
			e.must("alice", 1, "ic")
			_, err := e.run(tt.user, 1, tt.text)
			if muster.ErrorCode(err) != muster.EINVALID || !strings.Contains(muster.ErrorMessage(err), tt.want) {
				t.Fatalf("%s: err = %v, want EINVALID saying %q", tt.text, err, tt.want)
			}
			if inc := e.incident(1); len(inc.Public) != 0 {
				t.Errorf("published %+v", inc.Public)
			}
		})
	}
}

func TestPublicAnyoneWhileNoICOrComms(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare Checkout down")
	e.must("bob", 1, "public Investigating.")
	e.must("carol", 1, "comms")
	if _, err := e.run("bob", 1, "component API degraded"); muster.ErrorCode(err) != muster.EINVALID {
		t.Fatalf("component by someone else once Comms is held: err = %v, want a refusal", err)
	}
	e.must("carol", 1, "component API degraded")
}

func TestComponent(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare sev1 Checkout down")
	e.must("alice", 1, "component web APP partial_outage")
	e.must("alice", 1, "component api major")
	inc := e.incident(1)
	if got := inc.ComponentStates(); got["Web app"] != muster.ComponentPartial || got["API"] != muster.ComponentMajor {
		t.Fatalf("component states = %v", got)
	}
	if tl := e.timeline(1); tl[len(tl)-1].Kind != muster.EntryComponent {
		t.Errorf("last entry = %+v, want a component entry", tl[len(tl)-1])
	}
	for _, tt := range []struct{ text, want string }{
		{"component Payments major", "not a status-page component. Components: API, Checkout, Web app."},
		{"component API broken", "not a component state. States: operational, degraded, partial, major."},
		{"component API", "Usage: `component <name> <operational|degraded|partial|major>`"},
	} {
		if _, err := e.run("alice", 1, tt.text); muster.ErrorCode(err) != muster.EINVALID || !strings.Contains(muster.ErrorMessage(err), tt.want) {
			t.Errorf("%s: err = %v, want EINVALID saying %q", tt.text, err, tt.want)
		}
	}
	if _, err := e.run("alice", 1, "component API major"); muster.ErrorCode(err) != muster.ECONFLICT {
		t.Errorf("same state again: err = %v, want ECONFLICT", err)
	}
}

func TestComponentPrivateRefused(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare private Key leaked")
	_, err := e.run("alice", 1, "component API major")
	if muster.ErrorCode(err) != muster.EINVALID || !strings.Contains(muster.ErrorMessage(err), "private") {
		t.Fatalf("err = %v, want a private refusal", err)
	}
	if inc := e.incident(1); len(inc.ComponentLog) != 0 {
		t.Errorf("component log = %+v", inc.ComponentLog)
	}
}

func TestResolveOffersToPublishTheResolution(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare sev1 Checkout down")
	e.must("alice", 1, "ic")
	e.must("alice", 1, "component Checkout major")
	e.must("alice", 1, "public Payments fail for some customers.")
	out := e.must("alice", 1, "resolve Rolled back <@U9>'s deploy")
	var button *muster.Button
	for _, m := range out.Room {
		for i := range m.Buttons {
			if m.Buttons[i].Label == "Publish the resolution" {
				button = &m.Buttons[i]
			}
		}
	}
	if button == nil {
		t.Fatalf("resolve posted %+v, want a “Publish the resolution” button", out.Room)
	}
	if _, err := e.run("bob", 1, button.Action); muster.ErrorCode(err) != muster.EINVALID {
		t.Fatalf("press by someone who is neither IC nor Comms: err = %v, want a refusal", err)
	}
	pressed := e.must("alice", 1, button.Action)
	if f := pressed.Room[0].Fields; len(f) != 1 || f[0].Value != "Checkout" {
		t.Errorf("the room is told %+v, want Checkout back to operational", f)
	}
	inc := e.incident(1)
	last, _ := inc.LastPublic()
	if last.Text != muster.ResolvedText || last.Status != muster.StatusResolved {
		t.Errorf("last post = %+v, want the resolution", last)
	}
	if got := inc.ComponentStates()["Checkout"]; got != muster.ComponentOperational {
		t.Errorf("Checkout = %s, want operational again", got)
	}
	if _, err := e.run("alice", 1, button.Action); muster.ErrorCode(err) != muster.ECONFLICT {
		t.Errorf("second press: err = %v, want ECONFLICT (already published)", err)
	}
}

func TestResolveWithoutPublicPostsOffersNothing(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare sev1 Checkout down")
	out := e.must("alice", 1, "resolve")
	for _, m := range out.Room {
		if len(m.Buttons) > 0 {
			t.Errorf("resolve of an incident customers never heard of offers %+v", m.Buttons)
		}
	}
	if _, err := e.run("alice", 1, "public resolution"); err != nil {
		t.Errorf("typed `public resolution` after resolve: %v", err)
	}
}
