// Package fakegithub is an httptest fake of the GitHub REST API calls
// muster makes for issues: list a repository's issues by label, create,
// read and edit an issue, and search users by e-mail. It checks the
// bearer token and the repository, validates creates as GitHub documents
// them (422 "Validation Failed" with an errors list; labels a repository
// lacks are created), sends the rate-limit headers, records every call,
// and can be told to fail, to hit the rate limit, to go down, or to lose
// the answer of a create it made. It also builds and sends signed
// webhooks (webhook.go).
package fakegithub

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// User is a GitHub account.
type User struct {
	Login string
	ID    int64
	// Email is found by the user search only when Public.
	Email  string
	Public bool
	// Collaborator: may be assigned issues of the repository.
	Collaborator bool
}

// Issue is an issue the fake keeps.
type Issue struct {
	ID          int64
	Number      int
	Title, Body string
	Labels      []string
	Assignees   []string
	State       string // open, closed
	StateReason string // completed, not_planned, reopened, ""
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ClosedAt    time.Time
}

// Call is one request the fake answered.
type Call struct {
	Method, Path, Query string
	Body                []byte
	Code                int
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	URL   string // the API's root
	Token string
	Repo  string // owner/name

	mu      sync.Mutex
	now     func() time.Time
	issues  []*Issue
	users   []User
	calls   []Call
	fails   []failure
	down    int
	drop    int
	limited int // the next calls answer 403 with X-RateLimit-Remaining: 0
}

type failure struct{ code, retryAfter int }

// New starts a fake serving the repository owner/name to token, closed
// when the test ends. now stamps issues and rate-limit resets; nil is
// time.Now.
func New(tb testing.TB, token, repo string, now func() time.Time) *Server {
	tb.Helper()
	if now == nil {
		now = time.Now
	}
	s := &Server{Token: token, Repo: repo, now: now}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// AddUser adds an account.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users = append(s.users, u)
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

// RateLimit has the next n calls answer as an exhausted primary rate
// limit does: 403, X-RateLimit-Remaining: 0, the reset a minute ahead.
func (s *Server) RateLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limited = n
}

// Down has every call answer code (503, say) until Down(0).
func (s *Server) Down(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = code
}

// DropCreateAnswers has the next n creates make their issue and then
// close the connection without answering.
func (s *Server) DropCreateAnswers(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop = n
}

// SetState closes ("closed") or reopens ("open") the issue as a person
// would.
func (s *Server) SetState(number int, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if is := s.find(number); is != nil {
		s.setState(is, state, "")
	}
}

// Issues returns copies of the issues, oldest first.
func (s *Server) Issues() []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Issue, len(s.issues))
	for i, is := range s.issues {
		out[i] = *is
		out[i].Labels, out[i].Assignees = slices.Clone(is.Labels), slices.Clone(is.Assignees)
	}
	return out
}

// Calls returns the requests answered so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func (s *Server) find(number int) *Issue {
	for _, is := range s.issues {
		if is.Number == number {
			return is
		}
	}
	return nil
}

func (s *Server) setState(is *Issue, state, reason string) {
	now := s.now()
	is.UpdatedAt = now
	switch state {
	case "closed":
		if is.State != "closed" {
			is.ClosedAt = now
		}
		if reason == "" {
			reason = "completed"
		}
	case "open":
		is.ClosedAt = time.Time{}
		if is.State == "closed" {
			reason = "reopened"
		}
	}
	is.State, is.StateReason = state, reason
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	defer s.mu.Unlock()
	code := s.answer(w, r, body)
	s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body, Code: code})
}

const docs = "https://docs.github.com/rest"

func writeJSON(w http.ResponseWriter, code int, v any) int {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
	return code
}

func ghError(w http.ResponseWriter, code int, msg string, errs ...map[string]any) int {
	body := map[string]any{"message": msg, "documentation_url": docs, "status": strconv.Itoa(code)}
	if len(errs) > 0 {
		body["errors"] = errs
	}
	return writeJSON(w, code, body)
}

var (
	issuesPath = regexp.MustCompile(`^/repos/([^/]+/[^/]+)/issues$`)
	issuePath  = regexp.MustCompile(`^/repos/([^/]+/[^/]+)/issues/(\d+)$`)
)

