package bot_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
)

var sev1, sev4 = muster.DefaultSeverities()[0], muster.DefaultSeverities()[3]

// openIncident returns a SEV1 incident declared at t0 with the reminder state given.
func openIncident(r muster.ReminderState, roles map[string]string) *muster.Incident {
	if r.LastUpdate.IsZero() {
		r.LastUpdate = t0
	}
	return &muster.Incident{ID: 1, Severity: "SEV1", Status: muster.StatusInvestigating, DeclaredAt: t0, Roles: roles, Reminder: r}
}

func TestDue(t *testing.T) {
	t.Parallel()
	ic := map[string]string{muster.RoleIC: "bob"}
	plus := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	resolved := openIncident(muster.ReminderState{}, ic)
	resolved.Status = muster.StatusResolved
	escalateAfter1 := sev1
	escalateAfter1.EscalateAfter = 1
	escalateUnset := sev1
	escalateUnset.EscalateAfter = 0
	tests := []struct {
		name      string
		inc       *muster.Incident
		sev       muster.Severity
		noICAfter time.Duration
		now       time.Time
		want      []bot.Nag
	}{
		{"nothing before the cadence", openIncident(muster.ReminderState{}, ic), sev1, 0, plus(29), nil},
		{"update at the cadence", openIncident(muster.ReminderState{}, ic), sev1, 0, plus(30), []bot.Nag{bot.NagUpdate}},
		{"one owed after a long downtime", openIncident(muster.ReminderState{}, ic), sev1, 0, plus(600), []bot.Nag{bot.NagUpdate}},
		{"measured from the last update", openIncident(muster.ReminderState{LastUpdate: plus(20)}, ic), sev1, 0, plus(49), nil},
		{"measured from the last reminder", openIncident(muster.ReminderState{LastNag: plus(30), Missed: 1}, ic), sev1, 0, plus(59), nil},
		{"second reminder", openIncident(muster.ReminderState{LastNag: plus(30), Missed: 1}, ic), sev1, 0, plus(60), []bot.Nag{bot.NagUpdate}},
		{"third reminder escalates", openIncident(muster.ReminderState{LastNag: plus(60), Missed: 2}, ic), sev1, 0, plus(90), []bot.Nag{bot.NagEscalate}},
		{"EscalateAfter 1 escalates the second", openIncident(muster.ReminderState{LastNag: plus(30), Missed: 1}, ic), escalateAfter1, 0, plus(60), []bot.Nag{bot.NagEscalate}},
		{"EscalateAfter unset means 2", openIncident(muster.ReminderState{LastNag: plus(30), Missed: 1}, ic), escalateUnset, 0, plus(60), []bot.Nag{bot.NagUpdate}},
		{"snoozed", openIncident(muster.ReminderState{SnoozedUntil: plus(55)}, ic), sev1, 0, plus(54), nil},
		{"snooze over", openIncident(muster.ReminderState{SnoozedUntil: plus(55)}, ic), sev1, 0, plus(55), []bot.Nag{bot.NagUpdate}},
		{"no cadence", openIncident(muster.ReminderState{}, ic), sev4, 0, plus(600), nil},
		{"resolved", resolved, sev1, 5 * time.Minute, plus(600), nil},
		{"no IC before the limit", openIncident(muster.ReminderState{}, nil), sev4, 5 * time.Minute, plus(4), nil},
		{"no IC at the limit", openIncident(muster.ReminderState{}, nil), sev4, 5 * time.Minute, plus(5), []bot.Nag{bot.NagNoIC}},
		{"no IC already nagged", openIncident(muster.ReminderState{NoICNagged: true}, nil), sev4, 5 * time.Minute, plus(60), nil},
		{"no IC nag off", openIncident(muster.ReminderState{}, nil), sev4, 0, plus(60), nil},
		{"IC taken", openIncident(muster.ReminderState{}, ic), sev4, 5 * time.Minute, plus(60), nil},
		{"no IC and no update", openIncident(muster.ReminderState{}, nil), sev1, 5 * time.Minute, plus(30), []bot.Nag{bot.NagNoIC, bot.NagUpdate}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := bot.Due(tt.inc, tt.sev, tt.noICAfter, tt.now); !slices.Equal(got, tt.want) {
				t.Errorf("Due at +%s = %v, want %v", tt.now.Sub(t0), got, tt.want)
			}
		})
	}
}

