// Package fakepagerduty is an httptest fake of the PagerDuty calls muster
// makes: the Events API v2 (POST /v2/enqueue, trigger and resolve) and the
// REST API's GET /oncalls. It validates events as PagerDuty documents
// them (400 with "invalid event" and an errors list), deduplicates
// triggers by dedup key into incidents, checks routing keys and the REST
// token, serves configured on-calls, records every call, and can be told
// to fail. It also builds and sends signed v3 webhooks.
package fakepagerduty

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// Event is one event the fake accepted or refused.
type Event struct {
	RoutingKey string
	Action     string // trigger, acknowledge, resolve
	DedupKey   string
	Summary    string
	Source     string
	Severity   string
	Details    map[string]any
	Links      []Link
	Raw        json.RawMessage // the body as sent
	Code       int             // the status the fake answered
}

// Link is an event's link.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// Incident is what the events with one dedup key made.
type Incident struct {
	DedupKey   string
	RoutingKey string
	Summary    string
	Status     string // triggered, acknowledged, resolved
	Triggers   int    // triggers folded into it
}

// User is a person on call.
type User struct {
	ID, Name, Email string
	Level           int // escalation level, 1 when 0
}

// Call is one request the fake answered.
type Call struct {
	Method, Path string
	Query        string
	Code         int
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	URL       string // the REST API's base URL
	EventsURL string // the Events API's enqueue URL: URL + "/v2/enqueue"
	Token     string // the REST API token it takes

	mu        sync.Mutex
	keys      map[string]bool // routing keys it takes; empty: any well-formed
	events    []Event
	incidents []*Incident
	oncalls   map[string][]User // escalation policy id → users
	calls     []Call
	fails     []failure
	down      int
}

type failure struct {
	code       int
	retryAfter int
}

// New starts a fake taking the REST token apiToken and, for events, the
// routingKeys (any 32-character key when none), closed when the test ends.
func New(tb testing.TB, apiToken string, routingKeys ...string) *Server {
	tb.Helper()
	s := &Server{Token: apiToken, keys: map[string]bool{}, oncalls: map[string][]User{}}
	for _, k := range routingKeys {
		s.keys[k] = true
	}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(srv.Close)
	s.URL = srv.URL
	s.EventsURL = srv.URL + "/v2/enqueue"
	return s
}

// OnCall makes users the people on call for the escalation policy.
func (s *Server) OnCall(policy string, users ...User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oncalls[policy] = slices.Clone(users)
}

// Fail has the next n calls answer code (429, 500, …); retryAfter > 0
// adds a Retry-After header of that many seconds. Failures queue.
func (s *Server) Fail(n, code, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.fails = append(s.fails, failure{code, retryAfter})
	}
}

// Down has every call answer code (503, say) until Down(0).
func (s *Server) Down(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = code
}

// Events returns the events received, accepted or refused, oldest first.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

// Accepted returns the events answered 202, oldest first.
func (s *Server) Accepted() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Event
	for _, e := range s.events {
		if e.Code == http.StatusAccepted {
			out = append(out, e)
		}
	}
	return out
}

// Incidents returns copies of the incidents the events made, oldest first.
func (s *Server) Incidents() []Incident {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Incident, len(s.incidents))
	for i, inc := range s.incidents {
		out[i] = *inc
	}
	return out
}

// Calls returns the requests answered so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	code := s.answer(w, r)
	s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Code: code})
}

func writeJSON(w http.ResponseWriter, code int, v any) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
	return code
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request) int {
	events := r.URL.Path == "/v2/enqueue"
	failed := s.down
	retryAfter := 0
	if failed == 0 && len(s.fails) > 0 {
		failed, retryAfter = s.fails[0].code, s.fails[0].retryAfter
		s.fails = s.fails[1:]
	}
	if failed != 0 {
		if retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		}
		if events {
			status := "unavailable"
			if failed == http.StatusTooManyRequests {
				status = "throttle event"
			}
			code := writeJSON(w, failed, map[string]string{"status": status, "message": http.StatusText(failed)})
			s.recordRefused(r, code)
			return code
		}
		return restError(w, failed, http.StatusText(failed))
	}
	switch {
	case events && r.Method == http.MethodPost:
		return s.enqueue(w, r)
	case r.URL.Path == "/oncalls" && r.Method == http.MethodGet:
		return s.listOnCalls(w, r)
	default:
		return restError(w, http.StatusNotFound, r.Method+" "+r.URL.Path+" is not served")
	}
}

