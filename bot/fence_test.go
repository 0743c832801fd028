package bot_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
	"github.com/muster-bot/muster/internal/fence"
	"github.com/muster-bot/muster/outbox"
)

// leaderStore is the store as a leader's jobs write it: every write goes
// to the real store until the lead is lost, then fails with fence.ErrLost
// and changes nothing, as the etcd store's fenced view does.
type leaderStore struct {
	bot.Store
	writes    atomic.Int32 // Updates let through
	lost      atomic.Bool
	loseAfter int32 // the lead is lost after this many Updates; 0 never
}

func (s *leaderStore) Update(ctx context.Context, id int, fn func(*muster.Incident) ([]muster.Entry, error)) (*muster.Incident, []muster.Entry, error) {
	if s.lost.Load() {
		return nil, nil, fence.ErrLost
	}
	inc, entries, err := s.Store.Update(ctx, id, fn)
	if n := s.writes.Add(1); s.loseAfter > 0 && n >= s.loseAfter {
		s.lost.Store(true)
	}
	return inc, entries, err
}

// UpdateOutbox and DeleteOutbox are the leader's too: claiming, retrying
// and dropping an outbox item.
func (s *leaderStore) UpdateOutbox(ctx context.Context, it outbox.Item) (bool, error) {
	if s.lost.Load() {
		return false, fence.ErrLost
	}
	return s.Store.UpdateOutbox(ctx, it)
}

func (s *leaderStore) DeleteOutbox(ctx context.Context, key string) error {
	if s.lost.Load() {
		return fence.ErrLost
	}
	return s.Store.DeleteOutbox(ctx, key)
}

// startReminders runs the leader's reminders through jobs for their first
// tick only (it runs at once), at +d.
func startReminders(t *testing.T, h *harness, jobs bot.Store, d time.Duration) {
	t.Helper()
	h.at(d)
	stop, err := h.bot.StartReminders(h.ctx, jobs, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	stop()
}

// TestRemindersClaimThroughTheLeadersStore: a replica that lost the lead
// (its fenced store refuses writes) claims and posts no reminder, and says
// nothing of it in its log: the new leader sends it.
func TestRemindersClaimThroughTheLeadersStore(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev1 Checkout down")
	jobs := &leaderStore{Store: h.db}
	jobs.lost.Store(true)
	startReminders(t, h, jobs, 30*time.Minute)
	wantNags(t, h, inc.Room, "⏰", 0, "without the lead")
	if got := h.incident(inc.ID).Reminder; got.Pending != "" || got.Missed != 0 {
		t.Errorf("reminder state changed without the lead: %+v", got)
	}
	if logs := h.logs.String(); strings.Contains(logs, "reminder tick") {
		t.Errorf("a tick refused for want of the lead was logged as an error:\n%s", logs)
	}

	startReminders(t, h, &leaderStore{Store: h.db}, 31*time.Minute)
	wantNags(t, h, inc.Room, "⏰", 1, "with the lead")
}

// TestReminderConfirmedAfterLeadLost: a reminder claimed while leading and
// posted is recorded even when the lead is lost in between: the post
// happened, so its confirmation goes through the bot's own store, not the
// fenced one, and no other replica posts it again.
func TestReminderConfirmedAfterLeadLost(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inc := h.declare("sev1 Checkout down")
	jobs := &leaderStore{Store: h.db, loseAfter: 1} // the claim goes through, then the lead is lost
	startReminders(t, h, jobs, 30*time.Minute)
	wantNags(t, h, inc.Room, "⏰", 1, "claimed while leading")
	if got := h.incident(inc.ID).Reminder; got.Pending != "" || got.Missed != 1 {
		t.Errorf("reminder state after the lead was lost: %+v, want confirmed (nothing pending, 1 missed)", got)
	}
	if n := len(h.entries(inc.ID, muster.EntryReminder)); n != 1 {
		t.Errorf("%d reminder entries in the timeline, want 1", n)
	}
	// The next leader finds nothing owed.
	h.mustTick(31 * time.Minute)
	wantNags(t, h, inc.Room, "⏰", 1, "after another replica's tick")
}
