package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/outbox"
)

// A change (a declaration, a resolve, an action item) is saved first and
// its outbound work queued after, in a second write; a process that dies
// between the two, or a queueing that fails, leaves the work owed but not
// queued. The incident itself says what it owes (pages recorded or due,
// a postmortem not followed through, items wanted in the tracker), so the
// leader looks for such work and queues it: the open incidents' pages at
// every tick when paging is on, since a page is urgent, and everything
// owed by the open and recently declared incidents at the first tick and
// then every catchUpEvery.
const (
	catchUpEvery = time.Hour
	// followHorizon bounds that look to the open incidents and those
	// declared since: nearly all of an incident's changes come within
	// two weeks of its declaration, and the leader must never read a
	// whole history (a year is thousands of incidents held at once).
	followHorizon = 14 * 24 * time.Hour
)

// catchUp queues the owed work that items, the outbox as read before the
// incidents, does not hold.
func (b *Bot) catchUp(ctx context.Context, items []outbox.Item, now time.Time) error {
	have := make(map[string]bool, len(items))
	for _, it := range items {
		have[it.Key] = true
	}
	last := b.caughtUp.Load()
	whole := last == 0 || now.Sub(time.Unix(0, last)) >= catchUpEvery
	if !whole && !b.pages() {
		return nil
	}
	list, err := b.store.Incidents(ctx, true)
	if err != nil {
		return fmt.Errorf("catch up: list open incidents: %w", err)
	}
	if whole {
		recent, err := b.store.IncidentsDeclared(ctx, now.Add(-followHorizon), now.Add(time.Second), 0)
		if err != nil {
			return fmt.Errorf("catch up: list the recent incidents: %w", err)
		}
		list = union(list, recent)
		b.caughtUp.Store(now.UnixNano())
	}
	for _, inc := range list {
		b.catchUpPages(ctx, inc, have, now)
		if !whole {
			continue
		}
		b.catchUpFilings(ctx, inc, have)
		if _, owed := postmortemNext(inc, b.cfg.Postmortem, now); owed && !have[postmortemKey(inc.ID)] {
			b.schedulePostmortem(ctx, inc, now)
		}
	}
	return nil
}

// union is a and those of b not in a, by number.
func union(a, b []*muster.Incident) []*muster.Incident {
	seen := make(map[int]bool, len(a))
	for _, inc := range a {
		seen[inc.ID] = true
	}
	for _, inc := range b {
		if !seen[inc.ID] {
			a = append(a, inc)
		}
	}
	return a
}