// recordRefused keeps an event the fake refused before reading it.
func (s *Server) recordRefused(r *http.Request, code int) {
	ev, _ := readEvent(r)
	ev.Code = code
	s.events = append(s.events, ev)
}

type body struct {
	RoutingKey string `json:"routing_key"`
	Action     string `json:"event_action"`
	DedupKey   string `json:"dedup_key"`
	Links      []Link `json:"links"`
	Payload    *struct {
		Summary  string         `json:"summary"`
		Source   string         `json:"source"`
		Severity string         `json:"severity"`
		Details  map[string]any `json:"custom_details"`
	} `json:"payload"`
}

func readEvent(r *http.Request) (Event, error) {
	var raw json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		return Event{}, err
	}
	var b body
	if err := json.Unmarshal(raw, &b); err != nil {
		return Event{Raw: raw}, err
	}
	ev := Event{RoutingKey: b.RoutingKey, Action: b.Action, DedupKey: b.DedupKey, Links: b.Links, Raw: raw}
	if p := b.Payload; p != nil {
		ev.Summary, ev.Source, ev.Severity, ev.Details = p.Summary, p.Source, p.Severity, p.Details
	}
	return ev, nil
}

var severities = []string{"critical", "error", "warning", "info"}

// invalid lists what PagerDuty would refuse in ev, in its words.
func (s *Server) invalid(ev Event, hasPayload bool) []string {
	var errs []string
	switch {
	case len(ev.RoutingKey) != 32:
		errs = append(errs, "Length of 'routing_key' is incorrect (should be 32 characters)")
	case len(s.keys) > 0 && !s.keys[ev.RoutingKey]:
		errs = append(errs, "Invalid routing key")
	}
	switch ev.Action {
	case "trigger":
		if !hasPayload {
			errs = append(errs, "'payload' is missing or blank")
			break
		}
		if strings.TrimSpace(ev.Summary) == "" {
			errs = append(errs, "'payload.summary' is missing or blank")
		} else if utf8.RuneCountInString(ev.Summary) > 1024 {
			errs = append(errs, "'payload.summary' is too long (maximum is 1024 characters)")
		}
		if strings.TrimSpace(ev.Source) == "" {
			errs = append(errs, "'payload.source' is missing or blank")
		}
		if !slices.Contains(severities, ev.Severity) {
			errs = append(errs, "'payload.severity' must be one of critical, error, warning, info")
		}
	case "acknowledge", "resolve":
		if ev.DedupKey == "" {
			errs = append(errs, "'dedup_key' is missing or blank")
		}
	default:
		errs = append(errs, "'event_action' is invalid (must be one of trigger, acknowledge, resolve)")
	}
	if len(ev.DedupKey) > 255 {
		errs = append(errs, "'dedup_key' is too long (maximum is 255 characters)")
	}
	for _, l := range ev.Links {
		if l.Href == "" {
			errs = append(errs, "'links.href' is missing or blank")
		}
	}
	return errs
}

