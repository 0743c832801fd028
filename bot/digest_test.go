package bot_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
	"github.com/muster-bot/muster/commands"
	"github.com/muster-bot/muster/internal/fence"
	"github.com/muster-bot/muster/store"
	"github.com/muster-bot/muster/templates"
)

const digestRoom = "digest"

func weekly(t testing.TB) bot.Digest {
	t.Helper()
	sched, err := cron.ParseStandard("0 9 * * 1")
	if err != nil {
		t.Fatal(err)
	}
	return bot.Digest{Schedule: sched, Location: berlin(t), Platform: platformName, Channel: digestRoom}
}

// Monday 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer;
// the week across the change to summer time is an hour short, and its
// digest still comes at 09:00 on the wall clock.
func TestDigestSlot(t *testing.T) {
	d := weekly(t)
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name, last, now, want string
	}{
		{"winter, on time", "", "2026-12-07T08:00:00Z", "2026-12-07T08:00:00Z"},
		{"winter, a minute early", "", "2026-12-07T07:59:00Z", ""},
		{"winter, sent already", "2026-12-07T08:00:00Z", "2026-12-07T08:30:00Z", ""},
		{"winter, late after an outage", "2026-11-30T08:00:00Z", "2026-12-07T19:00:00Z", "2026-12-07T08:00:00Z"},
		{"more than a day late is skipped", "2026-11-30T08:00:00Z", "2026-12-08T08:01:00Z", ""},
		{"summer", "2026-05-25T07:00:00Z", "2026-06-01T07:00:00Z", "2026-06-01T07:00:00Z"},
		{"the Monday after summer time began", "2026-03-23T08:00:00Z", "2026-03-30T07:00:00Z", "2026-03-30T07:00:00Z"},
		{"not at 09:00 UTC then", "2026-03-23T08:00:00Z", "2026-03-30T06:59:00Z", ""},
		{"the Monday after winter time began", "2026-10-19T07:00:00Z", "2026-10-26T08:00:00Z", "2026-10-26T08:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var last time.Time
			if tc.last != "" {
				last = utc(tc.last)
			}
			got, ok := bot.DigestSlot(d.Schedule, d.Location, last, utc(tc.now))
			if tc.want == "" {
				if ok {
					t.Errorf("a digest owed at %s", got.UTC())
				}
				return
			}
			if !ok || !got.Equal(utc(tc.want)) {
				t.Errorf("slot %s (%v), want %s", got.UTC(), ok, tc.want)
			}
		})
	}
}

// monday is the first digest after t0 (Sunday 22 November, 03:00 UTC):
// Monday 23 November, 09:00 in Berlin.
var monday = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

// seedDigest declares, at the times the digest's numbers are worked out
// from: in the week, a SEV1 detected 5m after it began, acknowledged
// after 4m and resolved 56m after impact began, and a SEV2 still open; a
// private incident and a drill; in the four weeks before, a SEV3
// acknowledged after 10m, resolved after 3h, with an overdue action item
// and its postmortem published.
func seedDigest(t *testing.T, h *harness) {
	t.Helper()
	h.clock.Set(t0.AddDate(0, 0, -10))
	h.declare("sev3 Old search slowness")
	h.clock.Set(t0.AddDate(0, 0, -10).Add(10 * time.Minute))
	h.command("alice", lobby, "ic INC-1")
	h.command("alice", lobby, "action INC-1 Add a shard alert @bob due 2026-11-20 p1")
	h.clock.Set(t0.AddDate(0, 0, -10).Add(3 * time.Hour))
	h.command("alice", lobby, "resolve INC-1")
	h.command("alice", lobby, "postmortem INC-1 publish")

	h.at(0)
	h.declare("sev1 Checkout down")
	h.at(4 * time.Minute)
	h.command("alice", lobby, "ic INC-2")
	h.command("alice", lobby, "detected INC-2 5m ago")
	h.command("alice", lobby, "started INC-2 10m ago")
	h.at(50 * time.Minute)
	h.command("alice", lobby, "resolve INC-2")
	h.declare("sev2 Search slow")
	h.declare("sev1 private Signing key leaked")
	h.declare("drill sev1 Game day failover")
}

func digestText(m muster.Message) string {
	s := m.Title + "\n" + m.Text
	for _, f := range m.Fields {
		s += "\n" + f.Label + ": " + f.Value
	}
	return s + "\n" + m.Footer
}

