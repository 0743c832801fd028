package outbox_test

import (
	"errors"
	"testing"
	"time"

	"github.com/muster-bot/muster/outbox"
)

// TestClaimAndFail: a claim counts the attempt and holds the item for the
// backoff; a failure keeps that wait unless the system asked for longer.
func TestClaimAndFail(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	it := outbox.Item{Key: "k", Kind: "post", Queued: now, Next: now}
	c := it.Claim(now)
	if c.Attempts != 1 || !c.Next.Equal(now.Add(10*time.Second)) {
		t.Errorf("claimed: %d attempts, next %s; want 1, +10s", c.Attempts, c.Next.Sub(now))
	}
	if f := c.Failed(now, errors.New("503"), 0); !f.Next.Equal(c.Next) || f.LastError != "503" {
		t.Errorf("failed: next %s, error %q; want +10s, 503", f.Next.Sub(now), f.LastError)
	}
	if f := c.Failed(now, errors.New("429"), time.Minute); !f.Next.Equal(now.Add(time.Minute)) {
		t.Errorf("failed with Retry-After 1m: next %s", f.Next.Sub(now))
	}
	for attempts, want := range map[int]time.Duration{0: 10 * time.Second, 1: 10 * time.Second, 2: 20 * time.Second, 6: 5 * time.Minute, 60: 5 * time.Minute} {
		if got := outbox.Backoff(attempts); got != want {
			t.Errorf("Backoff(%d) = %s, want %s", attempts, got, want)
		}
	}
}
