package commands_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

// BenchmarkPostmortemCommand10k measures `postmortem` on an incident with
// 10,000 timeline entries: reading the timeline from bbolt and rendering
// the draft, as a user waits for it.
//
//	go test -run '^$' -bench PostmortemCommand -benchmem ./commands/
func BenchmarkPostmortemCommand10k(b *testing.B) {
	e := newEnv(b)
	e.must("alice", 0, "declare sev1 Checkout is returning 500s")
	e.must("alice", 1, "ic")
	const entries, writers = 10_000, 64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < entries; i += writers {
				entry := muster.Entry{Kind: muster.EntryMessage, At: t0.Add(time.Duration(i) * time.Second), Actor: fmt.Sprintf("U%03d", i%40),
					Text: fmt.Sprintf("Message %d: checked the dashboards, error rate still %d%%", i, i%100), MessageID: fmt.Sprintf("m%d", i)}
				if _, _, err := e.db.Append(context.Background(), 1, "", entry); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ResetTimer()
	for b.Loop() {
		out := e.must("alice", 1, "postmortem")
		if len(out.Room) != 1 || out.Room[0].File == nil {
			b.Fatal("no draft")
		}
		b.SetBytes(int64(len(out.Room[0].File.Content)))
	}
}