func TestDigestContent(t *testing.T) {
	h := newHarness(t)
	seedDigest(t, h)
	d := weekly(t)
	h.clock.Set(monday)
	if err := h.bot.SendDigest(h.ctx, h.db, d, monday, monday); err != nil {
		t.Fatal(err)
	}
	posts := h.fp.ok("Post", digestRoom)
	if len(posts) != 1 {
		t.Fatalf("%d digests posted", len(posts))
	}
	got := digestText(posts[0].Msg)
	for _, want := range []string{
		"📰 Weekly digest: Mon 16 Nov – Sun 22 Nov 2026",
		"2 incidents last week:",
		"2 incidents last week:\n• INC-2 SEV1 — Checkout down (resolved after 56m)\n• INC-3 SEV2 — Search slow (open, 1d4h so far)",
		"Time to detect (median): 3m (n=2) last week · 0s (n=1) the four weeks before",
		"Time to acknowledge (median): 4m (n=1) last week · 10m (n=1) the four weeks before",
		"Time to resolve (median): 56m (n=1) last week · 3h (n=1) the four weeks before",
		"Postmortems not yet published: • INC-2 — Checkout down (resolved 2026-11-22)",
		"Overdue action items: • INC-1 #1 Add a shard alert — <@bob>, due 2026-11-20",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("digest lacks %q:\n%s", want, got)
		}
	}
	for _, secret := range []string{"Signing key", "INC-4", "Game day", "INC-5"} {
		if strings.Contains(got, secret) {
			t.Errorf("digest names %q:\n%s", secret, got)
		}
	}
	h2 := newHarness(t)
	h2.clock.Set(monday)
	if err := h2.bot.SendDigest(h2.ctx, h2.db, weekly(t), monday, monday); err != nil {
		t.Fatal(err)
	}
	quiet := digestText(h2.fp.ok("Post", digestRoom)[0].Msg)
	if !strings.Contains(quiet, "No incidents last week.") || !strings.Contains(quiet, "Postmortems not yet published: none") || !strings.Contains(quiet, "Overdue action items: none") {
		t.Errorf("a quiet week's digest:\n%s", quiet)
	}
}

// replica is a second muster process over the same store, with its own
// bot and platform.
func replica(t *testing.T, h *harness) (*bot.Bot, *fakePlatform) {
	t.Helper()
	pm, err := templates.New("")
	if err != nil {
		t.Fatal(err)
	}
	cmds := commands.New(h.db, pm, commands.Config{Severities: h.cfg.Severities, DefaultSeverity: "SEV3", Roles: h.cfg.Roles}, h.clock.Now)
	b := bot.New(h.db, cmds, h.cfg, zerolog.Nop(), h.clock.Now)
	fp := newFakePlatform()
	b.Register(platformName, fp)
	return b, fp
}

