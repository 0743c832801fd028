// Package pause waits between retries of a call to a chat platform.
package pause

import (
	"context"
	"time"
)

// For waits d, or less if ctx ends first (then it returns ctx's error).
func For(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
