package bot_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
)

func TestDuePublic(t *testing.T) {
	t.Parallel()
	plus := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	// A SEV1 whose update reminders are kept quiet by recent updates, so
	// only the public page's reminder is at stake.
	published := func(r muster.ReminderState, private bool, status muster.Status) *muster.Incident {
		r.LastUpdate = plus(1000)
		inc := openIncident(r, map[string]string{muster.RoleIC: "bob"})
		inc.Private, inc.Status = private, status
		inc.Public = []muster.PublicPost{{At: plus(10), Text: "Investigating", Status: muster.StatusInvestigating}}
		return inc
	}
	never := openIncident(muster.ReminderState{LastUpdate: plus(1000)}, map[string]string{muster.RoleIC: "bob"})
	noPublicEvery := sev1
	noPublicEvery.PublicEvery = 0
	tests := []struct {
		name string
		inc  *muster.Incident
		sev  muster.Severity
		now  time.Time
		want []bot.Nag
	}{
		{"fresh post", published(muster.ReminderState{}, false, muster.StatusInvestigating), sev1, plus(39), nil},
		{"post as old as public_every", published(muster.ReminderState{}, false, muster.StatusInvestigating), sev1, plus(40), []bot.Nag{bot.NagPublic}},
		{"once per stale period", published(muster.ReminderState{LastPublicNag: plus(40)}, false, muster.StatusInvestigating), sev1, plus(69), nil},
		{"next stale period", published(muster.ReminderState{LastPublicNag: plus(40)}, false, muster.StatusInvestigating), sev1, plus(70), []bot.Nag{bot.NagPublic}},
		{"never published", never, sev1, plus(600), nil},
		{"private", published(muster.ReminderState{}, true, muster.StatusInvestigating), sev1, plus(600), nil},
		{"resolved", published(muster.ReminderState{}, false, muster.StatusResolved), sev1, plus(600), nil},
		{"no public_every", published(muster.ReminderState{}, false, muster.StatusInvestigating), noPublicEvery, plus(600), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := bot.Due(tt.inc, tt.sev, 0, tt.now); !slices.Equal(got, tt.want) {
				t.Errorf("Due at +%s = %v, want %v", tt.now.Sub(t0), got, tt.want)
			}
		})
	}
}

// TestPublicReminder: a SEV1 that published is reminded, in its war
// room and naming Comms, when its newest public post is older than 30
// minutes; once per stale period; a new post starts the clock again.
func TestPublicReminder(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev1 Checkout down")
	h.command("bob", inc.Room, "ic")
	h.command("bob", inc.Room, "comms @carol")
	h.at(5 * time.Minute)
	h.command("carol", inc.Room, "public We are investigating failed payments.")

	h.mustTick(34 * time.Minute)
	wantNags(t, h, inc.Room, "📣 <@carol>", 0, "at 34m")
	h.mustTick(35 * time.Minute)
	nags := wantNags(t, h, inc.Room, "📣 <@carol>", 1, "at 35m")
	for _, want := range []string{"INC-1", "30m ago", "SEV1", "every 30m", "public <text>"} {
		if !strings.Contains(nags[0], want) {
			t.Errorf("reminder %q does not say %q", nags[0], want)
		}
	}
	h.mustTick(36 * time.Minute)
	h.mustTick(64 * time.Minute)
	wantNags(t, h, inc.Room, "📣 <@carol>", 1, "within the same stale period")
	h.mustTick(65 * time.Minute)
	wantNags(t, h, inc.Room, "📣 <@carol>", 2, "at 65m")

	h.at(70 * time.Minute)
	h.command("carol", inc.Room, "public A fix is rolling out.")
	h.mustTick(99 * time.Minute)
	wantNags(t, h, inc.Room, "📣 <@carol>", 2, "29m after the new post")
	h.mustTick(100 * time.Minute)
	wantNags(t, h, inc.Room, "📣 <@carol>", 3, "30m after the new post")

	// The update reminders are their own: the public ones neither count
	// towards their escalation nor reset them.
	if got := h.incident(inc.ID).Reminder.LastPublicNag; !got.Equal(t0.Add(100 * time.Minute)) {
		t.Errorf("LastPublicNag = %s, want +100m", got.Sub(t0))
	}
	h.at(101 * time.Minute)
	h.command("bob", inc.Room, "resolve")
	h.mustTick(200 * time.Minute)
	wantNags(t, h, inc.Room, "📣 <@carol>", 3, "after resolve")
}

// TestPublicReminderIC: with nobody in the Comms seat the IC is reminded.
func TestPublicReminderIC(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev2 Search slow")
	h.command("bob", inc.Room, "ic")
	h.command("bob", inc.Room, "public Search is slow for some customers.")
	h.mustTick(time.Hour)
	wantNags(t, h, inc.Room, "📣 <@bob>", 1, "at 1h")
}

// TestPublicReminderNotWithoutPosts: an incident that never published
// is not reminded of the public page, whatever its severity.
func TestPublicReminderNotWithoutPosts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev1 Checkout down")
	h.command("bob", inc.Room, "ic")
	h.mustTick(5 * time.Hour)
	wantNags(t, h, inc.Room, "📣", 0, "after 5h")
}

// TestPublicReminderRetriedAfterFailedPost: a reminder the platform did
// not take is given back and sent on the next tick, once.
func TestPublicReminderRetriedAfterFailedPost(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev1 Checkout down")
	h.command("bob", inc.Room, "ic")
	h.command("bob", inc.Room, "public Investigating.")
	h.fp.fail("Post", inc.Room, errors.New("connection refused"))
	h.at(30 * time.Minute)
	if err := h.tick(); err == nil {
		t.Fatal("tick with a failing platform reported no error")
	}
	if got := h.incident(inc.ID).Reminder; !got.LastPublicNag.IsZero() || got.Pending != "" {
		t.Fatalf("reminder state after a failed post = %+v, want the claim given back", got)
	}
	h.fp.heal("Post")
	h.mustTick(31 * time.Minute)
	h.mustTick(32 * time.Minute)
	wantNags(t, h, inc.Room, "📣 <@bob>", 1, "after the platform healed")
}
