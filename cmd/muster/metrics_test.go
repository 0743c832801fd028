package main

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster/bot/slack/fakeslack"
)

// scrape reads /metrics into a map from series (name{labels}, labels in
// name order, as the exposition writes them) to value.
func scrape(t testing.TB, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: HTTP %d", resp.StatusCode)
	}
	series := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return series
}

// TestMetricsScenario runs an incident through Slack and reads what
// /metrics says about it: declared, acknowledged, nagged, updated late,
// resolved, and the requests and calls that carried it.
func TestMetricsScenario(t *testing.T) {
	fake := newFakeSlack(t)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret}
	s := startSlackApp(t, fake, env, "severities:\n  - name: SEV1\n    update_every: 30m\n  - name: SEV2\n    update_every: 1h\ndefault_severity: SEV2\n")

	s.command("UALICE", "CGENERAL", "declare sev1 Checkout is returning 500s", "declare")
	var roomID string
	eventually(t, "the war room exists", func() bool {
		room, ok := fake.ChannelByName("inc-1-checkout-is-returning-500s")
		roomID = room.ID
		return ok && len(messagesWith(fake, room.ID, "I'll be IC")) == 1
	})
	s.clock.Advance(4 * time.Minute)
	s.click("UBOB", roomID, "I'll be IC")
	if r := s.message("Ev1", "UALICE", roomID, "1700000100.000100", "Error rate is 40%", 0); r.StatusCode != http.StatusOK {
		t.Fatalf("event: HTTP %d", r.StatusCode)
	}
	eventually(t, "the IC is recorded", func() bool {
		inc, err := s.app.db.Incident(context.Background(), 1)
		return err == nil && inc.Roles["ic"] == "UBOB"
	})
	m := scrape(t, s.url)
	for series, want := range map[string]float64{
		`muster_incidents_declared_total{severity="SEV1"}`:                                        1,
		`muster_incidents_open{severity="SEV1",status="investigating"}`:                           1,
		`muster_incidents_open{severity="SEV2",status="investigating"}`:                           0,
		`muster_time_to_acknowledge_seconds_count{severity="SEV1"}`:                               1,
		`muster_time_to_acknowledge_seconds_sum{severity="SEV1"}`:                                 240,
		`muster_requests_total{code="200",kind="event",platform="slack"}`:                         1,
		`muster_requests_total{code="200",kind="command",platform="slack"}`:                       1,
		`muster_requests_total{code="200",kind="interaction",platform="slack"}`:                   1,
		`muster_platform_calls_total{method="auth.test",platform="slack",result="ok"}`:            1,
		`muster_platform_calls_total{method="conversations.create",platform="slack",result="ok"}`: 1,
	} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("before the reminder: %s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	if m[`muster_ack_seconds_count{kind="event",platform="slack"}`] != 1 {
		t.Errorf("ack histogram of slack events: count %v, want 1", m[`muster_ack_seconds_count{kind="event",platform="slack"}`])
	}
	if _, ok := m["go_goroutines"]; !ok {
		t.Error("the Go collector is gone from /metrics")
	}

	// 31 minutes without an update: the nag. The update that follows is
	// late, and goes through a rate limit.
	s.clock.Advance(27 * time.Minute)
	if err := s.app.bot.Tick(context.Background(), s.clock.Now()); err != nil {
		t.Fatal(err)
	}
	fake.Fail("chat.postMessage", 1, fakeslack.Failure{Status: http.StatusTooManyRequests, RetryAfter: 1, Error: "ratelimited"})
	s.command("UBOB", roomID, "update Rolled back deploy 4512", "update")
	eventually(t, "the update is posted", func() bool { return len(messagesWith(fake, roomID, "Rolled back deploy 4512")) == 1 })
	s.clock.Advance(29 * time.Minute)
	s.command("UBOB", roomID, "resolve Bad deploy rolled back", "resolve")
	eventually(t, "the incident is resolved in /metrics", func() bool {
		return scrape(t, s.url)[`muster_incidents_resolved_total{severity="SEV1"}`] == 1
	})

	m = scrape(t, s.url)
	for series, want := range map[string]float64{
		`muster_incidents_declared_total{severity="SEV1"}`:                  1,
		`muster_incidents_resolved_total{severity="SEV1"}`:                  1,
		`muster_incidents_open{severity="SEV1",status="investigating"}`:     0,
		`muster_reminders_sent_total{kind="update",severity="SEV1"}`:        1,
		`muster_status_updates_total{severity="SEV1",timeliness="late"}`:    1,
		`muster_time_to_acknowledge_seconds_count{severity="SEV1"}`:         1,
		`muster_time_to_mitigate_seconds_count{severity="SEV1"}`:            1,
		`muster_time_to_resolve_seconds_count{severity="SEV1"}`:             1,
		`muster_time_to_resolve_seconds_sum{severity="SEV1"}`:               60 * 60,
		`muster_time_to_resolve_seconds_bucket{severity="SEV1",le="1800"}`:  0,
		`muster_time_to_resolve_seconds_bucket{severity="SEV1",le="3600"}`:  1,
		`muster_requests_total{code="200",kind="command",platform="slack"}`: 3,
	} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("after the resolve: %s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	if n := m[`muster_platform_calls_total{method="chat.postMessage",platform="slack",result="rate_limited"}`]; n != 1 {
		t.Errorf("rate-limited chat.postMessage calls = %v, want 1", n)
	}
	if n := m[`muster_platform_calls_total{method="chat.postMessage",platform="slack",result="ok"}`]; n < 3 {
		t.Errorf("chat.postMessage calls ok = %v, want the header, the announcement, the reminder, the update…", n)
	}
}

// TestMetricsRejectedRequests: a request with a bad signature is counted
// with its status.
func TestMetricsRejectedRequests(t *testing.T) {
	fake := newFakeSlack(t)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret}
	s := startSlackApp(t, fake, env, "")
	if r := s.unsignedPost("/slack/events", "application/json", []byte(`{"type":"event_callback"}`), nil); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned event: HTTP %d, want 401", r.StatusCode)
	}
	if n := scrape(t, s.url)[`muster_requests_total{code="401",kind="event",platform="slack"}`]; n != 1 {
		t.Errorf("rejected events counted %v times, want 1", n)
	}
}