// One digest per scheduled time: two replicas ticking at once, a restart
// after it was sent, and later ticks send it once.
func TestDigestOnceAcrossRestartsAndReplicas(t *testing.T) {
	h := newHarness(t)
	d := weekly(t)
	other, otherFP := replica(t, h)
	started := monday.Add(-time.Hour)
	h.clock.Set(monday)
	errs := make(chan error, 2)
	go func() { errs <- h.bot.SendDigest(h.ctx, h.db, d, monday, started) }()
	go func() { errs <- other.SendDigest(h.ctx, h.db, d, monday, started) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := len(h.fp.ok("Post", digestRoom)) + len(otherFP.ok("Post", digestRoom)); n != 1 {
		t.Fatalf("two replicas posted %d digests", n)
	}
	h.restart()
	for _, at := range []time.Duration{time.Minute, time.Hour, 6 * 24 * time.Hour} {
		if err := h.bot.SendDigest(h.ctx, h.db, d, monday.Add(at), monday.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(h.fp.ok("Post", digestRoom)); n != 0 {
		t.Errorf("after a restart, %d more digests", n)
	}
	next := monday.AddDate(0, 0, 7)
	if err := h.bot.SendDigest(h.ctx, h.db, d, next, monday.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := len(h.fp.ok("Post", digestRoom)); n != 1 {
		t.Errorf("the next Monday: %d digests", n)
	}
}

// A post that fails gives the claim back; a claim left by a process that
// died while posting is posted by the next; a replica that lost the lead
// claims nothing.
func TestDigestClaims(t *testing.T) {
	h := newHarness(t)
	d := weekly(t)
	h.clock.Set(monday)
	h.fp.fail("Post", digestRoom, errors.New("channel_not_found"))
	if err := h.bot.SendDigest(h.ctx, h.db, d, monday, monday); err == nil {
		t.Fatal("a failed post reported no error")
	}
	h.fp.heal("Post")
	if err := h.bot.SendDigest(h.ctx, h.db, d, monday.Add(time.Minute), monday); err != nil {
		t.Fatal(err)
	}
	if n := len(h.fp.ok("Post", digestRoom)); n != 1 {
		t.Fatalf("after the failure healed: %d digests", n)
	}

	// A claim by a process that died: claimed before this one started.
	next := monday.AddDate(0, 0, 7)
	dead := "pending " + next.Format(time.RFC3339) + " " + itoa(next.UnixNano())
	if ok, err := h.db.SwapSetting(h.ctx, "digest.last", monday.Format(time.RFC3339), dead); err != nil || !ok {
		t.Fatalf("leave a dead claim: %v %v", ok, err)
	}
	h.restart()
	if err := h.bot.SendDigest(h.ctx, h.db, d, next.Add(2*time.Minute), next.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := len(h.fp.ok("Post", digestRoom)); n != 1 {
		t.Fatalf("a dead process's claim: %d digests", n)
	}
	// Later ticks post it no more.
	if err := h.bot.SendDigest(h.ctx, h.db, d, next.Add(3*time.Minute), next.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := len(h.fp.ok("Post", digestRoom)); n != 1 {
		t.Fatalf("posted again: %d digests", n)
	}

	lost := lostLead{h.db}
	third := next.AddDate(0, 0, 7)
	if err := h.bot.SendDigest(h.ctx, lost, d, third, third); !errors.Is(err, fence.ErrLost) {
		t.Errorf("without the lead: %v", err)
	}
	if n := len(h.fp.ok("Post", digestRoom)); n != 1 {
		t.Errorf("a replica without the lead posted: %d digests", n)
	}
}

// lostLead is the leader's store after the lead was lost: reads work,
// claims fail.
type lostLead struct{ *store.DB }

func (lostLead) SwapSetting(context.Context, string, string, string) (bool, error) {
	return false, fence.ErrLost
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func newYork(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// seedDueDates declares an incident on Sunday 6 December with two action
// items, one due that day and one due Monday the 7th, and resolves it at
// 02:00 UTC on the 7th: 21:00 on the 6th in New York.
func seedDueDates(t *testing.T, h *harness) {
	t.Helper()
	h.clock.Set(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	h.declare("sev3 Queue backlog")
	h.command("alice", lobby, "ic INC-1")
	h.command("alice", lobby, "action INC-1 Drain the queue @bob due 2026-12-07")
	h.command("alice", lobby, "action INC-1 Alert on queue depth @carol due 2026-12-06")
	h.clock.Set(time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC))
	h.command("alice", lobby, "resolve INC-1")
}

// TestDigestDatesWestOfUTC: at 09:00 on Monday 7 December in New York an
// item due that day is not overdue yet (due dates are kept as UTC
// midnight), and an incident resolved at 21:00 local on the 6th reads as
// resolved on the 6th.
func TestDigestDatesWestOfUTC(t *testing.T) {
	h := newHarness(t)
	seedDueDates(t, h)
	d := weekly(t)
	d.Location = newYork(t)
	slot := time.Date(2026, 12, 7, 9, 0, 0, 0, d.Location)
	h.clock.Set(slot)
	if err := h.bot.SendDigest(h.ctx, h.db, d, slot, slot); err != nil {
		t.Fatal(err)
	}
	got := digestText(h.fp.ok("Post", digestRoom)[0].Msg)
	for _, want := range []string{
		"Overdue action items: • INC-1 #2 Alert on queue depth — <@carol>, due 2026-12-06\n",
		"Postmortems not yet published: • INC-1 — Queue backlog (resolved 2026-12-06)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("digest lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Drain the queue") {
		t.Errorf("the item due today is listed as overdue:\n%s", got)
	}
}