func (s *Server) enqueue(w http.ResponseWriter, r *http.Request) int {
	ev, err := readEvent(r)
	if err != nil {
		ev.Code = writeJSON(w, http.StatusBadRequest, map[string]any{
			"status": "invalid event", "message": "Event object is invalid", "errors": []string{"Invalid JSON: " + err.Error()},
		})
		s.events = append(s.events, ev)
		return ev.Code
	}
	var probe struct {
		Payload json.RawMessage `json:"payload"`
	}
	_ = json.Unmarshal(ev.Raw, &probe)
	hasPayload := len(probe.Payload) > 0 && string(probe.Payload) != "null"
	if errs := s.invalid(ev, hasPayload); len(errs) > 0 {
		ev.Code = writeJSON(w, http.StatusBadRequest, map[string]any{
			"status": "invalid event", "message": "Event object is invalid", "errors": errs,
		})
		s.events = append(s.events, ev)
		return ev.Code
	}
	if ev.DedupKey == "" {
		ev.DedupKey = fmt.Sprintf("%032x", len(s.events)+1) // PagerDuty makes one up
	}
	s.apply(ev)
	ev.Code = writeJSON(w, http.StatusAccepted, map[string]string{
		"status": "success", "message": "Event processed", "dedup_key": ev.DedupKey,
	})
	s.events = append(s.events, ev)
	return ev.Code
}

// apply folds an accepted event into the incidents as PagerDuty does: a
// trigger on an open incident's key adds to it, on a resolved one opens a
// new incident; a resolve or acknowledge of no open incident does nothing.
func (s *Server) apply(ev Event) {
	var open *Incident
	for _, inc := range s.incidents {
		if inc.DedupKey == ev.DedupKey && inc.RoutingKey == ev.RoutingKey && inc.Status != "resolved" {
			open = inc
		}
	}
	switch ev.Action {
	case "trigger":
		if open == nil {
			open = &Incident{DedupKey: ev.DedupKey, RoutingKey: ev.RoutingKey, Summary: ev.Summary, Status: "triggered"}
			s.incidents = append(s.incidents, open)
		}
		open.Triggers++
	case "acknowledge":
		if open != nil {
			open.Status = "acknowledged"
		}
	case "resolve":
		if open != nil {
			open.Status = "resolved"
		}
	}
}

func restError(w http.ResponseWriter, code int, msg string) int {
	return writeJSON(w, code, map[string]any{"error": map[string]any{"message": msg, "code": 2000 + code}})
}

type userJSON struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Summary string `json:"summary"`
	Name    string `json:"name,omitempty"`
	Email   string `json:"email,omitempty"`
	Self    string `json:"self"`
	HTMLURL string `json:"html_url"`
}

func (s *Server) listOnCalls(w http.ResponseWriter, r *http.Request) int {
	if r.Header.Get("Authorization") != "Token token="+s.Token {
		return restError(w, http.StatusUnauthorized, "Unauthorized")
	}
	q := r.URL.Query()
	policies := q["escalation_policy_ids[]"]
	full := slices.Contains(q["include[]"], "users")
	limit, offset := 25, 0
	if v, err := strconv.Atoi(q.Get("limit")); err == nil && v > 0 {
		limit = min(v, 100)
	}
	if v, err := strconv.Atoi(q.Get("offset")); err == nil && v >= 0 {
		offset = v
	}
	type entry struct {
		EscalationPolicy map[string]string `json:"escalation_policy"`
		EscalationLevel  int               `json:"escalation_level"`
		User             userJSON          `json:"user"`
		Start            *string           `json:"start"`
		End              *string           `json:"end"`
	}
	var all []entry
	for _, p := range policies {
		for _, u := range s.oncalls[p] {
			level := max(u.Level, 1)
			uj := userJSON{ID: u.ID, Type: "user_reference", Summary: u.Name,
				Self: s.URL + "/users/" + u.ID, HTMLURL: "https://acme.pagerduty.com/users/" + u.ID}
			if full {
				// include[]=users turns the reference into the whole user.
				uj.Type, uj.Name, uj.Email = "user", u.Name, u.Email
			}
			all = append(all, entry{
				EscalationPolicy: map[string]string{"id": p, "type": "escalation_policy_reference", "summary": p},
				EscalationLevel:  level, User: uj,
			})
		}
	}
	page := all[min(offset, len(all)):min(offset+limit, len(all))]
	return writeJSON(w, http.StatusOK, map[string]any{
		"oncalls": page, "limit": limit, "offset": offset, "more": offset+limit < len(all), "total": nil,
	})
}
