// Package fakestatuspage is an httptest fake of the Atlassian Statuspage
// REST API v1, the calls muster makes: create and update an incident of a
// page. It checks the page and the API key, records the incidents and the
// components' states, and can be told to fail the next calls.
package fakestatuspage

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
)

// Incident is an incident as the fake holds it.
type Incident struct {
	ID      string
	Name    string
	Status  string
	Updates []Update // oldest first; the create's body is the first
}

// Update is one incident update: a body posted with a status.
type Update struct {
	Status string
	Body   string
}

// Call is one request the fake answered.
type Call struct {
	Method, Path string
	Code         int
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	URL    string
	PageID string
	APIKey string

	mu         sync.Mutex
	incidents  []*Incident
	components map[string]string // id → state
	known      map[string]bool   // component ids the page has; nil: any
	calls      []Call
	fails      []failure
	down       int // every call answers it while not 0
}

type failure struct {
	code       int
	retryAfter int
}

// New starts a fake for page pageID taking apiKey, closed when the test ends.
func New(tb testing.TB, pageID, apiKey string) *Server {
	tb.Helper()
	s := &Server{PageID: pageID, APIKey: apiKey, components: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Components makes ids the page's only components: others are refused
// with 422, as Statuspage refuses an unknown component.
func (s *Server) Components(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.known = map[string]bool{}
	for _, id := range ids {
		s.known[id] = true
	}
}

// Fail has the next call answer code (500, 401, …); retryAfter > 0 adds
// a Retry-After header of that many seconds (for 429). Calls queue.
func (s *Server) Fail(code, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails = append(s.fails, failure{code, retryAfter})
}

// Down has every call answer code (503, say) until Down(0).
func (s *Server) Down(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = code
}

// Incidents returns copies of the incidents, oldest first.
func (s *Server) Incidents() []Incident {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Incident, len(s.incidents))
	for i, inc := range s.incidents {
		out[i] = *inc
		out[i].Updates = slices.Clone(inc.Updates)
	}
	return out
}

// ComponentState returns a component's state ("" when never set).
func (s *Server) ComponentState(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.components[id]
}

// Calls returns the requests answered so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

type body struct {
	Incident struct {
		Name         string            `json:"name"`
		Status       string            `json:"status"`
		Body         string            `json:"body"`
		Components   map[string]string `json:"components"`
		ComponentIDs []string          `json:"component_ids"`
	} `json:"incident"`
}

var (
	statuses = []string{"investigating", "identified", "monitoring", "resolved"}
	states   = []string{"operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"}
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	code := s.answer(w, r)
	s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Code: code})
}

func fail(w http.ResponseWriter, code int, msg string) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
	return code
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request) int {
	if s.down != 0 {
		return fail(w, s.down, http.StatusText(s.down))
	}
	if len(s.fails) > 0 {
		f := s.fails[0]
		s.fails = s.fails[1:]
		if f.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
		}
		return fail(w, f.code, http.StatusText(f.code))
	}
	if r.Header.Get("Authorization") != "OAuth "+s.APIKey {
		return fail(w, http.StatusUnauthorized, "Could not authenticate")
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/pages/"+s.PageID+"/incidents")
	if !ok {
		return fail(w, http.StatusNotFound, "The requested resource could not be found.")
	}
	var b body
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		return fail(w, http.StatusBadRequest, "the body is not JSON: "+err.Error())
	}
	in := b.Incident
	if in.Status != "" && !slices.Contains(statuses, in.Status) {
		return fail(w, http.StatusUnprocessableEntity, "status is not included in the list")
	}
	for id, st := range in.Components {
		if !slices.Contains(states, st) {
			return fail(w, http.StatusUnprocessableEntity, fmt.Sprintf("component %s: status %q is not included in the list", id, st))
		}
		if s.known != nil && !s.known[id] {
			return fail(w, http.StatusUnprocessableEntity, "component "+id+" not found")
		}
	}
	var inc *Incident
	switch {
	case r.Method == http.MethodPost && rest == "":
		if in.Name == "" {
			return fail(w, http.StatusUnprocessableEntity, "name can't be blank")
		}
		inc = &Incident{ID: fmt.Sprintf("sp%04d", len(s.incidents)+1), Name: in.Name, Status: cmp(in.Status, "investigating")}
		s.incidents = append(s.incidents, inc)
	case (r.Method == http.MethodPatch || r.Method == http.MethodPut) && strings.HasPrefix(rest, "/"):
		for _, i := range s.incidents {
			if i.ID == rest[1:] {
				inc = i
			}
		}
		if inc == nil {
			return fail(w, http.StatusNotFound, "The requested resource could not be found.")
		}
		if in.Name != "" {
			inc.Name = in.Name
		}
		inc.Status = cmp(in.Status, inc.Status)
	default:
		return fail(w, http.StatusMethodNotAllowed, r.Method+" "+r.URL.Path+" is not served")
	}
	if in.Body != "" {
		inc.Updates = append(inc.Updates, Update{Status: inc.Status, Body: in.Body})
	}
	for id, st := range in.Components {
		s.components[id] = st
	}
	w.Header().Set("Content-Type", "application/json")
	code := http.StatusOK
	if r.Method == http.MethodPost {
		code = http.StatusCreated
	}
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"id": inc.ID, "name": inc.Name, "status": inc.Status, "page_id": s.PageID})
	return code
}

func cmp(v, or string) string {
	if v == "" {
		return or
	}
	return v
}
