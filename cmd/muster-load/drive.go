package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/muster-bot/muster/bot/slack"
)

// kind is what a request is.
type kind int

const (
	kindEvent   kind = iota // a new message in a war room
	kindRetry               // Slack's retry of an earlier message event
	kindClick               // a role button pressed
	kindCommand             // `/incident update <text>` in a war room
	kinds
)

var kindNames = [kinds]string{"events", "retries", "clicks", "commands"}

// room is one war room under load.
type room struct {
	incident int
	channel  string
	// The "I'll be IC" button of the room's header, for clicks.
	actionID, value, messageTS string
	ts                         atomic.Int64 // last message ts handed out, strictly increasing
}

// message is one message event sent (and perhaps retried).
type message struct {
	seq     int64
	room    int32
	replica int32 // the target of its first delivery
	ts      string
}

func (m message) eventID() string { return "EvLoad" + strconv.FormatInt(m.seq, 10) }
func (m message) text() string    { return "load message " + strconv.FormatInt(m.seq, 10) }

// sample is one request's outcome.
type sample struct {
	kind    kind
	latency time.Duration
	status  int // 0: no answer (transport error)
}

// load is one phase's workload: which requests to send, and what came of
// the message events among them.
type load struct {
	opts    options
	targets []string // base URLs: the floor, or muster's replicas
	fake    interface{ ResponseURL(string) string }
	rooms   []*room
	users   []string

	next   atomic.Uint64 // requests given a target, for round-robin
	seq    atomic.Int64  // message sequence numbers, from 1
	sent   atomic.Int64  // requests started, for the cap
	acked  []atomic.Bool
	msgs   []message // by seq-1; written once, before the message is sent
	recent struct {
		sync.Mutex
		ring []int64 // seqs of recent messages, for retries
		next int
	}
}

func newLoad(opts options, targets []string, fake interface{ ResponseURL(string) string }, rooms []*room) *load {
	l := &load{opts: opts, targets: targets, fake: fake, rooms: rooms, users: []string{"UALICE", "UBOB", "UCAROL"}}
	l.acked = make([]atomic.Bool, opts.maxRequests)
	l.msgs = make([]message, opts.maxRequests)
	l.recent.ring = make([]int64, 0, 1024)
	return l
}

// loopbackTransport keeps n connections to the target and refuses to dial
// anything but 127.0.0.1.
func loopbackTransport(n int) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Transport{
		MaxIdleConns: n, MaxIdleConnsPerHost: n, MaxConnsPerHost: n, IdleConnTimeout: 30 * time.Second,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if !isLoopback(addr) {
				return nil, fmt.Errorf("muster-load talks only to 127.0.0.1, not %s", addr)
			}
			return d.DialContext(ctx, network, addr)
		},
	}
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && host == "127.0.0.1"
}

// pick returns the target of the next request, round-robin: with several
// replicas any of them takes any request, as behind a load balancer.
func (l *load) pick() int {
	return int((l.next.Add(1) - 1) % uint64(len(l.targets)))
}

// otherReplica returns a target for a retry other than first, the target
// of the first delivery, when there are several: a replica that stopped
// answering is why Slack retries, and the retry then lands elsewhere.
func otherReplica(first, n int, rng *rand.Rand) int {
	if n < 2 {
		return first
	}
	return (first + 1 + rng.IntN(n-1)) % n
}

// run sends requests from opts.clients workers for d, one round of the
// phase, or until opts.maxRequests were sent in all its rounds, and
// returns every request's outcome and the time it took.
func (l *load) run(ctx context.Context, d time.Duration) ([]sample, time.Duration) {
	client := &http.Client{Timeout: 10 * time.Second, Transport: loopbackTransport(l.opts.clients)}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	before := l.sent.Load() // requests of earlier rounds, for -rate's schedule
	results := make([][]sample, l.opts.clients)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range l.opts.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			out := make([]sample, 0, 1024)
			for ctx.Err() == nil {
				n := l.sent.Add(1)
				if n > int64(l.opts.maxRequests) {
					break
				}
				if l.opts.rate > 0 { // open loop: request n goes out at start + n/rate
					at := start.Add(time.Duration(float64(n-1-before) / l.opts.rate * float64(time.Second)))
					if d := time.Until(at); d > 0 {
						select {
						case <-time.After(d):
						case <-ctx.Done():
						}
						if ctx.Err() != nil {
							l.sent.Add(-1) // not sent: a later round may send it
							break
						}
					}
				}
				out = append(out, l.one(ctx, client, rng))
			}
			results[w] = out
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []sample
	for _, r := range results {
		all = append(all, r...)
	}
	return all, elapsed
}

// one picks and sends one request.
func (l *load) one(ctx context.Context, client *http.Client, rng *rand.Rand) sample {
	r := rng.Float64()
	switch {
	case r < l.opts.clicks:
		return l.click(ctx, client, rng)
	case r < l.opts.clicks+l.opts.commands:
		return l.command(ctx, client, rng)
	case r < l.opts.clicks+l.opts.commands+l.opts.retries:
		if s, ok := l.retry(ctx, client, rng); ok {
			return s
		}
	}
	return l.event(ctx, client, rng)
}