// wantNags fails unless room holds exactly n posts starting with prefix.
func wantNags(tb testing.TB, h *harness, room, prefix string, n int, when string) []string {
	tb.Helper()
	got := h.fp.posted(room, prefix)
	if len(got) != n {
		tb.Fatalf("%s: %d posts starting with %q in %s, want %d: %q", when, len(got), prefix, room, n, got)
	}
	return got
}

func TestReminderAtCadence(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev1 Checkout down")

	h.mustTick(29 * time.Minute)
	wantNags(t, h, inc.Room, "⏰", 0, "at 29m")

	h.mustTick(30 * time.Minute)
	nags := wantNags(t, h, inc.Room, "⏰", 1, "at 30m")
	for _, want := range []string{"INC-1", "30m ago", "SEV1", "every 30m", "update <text>"} {
		if !strings.Contains(nags[0], want) {
			t.Errorf("reminder %q does not say %q", nags[0], want)
		}
	}
	if n := len(h.entries(inc.ID, muster.EntryReminder)); n != 1 {
		t.Errorf("%d reminder entries in the timeline, want 1", n)
	}

	h.mustTick(30 * time.Minute)
	wantNags(t, h, inc.Room, "⏰", 1, "second tick at 30m")
	h.mustTick(59 * time.Minute)
	wantNags(t, h, inc.Room, "⏰", 1, "at 59m")
	h.mustTick(60 * time.Minute)
	wantNags(t, h, inc.Room, "⏰", 2, "at 60m")
}

func TestReminderMentions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		roles    []string // commands typed by bob in the war room first
		want     string
		dontWant string
	}{
		{"comms holder", []string{"ic", "comms @carol"}, "<@carol>", "<@bob>"},
		{"IC when comms is unassigned", []string{"ic"}, "<@bob>", "<@carol>"},
		{"declarer when nobody holds a role", nil, "<@alice>", "<@bob>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			inc := h.declare("sev1 Checkout down")
			for _, cmd := range tt.roles {
				h.command("bob", inc.Room, cmd)
			}
			h.mustTick(30 * time.Minute)
			nag := wantNags(t, h, inc.Room, "⏰", 1, "at 30m")[0]
			if !strings.Contains(nag, tt.want) || strings.Contains(nag, tt.dontWant) {
				t.Errorf("reminder %q: want a mention of %s and none of %s", nag, tt.want, tt.dontWant)
			}
		})
	}
}

func TestReminderClockResetByUpdate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev1 Checkout down")
	h.at(20 * time.Minute)
	h.command("carol", inc.Room, "update Rolled back the deploy")

	h.mustTick(30 * time.Minute)
	wantNags(t, h, inc.Room, "⏰", 0, "at 30m, 10m after the update")
	h.mustTick(49 * time.Minute)
	wantNags(t, h, inc.Room, "⏰", 0, "at 49m")
	h.mustTick(50 * time.Minute)
	nag := wantNags(t, h, inc.Room, "⏰", 1, "at 50m")[0]
	if !strings.Contains(nag, "30m ago") {
		t.Errorf("reminder %q should count from the update, 30m ago", nag)
	}
}

