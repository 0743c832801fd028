package web_test

// BenchmarkPages reads the pages over a history of 100,000 incidents and
// about 2,000,000 timeline entries, built once per run (a few seconds, or
// skipped with -short):
//
//	go test -run '^$' -bench Pages -benchtime 200x ./web/
//
// p50-ms and p99-ms are the latencies of single requests.

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster/store"
	"github.com/muster-bot/muster/store/storetest"
	"github.com/muster-bot/muster/web"
)

// largeHistory opens a bbolt store in a temp dir and loads the benchmarks'
// history into it.
func largeHistory(b *testing.B) (*store.DB, storetest.History) {
	b.Helper()
	if testing.Short() {
		b.Skip("builds a store of 100,000 incidents; not with -short")
	}
	db, err := store.Open(filepath.Join(b.TempDir(), "muster.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	h := storetest.LoadHistory(b, db, storetest.History{Incidents: 100_000, Entries: 2_000_000, Open: 5, LongEntries: 1000, End: t0})
	return db, h
}

func BenchmarkPages(b *testing.B) {
	db, h := largeHistory(b)
	srv, err := web.New(db, web.Config{}, func() time.Time { return t0 }, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	// The public status page without its cache (status.cache_for 0):
	// every request reads the store, as the first after a change does.
	status, err := web.NewStatus(db, web.StatusConfig{Components: []web.StatusComponent{{Name: "API"}, {Name: "Checkout"}}}, func() time.Time { return t0 }, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	status.Register(mux)
	mux.Handle("/", srv)
	for _, page := range []struct{ name, path string }{
		{"list", "/"},
		{"list-resolved-SEV1", "/?status=resolved&severity=SEV1"},
		{"list-text", "/?q=region+3"},
		{"list-dates", "/?from=2025-06-01&to=2025-06-30&severity=SEV2"},
		{"incident-1000-entries", fmt.Sprintf("/incidents/%d", h.Long)},
		{"insights-year", "/insights?window=365d"},
		{"status", "/status"},
		{"status-json", "/status.json"},
	} {
		b.Run(page.name, func(b *testing.B) {
			timed(b, func() {
				rec := httptest.NewRecorder()
				mux.ServeHTTP(rec, httptest.NewRequest("GET", page.path, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s: %d", page.path, rec.Code)
				}
			})
		})
	}
}

// timed runs fn b.N times and reports the median and 99th percentile of
// one run, in milliseconds.
func timed(b *testing.B, fn func()) {
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		fn()
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	ms := func(q float64) float64 {
		return float64(took[int(q*float64(len(took)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}
