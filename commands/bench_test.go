package commands_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/store/storetest"
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

// BenchmarkStatsHistory runs `stats 90d` over a history of 100,000
// incidents an hour apart (2,160 in the window) and about 2,000,000
// timeline entries, built once per run (skipped with -short):
//
//	go test -run '^$' -bench StatsHistory -benchtime 50x ./commands/
func BenchmarkStatsHistory(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a store of 100,000 incidents; not with -short")
	}
	e := newEnv(b)
	storetest.LoadHistory(b, e.db, storetest.History{Incidents: 100_000, Entries: 2_000_000, Open: 5, LongEntries: 1000, End: t0})
	e.now = t0
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		out := e.must("alice", 0, "stats 90d")
		took = append(took, time.Since(start))
		if out.Reply == nil || !strings.HasPrefix(out.Reply.Title, "Incidents declared in the last 90d: 21") {
			b.Fatalf("stats 90d: %+v", out.Reply)
		}
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2])/float64(time.Millisecond), "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100])/float64(time.Millisecond), "p99-ms")
}
