package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster/bot/slack/fakeslack"
	"github.com/muster-bot/muster/config"
)

// syncBuffer holds the app's log for a test to read while the app writes.
// startSlackHTTPApp is startSlackApp with the log kept and opts given (the
// listener and clock are set here); ready says whether to wait for
// /readyz to answer 200.
func startSlackHTTPApp(t *testing.T, fake *fakeslack.Server, extraYAML string, opts Options, ready bool) (*slackApp, *syncBuffer) {
	t.Helper()
	yaml := fmt.Sprintf("store:\n  path: %s\nreminders:\n  tick: 24h\n%s", filepath.Join(t.TempDir(), "muster.db"), extraYAML)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret, "SLACK_API_URL": fake.URL()}
	getenv := func(k string) string { return env[k] }
	cfg, err := config.Parse([]byte(yaml), "test.yaml", getenv)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: t0}
	logs := &syncBuffer{}
	opts.Listener, opts.Now, opts.Stdout, opts.Stderr, opts.Getenv = ln, clock.Now, io.Discard, logs, getenv
	app, err := New(cfg, opts)
	if err != nil {
		t.Fatalf("new app: %v", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &slackApp{t: t, app: app, fake: fake, clock: clock, url: "http://" + ln.Addr().String(), done: make(chan error, 1), stop: stop}
	go func() { s.done <- app.Run(ctx) }()
	t.Cleanup(func() {
		s.shutdown()
		if t.Failed() {
			t.Logf("log:\n%s", logs)
		}
	})
	eventually(t, "the app answers", func() bool {
		resp, err := http.Get(s.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return !ready || resp.StatusCode == http.StatusOK
	})
	return s, logs
}

// slowBody opens a connection and sends a request whose body stops after
// a few bytes of the 1,000 announced.
func slowBody(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST /slack/commands HTTP/1.1\r\nHost: muster\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ncommand=")
	return conn
}

// closedWithin reads conn until the server closes it, for at most limit,
// and returns what it read and how long the server took.
func closedWithin(t *testing.T, conn net.Conn, limit time.Duration) (string, time.Duration) {
	t.Helper()
	start := time.Now()
	conn.SetReadDeadline(start.Add(limit))
	got, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("the server kept the connection open for %s (read: %v; got %q)", limit, err, got)
	}
	return string(got), time.Since(start)
}

// TestSlowClientsCutOff drives the real server on 127.0.0.1 with clients
// that send slowly or not at all: a request body that stops coming is cut
// off at http.read_timeout (and logged), and a keep-alive connection left
// unused is closed at http.idle_timeout.
func TestSlowClientsCutOff(t *testing.T) {
	fake := newFakeSlack(t)
	s, logs := startSlackHTTPApp(t, fake, "http:\n  read_timeout: 200ms\n  idle_timeout: 300ms\n", Options{}, true)
	addr := strings.TrimPrefix(s.url, "http://")

	conn := slowBody(t, addr)
	got, took := closedWithin(t, conn, 3*time.Second)
	if !strings.HasPrefix(got, "HTTP/1.1 408") {
		t.Errorf("a body that stops coming is answered %q, want 408", got)
	}
	if took > 2*time.Second {
		t.Errorf("cut off after %s, want about the read timeout, 200ms", took)
	}
	eventually(t, "the cut-off is logged at info", func() bool {
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, "cut off a client") && strings.Contains(line, `"level":"info"`) && strings.Contains(line, "/slack/commands") {
				return true
			}
		}
		return false
	})

	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	fmt.Fprintf(idle, "GET /healthz HTTP/1.1\r\nHost: muster\r\n\r\n")
	br := bufio.NewReader(idle)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("healthz: HTTP %d, close %v; want 200 on a kept-alive connection", resp.StatusCode, resp.Close)
	}
	start := time.Now()
	idle.SetReadDeadline(start.Add(3 * time.Second))
	if rest, err := io.ReadAll(br); err != nil || len(rest) > 0 {
		t.Errorf("an idle keep-alive connection was not closed within 3s: read %q, %v", rest, err)
	} else if took := time.Since(start); took > 2*time.Second {
		t.Errorf("idle connection closed after %s, want about the idle timeout, 300ms", took)
	}
}

