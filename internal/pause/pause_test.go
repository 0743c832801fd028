package pause_test

import (
	"context"
	"testing"
	"time"

	"github.com/muster-bot/muster/internal/pause"
)

func TestForEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := pause.For(ctx, time.Hour); err != context.Canceled {
		t.Errorf("For on a cancelled context = %v", err)
	}
	if err := pause.For(context.Background(), time.Millisecond); err != nil {
		t.Errorf("For 1ms = %v", err)
	}
}