func TestReminderSeverityChange(t *testing.T) {
	t.Parallel()
	t.Run("upgrade to SEV1 is due at once", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		inc := h.declare("sev2 Checkout slow")
		h.mustTick(39 * time.Minute)
		wantNags(t, h, inc.Room, "⏰", 0, "SEV2 at 39m")
		h.at(40 * time.Minute)
		h.command("bob", inc.Room, "severity sev1")
		h.mustTick(40 * time.Minute)
		nag := wantNags(t, h, inc.Room, "⏰", 1, "SEV1 at 40m")[0]
		if !strings.Contains(nag, "40m ago") || !strings.Contains(nag, "every 30m") {
			t.Errorf("reminder %q should say 40m since the update and the SEV1 cadence", nag)
		}
	})
	t.Run("downgrade to SEV4 stops reminders", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		inc := h.declare("sev1 Checkout down")
		h.at(10 * time.Minute)
		h.command("bob", inc.Room, "sev sev4")
		for _, d := range []time.Duration{30 * time.Minute, time.Hour, 3 * time.Hour, 24 * time.Hour} {
			h.mustTick(d)
		}
		wantNags(t, h, inc.Room, "⏰", 0, "SEV4")
		wantNags(t, h, inc.Room, "🚨", 0, "SEV4")
	})
}

func TestReminderStopsAtResolve(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *bot.Config) { c.NoICAfter = 5 * time.Minute })
	inc := h.declare("sev1 Checkout down")
	h.at(2 * time.Minute)
	h.command("bob", inc.Room, "resolve Rolled back")
	mark := h.fp.mark()
	for _, d := range []time.Duration{5 * time.Minute, 30 * time.Minute, 3 * time.Hour} {
		h.mustTick(d)
	}
	var calls []call
	for _, c := range h.fp.since(mark) {
		if !strings.HasPrefix(c.Msg.Title, "📅") { // the review invite comes after a resolve (postmortem_test.go)
			calls = append(calls, c)
		}
	}
	if len(calls) != 0 {
		t.Errorf("a resolved incident got %d platform calls from the reminders: %+v", len(calls), calls)
	}
}

func TestReminderSnooze(t *testing.T) {
	t.Parallel()
	t.Run("45m delays the reminder", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		inc := h.declare("sev1 Checkout down")
		h.at(10 * time.Minute)
		h.command("carol", inc.Room, "snooze 45m")
		if got := h.incident(inc.ID).Reminder.SnoozedUntil; !got.Equal(t0.Add(55 * time.Minute)) {
			t.Fatalf("SnoozedUntil = %v, want +55m", got)
		}
		h.mustTick(30 * time.Minute)
		h.mustTick(54 * time.Minute)
		wantNags(t, h, inc.Room, "⏰", 0, "snoozed until 55m")
		h.mustTick(55 * time.Minute)
		wantNags(t, h, inc.Room, "⏰", 1, "at 55m")
		if n := len(h.entries(inc.ID, muster.EntrySnooze)); n != 1 {
			t.Errorf("%d snooze entries, want 1", n)
		}
	})
	t.Run("over twice the cadence is rejected", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		inc := h.declare("sev1 Checkout down")
		before, mark := h.snapshot(), h.fp.mark()
		h.at(10 * time.Minute)
		h.command("carol", inc.Room, "snooze 61m")
		calls := h.fp.since(mark)
		if len(calls) != 1 || calls[0].Method != "Private" || calls[0].User != "carol" ||
			!strings.Contains(calls[0].Msg.Text, "Snooze for up to 1h") {
			t.Fatalf("want one private reply to carol naming the 1h limit, got %+v", calls)
		}
		if h.snapshot() != before {
			t.Error("a rejected snooze changed the store")
		}
		h.mustTick(30 * time.Minute)
		wantNags(t, h, inc.Room, "⏰", 1, "at 30m")
	})
}

