package bot_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
	"github.com/muster-bot/muster/calendar"
	"github.com/muster-bot/muster/commands"
	"github.com/muster-bot/muster/templates"
)

const shareRoom = "postmortems"

// berlin is where the review tests' team works.
func berlin(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// friday5pm is Friday 2026-12-04 17:00 in Berlin, when the incident of
// the review tests is resolved.
func friday5pm(tb testing.TB) time.Time {
	return time.Date(2026, 12, 4, 17, 0, 0, 0, berlin(tb))
}

// postmortemHarness is a harness whose bot follows postmortems through
// in Berlin, with e-mails known for alice and bob.
func postmortemHarness(tb testing.TB, opts ...func(*bot.PostmortemConfig)) *harness {
	tb.Helper()
	loc := berlin(tb)
	return newHarness(tb, func(c *bot.Config) {
		c.Postmortem = bot.PostmortemConfig{
			Location:     loc,
			RemindEvery:  24 * time.Hour,
			ShareChannel: shareRoom,
			WebURL:       "https://muster.example.com",
			People: func(_ context.Context, id string) calendar.Person {
				switch id {
				case "alice":
					return calendar.Person{Name: "Alice Adams", Email: "alice@example.com"}
				case "bob":
					return calendar.Person{Name: "Bob Brown", Email: "bob@example.com"}
				}
				return calendar.Person{}
			},
		}
		for _, o := range opts {
			o(&c.Postmortem)
		}
	})
}

// resolvedFriday declares a SEV2 at 15:00 on Friday, has bob take the IC
// role and carol speak, and bob resolve it at 17:00 Berlin time.
func resolvedFriday(h *harness, args string) *muster.Incident {
	h.tb.Helper()
	fri := friday5pm(h.tb)
	h.clock.Set(fri.Add(-2 * time.Hour))
	inc := h.declare(args)
	h.command("bob", inc.Room, "ic")
	h.command("carol", inc.Room, "note rolling back")
	h.clock.Set(fri)
	h.command("bob", inc.Room, "resolve Rolled back the deploy")
	return h.incident(inc.ID)
}

// tickAt runs the tick at t.
func (h *harness) tickAt(t time.Time) {
	h.tb.Helper()
	h.clock.Set(t)
	if err := h.tick(); err != nil {
		h.tb.Fatalf("Tick at %s: %v", t, err)
	}
}

// posts returns what was posted in room whose title or text starts with
// prefix.
func (f *fakePlatform) posts(room, prefix string) []muster.Message {
	var out []muster.Message
	for _, c := range f.ok("Post", room) {
		if strings.HasPrefix(c.Msg.Title, prefix) || strings.HasPrefix(c.Msg.Text, prefix) {
			out = append(out, c.Msg)
		}
	}
	return out
}

func TestResolveStartsADraftOwnedByTheIC(t *testing.T) {
	t.Parallel()
	h := postmortemHarness(t)
	inc := resolvedFriday(h, "sev2 Checkout down")
	if pm := inc.Postmortem; pm.Status != muster.PostmortemDraft || pm.Owner != "bob" {
		t.Errorf("postmortem after resolve = %+v, want a draft owned by the IC, bob", pm)
	}
	// Without an IC the declarer owns it.
	h.clock.Set(friday5pm(t).Add(time.Minute))
	other := h.declare("sev3 Search slow")
	h.command("alice", other.Room, "resolve")
	if pm := h.incident(other.ID).Postmortem; pm.Owner != "alice" {
		t.Errorf("owner without an IC = %q, want the declarer, alice", pm.Owner)
	}
}

// TestReviewProposedMondayAfterFridayResolve: resolved on a Friday at
// 17:00 in Berlin, the 24h–48h window falls on the weekend, so the review
// is proposed for Monday 09:00 Berlin time, and the post says it is after
// the window. The .ics parses, names the owner as organizer and the
// participants with e-mails as attendees, and the one without is named in
// the description. Posted once, across ticks and a restart.
func TestReviewProposedMondayAfterFridayResolve(t *testing.T) {
	t.Parallel()
	h := postmortemHarness(t)
	inc := resolvedFriday(h, "sev2 Checkout down")
	h.tickAt(friday5pm(t).Add(10 * time.Second))

	reviews := h.fp.posts(inc.Room, "📅")
	if len(reviews) != 1 {
		t.Fatalf("%d review posts in the war room, want 1: %+v", len(reviews), h.fp.ok("Post", ""))
	}
	msg := reviews[0]
	monday := time.Date(2026, 12, 7, 9, 0, 0, 0, berlin(t))
	if !strings.Contains(msg.Title, "Mon 2026-12-07 09:00–10:00 CET") {
		t.Errorf("review title = %q, want Monday 09:00–10:00 CET", msg.Title)
	}
	if !strings.Contains(msg.Text, "first working slot after the 24h–48h review window") {
		t.Errorf("review text = %q, want it to say the window held no slot", msg.Text)
	}
	if msg.File == nil || !strings.HasSuffix(msg.File.Name, ".ics") {
		t.Fatalf("review post has no .ics attached: %+v", msg.File)
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(msg.File.Content))
	if err != nil {
		t.Fatalf("the invite does not parse: %v\n%s", err, msg.File.Content)
	}
	ev := cal.Events()[0]
	if start, err := ev.GetStartAt(); err != nil || !start.Equal(monday) {
		t.Errorf("DTSTART = %s (%v), want %s", start, err, monday)
	}
	if org := ev.GetProperty(ics.ComponentPropertyOrganizer); org == nil || org.Value != "mailto:bob@example.com" {
		t.Errorf("ORGANIZER = %+v, want the owner bob", org)
	}
	var attendees []string
	for _, a := range ev.Attendees() {
		attendees = append(attendees, a.Email())
	}
	if strings.Join(attendees, ",") != "bob@example.com,alice@example.com" {
		t.Errorf("attendees = %v, want bob (owner) and alice", attendees)
	}
	if desc := ics.FromText(ev.GetProperty(ics.ComponentPropertyDescription).Value); !strings.Contains(desc, "no e-mail known): carol") ||
		!strings.Contains(desc, "https://muster.example.com/incidents/1/postmortem") {
		t.Errorf("description = %q, want carol named and the draft linked", desc)
	}
	if got := h.incident(inc.ID).Postmortem; !got.ReviewPosted || !got.Review.Equal(monday) || got.Pending != "" {
		t.Errorf("postmortem state = %+v, want the review posted for %s", got, monday)
	}

	h.tickAt(friday5pm(t).Add(time.Minute))
	h.restart()
	h.tickAt(friday5pm(t).Add(2 * time.Minute))
	if n := len(h.fp.posts(inc.Room, "📅")); n != 0 {
		t.Errorf("the review was posted again after a restart (%d posts)", n)
	}
	if n := len(h.entries(inc.ID, muster.EntryPostmortem)); n != 1 {
		t.Errorf("%d postmortem entries in the timeline, want 1 (the review)", n)
	}
}

// TestReviewInsideTheWindow: resolved on a Tuesday at 10:00, the review
// is proposed 24h later, inside the window, and the post says so.
func TestReviewInsideTheWindow(t *testing.T) {
	t.Parallel()
	h := postmortemHarness(t)
	tue := time.Date(2026, 12, 1, 10, 0, 0, 0, berlin(t))
	h.clock.Set(tue.Add(-time.Hour))
	inc := h.declare("sev2 Checkout down")
	h.clock.Set(tue)
	h.command("alice", inc.Room, "resolve")
	h.tickAt(tue.Add(time.Second))
	reviews := h.fp.posts(inc.Room, "📅")
	if len(reviews) != 1 || !strings.Contains(reviews[0].Title, "Wed 2026-12-02 10:00–11:00 CET") || !strings.Contains(reviews[0].Text, "inside the 24h–48h review window") {
		t.Errorf("review posts = %+v, want one for Wednesday 10:00, inside the window", reviews)
	}
}

// TestOwnerRemindedDailyUntilPublish: the owner is reminded one period
// after the resolve, then every period, once a period however often the
// tick runs and across a restart, and never after the publish.
func TestOwnerRemindedDailyUntilPublish(t *testing.T) {
	t.Parallel()
	h := postmortemHarness(t)
	inc := resolvedFriday(h, "sev2 Checkout down")
	fri := friday5pm(t)
	reminders := func() int { return len(h.fp.posts(inc.Room, "📝 <@bob> the postmortem")) }
	for _, step := range []struct {
		after time.Duration
		want  int
	}{
		{time.Minute, 0}, {23 * time.Hour, 0}, {24 * time.Hour, 1}, {24*time.Hour + time.Minute, 1}, {36 * time.Hour, 1},
	} {
		h.tickAt(fri.Add(step.after))
		if got := reminders(); got != step.want {
			t.Fatalf("at resolve+%s: %d reminders, want %d", step.after, got, step.want)
		}
	}
	h.restart()
	h.tickAt(fri.Add(47 * time.Hour))
	h.tickAt(fri.Add(48 * time.Hour))
	h.tickAt(fri.Add(48*time.Hour + 10*time.Second))
	if got := reminders(); got != 1 {
		t.Fatalf("after a restart and a second period: %d reminders on the new platform, want 1", got)
	}
	if pm := h.incident(inc.ID).Postmortem; pm.Reminders != 2 {
		t.Errorf("reminders counted = %d, want 2", pm.Reminders)
	}
	h.clock.Set(fri.Add(50 * time.Hour))
	h.command("bob", inc.Room, "postmortem publish")
	for d := 72 * time.Hour; d <= 120*time.Hour; d += 24 * time.Hour {
		h.tickAt(fri.Add(d))
	}
	if got := reminders(); got != 1 {
		t.Errorf("reminded after the publish: %d reminders since the restart, want 1", got)
	}
}

// TestPublishSharesOnce: publish posts the final text to the share
// channel once: not again on later ticks, after a restart, when the
// command is retried, or when a second replica ticks too.
func TestPublishSharesOnce(t *testing.T) {
	t.Parallel()
	h := postmortemHarness(t)
	inc := resolvedFriday(h, "sev2 Checkout down")
	fri := friday5pm(t)
	h.tickAt(fri.Add(time.Second)) // the review
	at := fri.Add(3 * time.Hour)
	h.clock.Set(at)
	h.command("bob", inc.Room, "postmortem publish")
	if err := h.try(muster.Event{Kind: muster.EventCommand, User: "bob", Room: inc.Room, Text: "postmortem publish"}); err != nil {
		t.Fatalf("a second publish: %v", err)
	}
	if n := len(h.fp.ok("Post", shareRoom)); n != 0 {
		t.Fatalf("shared before the leader's tick (%d posts)", n)
	}

	// A second replica over the same store, ticking at the same time.
	other := newFakePlatform()
	pm, err := templates.New("")
	if err != nil {
		t.Fatal(err)
	}
	replica := bot.New(h.db, commands.New(h.db, pm, commands.Config{Severities: h.cfg.Severities, Roles: h.cfg.Roles}, h.clock.Now), h.cfg, zerolog.Nop(), h.clock.Now)
	replica.Register(platformName, other)
	h.tickAt(at.Add(time.Second))
	if err := replica.Tick(h.ctx, at.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	h.tickAt(at.Add(time.Minute))
	first := h.fp
	h.restart()
	h.tickAt(at.Add(2 * time.Minute))

	shared := append(append(first.ok("Post", shareRoom), other.ok("Post", shareRoom)...), h.fp.ok("Post", shareRoom)...)
	if len(shared) != 1 {
		t.Fatalf("%d posts in the share channel, want 1", len(shared))
	}
	msg := shared[0].Msg
	if !strings.HasPrefix(msg.Title, "📘 Postmortem: INC-1") || msg.File == nil || !strings.Contains(string(msg.File.Content), "# INC-1") ||
		!strings.Contains(msg.Text, "https://muster.example.com/incidents/1/postmortem") {
		t.Errorf("shared post = %+v, want a summary, the link and the Markdown attached", msg)
	}
	if got := h.incident(inc.ID).Postmortem; got.Status != muster.PostmortemPublished || got.SharedAt.IsZero() || got.Pending != "" {
		t.Errorf("postmortem state = %+v, want published and shared", got)
	}
}

// TestShareWaitsForTheLead: a replica that lost the lead shares nothing;
// the leader shares once; a share the platform refused is retried.
func TestShareWaitsForTheLead(t *testing.T) {
	t.Parallel()
	h := postmortemHarness(t)
	inc := resolvedFriday(h, "sev2 Checkout down")
	fri := friday5pm(t)
	h.tickAt(fri.Add(time.Second))
	h.clock.Set(fri.Add(time.Hour))
	h.command("bob", inc.Room, "postmortem publish")

	lost := &leaderStore{Store: h.db}
	lost.lost.Store(true)
	startReminders(t, h, lost, 2*time.Hour+fri.Sub(t0))
	if n := len(h.fp.ok("Post", shareRoom)); n != 0 {
		t.Fatalf("shared without the lead (%d posts)", n)
	}
	h.fp.fail("Post", shareRoom, muster.Errorf(muster.EINTERNAL, "slack is down"))
	startReminders(t, h, &leaderStore{Store: h.db}, 3*time.Hour+fri.Sub(t0))
	if got := h.incident(inc.ID).Postmortem; !got.SharedAt.IsZero() || got.Pending != "" {
		t.Fatalf("a failed share left %+v, want the claim given back", got)
	}
	h.fp.heal("Post")
	startReminders(t, h, &leaderStore{Store: h.db}, 4*time.Hour+fri.Sub(t0))
	startReminders(t, h, &leaderStore{Store: h.db}, 5*time.Hour+fri.Sub(t0))
	if n := len(h.fp.ok("Post", shareRoom)); n != 1 {
		t.Errorf("%d shares once the platform is back, want 1", n)
	}
}

// TestPrivatePostmortemStaysInItsRoom: a private incident's review and
// reminders go to its room, and its published postmortem is not shared.
func TestPrivatePostmortemStaysInItsRoom(t *testing.T) {
	t.Parallel()
	h := postmortemHarness(t)
	inc := resolvedFriday(h, "sev2 private Payroll leak")
	fri := friday5pm(t)
	h.tickAt(fri.Add(time.Second))
	h.tickAt(fri.Add(24 * time.Hour))
	h.clock.Set(fri.Add(25 * time.Hour))
	h.command("bob", inc.Room, "postmortem publish")
	published := h.fp.posts(inc.Room, "📘")
	if len(published) != 1 || !strings.Contains(published[0].Text, commands.PrivatePostmortem) {
		t.Errorf("publish posted %+v in the room, want the final text saying it is not shared", published)
	}
	h.tickAt(fri.Add(26 * time.Hour))
	for _, c := range h.fp.ok("Post", "") {
		if c.Room != inc.Room && strings.Contains(c.Msg.Title+c.Msg.Text, "INC-1") && c.Room != lobby {
			t.Errorf("the private incident was spoken of in %s: %q %q", c.Room, c.Msg.Title, c.Msg.Text)
		}
	}
	if len(h.fp.posts(inc.Room, "📅")) != 1 || len(h.fp.posts(inc.Room, "📝")) != 1 {
		t.Errorf("the review and the reminder were not posted in the private room")
	}
}

// TestFalseAlarmHasNoReview: nothing was wrong, so nothing is proposed.
func TestFalseAlarmHasNoReview(t *testing.T) {
	t.Parallel()
	h := postmortemHarness(t)
	inc := h.declare("sev2 Checkout down")
	h.command("alice", inc.Room, "resolve false-alarm")
	h.mustTick(48 * time.Hour)
	if got := h.incident(inc.ID).Postmortem; got.Status != muster.PostmortemNone {
		t.Errorf("a false alarm's postmortem = %+v, want none", got)
	}
	if n := len(h.fp.posts(inc.Room, "📅")); n != 0 {
		t.Errorf("a review was proposed for a false alarm")
	}
}

// TestShareLeftBehindIsPosted: a process that claimed the share and died
// before posting it leaves it pending; the next process posts it, once.
func TestShareLeftBehindIsPosted(t *testing.T) {
	t.Parallel()
	h := postmortemHarness(t)
	inc := resolvedFriday(h, "sev2 Checkout down")
	fri := friday5pm(t)
	h.tickAt(fri.Add(time.Second))
	at := fri.Add(time.Hour)
	h.clock.Set(at)
	h.command("bob", inc.Room, "postmortem publish")
	// The claim as a dying process leaves it: marked shared, pending.
	if _, _, err := h.db.Update(h.ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
		i.Postmortem.SharedAt, i.Postmortem.Pending, i.Postmortem.PendingAt = at, string(bot.StepShare), at
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(at.Add(time.Minute))
	h.restart()
	h.tickAt(at.Add(time.Minute))
	h.tickAt(at.Add(2 * time.Minute))
	if n := len(h.fp.ok("Post", shareRoom)); n != 1 {
		t.Errorf("%d shares after the crash, want 1", n)
	}
	if pm := h.incident(inc.ID).Postmortem; pm.Pending != "" {
		t.Errorf("still pending: %+v", pm)
	}
}

// TestDrillPostmortemSharedAsADrill: a drill's published postmortem
// reaches the share channel marked as a drill, so that nobody reading the
// channel takes the rehearsal for an outage.
func TestDrillPostmortemSharedAsADrill(t *testing.T) {
	t.Parallel()
	h := postmortemHarness(t)
	inc := resolvedFriday(h, "drill sev2 Checkout failover rehearsal")
	at := friday5pm(t).Add(time.Hour)
	h.clock.Set(at)
	h.command("bob", inc.Room, "postmortem publish")
	h.tickAt(at.Add(time.Second))
	shared := h.fp.ok("Post", shareRoom)
	if len(shared) != 1 || !strings.HasPrefix(shared[0].Msg.Title, muster.DrillMark+" · 📘 Postmortem: INC-1") {
		t.Errorf("shared %+v; want one post titled as a drill's postmortem", shared)
	}
}

// TestReviewInviteAsksThePlatformForEmails: the invite names each
// participant by the e-mail their chat platform tells (Slack's users.info),
// so that on Slack calendars see attendees, not a list of names.
func TestReviewInviteAsksThePlatformForEmails(t *testing.T) {
	t.Parallel()
	h := postmortemHarness(t, func(c *bot.PostmortemConfig) { c.People = nil })
	h.fp.emails = map[string]string{"alice": "alice@example.com", "bob": "bob@example.com"}
	inc := resolvedFriday(h, "sev2 Checkout down")
	h.tickAt(friday5pm(t).Add(10 * time.Second))
	reviews := h.fp.posts(inc.Room, "📅")
	if len(reviews) != 1 || reviews[0].File == nil {
		t.Fatalf("review posts %+v; want one with the invite", reviews)
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(reviews[0].File.Content))
	if err != nil {
		t.Fatal(err)
	}
	var attendees []string
	for _, a := range cal.Events()[0].Attendees() {
		attendees = append(attendees, a.Email())
	}
	if strings.Join(attendees, ",") != "bob@example.com,alice@example.com" {
		t.Errorf("attendees = %v, want bob (owner) and alice by their e-mails\n%s", attendees, reviews[0].File.Content)
	}
}

// TestLateReviewIsProposedAhead: when no replica led from a Friday
// resolve until Tuesday evening, the review posted then is proposed for
// the first working slot still ahead (Wednesday 09:00), never for the
// Monday already past, and the post says it is outside the window.
func TestLateReviewIsProposedAhead(t *testing.T) {
	t.Parallel()
	h := postmortemHarness(t)
	inc := resolvedFriday(h, "sev2 Checkout down")
	tuesday := time.Date(2026, 12, 8, 17, 0, 0, 0, berlin(t))
	h.tickAt(tuesday)
	reviews := h.fp.posts(inc.Room, "📅")
	if len(reviews) != 1 {
		t.Fatalf("%d review posts, want 1", len(reviews))
	}
	if !strings.Contains(reviews[0].Title, "Wed 2026-12-09 09:00–10:00 CET") || !strings.Contains(reviews[0].Text, "first working slot after") {
		t.Errorf("late review = %q / %q; want Wednesday 09:00, said to be after the window", reviews[0].Title, reviews[0].Text)
	}
	wednesday := time.Date(2026, 12, 9, 9, 0, 0, 0, berlin(t))
	if got := h.incident(inc.ID).Postmortem.Review; !got.Equal(wednesday) {
		t.Errorf("recorded review %s, want %s", got, wednesday)
	}
}

// TestResolveSavedByADeadReplicaIsFollowedThrough: another replica saved
// a resolve and died before scheduling its follow-through; the leader,
// which has been running all along, finds it within the hour and
// proposes the review.
func TestResolveSavedByADeadReplicaIsFollowedThrough(t *testing.T) {
	t.Parallel()
	h := postmortemHarness(t)
	fri := friday5pm(t)
	h.clock.Set(fri.Add(-2 * time.Hour))
	inc := h.declare("sev2 Checkout down")
	h.command("bob", inc.Room, "ic")
	h.tickAt(fri.Add(-time.Hour))
	if _, _, err := h.db.Update(h.ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
		e, err := i.Resolve("Rolled back", "bob", fri)
		return []muster.Entry{e}, err
	}); err != nil {
		t.Fatal(err)
	}
	for m := 1; m <= 61; m++ {
		h.tickAt(fri.Add(time.Duration(m) * time.Minute))
	}
	if n := len(h.fp.posts(inc.Room, "📅")); n != 1 {
		t.Errorf("%d review posts an hour after a resolve saved by a dead replica, want 1", n)
	}
}
