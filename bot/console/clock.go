package console

import (
	"sync"
	"time"

	"github.com/muster-bot/muster"
)

// Clock is the console's time: the real time plus however much `:wait`
// has let pass, so a demo shows a 30-minute reminder without waiting.
type Clock struct {
	mu     sync.Mutex
	now    func() time.Time
	offset time.Duration
}

// NewClock returns a clock over now (time.Now in the program, a fixed time
// in tests).
func NewClock(now func() time.Time) *Clock { return &Clock{now: now} }

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now().Add(c.offset)
}

// Advance lets d pass.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// NotBefore moves the clock forward to t if it reads earlier. The console
// lets time pass faster than the wall clock, so after a restart the store
// may hold times the wall clock has not reached; starting from the latest
// of them keeps new entries (reminders, messages) after the old ones.
func (c *Clock) NotBefore(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now().Add(c.offset); now.Before(t) {
		c.offset += t.Sub(now)
	}
}

// Latest is the latest time recorded in inc and its timeline, for
// NotBefore.
func Latest(inc *muster.Incident, timeline []muster.Entry) time.Time {
	r := inc.Reminder
	latest := inc.DeclaredAt
	for _, t := range []time.Time{inc.AcknowledgedAt, inc.MitigatedAt, inc.ResolvedAt, r.LastUpdate, r.LastNag, r.PendingAt} {
		latest = later(latest, t)
	}
	for _, ch := range inc.RoleLog {
		latest = later(latest, ch.At)
	}
	for _, ch := range inc.SeverityLog {
		latest = later(latest, ch.At)
	}
	for _, a := range inc.Actions {
		latest = later(later(latest, a.CreatedAt), a.DoneAt)
	}
	for _, e := range timeline {
		latest = later(latest, e.At)
		if !e.DeletedAt.IsZero() {
			latest = later(latest, e.DeletedAt)
		}
		for _, ed := range e.Edits {
			latest = later(latest, ed.At)
		}
	}
	return latest
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