func TestReminderRestartsAtReopen(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev1 Checkout down")
	h.at(10 * time.Minute)
	h.command("bob", inc.Room, "resolve")
	h.at(2 * time.Hour)
	h.command("bob", inc.Room, "reopen")

	h.mustTick(2 * time.Hour)
	h.mustTick(2*time.Hour + 29*time.Minute)
	wantNags(t, h, inc.Room, "⏰", 0, "within 30m of the reopen")
	h.mustTick(2*time.Hour + 30*time.Minute)
	nag := wantNags(t, h, inc.Room, "⏰", 1, "30m after the reopen")[0]
	if !strings.Contains(nag, "30m ago") {
		t.Errorf("reminder %q should count from the reopen", nag)
	}
}

func TestReminderFiresOnceAfterDowntime(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev1 Checkout down")
	h.mustTick(3 * time.Hour)
	nag := wantNags(t, h, inc.Room, "⏰", 1, "first tick at 3h")[0]
	wantNags(t, h, inc.Room, "🚨", 0, "first tick at 3h")
	if !strings.Contains(nag, "3h ago") {
		t.Errorf("reminder %q should say the last update was 3h ago", nag)
	}
	h.mustTick(3*time.Hour + 29*time.Minute)
	wantNags(t, h, inc.Room, "⏰", 1, "at 3h29m")
	h.mustTick(3*time.Hour + 30*time.Minute)
	wantNags(t, h, inc.Room, "⏰", 2, "at 3h30m")
}

func TestReminderConcurrentTicksSendOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev1 Checkout down")
	h.at(30 * time.Minute)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- h.tick() })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Tick: %v", err)
		}
	}
	wantNags(t, h, inc.Room, "⏰", 1, "8 concurrent ticks")
}

func TestReminderEscalates(t *testing.T) {
	t.Parallel()
	for _, private := range []bool{false, true} {
		name := "public"
		args := "sev1 Checkout down"
		if private {
			name, args = "private", "private sev1 Token leaked"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			inc := h.declare(args)
			h.command("bob", inc.Room, "ic")
			h.command("bob", inc.Room, "comms @carol")
			announcements := len(h.fp.ok("Post", announceRoom))

			h.mustTick(30 * time.Minute)
			h.mustTick(60 * time.Minute)
			for _, nag := range wantNags(t, h, inc.Room, "⏰", 2, "two reminders") {
				if strings.Contains(nag, "<@bob>") {
					t.Errorf("reminder %q mentions the IC before escalating", nag)
				}
			}
			wantNags(t, h, inc.Room, "🚨", 0, "two reminders")

			h.mustTick(90 * time.Minute)
			esc := wantNags(t, h, inc.Room, "🚨", 1, "third reminder")[0]
			for _, want := range []string{"<@bob>", "<@carol>", "2 reminders went unanswered", "1h30m"} {
				if !strings.Contains(esc, want) {
					t.Errorf("escalation %q does not say %q", esc, want)
				}
			}
			if n := len(h.entries(inc.ID, muster.EntryEscalation)); n != 1 {
				t.Errorf("%d escalation entries, want 1", n)
			}
			posts := h.fp.ok("Post", announceRoom)[announcements:]
			if private {
				if len(posts) != 0 {
					t.Errorf("a private incident's escalation was announced: %+v", posts)
				}
				return
			}
			if len(posts) != 1 || !strings.Contains(posts[0].Msg.Text, "overdue") {
				t.Fatalf("want one overdue note in the announcement room, got %+v", posts)
			}
			if inc := h.incident(inc.ID); posts[0].Msg.Thread == "" || posts[0].Msg.Thread != inc.Announcement {
				t.Errorf("overdue note threaded under %q, want the announcement %q", posts[0].Msg.Thread, inc.Announcement)
			}
		})
	}
}

