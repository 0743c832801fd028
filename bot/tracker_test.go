package bot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
	"github.com/muster-bot/muster/tracker"
)

// fakeTracker keeps issues in memory and fails while err is set.
type fakeTracker struct {
	mu      sync.Mutex
	err     error
	created []tracker.Issue
	closed  []string
}

func (f *fakeTracker) Create(ctx context.Context, is tracker.Issue) (tracker.Ref, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return tracker.Ref{}, f.err
	}
	f.created = append(f.created, is)
	n := len(f.created)
	return tracker.Ref{ID: fmt.Sprint(10000 + n), Key: fmt.Sprintf("OPS-%d", n), URL: fmt.Sprintf("https://jira.example/browse/OPS-%d", n)}, nil
}

func (f *fakeTracker) State(ctx context.Context, ref tracker.Ref) (tracker.State, error) {
	return tracker.State{}, nil
}

func (f *fakeTracker) Close(ctx context.Context, ref tracker.Ref) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.closed = append(f.closed, ref.Key)
	return nil
}

func (f *fakeTracker) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *fakeTracker) counts() (created, closed int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.created), len(f.closed)
}

func tracked(t *testing.T, private bool) (*harness, *fakeTracker) {
	t.Helper()
	ft := &fakeTracker{}
	h := newHarness(t, func(c *bot.Config) {
		c.Tracker = bot.TrackerConfig{Tracker: ft, Name: "Jira", PollEvery: 15 * time.Minute, FilePrivate: private, PublicURL: "https://muster.example.com"}
	})
	return h, ft
}

// TestTrackerGivesUp: a tracker down for a day is retried with backoff,
// told in the room once, and then given up with a note asking for the
// item to be filed by hand; a refusal is not retried at all.
func TestTrackerGivesUp(t *testing.T) {
	t.Parallel()
	h, ft := tracked(t, false)
	inc := h.declare("sev2 Checkout slow")
	ft.fail(errors.New("dial tcp: connection refused"))
	h.command("alice", inc.Room, "action Add a canary stage")
	for d := time.Minute; d < 25*time.Hour; d += 10 * time.Minute {
		h.mustTick(d)
	}
	if got := h.fp.posted(inc.Room, "⚠️ creating the Jira issue for action item #1 failed"); len(got) != 2 ||
		got[0] != "⚠️ creating the Jira issue for action item #1 failed: dial tcp: connection refused, retrying." ||
		got[1] != "⚠️ creating the Jira issue for action item #1 failed: dial tcp: connection refused; given up after a day. File it in Jira by hand." {
		t.Errorf("room notes %q; want one retrying, one given up", got)
	}
	if items, err := h.db.Outbox(h.ctx); err != nil || len(items) != 0 {
		t.Errorf("outbox %+v %v; want it empty once given up", items, err)
	}

	ft.fail(muster.Errorf(muster.EINVALID, "the project OPS has no issue type Task"))
	h.command("alice", inc.Room, "action Alert on slow checkouts")
	h.mustTick(26 * time.Hour)
	if got := h.fp.posted(inc.Room, "⚠️ creating the Jira issue for action item #2 failed: the project OPS has no issue type Task; not retried."); len(got) != 1 {
		t.Errorf("room notes %q; want the refusal told once", h.fp.posted(inc.Room, "⚠️"))
	}
	if items, _ := h.db.Outbox(h.ctx); len(items) != 0 {
		t.Errorf("outbox %+v; a refusal was left to retry", items)
	}

	// Given up means given up: a restart's catch-up files neither.
	ft.fail(nil)
	h.restart()
	h.mustTick(27 * time.Hour)
	if created, _ := ft.counts(); created != 0 {
		t.Errorf("%d issues created after a restart; items given up were filed again", created)
	}
}

// TestTrackerFilesAnItemWhoseQueueingWasLost: a process that dies after
// saving an action item and before queueing its filing leaves the item
// marked as wanted; the next leader files it, once.
func TestTrackerFilesAnItemWhoseQueueingWasLost(t *testing.T) {
	t.Parallel()
	h, ft := tracked(t, false)
	inc := h.declare("sev2 Checkout slow")
	h.command("alice", inc.Room, "action Add a canary stage")
	if a := h.incident(inc.ID).Actions; len(a) != 1 || !a[0].Tracker.Wanted {
		t.Fatalf("items %+v; want the new item marked as wanted in the tracker in the command's write", a)
	}
	// What the dead process left: the item saved, no filing queued.
	items, err := h.db.Outbox(h.ctx)
	if err != nil || len(items) != 1 {
		t.Fatalf("outbox %+v %v; want the filing", items, err)
	}
	if err := h.db.DeleteOutbox(h.ctx, items[0].Key); err != nil {
		t.Fatal(err)
	}
	h.restart()
	h.mustTick(time.Second)
	h.mustTick(time.Minute)
	h.mustTick(20 * time.Minute)
	if created, _ := ft.counts(); created != 1 {
		t.Fatalf("%d issues created; want the item filed once", created)
	}
	if a := h.incident(inc.ID).Actions[0]; a.Tracker.Key != "OPS-1" || a.Tracker.Wanted {
		t.Errorf("item %+v; want it filed as OPS-1 and wanted no more", a)
	}
}

