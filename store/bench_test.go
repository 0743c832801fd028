package store_test

// Run with:
//
//	go test -run '^$' -bench . -benchtime 2000x ./store/
//
// entries/s is durable appends per second; p50-ms and p99-ms are the
// latencies of single Append calls, each one fsynced before it returns.

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/store"
)

// benchText is about the size of a typical war-room message.
const benchText = "Rolled back checkout-api to v1.42.3; 5xx rate dropping, watching the p99 before we call it mitigated."

func BenchmarkAppendSequential(b *testing.B) {
	db := openDB(b, dbPath(b))
	appendSequential(b, db)
}

// BenchmarkAppendParallel64 appends with idempotency keys; the Messages
// variants append new messages without one, as the bot records war-room
// messages.
func BenchmarkAppendParallel64(b *testing.B) {
	db := openDB(b, dbPath(b))
	appendParallel(b, db, 64, 1, true)
}

func BenchmarkAppendParallel64Messages(b *testing.B) {
	db := openDB(b, dbPath(b))
	appendParallel(b, db, 64, 1, false)
}

// BenchmarkAppendParallel64Spread50 is the same load spread over 50 open
// incidents, as in the load command's default: each commit then touches
// as many timelines.
func BenchmarkAppendParallel64Spread50(b *testing.B) {
	db := openDB(b, dbPath(b))
	appendParallel(b, db, 64, 50, true)
}

func BenchmarkAppendParallel64Spread50Messages(b *testing.B) {
	db := openDB(b, dbPath(b))
	appendParallel(b, db, 64, 50, false)
}

// BenchmarkIncidents lists 1,000 open incidents out of 10,000 stored,
// declared an hour apart (about 14 months), then all of them, then the
// 90 days' worth (2,160) a `stats 90d` reads, then the newest 50, a page.
func BenchmarkIncidents(b *testing.B) {
	db := openDB(b, dbPath(b))
	ctx := context.Background()
	for i := range 10_000 {
		inc, first, err := muster.NewIncident(fmt.Sprintf("Incident %d", i), muster.Severity{Name: "SEV3"}, false, "U1", t0.Add(time.Duration(i)*time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		if i%10 != 0 {
			inc.Status = muster.StatusResolved // stored resolved: one commit instead of two
		}
		if err := db.Create(ctx, inc, first); err != nil {
			b.Fatal(err)
		}
	}
	for _, openOnly := range []bool{true, false} {
		b.Run(fmt.Sprintf("openOnly=%v", openOnly), func(b *testing.B) {
			for b.Loop() {
				if _, err := db.Incidents(ctx, openOnly); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	end := t0.Add(10_000 * time.Hour)
	for _, q := range []struct {
		name   string
		window time.Duration
		limit  int
	}{{"declared90d", 90 * 24 * time.Hour, 0}, {"newest50", 10_000 * time.Hour, 50}} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := db.IncidentsDeclared(ctx, end.Add(-q.window), end, q.limit); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func appendSequential(b *testing.B, db *store.DB) {
	b.Helper()
	inc := declare(b, db, "Checkout down")
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if _, _, err := db.Append(ctx, inc.ID, fmt.Sprintf("slack:Ev%d", i), said(fmt.Sprintf("1700000000.%06d", i), benchText)); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	report(b, lat)
}

// appendParallel runs b.N appends from writers goroutines whatever the
// number of CPUs, as webhook handlers waiting on fsync would, into
// incidents incidents in turn, with an idempotency key each when keyed.
func appendParallel(b *testing.B, db *store.DB, writers, incidents int, keyed bool) {
	b.Helper()
	ids := make([]int, incidents)
	for i := range ids {
		ids[i] = declare(b, db, fmt.Sprintf("Incident %d", i)).ID
	}
	ctx := context.Background()
	var (
		next atomic.Int64
		mu   sync.Mutex
		all  = make([]time.Duration, 0, b.N)
	)
	b.SetParallelism((writers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var lat []time.Duration
		for pb.Next() {
			i := next.Add(1)
			key := ""
			if keyed {
				key = fmt.Sprintf("slack:Ev%d", i)
			}
			start := time.Now()
			if _, _, err := db.Append(ctx, ids[int(i)%len(ids)], key, said(fmt.Sprintf("1700000000.%06d", i), benchText)); err != nil {
				b.Error(err)
				return
			}
			lat = append(lat, time.Since(start))
		}
		mu.Lock()
		all = append(all, lat...)
		mu.Unlock()
	})
	b.StopTimer()
	report(b, all)
}

func report(b *testing.B, lat []time.Duration) {
	b.Helper()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "entries/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