func TestNoICNag(t *testing.T) {
	t.Parallel()
	noIC := func(c *bot.Config) { c.NoICAfter = 5 * time.Minute }
	t.Run("once at 5m", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, noIC)
		inc := h.declare("sev4 Typo on the status page")
		h.mustTick(4 * time.Minute)
		wantNags(t, h, inc.Room, "👤", 0, "at 4m")
		h.mustTick(5 * time.Minute)
		nag := wantNags(t, h, inc.Room, "👤", 1, "at 5m")[0]
		if !strings.Contains(nag, "<@alice>") || !strings.Contains(nag, "no Incident Commander for 5m") {
			t.Errorf("no-IC nag %q should mention the declarer and the 5m", nag)
		}
		h.mustTick(6 * time.Minute)
		h.mustTick(time.Hour)
		wantNags(t, h, inc.Room, "👤", 1, "after 5m")
	})
	t.Run("not when an IC was taken", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, noIC)
		inc := h.declare("sev4 Typo on the status page")
		h.at(2 * time.Minute)
		h.command("bob", inc.Room, "ic")
		h.mustTick(5 * time.Minute)
		h.mustTick(time.Hour)
		wantNags(t, h, inc.Room, "👤", 0, "with an IC")
	})
}

func TestReminderScheduleSurvivesRestart(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev1 Checkout down")
	h.restart()
	if got := h.incident(inc.ID); got.Room != inc.Room || got.Header == "" {
		t.Fatalf("after restart: room %q header %q, want room %q and a header", got.Room, got.Header, inc.Room)
	}
	h.mustTick(2 * time.Hour) // came due at 30m while the bot was down
	wantNags(t, h, inc.Room, "⏰", 1, "first tick after restart")

	h.restart()
	h.mustTick(2 * time.Hour)
	h.mustTick(2*time.Hour + 29*time.Minute)
	wantNags(t, h, inc.Room, "⏰", 0, "after a second restart, before the next period")
	h.mustTick(2*time.Hour + 30*time.Minute)
	wantNags(t, h, inc.Room, "⏰", 1, "one period after the reminder")
}

func TestReminderRetriedAfterFailedPost(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev1 Checkout down")
	h.fp.fail("Post", inc.Room, errors.New("platform is down"))
	h.at(30 * time.Minute)
	if err := h.tick(); err == nil {
		t.Fatal("Tick with a failing platform returned nil")
	}
	if got := h.incident(inc.ID).Reminder; got.Missed != 0 || !got.LastNag.IsZero() {
		t.Errorf("claim not given back after the failed send: %+v", got)
	}

	h.fp.heal("Post")
	h.mustTick(31 * time.Minute)
	wantNags(t, h, inc.Room, "⏰", 1, "retry")
	if got := h.incident(inc.ID).Reminder; got.Missed != 1 || !got.LastNag.Equal(t0.Add(31*time.Minute)) {
		t.Errorf("after the retry: %+v, want one reminder at 31m", got)
	}
	h.mustTick(32 * time.Minute)
	wantNags(t, h, inc.Room, "⏰", 1, "tick after the retry")
}

// A reminder that could not be sent must not appear in the timeline (and
// so in the postmortem's count of reminders) as if it had been.
func TestReminderFailedSendLeavesNoTimelineEntry(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev1 Checkout down")
	h.fp.fail("Post", inc.Room, errors.New("platform is down"))
	for _, d := range []time.Duration{30 * time.Minute, 31 * time.Minute, 32 * time.Minute} {
		h.at(d)
		if err := h.tick(); err == nil {
			t.Fatalf("Tick at +%s with a failing platform returned nil", d)
		}
	}
	h.fp.heal("Post")
	h.mustTick(33 * time.Minute)
	wantNags(t, h, inc.Room, "⏰", 1, "after the platform came back")
	if got := h.entries(inc.ID, muster.EntryReminder); len(got) != 1 {
		t.Errorf("%d reminder entries in the timeline for 1 reminder sent (3 failed): %+v", len(got), got)
	}
}

