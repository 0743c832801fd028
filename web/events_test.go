package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/web"
)

// sseEvent is one server-sent event as read off the wire.
type sseEvent struct{ ID, Event, Data string }

// stream opens path as an event stream; the returned function reads the
// next event, or fails the test when the stream ends or stalls.
func (s *site) stream(ctx context.Context, path string, header http.Header) (*http.Response, func() (sseEvent, bool)) {
	s.t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.srv.URL+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { res.Body.Close() })
	lines := bufio.NewScanner(res.Body)
	next := func() (sseEvent, bool) {
		var ev sseEvent
		for lines.Scan() {
			line := lines.Text()
			switch {
			case line == "":
				if ev.Event != "" {
					return ev, true
				}
			case strings.HasPrefix(line, "id: "):
				ev.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.Event = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.Data = line[6:]
			}
		}
		return ev, false
	}
	return res, next
}

// TestLiveEvents: the incident's stream sends the entries after the page's
// last one, then each new one as it is stored, the incident's state when
// it changes, and ends when the incident is resolved.
func TestLiveEvents(t *testing.T) {
	s := newSiteWith(t, web.Config{LivePoll: 10 * time.Millisecond})
	id := s.declare("Checkout is failing", "SEV1", false, t0)
	s.say(id, "first look", t0.Add(time.Minute)) // entry 2
	s.say(id, "error rate <b>40%</b>", t0.Add(2*time.Minute))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, next := s.stream(ctx, fmt.Sprintf("/incidents/%d/events?after=2", id), nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	ev, ok := next()
	var e struct {
		Seq              int
		Kind, Text, When string
		Actor            string
	}
	if !ok || ev.Event != "entry" || ev.ID != "3" || json.Unmarshal([]byte(ev.Data), &e) != nil || e.Text != "error rate <b>40%</b>" || e.Actor != "@U_bob" || !strings.HasSuffix(e.When, "UTC") {
		t.Fatalf("first event = %+v (%v), want entry 3 after ?after=2", ev, ok)
	}
	if ev, ok = next(); !ok || ev.Event != "incident" || !strings.Contains(ev.Data, `"status":"investigating"`) || !strings.Contains(ev.Data, `"sevclass":"sev1"`) {
		t.Fatalf("second event = %+v, want the incident's state", ev)
	}

	s.say(id, "rolled back", t0.Add(3*time.Minute))
	if ev, ok = next(); !ok || ev.Event != "entry" || ev.ID != "4" || !strings.Contains(ev.Data, "rolled back") {
		t.Fatalf("after a new message: %+v, want entry 4", ev)
	}
	s.update(id, func(inc *muster.Incident) ([]muster.Entry, error) {
		inc.Severity = "SEV2"
		return nil, nil
	})
	if ev, ok = next(); !ok || ev.Event != "incident" || !strings.Contains(ev.Data, `"severity":"SEV2"`) {
		t.Fatalf("after a severity change: %+v, want the new state", ev)
	}
	s.resolve(id, t0.Add(time.Hour))
	var events []string
	for ev, ok = next(); ok; ev, ok = next() {
		events = append(events, ev.Event)
	}
	if len(events) == 0 || events[len(events)-1] != "end" {
		t.Errorf("after resolving, events %v, want the stream to end with an end event", events)
	}
	if ctx.Err() != nil {
		t.Error("the stream of a resolved incident did not end by itself")
	}
}

// TestLiveEventsResume: a reconnecting EventSource's Last-Event-ID wins
// over the page's ?after=.
func TestLiveEventsResume(t *testing.T) {
	s := newSiteWith(t, web.Config{LivePoll: 10 * time.Millisecond})
	id := s.declare("Search is slow", "SEV2", false, t0)
	for i := range 4 {
		s.say(id, fmt.Sprintf("message %d", i+2), t0.Add(time.Duration(i)*time.Minute))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, next := s.stream(ctx, fmt.Sprintf("/incidents/%d/events?after=1", id), http.Header{"Last-Event-Id": {"4"}})
	if ev, ok := next(); !ok || ev.ID != "5" || !strings.Contains(ev.Data, "message 5") {
		t.Errorf("resumed at Last-Event-ID 4: first event %+v, want entry 5", ev)
	}
}

// TestLiveEventsLifetime: one stream lasts LiveFor, then ends, and the
// browser reconnects.
func TestLiveEventsLifetime(t *testing.T) {
	s := newSiteWith(t, web.Config{LivePoll: 10 * time.Millisecond, LiveFor: 50 * time.Millisecond})
	id := s.declare("Search is slow", "SEV2", false, t0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, next := s.stream(ctx, fmt.Sprintf("/incidents/%d/events", id), nil)
	for _, ok := next(); ok; _, ok = next() {
	}
	if ctx.Err() != nil {
		t.Error("the stream outlived its lifetime")
	}
}

// TestLiveEventsRefused: a private incident's stream answers exactly as a
// missing one's; a resolved incident's answers 204, which stops the
// browser's reconnecting; a bad Last-Event-ID is named.
func TestLiveEventsRefused(t *testing.T) {
	s := newSite(t)
	secret := s.declare("Leaked payroll", "SEV1", true, t0)
	done := s.declare("Old outage", "SEV3", false, t0)
	s.resolve(done, t0.Add(time.Hour))
	open := s.declare("Ongoing", "SEV3", false, t0)

	missingCode, missingBody, _ := s.get("/incidents/999/events", "")
	code, body, _ := s.get(fmt.Sprintf("/incidents/%d/events", secret), "")
	if code != http.StatusNotFound || code != missingCode || strings.ReplaceAll(body, fmt.Sprint(secret), "N") != strings.ReplaceAll(missingBody, "999", "N") {
		t.Errorf("private incident's events: %d %q; missing: %d %q", code, body, missingCode, missingBody)
	}
	mustNotContain(t, "the private incident's events", body, "Leaked")
	if code, _, _ := s.get(fmt.Sprintf("/incidents/%d/events", done), ""); code != http.StatusNoContent {
		t.Errorf("resolved incident's events: %d, want 204", code)
	}
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/incidents/%d/events", s.srv.URL, open), nil)
	req.Header.Set("Last-Event-ID", "x")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("Last-Event-ID x: %d, want 400", res.StatusCode)
	}
}

// TestLivePage: an open incident's page, on its last timeline page, loads
// the script and names its stream; a resolved one, or an earlier page of
// the timeline, is still.
func TestLivePage(t *testing.T) {
	s := newSite(t)
	open := s.declare("Ongoing", "SEV3", false, t0)
	s.say(open, "looking", t0.Add(time.Minute))
	done := s.declare("Old outage", "SEV3", false, t0)
	s.resolve(done, t0.Add(time.Hour))
	long := s.declare("Long one", "SEV3", false, t0)
	for i := range 150 {
		s.say(long, fmt.Sprintf("m%d", i), t0.Add(time.Duration(i)*time.Second))
	}

	_, body, _ := s.get(fmt.Sprintf("/incidents/%d", open), "")
	mustContain(t, "an open incident's page", body, `<script src="/static/live.js" defer></script>`, fmt.Sprintf(`data-live="/incidents/%d/events?after=2"`, open))
	_, body, _ = s.get(fmt.Sprintf("/incidents/%d", done), "")
	mustNotContain(t, "a resolved incident's page", body, "live.js", "data-live")
	_, body, _ = s.get(fmt.Sprintf("/incidents/%d", long), "")
	mustNotContain(t, "the first of two timeline pages", body, "live.js", "data-live")
	_, body, _ = s.get(fmt.Sprintf("/incidents/%d?after=100", long), "")
	mustContain(t, "the last timeline page", body, fmt.Sprintf(`data-live="/incidents/%d/events?after=151"`, long))
}
