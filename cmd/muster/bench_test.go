package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/muster-bot/muster/bot/slack"
)

// BenchmarkSlackAcks drives the signed Slack endpoints with 128 concurrent
// clients on loopback and reports acknowledgements per second and the
// p50/p99 time to acknowledge, next to a bare net/http handler that only
// verifies the signature (the floor), all measured in the same run:
//
//	go test ./cmd/muster -run '^$' -bench SlackAcks -benchtime 20000x
//
// commands: `/incident help` typed outside a war room (acknowledged at
// once; the answer goes out through the response_url afterwards).
// events: a new message in a war room, acknowledged only once its
// timeline entry is fsynced.
func BenchmarkSlackAcks(b *testing.B) {
	fake := newFakeSlack(b)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret}
	s := startSlackApp(b, fake, env, "log:\n  level: error\n")
	s.clock.now = time.Now() // signatures are checked against the app's clock
	room := benchWarRoom(b, s)

	floor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, slack.MaxBody))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		if err := slack.VerifySignature([]byte(signingSecret), r.Header, body, time.Now()); err != nil {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer floor.Close()

	var seq atomic.Int64
	command := func() []byte {
		return []byte(url.Values{"command": {"/incident"}, "text": {"help"}, "user_id": {"UALICE"}, "channel_id": {"CGENERAL"},
			"response_url": {fake.ResponseURL(fmt.Sprint("bench-", seq.Add(1)))}}.Encode())
	}
	event := func() []byte {
		n := seq.Add(1)
		ts := fmt.Sprintf("1700%06d.%06d", n/1000000, n%1000000)
		return []byte(fmt.Sprintf(`{"type":"event_callback","team_id":"T0001","event_id":"EvBench%d","event":{"type":"message","user":"UALICE","channel":%q,"text":"message %d","ts":%q,"event_ts":%q,"channel_type":"channel"}}`, n, room, n, ts, ts))
	}
	b.Run("floor", func(b *testing.B) {
		hammer(b, floor.URL+"/slack/commands", "application/x-www-form-urlencoded", command)
	})
	b.Run("commands", func(b *testing.B) {
		hammer(b, s.url+"/slack/commands", "application/x-www-form-urlencoded", command)
		s.app.slack.Drain()
	})
	b.Run("events", func(b *testing.B) {
		hammer(b, s.url+"/slack/events", "application/json", event)
	})
}

// benchWarRoom declares an incident and returns its war room's id.
func benchWarRoom(b *testing.B, s *slackApp) string {
	s.command("UALICE", "CGENERAL", "declare sev2 Benchmark incident", "declare")
	var room string
	eventually(b, "the war room exists", func() bool {
		inc, err := s.app.db.Incident(context.Background(), 1)
		if err != nil || inc.Room == "" {
			return false
		}
		room = inc.Room
		return true
	})
	s.app.slack.Drain()
	return room
}

// hammer sends b.N signed requests from 128 concurrent clients and reports
// acks/s and latency percentiles.
func hammer(b *testing.B, target, contentType string, body func() []byte) {
	const clients = 128
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	defer client.CloseIdleConnections()
	latencies := make([]time.Duration, b.N)
	var next atomic.Int64
	var failures atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	cpu0 := cpuTime(b)
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				payload := body()
				ts := strconv.FormatInt(time.Now().Unix(), 10)
				req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(payload))
				req.Header.Set("Content-Type", contentType)
				req.Header.Set("X-Slack-Request-Timestamp", ts)
				req.Header.Set("X-Slack-Signature", slack.Sign([]byte(signingSecret), ts, payload))
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failures.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				latencies[i] = time.Since(t0)
				if resp.StatusCode != http.StatusOK {
					failures.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := cpuTime(b) - cpu0
	b.StopTimer()
	if n := failures.Load(); n > 0 {
		b.Fatalf("%d of %d requests failed", n, b.N)
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "acks/s")
	b.ReportMetric(float64(latencies[b.N/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(latencies[b.N*99/100].Microseconds())/1000, "p99-ms")
	// CPU time per request, clients included: steadier from run to run
	// than the rate, which this shared machine's load moves about.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/ack")
	b.ReportMetric(0, "ns/op")
}

// cpuTime is the CPU time the process has used so far, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