// An escalation whose room post fails is retried; the stakeholders must
// not be told twice that the update is overdue.
func TestEscalationRetryAnnouncesOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev1 Checkout down")
	h.mustTick(30 * time.Minute)
	h.mustTick(60 * time.Minute)
	h.fp.fail("Post", inc.Room, errors.New("platform is down"))
	h.at(90 * time.Minute)
	if err := h.tick(); err == nil {
		t.Fatal("Tick with a failing war room returned nil")
	}
	h.fp.heal("Post")
	h.mustTick(91 * time.Minute)
	wantNags(t, h, inc.Room, "🚨", 1, "escalation after the retry")
	var overdue []string
	for _, c := range h.fp.ok("Post", announceRoom) {
		if strings.Contains(c.Msg.Text, "overdue") {
			overdue = append(overdue, c.Msg.Text)
		}
	}
	if len(overdue) != 1 {
		t.Errorf("%d overdue notes in the announcement room for one escalation: %q", len(overdue), overdue)
	}
}

// TestPendingReminderPostedAfterCrash: a reminder claimed by a process
// that died before posting it is posted by the next one, once, and not
// counted twice toward escalation.
func TestPendingReminderPostedAfterCrash(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev1 Checkout down")
	claimedAt := t0.Add(30 * time.Minute)
	if _, _, err := h.db.Update(h.ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
		i.Reminder.LastNag, i.Reminder.Missed = claimedAt, 1
		i.Reminder.Pending, i.Reminder.PendingAt = string(bot.NagUpdate), claimedAt
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	h.at(31 * time.Minute)
	h.restart() // the new bot starts after the claim
	h.mustTick(31 * time.Minute)
	wantNags(t, h, inc.Room, "⏰", 1, "first tick after the crash")
	h.mustTick(32 * time.Minute)
	wantNags(t, h, inc.Room, "⏰", 1, "a minute later")
	r := h.incident(inc.ID).Reminder
	if r.Missed != 1 || r.Pending != "" || !r.LastNag.Equal(t0.Add(31*time.Minute)) {
		t.Errorf("reminder state = %+v, want one reminder counted, none pending", r)
	}
	if n := len(h.entries(inc.ID, muster.EntryReminder)); n != 1 {
		t.Errorf("%d reminder entries, want 1", n)
	}
}

// TestPendingReminderOfThisProcessIsNotRepeated: a claim made by this
// process (its post still under way in another tick) is not posted twice.
func TestPendingReminderOfThisProcessIsNotRepeated(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev1 Checkout down")
	h.at(30 * time.Minute)
	if _, _, err := h.db.Update(h.ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
		i.Reminder.LastNag, i.Reminder.Missed = t0.Add(30*time.Minute), 1
		i.Reminder.Pending, i.Reminder.PendingAt = string(bot.NagUpdate), t0.Add(30*time.Minute)
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	h.mustTick(31 * time.Minute)
	wantNags(t, h, inc.Room, "⏰", 0, "while this process's post is under way")
}

// TestRemindersWaitForWorkingHours: a reminder due on Friday evening
// waits for Monday morning; one due within the hours is sent on time.
func TestRemindersWaitForWorkingHours(t *testing.T) {
	t.Parallel()
	hours := &muster.WorkingHours{Start: 9 * time.Hour, End: 18 * time.Hour}
	for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday} {
		hours.Days[d] = true
	}
	sev := muster.Severity{Name: "SEV3", UpdateEvery: 4 * time.Hour, EscalateAfter: 2, Hours: hours}
	friday := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
	inc, _, err := muster.NewIncident("Search slow", sev, false, "alice", friday)
	if err != nil {
		t.Fatal(err)
	}
	inc.Roles = map[string]string{muster.RoleIC: "alice"}
	monday := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	if due, _ := inc.NextUpdateDue(sev, friday); !due.Equal(monday) {
		t.Errorf("next update due %s, want Monday 09:00", due)
	}
	if nags := bot.Due(inc, sev, 0, friday.Add(5*time.Hour)); len(nags) != 0 {
		t.Errorf("Friday 21:00: %v, want nothing", nags)
	}
	if nags := bot.Due(inc, sev, 0, monday); len(nags) != 1 || nags[0] != bot.NagUpdate {
		t.Errorf("Monday 09:00: %v, want one update reminder", nags)
	}
	inc.Reminder.LastUpdate = monday.Add(time.Hour) // 10:00 → due 14:00, within the hours
	if due, _ := inc.NextUpdateDue(sev, monday.Add(time.Hour)); !due.Equal(monday.Add(5 * time.Hour)) {
		t.Errorf("due %s, want Monday 14:00", due)
	}
}

// TestOverdueActionItems: owners are told of their overdue items, one
// message each, in the war room when the platform has no direct messages;
// items done, not yet due or without owner are left alone.
func TestOverdueActionItems(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// Declared on 25 October, so that every due date lies ahead then.
	h.clock.Set(time.Date(2026, 10, 25, 9, 0, 0, 0, time.UTC))
	inc := h.declare("sev2 Checkout down")
	for _, line := range []string{
		"action Add a 5xx alert @carol due 2026-11-20",
		"action Canary deploys @carol due 2026-11-21 p0",
		"action Write the runbook @dave due 2026-11-30",
		"action Unowned cleanup due 2026-11-01",
		"action Rotate the key @erin due 2026-11-02",
		"action done 5",
	} {
		h.command("alice", inc.Room, line)
	}
	if err := h.bot.RemindActions(h.ctx, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	got := h.fp.posted(inc.Room, "📋")
	if len(got) != 1 || !strings.Contains(got[0], "<@carol>, 2 of your action items are overdue") {
		t.Fatalf("reminders = %q, want one for carol with her two items", got)
	}
}

// TestOverdueActionItemsWestOfUTC: at 09:00 on Monday 7 December in New
// York only the item due on the 6th is overdue; the one due on the 7th
// (kept as UTC midnight, hours before local midnight) is due today.
func TestOverdueActionItemsWestOfUTC(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedDueDates(t, h)
	if err := h.bot.RemindActions(h.ctx, time.Date(2026, 12, 7, 9, 0, 0, 0, newYork(t))); err != nil {
		t.Fatal(err)
	}
	all, err := h.db.Incidents(h.ctx, false)
	if err != nil || len(all) != 1 {
		t.Fatalf("incidents: %v, %v", all, err)
	}
	var got []string
	for _, c := range h.fp.ok("Post", all[0].Room) {
		if strings.HasPrefix(c.Msg.Text, "📋") {
			got = append(got, c.Msg.Text+"\n"+c.Msg.Footer)
		}
	}
	if len(got) != 1 || !strings.Contains(got[0], "<@carol>, 1 action item of yours is overdue") || !strings.Contains(got[0], "#2 Alert on queue depth (due 2026-12-06, 1 day ago)") {
		t.Fatalf("reminders = %q, want one for carol's item due on the 6th", got)
	}
}

// TestReminderAfterClockSetBack: a clock set back an hour leaves the last
// update or reminder in the future; the next reminder must still come one
// cadence after the tick that noticed, not when the clock catches up.
func TestReminderAfterClockSetBack(t *testing.T) {
	t.Parallel()
	t.Run("update in the future", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		inc := h.declare("sev1 Checkout down")
		h.at(20 * time.Minute)
		h.command("carol", inc.Room, "update Rolled back the deploy")
		h.mustTick(-40 * time.Minute) // the clock is set back an hour
		h.mustTick(-11 * time.Minute)
		wantNags(t, h, inc.Room, "⏰", 0, "29m after the step back")
		h.mustTick(-10 * time.Minute)
		nag := wantNags(t, h, inc.Room, "⏰", 1, "30m after the step back")[0]
		if !strings.Contains(nag, "30m ago") {
			t.Errorf("reminder %q should count from the step back", nag)
		}
	})
	t.Run("reminder in the future", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		inc := h.declare("sev1 Checkout down")
		h.mustTick(30 * time.Minute)
		wantNags(t, h, inc.Room, "⏰", 1, "at 30m")
		h.mustTick(-30 * time.Minute) // the clock is set back an hour
		h.mustTick(-1 * time.Minute)
		wantNags(t, h, inc.Room, "⏰", 1, "29m after the step back")
		h.mustTick(0)
		wantNags(t, h, inc.Room, "⏰", 2, "30m after the step back")
	})
}

