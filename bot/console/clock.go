package console

import (
	"sync"
	"time"
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