// TestTrackerEvents: a done item is closed there once filed, even when it
// was done while its filing waited; a webhook about an issue that is not
// the one recorded changes nothing; a reopen makes the item not done.
func TestTrackerEvents(t *testing.T) {
	t.Parallel()
	h, ft := tracked(t, false)
	inc := h.declare("sev2 Checkout slow")
	ft.fail(errors.New("timeout"))
	h.command("alice", inc.Room, "action Add a canary stage")
	h.command("alice", inc.Room, "action done 1")
	h.mustTick(time.Minute)
	ft.fail(nil)
	h.mustTick(5 * time.Minute)
	h.mustTick(6 * time.Minute)
	if created, closed := ft.counts(); created != 1 || closed != 1 {
		t.Fatalf("created %d, closed %d; want the item filed and then closed", created, closed)
	}
	if ft.created[0].Link.URL != "https://muster.example.com/incidents/1" || ft.created[0].Link.Text != "INC-1 (SEV2): Checkout slow" {
		t.Errorf("link back %+v", ft.created[0].Link)
	}

	h.command("alice", inc.Room, "action Alert on slow checkouts")
	h.mustTick(7 * time.Minute)
	key := tracker.Key(inc.ID, 2)
	other := tracker.Event{Key: key, Ref: tracker.Ref{ID: "999", Key: "OPS-999"}, State: tracker.State{Done: true}, Changed: true}
	if err := h.bot.TrackerEvent(h.ctx, other); err != nil {
		t.Fatal(err)
	}
	if a := h.incident(inc.ID).Actions[1]; a.Done {
		t.Errorf("an event about another issue carrying the label marked the item done")
	}
	ref := tracker.Ref{ID: "10002", Key: "OPS-2"}
	closedAt := t0.Add(8 * time.Minute)
	for _, ev := range []tracker.Event{
		{Delivery: "d1", Key: key, Ref: ref, State: tracker.State{Done: true, ClosedAt: closedAt}, Changed: true},
		{Delivery: "d2", Key: key, Ref: ref, State: tracker.State{}, Changed: true},
	} {
		if err := h.bot.TrackerEvent(h.ctx, ev); err != nil {
			t.Fatal(err)
		}
		if a := h.incident(inc.ID).Actions[1]; a.Done != ev.State.Done || (a.Done && !a.DoneAt.Equal(closedAt)) {
			t.Errorf("after %s: item %+v; want done %v", ev.Delivery, a, ev.State.Done)
		}
	}
	if got := h.fp.posted(inc.Room, "↩️ Action item #2 is open again: OPS-2 was reopened in Jira"); len(got) != 1 {
		t.Errorf("room not told of the reopen: %q", h.fp.posted(inc.Room, ""))
	}
}

// TestTrackerPrivate: a private incident's items are not filed by
// default; with FilePrivate they are, naming the incident by reference
// only.
func TestTrackerPrivate(t *testing.T) {
	t.Parallel()
	for _, filePrivate := range []bool{false, true} {
		h, ft := tracked(t, filePrivate)
		inc := h.declare("private sev2 Suspected credential leak")
		h.command("alice", inc.Room, "action Rotate the deploy keys")
		h.mustTick(time.Minute)
		created, _ := ft.counts()
		if !filePrivate {
			if created != 0 {
				t.Errorf("a private incident's item was filed by default")
			}
			continue
		}
		if created != 1 {
			t.Fatalf("filed %d issues with FilePrivate; want 1", created)
		}
		is := ft.created[0]
		for _, s := range []string{is.Title, is.Body, is.Link.Text} {
			if strings.Contains(s, "credential") {
				t.Errorf("the issue says %q: the private title leaked", s)
			}
		}
		if is.Link.Text != "private incident INC-1" {
			t.Errorf("link text %q; want the reference alone", is.Link.Text)
		}
	}
}

// TestTrackerDrillFilesNothing: a drill's action items stay in muster.
func TestTrackerDrillFilesNothing(t *testing.T) {
	t.Parallel()
	h, ft := tracked(t, false)
	inc := h.declare("drill sev2 Checkout failover rehearsal")
	h.command("alice", inc.Room, "action Add a canary stage")
	h.mustTick(time.Second)
	h.mustTick(time.Minute)
	if created, _ := ft.counts(); created != 0 {
		t.Errorf("%d issues filed for a drill", created)
	}
	if a := h.incident(inc.ID).Actions; len(a) != 1 || a[0].Tracker.Wanted {
		t.Errorf("drill's items %+v; want one, not wanted in the tracker", a)
	}
}
