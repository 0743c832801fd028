// Package fakeopsgenie is an httptest fake of the Opsgenie calls muster
// makes: create an alert (POST /v2/alerts), close it by alias (POST
// /v2/alerts/<alias>/close?identifierType=alias) and a schedule's on-calls
// (GET /v2/schedules/<name>/on-calls?scheduleIdentifierType=name&flat=true).
// It checks the GenieKey, validates alerts as Opsgenie documents them
// (422 with a message), folds an alert into an open one with the same
// alias, answers 202 with a requestId, serves configured on-calls, records
// every call, and can be told to fail.
package fakeopsgenie

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// Alert is an alert as the fake holds it.
type Alert struct {
	Alias       string
	Message     string
	Description string
	Priority    string
	Source      string
	Responders  []Responder
	Details     map[string]string
	Status      string // open, closed
	Count       int    // creates folded into it
	CloseNote   string
}

// Responder is an alert's responder.
type Responder struct {
	Type string `json:"type"`
	Name string `json:"name"`
	ID   string `json:"id"`
}

// Request is one alert request the fake took or refused.
type Request struct {
	Action    string // create, close
	Alias     string
	Raw       json.RawMessage // the body as sent
	Code      int
	RequestID string
}

// Call is one request the fake answered.
type Call struct {
	Method, Path string
	Query        string
	Code         int
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	URL    string
	APIKey string

	mu       sync.Mutex
	alerts   []*Alert
	requests []Request
	oncalls  map[string][]string // schedule name → usernames
	calls    []Call
	fails    []failure
	down     int
	seq      int
}

type failure struct {
	code       int
	retryAfter int
}

// New starts a fake taking apiKey, closed when the test ends.
func New(tb testing.TB, apiKey string) *Server {
	tb.Helper()
	s := &Server{APIKey: apiKey, oncalls: map[string][]string{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// OnCall makes the usernames (e-mails) the on-call of the schedule.
func (s *Server) OnCall(schedule string, usernames ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oncalls[schedule] = slices.Clone(usernames)
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

// Alerts returns copies of the alerts, oldest first.
func (s *Server) Alerts() []Alert {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Alert, len(s.alerts))
	for i, a := range s.alerts {
		out[i] = *a
		out[i].Responders = slices.Clone(a.Responders)
	}
	return out
}

// Requests returns the alert requests (creates and closes), oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
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

func (s *Server) nextID() string {
	s.seq++
	return fmt.Sprintf("43a29c5c-3dbf-4fa4-9c26-%012d", s.seq)
}

// refuse answers Opsgenie's error body.
func (s *Server) refuse(w http.ResponseWriter, code int, msg string) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"message": msg, "took": 0.001, "requestId": s.nextID()})
	return code
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request) int {
	failed, retryAfter := s.down, 0
	if failed == 0 && len(s.fails) > 0 {
		failed, retryAfter = s.fails[0].code, s.fails[0].retryAfter
		s.fails = s.fails[1:]
	}
	if failed != 0 {
		if retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		}
		return s.refuse(w, failed, http.StatusText(failed))
	}
	if r.Header.Get("Authorization") != "GenieKey "+s.APIKey {
		return s.refuse(w, http.StatusUnauthorized, "Could not authenticate")
	}
	path := r.URL.EscapedPath()
	switch {
	case r.Method == http.MethodPost && path == "/v2/alerts":
		return s.create(w, r)
	case r.Method == http.MethodPost && strings.HasPrefix(path, "/v2/alerts/") && strings.HasSuffix(path, "/close"):
		alias, err := url.PathUnescape(strings.TrimSuffix(strings.TrimPrefix(path, "/v2/alerts/"), "/close"))
		if err != nil {
			return s.refuse(w, http.StatusBadRequest, "invalid alert identifier")
		}
		return s.close(w, r, alias)
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/v2/schedules/") && strings.HasSuffix(path, "/on-calls"):
		name, err := url.PathUnescape(strings.TrimSuffix(strings.TrimPrefix(path, "/v2/schedules/"), "/on-calls"))
		if err != nil {
			return s.refuse(w, http.StatusBadRequest, "invalid schedule identifier")
		}
		return s.listOnCalls(w, r, name)
	default:
		return s.refuse(w, http.StatusNotFound, "Could not find the requested resource "+r.Method+" "+path)
	}
}

func (s *Server) accepted(w http.ResponseWriter, req Request) int {
	req.Code = http.StatusAccepted
	req.RequestID = s.nextID()
	s.requests = append(s.requests, req)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(map[string]any{"result": "Request will be processed", "took": 0.107, "requestId": req.RequestID})
	return req.Code
}

type createBody struct {
	Message     string            `json:"message"`
	Alias       string            `json:"alias"`
	Description string            `json:"description"`
	Responders  []Responder       `json:"responders"`
	Details     map[string]string `json:"details"`
	Source      string            `json:"source"`
	Priority    string            `json:"priority"`
}