// headerDue is the "Next update due" field of the latest header drawn in
// room.
func headerDue(tb testing.TB, h *harness, room string) string {
	tb.Helper()
	value := ""
	for _, c := range h.fp.since(0) {
		if (c.Method != "Post" && c.Method != "Update") || c.Room != room || c.Err != nil {
			continue
		}
		for _, f := range c.Msg.Fields {
			if f.Label == "Next update due" {
				value = f.Value
			}
		}
	}
	if value == "" {
		tb.Fatalf("no header with a next update due in %s", room)
	}
	return value
}

// nagsIn counts the update reminders and escalations posted in room.
func nagsIn(h *harness, room string) int {
	return len(h.fp.posted(room, "⏰")) + len(h.fp.posted(room, "🚨"))
}

// headerAgrees fails unless the next reminder comes exactly when the war
// room's header says, and leaves the clock at that reminder.
func headerAgrees(t *testing.T, h *harness, room, when string) {
	t.Helper()
	value, now := headerDue(t, h, room), h.clock.Now()
	before := nagsIn(h, room)
	if strings.HasPrefix(value, "now") {
		if err := h.tick(); err != nil {
			t.Fatal(err)
		}
		if got := nagsIn(h, room); got != before+1 {
			t.Fatalf("%s: the header says %q but a tick now sent %d reminders", when, value, got-before)
		}
		return
	}
	due, err := time.Parse("2006-01-02 15:04 MST", value[:len("2006-01-02 15:04 UTC")])
	if err != nil {
		t.Fatalf("%s: header says %q: %v", when, value, err)
	}
	if !due.After(now) {
		t.Fatalf("%s: the header says the next update is due at %q, before now (%s)", when, value, now.Format(time.Kitchen))
	}
	h.mustTick(due.Sub(t0) - time.Minute)
	if got := nagsIn(h, room); got != before {
		t.Fatalf("%s: header says %q, yet a reminder came a minute before", when, value)
	}
	h.mustTick(due.Sub(t0))
	if got := nagsIn(h, room); got != before+1 {
		t.Fatalf("%s: header says %q, yet no reminder came then", when, value)
	}
}