// TestPendingBodiesCapped: with every slot of http.max_pending_bodies held
// by a client sending its body slowly, the next request is refused at once
// with 503 and Retry-After; once those clients go, requests are served.
func TestPendingBodiesCapped(t *testing.T) {
	fake := newFakeSlack(t)
	s, logs := startSlackHTTPApp(t, fake, "http:\n  read_timeout: 5s\n  max_pending_bodies: 2\n", Options{}, true)
	addr := strings.TrimPrefix(s.url, "http://")
	held := []net.Conn{slowBody(t, addr), slowBody(t, addr)}

	form := url.Values{"command": {"/incident"}, "text": {"help"}, "user_id": {"UALICE"}, "channel_id": {"CGENERAL"}, "team_id": {"T0001"}, "response_url": {fake.ResponseURL("help")}}
	var refused reply
	var retryAfter string
	eventually(t, "a request over the cap is refused", func() bool {
		req, _ := http.NewRequest(http.MethodPost, s.url+"/slack/commands", strings.NewReader(form.Encode()))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		refused, retryAfter = reply{resp.StatusCode, string(b)}, resp.Header.Get("Retry-After")
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	if retryAfter == "" {
		t.Errorf("503 without Retry-After: %+v", refused)
	}
	if !strings.Contains(logs.String(), "too many request bodies") {
		t.Error("the refusal is not logged")
	}
	for _, c := range held {
		c.Close()
	}
	eventually(t, "requests are served once the slow clients are gone", func() bool {
		r := s.post("/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
		return r.StatusCode == http.StatusOK && strings.Contains(r.Body, "muster commands")
	})
}

// TestMetricsListener: with metrics.listen set, /metrics is served there
// and no longer on http.listen.
func TestMetricsListener(t *testing.T) {
	fake := newFakeSlack(t)
	mln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := startSlackHTTPApp(t, fake, "metrics:\n  listen: 127.0.0.1:9090\n", Options{MetricsListener: mln}, true)
	get := func(url string) int {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(s.url + "/metrics"); code != http.StatusNotFound {
		t.Errorf("GET /metrics on http.listen: HTTP %d, want 404", code)
	}
	if code := get("http://" + mln.Addr().String() + "/metrics"); code != http.StatusOK {
		t.Errorf("GET /metrics on metrics.listen: HTTP %d, want 200", code)
	}
	if m := scrape(t, "http://"+mln.Addr().String()); m["muster_leader"] != 1 {
		t.Errorf("muster_leader = %v on the metrics listener, want 1", m["muster_leader"])
	}
	if code := get("http://" + mln.Addr().String() + "/readyz"); code != http.StatusNotFound {
		t.Errorf("GET /readyz on metrics.listen: HTTP %d, want 404 (only /metrics is there)", code)
	}
}

// TestSlackWorkspaceChecked: with slack.team_id set, a signed command from
// another workspace is refused with 403 and declares nothing.
func TestSlackWorkspaceChecked(t *testing.T) {
	fake := newFakeSlack(t)
	s, logs := startSlackHTTPApp(t, fake, "slack:\n  team_id: "+fakeslack.TeamID+"\n", Options{}, true)
	form := url.Values{"command": {"/incident"}, "text": {"declare sev1 Forged"}, "user_id": {"UEVE"}, "channel_id": {"CGENERAL"}, "team_id": {"T0OTHER"}, "response_url": {fake.ResponseURL("x")}}
	if r := s.post("/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode()), nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("a command from another workspace: HTTP %d, want 403", r.StatusCode)
	}
	if !strings.Contains(logs.String(), "another workspace") {
		t.Error("the refusal is not logged")
	}
	form.Set("team_id", fakeslack.TeamID)
	form.Set("text", "help")
	if r := s.post("/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode()), nil); r.StatusCode != http.StatusOK {
		t.Errorf("a command from the installed workspace: HTTP %d, want 200", r.StatusCode)
	}
	if _, err := s.app.db.Incident(context.Background(), 1); err == nil {
		t.Error("the refused command declared an incident")
	}
}
