package bot_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
	"github.com/muster-bot/muster/statuspage"
	"github.com/muster-bot/muster/statuspage/fakestatuspage"
)

// mirrored builds a harness whose bot mirrors to a fake Statuspage page,
// with the component Checkout known there as cmp1 (Search has no id).
func mirrored(t *testing.T, apiKey string) (*harness, *fakestatuspage.Server) {
	t.Helper()
	fake := fakestatuspage.New(t, "pg1", "key1")
	h := newHarness(t, func(c *bot.Config) {
		c.Mirror = statuspage.New(fake.URL, "pg1", apiKey, nil)
		c.MirrorComponents = map[string]string{"Checkout": "cmp1"}
	})
	return h, fake
}

// publish adds a public post (and component changes) to an incident
// through the store, as the public and component commands do.
func publish(t *testing.T, h *harness, id int, text string, changes ...muster.ComponentChange) {
	t.Helper()
	_, _, err := h.db.Update(h.ctx, id, func(inc *muster.Incident) ([]muster.Entry, error) {
		now := h.clock.Now()
		if text != "" {
			inc.Public = append(inc.Public, muster.PublicPost{At: now, Text: text, Status: inc.Status})
		}
		for _, c := range changes {
			c.At = now
			inc.ComponentLog = append(inc.ComponentLog, c)
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func setStatus(t *testing.T, h *harness, id int, s muster.Status) {
	t.Helper()
	if _, _, err := h.db.Update(h.ctx, id, func(inc *muster.Incident) ([]muster.Entry, error) { inc.Status = s; return nil, nil }); err != nil {
		t.Fatal(err)
	}
}

// TestMirrorCreatesThenUpdates: the first public post creates the
// Statuspage incident, named from the post and never from the internal
// title, with the component's state; newer posts update it in order with
// the status mapped; a component change alone moves the component; each
// is sent once however often the leader ticks; resolving sets the
// component operational.
func TestMirrorCreatesThenUpdates(t *testing.T) {
	t.Parallel()
	h, fake := mirrored(t, "key1")
	inc := h.declare("sev1 DB primary OOM after bad deploy")
	publish(t, h, inc.ID, "Some checkouts are failing\nWe are looking into it.",
		muster.ComponentChange{Component: "Checkout", State: muster.ComponentPartial},
		muster.ComponentChange{Component: "Search", State: muster.ComponentDegraded})
	h.mustTick(time.Minute)
	h.mustTick(2 * time.Minute)
	got := fake.Incidents()
	if len(got) != 1 || got[0].Name != "Some checkouts are failing" || got[0].Status != "investigating" {
		t.Fatalf("Statuspage incidents after the first post: %+v", got)
	}
	if st := fake.ComponentState("cmp1"); st != "partial_outage" {
		t.Errorf("cmp1 = %q, want partial_outage", st)
	}

	setStatus(t, h, inc.ID, muster.StatusIdentified)
	publish(t, h, inc.ID, "We found the cause.")
	setStatus(t, h, inc.ID, muster.StatusMitigated)
	publish(t, h, inc.ID, "A fix is out; we are watching.", muster.ComponentChange{Component: "Checkout", State: muster.ComponentDegraded})
	for m := 3; m < 6; m++ {
		h.mustTick(time.Duration(m) * time.Minute)
	}
	got = fake.Incidents()
	want := []fakestatuspage.Update{
		{Status: "investigating", Body: "Some checkouts are failing\nWe are looking into it."},
		{Status: "identified", Body: "We found the cause."},
		{Status: "monitoring", Body: "A fix is out; we are watching."},
	}
	if len(got) != 1 || !sameUpdates(got[0].Updates, want) {
		t.Fatalf("updates = %+v, want %+v", got, want)
	}
	if st := fake.ComponentState("cmp1"); st != "degraded_performance" {
		t.Errorf("cmp1 = %q, want degraded_performance", st)
	}
	publish(t, h, inc.ID, "", muster.ComponentChange{Component: "Checkout", State: muster.ComponentMajor})
	h.mustTick(6 * time.Minute)
	if st := fake.ComponentState("cmp1"); st != "major_outage" || len(fake.Incidents()[0].Updates) != 3 {
		t.Errorf("after a component change alone: cmp1 = %q, %d updates; want major_outage, 3", st, len(fake.Incidents()[0].Updates))
	}
	if n := len(fake.Calls()); n != 4 {
		t.Errorf("%d calls to Statuspage, want 4 (one per post, one for the component): %+v", n, fake.Calls())
	}
	if m := h.incident(inc.ID).Statuspage; m.ID != got[0].ID || m.Posts != 3 || m.Components != 4 {
		t.Errorf("recorded mirror %+v, want %s, 3 posts, 4 component changes", m, got[0].ID)
	}

	// A resolved incident is not among the open ones the tick looks at:
	// the command that published its resolution queues the sync.
	setStatus(t, h, inc.ID, muster.StatusResolved)
	publish(t, h, inc.ID, "This is resolved.")
	h.command("alice", inc.Room, "note published the resolution")
	h.mustTick(7 * time.Minute)
	if got := fake.Incidents()[0]; got.Status != "resolved" || fake.ComponentState("cmp1") != "operational" {
		t.Errorf("after the resolution post: %s, cmp1 %s; want resolved, operational", got.Status, fake.ComponentState("cmp1"))
	}
}

func sameUpdates(a, b []fakestatuspage.Update) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestMirrorNeverPrivate: a private incident's posts (which the commands
// refuse anyway) are never sent.
func TestMirrorNeverPrivate(t *testing.T) {
	t.Parallel()
	h, fake := mirrored(t, "key1")
	inc := h.declare("sev2 Checkout down")
	if _, _, err := h.db.Update(h.ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) { i.Private = true; return nil, nil }); err != nil {
		t.Fatal(err)
	}
	publish(t, h, inc.ID, "Checkout is down")
	h.mustTick(time.Minute)
	if calls := fake.Calls(); len(calls) != 0 {
		t.Errorf("a private incident was mirrored: %+v", calls)
	}
}

// TestMirrorRetries: a 500 is retried after the backoff, a 429 after its
// Retry-After, and the post is sent once it goes through.
func TestMirrorRetries(t *testing.T) {
	t.Parallel()
	h, fake := mirrored(t, "key1")
	inc := h.declare("sev2 Checkout down")
	fake.Fail(500, 0)
	fake.Fail(429, 60)
	publish(t, h, inc.ID, "Checkout is slow")
	h.mustTick(0)                // 500
	h.mustTick(5 * time.Second)  // not due
	h.mustTick(11 * time.Second) // 429, Retry-After 60
	h.mustTick(50 * time.Second) // not due: Retry-After
	if n := len(fake.Calls()); n != 2 || len(fake.Incidents()) != 0 {
		t.Fatalf("calls %+v, want the 500 and the 429 only", fake.Calls())
	}
	h.mustTick(72 * time.Second)
	h.mustTick(10 * time.Minute)
	if got := fake.Incidents(); len(got) != 1 || len(got[0].Updates) != 1 || len(fake.Calls()) != 3 {
		t.Errorf("after recovery: %+v, calls %+v; want one incident, made by the third call", got, fake.Calls())
	}
	if n := countWith(texts(h, inc.Room), "status page mirror failed"); n != 0 {
		t.Errorf("the room was told of a failure that passed")
	}
}

// TestMirrorGivesUpOnRefusal: a refusal that repeats whatever the wait (a
// wrong key) is not retried: the war room is told, and the log says why.
func TestMirrorGivesUpOnRefusal(t *testing.T) {
	t.Parallel()
	h, fake := mirrored(t, "wrong")
	inc := h.declare("sev2 Checkout down")
	publish(t, h, inc.ID, "Checkout is slow")
	h.mustTick(time.Minute)
	h.mustTick(time.Hour)
	if n := len(fake.Calls()); n != 1 {
		t.Errorf("%d calls, want 1: a refusal is not retried", n)
	}
	if got := texts(h, inc.Room); countWith(got, "⚠️ status page mirror failed") != 1 || countWith(got, "Could not authenticate") != 1 {
		t.Errorf("room posts %q, want one note of the failure saying why", got)
	}
	if !strings.Contains(h.logs.String(), "Statuspage refused") {
		t.Errorf("no log line of the refusal:\n%s", h.logs)
	}
}

// TestMirrorGivesUpAfterAnHour: Statuspage down for over an hour: the
// sync is given up, with a note in the war room.
func TestMirrorGivesUpAfterAnHour(t *testing.T) {
	t.Parallel()
	h, fake := mirrored(t, "key1")
	inc := h.declare("sev2 Checkout down")
	publish(t, h, inc.ID, "Checkout is slow")
	fake.Down(503)
	for m := 0; m <= 62; m += 2 {
		h.mustTick(time.Duration(m) * time.Minute)
	}
	if got := texts(h, inc.Room); countWith(got, "status page mirror failed: Statuspage failed for an hour") != 1 {
		t.Errorf("room posts %q, want the give-up note", got)
	}
	calls := len(fake.Calls())
	h.mustTick(3 * time.Hour)
	if len(fake.Calls()) != calls {
		t.Errorf("tried again after giving up")
	}
	// The next public post tries again, with everything not yet sent.
	fake.Down(0)
	publish(t, h, inc.ID, "Still slow")
	h.mustTick(4 * time.Hour)
	if got := fake.Incidents(); len(got) != 1 || len(got[0].Updates) != 2 {
		t.Errorf("after the next post: %+v, want both posts", got)
	}
}

// TestMirrorClaimsThroughTheLeadersStore: a replica that lost the lead
// sends no sync; the leader's record lets a restarted process (or the
// next leader) go on without sending a post twice.
func TestMirrorClaimsThroughTheLeadersStore(t *testing.T) {
	t.Parallel()
	h, fake := mirrored(t, "key1")
	inc := h.declare("sev2 Checkout down")
	publish(t, h, inc.ID, "Checkout is slow")
	lost := &leaderStore{Store: h.db}
	lost.lost.Store(true)
	startReminders(t, h, lost, time.Minute)
	if n := len(fake.Calls()); n != 0 {
		t.Fatalf("%d calls without the lead, want 0", n)
	}
	startReminders(t, h, &leaderStore{Store: h.db}, 2*time.Minute)
	publish(t, h, inc.ID, "Fixed")
	h.restart()
	startReminders(t, h, &leaderStore{Store: h.db}, 3*time.Minute)
	if got := fake.Incidents(); len(got) != 1 || len(got[0].Updates) != 2 || len(fake.Calls()) != 2 {
		t.Errorf("after a restart: %+v, calls %+v; want two updates, two calls", got, fake.Calls())
	}
}

// TestOutboxMovesOldSetting: the posts an older muster kept in one
// setting are moved into items at the first tick and posted in order,
// once; the setting is cleared.
func TestOutboxMovesOldSetting(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev2 Checkout down")
	old := []map[string]any{
		{"id": "INC-1-a", "incident": inc.ID, "platform": platformName, "room": inc.Room, "message": muster.Message{Text: "old first"}, "queued": t0, "next": t0, "attempts": 2},
		{"id": "INC-1-b", "incident": inc.ID, "platform": platformName, "room": inc.Room, "message": muster.Message{Text: "old second"}, "queued": t0.Add(time.Second), "next": t0},
	}
	data, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.db.SetSetting(h.ctx, "outbox", string(data)); err != nil {
		t.Fatal(err)
	}
	h.mustTick(time.Minute)
	first := texts(h, inc.Room)
	a, b := -1, -1
	for i, s := range first {
		if strings.Contains(s, "old first") {
			a = i
		}
		if strings.Contains(s, "old second") {
			b = i
		}
	}
	if countWith(first, "old first") != 1 || countWith(first, "old second") != 1 || a > b {
		t.Errorf("room posts after the first tick: %q, want each old post once, in order", first)
	}
	h.restart()
	h.mustTick(2 * time.Minute)
	got := texts(h, inc.Room)
	if countWith(got, "old first") != 0 || countWith(got, "old second") != 0 {
		t.Errorf("posted again after a restart: %q", got)
	}
	if v, err := h.db.Setting(h.ctx, "outbox"); err != nil || v != "" {
		t.Errorf("old outbox setting = %q, %v; want cleared", v, err)
	}
	if items, err := h.db.Outbox(h.ctx); err != nil || len(items) != 0 {
		t.Errorf("outbox after delivery: %+v, %v", items, err)
	}
}

// TestMirrorNamesFromTheFirstPost: a long first line is cut on a word,
// under 80 characters, and the internal title never shows.
func TestMirrorNamesFromTheFirstPost(t *testing.T) {
	t.Parallel()
	h, fake := mirrored(t, "key1")
	inc := h.declare("sev2 secret-db-7 disk full")
	publish(t, h, inc.ID, strings.Repeat("Checkout is slow for customers in Europe ", 4)+"\nMore soon.")
	h.mustTick(time.Minute)
	got := fake.Incidents()
	if len(got) != 1 {
		t.Fatalf("incidents %+v", got)
	}
	name := got[0].Name
	if n := len([]rune(name)); n > 80 || !strings.HasSuffix(name, "…") || !strings.HasPrefix(name, "Checkout is slow") || strings.Contains(name, "secret-db-7") {
		t.Errorf("name %q (%d characters): want the post's first line cut on a word to at most 80", name, n)
	}
}

// TestMirrorBlankFirstPost: a first post without text (which the commands
// refuse) still creates the incident, named by its number, and the sync
// ends instead of creating it again and again.
func TestMirrorBlankFirstPost(t *testing.T) {
	t.Parallel()
	h, fake := mirrored(t, "key1")
	inc := h.declare("sev2 Checkout down")
	if _, _, err := h.db.Update(h.ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
		i.Public = append(i.Public, muster.PublicPost{At: t0, Status: i.Status}, muster.PublicPost{At: t0, Text: "Checkout is slow", Status: i.Status})
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	h.mustTick(time.Minute)
	if got := fake.Incidents(); len(got) != 1 || got[0].Name != "Incident INC-1" || len(fake.Calls()) != 2 {
		t.Errorf("incidents %+v, calls %+v; want one, named INC-1, in two calls", got, fake.Calls())
	}
}
