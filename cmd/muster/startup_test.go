package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/config"
	"github.com/muster-bot/muster/store"
)

// BenchmarkStartup measures the start of `muster serve` on a store of
// 10,000 incidents, 1,000 of them open: opening the store, rebuilding the
// reminders (the first tick reads every open incident) and answering
// /readyz.
//
//	go test ./cmd/muster -run '^$' -bench Startup -benchtime 20x
func BenchmarkStartup(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "muster.db")
	db, err := store.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	sev := muster.DefaultSeverities()
	for i := range 10_000 {
		inc, first, _ := muster.NewIncident(fmt.Sprintf("Incident %d", i), sev[i%3], false, "U1", t0)
		if err := db.Create(ctx, inc, first); err != nil {
			b.Fatal(err)
		}
		if i%10 != 0 { // 9 in 10 resolved, 1,000 open
			if _, _, err := db.Update(ctx, inc.ID, func(inc *muster.Incident) ([]muster.Entry, error) {
				inc.Platform, inc.Room = "slack", fmt.Sprintf("C%05d", i)
				e, err := inc.Resolve("done", "U1", t0.Add(time.Hour))
				return []muster.Entry{e}, err
			}); err != nil {
				b.Fatal(err)
			}
		}
	}
	db.Close()
	fake := newFakeSlack(b)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret, "SLACK_API_URL": fake.URL()}
	cfg, err := config.Parse([]byte("store:\n  path: "+path+"\nlog:\n  level: error\n"), "b.yaml", func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		app, err := New(cfg, Options{Listener: ln, Stdout: io.Discard, Stderr: io.Discard, Now: func() time.Time { return t0.Add(10 * time.Minute) }})
		if err != nil {
			b.Fatal(err)
		}
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- app.Run(ctx) }()
		for {
			resp, err := http.Get("http://" + ln.Addr().String() + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			time.Sleep(time.Millisecond)
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "ms-to-ready")
		stop()
		<-done
		app.Close()
	}
}