func (s *Server) answer(w http.ResponseWriter, r *http.Request, body []byte) int {
	reset := s.now().Add(time.Minute).Unix()
	h := w.Header()
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
	h.Set("X-RateLimit-Resource", "core")
	h.Set("X-GitHub-Api-Version-Selected", "2022-11-28")
	if s.limited > 0 {
		s.limited--
		h.Set("X-RateLimit-Remaining", "0")
		return ghError(w, http.StatusForbidden, "API rate limit exceeded for user ID 1.")
	}
	h.Set("X-RateLimit-Remaining", "4999")
	failed, retryAfter := s.down, 0
	if failed == 0 && len(s.fails) > 0 {
		failed, retryAfter = s.fails[0].code, s.fails[0].retryAfter
		s.fails = s.fails[1:]
	}
	if failed != 0 {
		if retryAfter > 0 {
			h.Set("Retry-After", strconv.Itoa(retryAfter))
		}
		return ghError(w, failed, http.StatusText(failed))
	}
	if r.Header.Get("Authorization") != "Bearer "+s.Token {
		return ghError(w, http.StatusUnauthorized, "Bad credentials")
	}
	p := r.URL.Path
	if p == "/search/users" && r.Method == http.MethodGet {
		return s.searchUsers(w, r)
	}
	if m := issuesPath.FindStringSubmatch(p); m != nil && m[1] == s.Repo {
		switch r.Method {
		case http.MethodGet:
			return s.list(w, r)
		case http.MethodPost:
			return s.create(w, body)
		}
	}
	if m := issuePath.FindStringSubmatch(p); m != nil && m[1] == s.Repo {
		n, _ := strconv.Atoi(m[2])
		is := s.find(n)
		if is == nil {
			return ghError(w, http.StatusNotFound, "Not Found")
		}
		switch r.Method {
		case http.MethodGet:
			return writeJSON(w, http.StatusOK, s.IssueJSON(is))
		case http.MethodPatch:
			return s.edit(w, is, body)
		}
	}
	return ghError(w, http.StatusNotFound, "Not Found")
}

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

// IssueJSON is the issue as the REST API and webhooks show it.
func (s *Server) IssueJSON(is *Issue) map[string]any {
	api := s.URL + "/repos/" + s.Repo + "/issues/" + strconv.Itoa(is.Number)
	labels := []map[string]any{}
	for i, l := range is.Labels {
		labels = append(labels, map[string]any{"id": 208045946 + i, "name": l, "color": "ededed", "default": false,
			"url": s.URL + "/repos/" + s.Repo + "/labels/" + l})
	}
	assignees := []map[string]any{}
	for _, a := range is.Assignees {
		assignees = append(assignees, s.userJSON(a))
	}
	var assignee any
	if len(assignees) > 0 {
		assignee = assignees[0]
	}
	var reason any
	if is.StateReason != "" {
		reason = is.StateReason
	}
	return map[string]any{
		"id": is.ID, "node_id": fmt.Sprintf("I_kwDO%d", is.ID), "url": api,
		"repository_url": s.URL + "/repos/" + s.Repo,
		"html_url":       "https://github.com/" + s.Repo + "/issues/" + strconv.Itoa(is.Number),
		"number":         is.Number, "state": is.State, "state_reason": reason, "title": is.Title, "body": is.Body,
		"user": s.userJSON("muster-bot"), "labels": labels, "assignee": assignee, "assignees": assignees,
		"milestone": nil, "locked": false, "comments": 0,
		"created_at": ts(is.CreatedAt), "updated_at": ts(is.UpdatedAt), "closed_at": ts(is.ClosedAt),
		"author_association": "NONE",
	}
}

func (s *Server) userJSON(login string) map[string]any {
	id := int64(1)
	for _, u := range s.users {
		if u.Login == login {
			id = u.ID
		}
	}
	return map[string]any{"login": login, "id": id, "type": "User", "site_admin": false,
		"url": s.URL + "/users/" + login, "html_url": "https://github.com/" + login}
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) int {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var want []string
	if l := q.Get("labels"); l != "" {
		want = strings.Split(l, ",")
	}
	per := 30
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		per = min(v, 100)
	}
	var match []*Issue
	for _, is := range s.issues {
		if (state == "all" || is.State == state) && !slices.ContainsFunc(want, func(l string) bool { return !slices.Contains(is.Labels, l) }) {
			match = append(match, is)
		}
	}
	if q.Get("direction") != "asc" { // GitHub lists newest first by default
		slices.Reverse(match)
	}
	out := []map[string]any{}
	for _, is := range match[:min(per, len(match))] {
		out = append(out, s.IssueJSON(is))
	}
	return writeJSON(w, http.StatusOK, out)
}