// TestHeaderAgreesWithReminder: the war-room header's "Next update due"
// names the moment the reminder comes, after an upgrade, a snooze and a
// reminder.
func TestHeaderAgreesWithReminder(t *testing.T) {
	t.Parallel()
	t.Run("after a reminder", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		inc := h.declare("sev1 Checkout down")
		headerAgrees(t, h, inc.Room, "at declare")
		headerAgrees(t, h, inc.Room, "after the first reminder")
		headerAgrees(t, h, inc.Room, "after the second reminder")
	})
	t.Run("after an upgrade", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		inc := h.declare("sev3 Checkout slow")
		headerAgrees(t, h, inc.Room, "at declare") // the SEV3 reminder at 4h
		h.at(4*time.Hour + 10*time.Minute)
		h.command("bob", inc.Room, "severity sev1")
		headerAgrees(t, h, inc.Room, "after the upgrade")
		headerAgrees(t, h, inc.Room, "after the reminder the upgrade brought")
	})
	t.Run("after a snooze", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		inc := h.declare("sev1 Checkout down")
		headerAgrees(t, h, inc.Room, "at declare")
		h.at(35 * time.Minute)
		h.command("carol", inc.Room, "snooze 40m")
		headerAgrees(t, h, inc.Room, "after the snooze")
	})
}