var responderTypes = []string{"team", "user", "escalation", "schedule"}

// invalid says what Opsgenie would refuse in b, in its words.
func invalid(b createBody) string {
	switch {
	case strings.TrimSpace(b.Message) == "":
		return "Message can not be empty."
	case utf8.RuneCountInString(b.Message) > 130:
		return "Message can not be longer than 130 characters."
	case utf8.RuneCountInString(b.Alias) > 512:
		return "Alias can not be longer than 512 characters."
	case utf8.RuneCountInString(b.Description) > 15000:
		return "Description can not be longer than 15000 characters."
	case utf8.RuneCountInString(b.Source) > 100:
		return "Source can not be longer than 100 characters."
	case b.Priority != "" && !slices.Contains([]string{"P1", "P2", "P3", "P4", "P5"}, b.Priority):
		return "Priority should be one of [P1, P2, P3, P4, P5]"
	case len(b.Responders) > 50:
		return "Responders can not be more than 50."
	}
	for _, r := range b.Responders {
		if !slices.Contains(responderTypes, r.Type) {
			return "Responder type should be one of [team, user, escalation, schedule]"
		}
		if r.Name == "" && r.ID == "" {
			return "Responder should have either id or name"
		}
	}
	return ""
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) int {
	var raw json.RawMessage
	var b createBody
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil || json.Unmarshal(raw, &b) != nil {
		s.requests = append(s.requests, Request{Action: "create", Raw: raw, Code: http.StatusUnprocessableEntity})
		return s.refuse(w, http.StatusUnprocessableEntity, "Request body is not processable. Please check the errors.")
	}
	if msg := invalid(b); msg != "" {
		s.requests = append(s.requests, Request{Action: "create", Alias: b.Alias, Raw: raw, Code: http.StatusUnprocessableEntity})
		return s.refuse(w, http.StatusUnprocessableEntity, msg)
	}
	if b.Priority == "" {
		b.Priority = "P3"
	}
	var open *Alert
	for _, a := range s.alerts {
		if b.Alias != "" && a.Alias == b.Alias && a.Status == "open" {
			open = a
		}
	}
	if open == nil {
		open = &Alert{Alias: b.Alias, Message: b.Message, Description: b.Description, Priority: b.Priority,
			Source: b.Source, Responders: b.Responders, Details: b.Details, Status: "open"}
		s.alerts = append(s.alerts, open)
	}
	open.Count++
	return s.accepted(w, Request{Action: "create", Alias: b.Alias, Raw: raw})
}

func (s *Server) close(w http.ResponseWriter, r *http.Request, alias string) int {
	if t := r.URL.Query().Get("identifierType"); t != "alias" {
		// With identifierType absent Opsgenie reads the identifier as an
		// alert id; muster always closes by alias.
		return s.refuse(w, http.StatusUnprocessableEntity, fmt.Sprintf("identifierType %q: muster's fake serves close by alias only", t))
	}
	var raw json.RawMessage
	var b struct {
		Note   string `json:"note"`
		Source string `json:"source"`
	}
	if r.ContentLength != 0 {
		if err := json.NewDecoder(r.Body).Decode(&raw); err != nil || json.Unmarshal(raw, &b) != nil {
			return s.refuse(w, http.StatusUnprocessableEntity, "Request body is not processable. Please check the errors.")
		}
	}
	// Processed after the 202, as at Opsgenie: a missing alert only fails
	// the request on Opsgenie's side.
	for _, a := range s.alerts {
		if a.Alias == alias && a.Status == "open" {
			a.Status, a.CloseNote = "closed", b.Note
		}
	}
	return s.accepted(w, Request{Action: "close", Alias: alias, Raw: raw})
}

func (s *Server) listOnCalls(w http.ResponseWriter, r *http.Request, name string) int {
	q := r.URL.Query()
	if q.Get("scheduleIdentifierType") != "name" {
		return s.refuse(w, http.StatusUnprocessableEntity, "muster's fake serves schedules by name only (scheduleIdentifierType=name)")
	}
	users, ok := s.oncalls[name]
	if !ok {
		return s.refuse(w, http.StatusNotFound, fmt.Sprintf("No schedule exists with name [%s]", name))
	}
	data := map[string]any{"_parent": map[string]any{"id": "d875alp4-9b4e-4219-a803-0c26936d18de", "name": name, "enabled": true}}
	if q.Get("flat") == "true" {
		data["onCallRecipients"] = users
	} else {
		var parts []map[string]string
		for _, u := range users {
			parts = append(parts, map[string]string{"name": u, "type": "user"})
		}
		data["onCallParticipants"] = parts
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(map[string]any{"data": data, "took": 0.104, "requestId": s.nextID()})
	return http.StatusOK
}