type issueBody struct {
	Title       *string   `json:"title"`
	Body        *string   `json:"body"`
	Labels      *[]string `json:"labels"`
	Assignees   *[]string `json:"assignees"`
	State       *string   `json:"state"`
	StateReason *string   `json:"state_reason"`
}

func (s *Server) create(w http.ResponseWriter, body []byte) int {
	var b issueBody
	if err := json.Unmarshal(body, &b); err != nil {
		return ghError(w, http.StatusBadRequest, "Problems parsing JSON")
	}
	switch {
	case b.Title == nil || strings.TrimSpace(*b.Title) == "":
		return ghError(w, http.StatusUnprocessableEntity, "Validation Failed",
			map[string]any{"resource": "Issue", "code": "missing_field", "field": "title"})
	case utf8.RuneCountInString(*b.Title) > 256:
		return ghError(w, http.StatusUnprocessableEntity, "Validation Failed",
			map[string]any{"resource": "Issue", "code": "custom", "field": "title", "message": "title is too long (maximum is 256 characters)"})
	}
	is := &Issue{Title: *b.Title, State: "open", CreatedAt: s.now(), UpdatedAt: s.now()}
	if b.Body != nil {
		is.Body = *b.Body
	}
	if b.Labels != nil {
		for _, l := range *b.Labels {
			if l != "" && !slices.Contains(is.Labels, l) {
				is.Labels = append(is.Labels, l)
			}
		}
	}
	if b.Assignees != nil {
		for _, a := range *b.Assignees {
			i := slices.IndexFunc(s.users, func(u User) bool { return u.Login == a })
			if i < 0 || !s.users[i].Collaborator {
				return ghError(w, http.StatusUnprocessableEntity, "Validation Failed",
					map[string]any{"value": a, "resource": "Issue", "field": "assignees", "code": "invalid"})
			}
			is.Assignees = append(is.Assignees, a)
		}
	}
	n := len(s.issues) + 1
	is.Number, is.ID = n, int64(1000000+n)
	s.issues = append(s.issues, is)
	if s.drop > 0 {
		s.drop--
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return 0
			}
		}
		panic(http.ErrAbortHandler)
	}
	w.Header().Set("Location", s.URL+"/repos/"+s.Repo+"/issues/"+strconv.Itoa(n))
	return writeJSON(w, http.StatusCreated, s.IssueJSON(is))
}

func (s *Server) edit(w http.ResponseWriter, is *Issue, body []byte) int {
	var b issueBody
	if err := json.Unmarshal(body, &b); err != nil {
		return ghError(w, http.StatusBadRequest, "Problems parsing JSON")
	}
	if b.State != nil {
		if *b.State != "open" && *b.State != "closed" {
			return ghError(w, http.StatusUnprocessableEntity, "Validation Failed",
				map[string]any{"resource": "Issue", "code": "invalid", "field": "state"})
		}
		reason := ""
		if b.StateReason != nil {
			reason = *b.StateReason
		}
		s.setState(is, *b.State, reason)
	}
	if b.Title != nil {
		is.Title = *b.Title
	}
	return writeJSON(w, http.StatusOK, s.IssueJSON(is))
}

func (s *Server) searchUsers(w http.ResponseWriter, r *http.Request) int {
	q := r.URL.Query().Get("q")
	email, ok := strings.CutSuffix(q, " in:email")
	if !ok || email == "" {
		return ghError(w, http.StatusUnprocessableEntity, "Validation Failed",
			map[string]any{"resource": "Search", "field": "q", "code": "invalid", "message": "the fake understands only <email> in:email"})
	}
	items := []map[string]any{}
	for _, u := range s.users {
		if u.Public && strings.EqualFold(u.Email, email) {
			j := s.userJSON(u.Login)
			j["score"] = 1.0
			items = append(items, j)
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"total_count": len(items), "incomplete_results": false, "items": items})
}
