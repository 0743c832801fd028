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
//	go test ./cmd/muster -run '^$' -bench SlackAcks -benchtime 30000x
//
// commands: `/incident help` typed outside a war room (answered in the
// acknowledgement). events: a new message in a war room, acknowledged
// only once its timeline entry is fsynced.
//
// Each sub-benchmark alternates rounds against muster and against the
// floor (b.N requests to each in all), so that a shared machine's drift
// weighs on both alike; x-floor is muster's rate over the floor's, and
// p99-x-floor the ratio of their p99s.
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
	const form = "application/x-www-form-urlencoded"
	b.Run("commands", func(b *testing.B) {
		versusFloor(b, target{s.url + "/slack/commands", form, command}, target{floor.URL + "/slack/commands", form, command})
		s.app.slack.Drain()
	})
	b.Run("events", func(b *testing.B) {
		versusFloor(b, target{s.url + "/slack/events", "application/json", event}, target{floor.URL + "/slack/events", "application/json", event})
	})
}

// target is an endpoint and how to make a request body for it.
type target struct {
	url, contentType string
	body             func() []byte
}

// rounds is how many times versusFloor alternates between muster and the
// floor.
const rounds = 6

// versusFloor sends b.N signed requests to app and b.N to floor, in
// alternating rounds, and reports both.
func versusFloor(b *testing.B, app, floor target) {
	const clients = 128
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 2 * clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	defer client.CloseIdleConnections()
	var mine, base load
	b.ResetTimer()
	for r := range rounds {
		n := b.N / rounds // b.N spread over the rounds
		if r < b.N%rounds {
			n++
		}
		if n == 0 {
			continue
		}
		base.add(hammer(b, client, clients, n, floor))
		mine.add(hammer(b, client, clients, n, app))
	}
	b.StopTimer()
	mineP99, baseP99 := mine.percentile(99), base.percentile(99)
	b.ReportMetric(mine.rate(), "acks/s")
	b.ReportMetric(float64(mine.percentile(50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(mineP99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(base.rate(), "floor-acks/s")
	b.ReportMetric(float64(baseP99.Microseconds())/1000, "floor-p99-ms")
	b.ReportMetric(mine.rate()/base.rate(), "x-floor")
	b.ReportMetric(float64(mineP99)/float64(baseP99), "p99-x-floor")
	// CPU time per request, clients included: steadier from run to run
	// than the rates, which a shared machine's load moves about.
	b.ReportMetric(float64(mine.cpu.Microseconds())/float64(len(mine.latencies)), "cpu-µs/ack")
	b.ReportMetric(float64(base.cpu.Microseconds())/float64(len(base.latencies)), "floor-cpu-µs/ack")
	b.ReportMetric(0, "ns/op")
}

// load is what rounds of requests to one target took.
type load struct {
	latencies []time.Duration
	elapsed   time.Duration
	cpu       time.Duration
}

func (l *load) add(m load) {
	l.latencies = append(l.latencies, m.latencies...)
	l.elapsed += m.elapsed
	l.cpu += m.cpu
}

func (l *load) rate() float64 { return float64(len(l.latencies)) / l.elapsed.Seconds() }

func (l *load) percentile(p int) time.Duration {
	slices.Sort(l.latencies)
	return l.latencies[len(l.latencies)*p/100]
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

// hammer sends n signed requests to t from clients concurrent clients and
// returns what they took.
func hammer(b *testing.B, client *http.Client, clients, n int, t target) load {
	latencies := make([]time.Duration, n)
	var next atomic.Int64
	var failures atomic.Int64
	var wg sync.WaitGroup
	cpu0 := cpuTime(b)
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				payload := t.body()
				ts := strconv.FormatInt(time.Now().Unix(), 10)
				req, _ := http.NewRequest(http.MethodPost, t.url, bytes.NewReader(payload))
				req.Header.Set("Content-Type", t.contentType)
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
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if f := failures.Load(); f > 0 {
		b.Fatalf("%d of %d requests to %s failed", f, n, t.url)
	}
	return load{latencies: latencies, elapsed: elapsed, cpu: cpuTime(b) - cpu0}
}

// cpuTime is the CPU time the process has used so far, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