func (l *load) event(ctx context.Context, client *http.Client, rng *rand.Rand) sample {
	seq := l.seq.Add(1)
	ri := rng.IntN(len(l.rooms))
	n := l.rooms[ri].ts.Add(1)
	m := message{seq: seq, room: int32(ri), replica: int32(l.pick()), ts: fmt.Sprintf("%d.%06d", 1700000000+n/1000000, n%1000000)}
	l.msgs[seq-1] = m
	l.recent.Lock()
	if len(l.recent.ring) < cap(l.recent.ring) {
		l.recent.ring = append(l.recent.ring, seq)
	} else {
		l.recent.ring[l.recent.next] = seq
		l.recent.next = (l.recent.next + 1) % len(l.recent.ring)
	}
	l.recent.Unlock()
	s := l.sendMessage(ctx, client, int(m.replica), m, l.users[rng.IntN(len(l.users))], 0)
	if s.status == http.StatusOK {
		l.acked[seq-1].Store(true)
	}
	return s
}

// retry re-sends a recent message (perhaps one still in flight) as Slack's
// first retry: same event_id, same ts, same text.
func (l *load) retry(ctx context.Context, client *http.Client, rng *rand.Rand) (sample, bool) {
	l.recent.Lock()
	if len(l.recent.ring) == 0 {
		l.recent.Unlock()
		return sample{}, false
	}
	seq := l.recent.ring[rng.IntN(len(l.recent.ring))]
	l.recent.Unlock()
	m := l.msgs[seq-1]
	s := l.sendMessage(ctx, client, otherReplica(int(m.replica), len(l.targets), rng), m, "UALICE", 1)
	s.kind = kindRetry
	if s.status == http.StatusOK {
		l.acked[seq-1].Store(true)
	}
	return s, true
}

func (l *load) sendMessage(ctx context.Context, client *http.Client, target int, m message, user string, retry int) sample {
	body, _ := json.Marshal(map[string]any{
		"token": "load", "team_id": "T0001", "api_app_id": "A0001", "type": "event_callback",
		"event_id": m.eventID(), "event_time": time.Now().Unix(),
		"event": map[string]any{
			"type": "message", "channel": l.rooms[m.room].channel, "user": user, "text": m.text(),
			"ts": m.ts, "event_ts": m.ts, "channel_type": "channel",
		},
	})
	var h http.Header
	if retry > 0 {
		h = http.Header{"X-Slack-Retry-Num": {strconv.Itoa(retry)}, "X-Slack-Retry-Reason": {"http_timeout"}}
	}
	return l.post(ctx, client, l.targets[target], kindEvent, "/slack/events", "application/json", body, h)
}

func (l *load) click(ctx context.Context, client *http.Client, rng *rand.Rand) sample {
	r := l.rooms[rng.IntN(len(l.rooms))]
	user := l.users[rng.IntN(len(l.users))]
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "team": map[string]any{"id": "T0001"}, "api_app_id": "A0001",
		"user":         map[string]any{"id": user, "username": user, "team_id": "T0001"},
		"channel":      map[string]any{"id": r.channel, "name": "war-room"},
		"container":    map[string]any{"type": "message", "message_ts": r.messageTS, "channel_id": r.channel},
		"trigger_id":   "trig-load",
		"response_url": l.fake.ResponseURL("load-click"),
		"actions":      []any{map[string]any{"action_id": r.actionID, "block_id": "b", "value": r.value, "type": "button", "action_ts": "1"}},
	})
	body := []byte(url.Values{"payload": {string(payload)}}.Encode())
	return l.post(ctx, client, l.targets[l.pick()], kindClick, "/slack/interactions", "application/x-www-form-urlencoded", body, nil)
}

func (l *load) command(ctx context.Context, client *http.Client, rng *rand.Rand) sample {
	r := l.rooms[rng.IntN(len(l.rooms))]
	user := l.users[rng.IntN(len(l.users))]
	body := []byte(url.Values{
		"command": {"/incident"}, "text": {fmt.Sprintf("update load update %d", rng.Int64())}, "user_id": {user}, "user_name": {user},
		"channel_id": {r.channel}, "team_id": {"T0001"}, "response_url": {l.fake.ResponseURL("load-command")}, "trigger_id": {"trig-load"},
	}.Encode())
	return l.post(ctx, client, l.targets[l.pick()], kindCommand, "/slack/commands", "application/x-www-form-urlencoded", body, nil)
}

// post sends a request to target (a base URL) signed as Slack signs it,
// now, and times it until the whole answer is read (the status alone is no
// acknowledgement Slack would see).
func (l *load) post(ctx context.Context, client *http.Client, target string, k kind, path, contentType string, body []byte, h http.Header) sample {
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, target+path, bytes.NewReader(body))
	if err != nil {
		return sample{kind: k}
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slack.Sign([]byte(l.opts.secret), ts, body))
	for k, v := range h {
		req.Header[k] = v
	}
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return sample{kind: k, latency: time.Since(t0)}
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	s := sample{kind: k, latency: time.Since(t0), status: resp.StatusCode}
	if err != nil && !errors.Is(err, io.EOF) {
		s.status = 0
	}
	return s
}

// side is one phase, the floor's or muster's, measured over rounds that
// alternate with the other's: on a shared machine whose speed drifts from
// one minute to the next, both then see the same drift.
type side struct {
	name    string
	load    *load
	cpu     *cpuMeter
	samples []sample
	elapsed time.Duration
}

// round drives the side for d. Its CPU time is counted until the server
// has finished what the round's requests left it (muster's work after an
// acknowledgement, a collection), so that none of it is charged to the
// other side's round.
func (s *side) round(ctx context.Context, d time.Duration) {
	s.cpu.start()
	samples, elapsed := s.load.run(ctx, d)
	s.cpu.settle()
	s.cpu.stop()
	s.samples = append(s.samples, samples...)
	s.elapsed += elapsed
}

// summary is the side's figures over all its rounds.
func (s *side) summary() phase {
	p := summarize(s.name, s.samples, s.elapsed)
	p.ServerCPU, p.DriverCPU = s.cpu.perRequest(p.Requests)
	return p
}
