// Package fakejira is an httptest fake of the Jira Cloud REST API v3
// calls muster makes: create an issue, read it, search by JQL (labels =
// "…"), search users, list and perform transitions. It checks basic auth,
// validates creates as Jira documents them (400 with errorMessages and
// per-field errors), keeps the issues and a three-status workflow (To Do,
// In Progress, Done), records every call, and can be told to fail, to go
// down, or to lose the answer of a create it made. It also builds and
// sends signed webhooks (webhook.go).
package fakejira

import (
	"encoding/base64"
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

// User is a Jira account.
type User struct {
	AccountID, Email, Name string
	// Hidden: the person's privacy setting hides the e-mail from the API,
	// though a search by it still finds them.
	Hidden bool
}

// Issue is an issue the fake keeps.
type Issue struct {
	ID, Key     string
	IssueType   string
	Summary     string
	Description json.RawMessage
	DueDate     string
	Priority    string
	Labels      []string
	AssigneeID  string
	Status      string // To Do, In Progress, Done
	Resolved    time.Time
}

// Call is one request the fake answered.
type Call struct {
	Method, Path, Query string
	Body                []byte
	Code                int
}

type status struct{ id, name, category, categoryName string }

var statuses = []status{
	{"10000", "To Do", "new", "To Do"},
	{"3", "In Progress", "indeterminate", "In Progress"},
	{"10001", "Done", "done", "Done"},
}

// transitionID is the id of the transition into a status: 11, 21, 31.
func transitionID(i int) string { return strconv.Itoa(11 + 10*i) }

var (
	priorities = []string{"Highest", "High", "Medium", "Low", "Lowest"}
	issueTypes = []string{"Task", "Bug", "Story"}
)

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	URL     string // the site's base URL
	User    string
	Token   string
	Project string

	mu     sync.Mutex
	now    func() time.Time
	issues []*Issue
	users  []User
	calls  []Call
	fails  []failure
	down   int
	drop   int
	noDone bool
}

type failure struct{ code, retryAfter int }

// New starts a fake site with the project key, taking basic auth of user
// and token, closed when the test ends. now stamps resolutions; nil is
// time.Now.
func New(tb testing.TB, user, token, project string, now func() time.Time) *Server {
	tb.Helper()
	if now == nil {
		now = time.Now
	}
	s := &Server{User: user, Token: token, Project: project, now: now}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// AddUser adds an account the user search finds.
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

// Down has every call answer code (503, say) until Down(0).
func (s *Server) Down(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = code
}

// DropCreateAnswers has the next n creates make their issue and then
// close the connection without answering, as a timeout or a proxy would.
func (s *Server) DropCreateAnswers(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop = n
}

// NoDoneTransition makes the workflow offer no transition into done, as
// one that needs a screen or another role would.
func (s *Server) NoDoneTransition() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noDone = true
}

// SetStatus moves the issue, as a person would in Jira: "Done" resolves
// it, anything else reopens it.
func (s *Server) SetStatus(key, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if is := s.find(key); is != nil {
		s.move(is, name)
	}
}

// Issues returns copies of the issues, oldest first.
func (s *Server) Issues() []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Issue, len(s.issues))
	for i, is := range s.issues {
		out[i] = *is
		out[i].Labels = slices.Clone(is.Labels)
	}
	return out
}

// Calls returns the requests answered so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func (s *Server) find(key string) *Issue {
	for _, is := range s.issues {
		if is.Key == key || is.ID == key {
			return is
		}
	}
	return nil
}

func (s *Server) move(is *Issue, name string) {
	is.Status = name
	if name == "Done" {
		is.Resolved = s.now()
	} else {
		is.Resolved = time.Time{}
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	defer s.mu.Unlock()
	code := s.answer(w, r, body)
	s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body, Code: code})
}

func writeJSON(w http.ResponseWriter, code int, v any) int {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(code)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
	return code
}

// jiraError writes Jira's error body.
func jiraError(w http.ResponseWriter, code int, messages []string, fields map[string]string) int {
	if messages == nil {
		messages = []string{}
	}
	if fields == nil {
		fields = map[string]string{}
	}
	return writeJSON(w, code, map[string]any{"errorMessages": messages, "errors": fields})
}

func (s *Server) authorized(r *http.Request) bool {
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(s.User+":"+s.Token))
	return r.Header.Get("Authorization") == want
}

var issuePath = regexp.MustCompile(`^/rest/api/3/issue/([^/]+)(/transitions)?$`)

func (s *Server) answer(w http.ResponseWriter, r *http.Request, body []byte) int {
	failed, retryAfter := s.down, 0
	if failed == 0 && len(s.fails) > 0 {
		failed, retryAfter = s.fails[0].code, s.fails[0].retryAfter
		s.fails = s.fails[1:]
	}
	if failed != 0 {
		if retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		}
		return jiraError(w, failed, []string{http.StatusText(failed)}, nil)
	}
	if !s.authorized(r) {
		// Jira Cloud answers a request without valid credentials in text.
		w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, "Client must be authenticated to access this resource.")
		return http.StatusUnauthorized
	}
	p := r.URL.Path
	switch {
	case p == "/rest/api/3/issue" && r.Method == http.MethodPost:
		return s.create(w, r, body)
	case p == "/rest/api/3/search/jql" && r.Method == http.MethodGet:
		return s.search(w, r)
	case p == "/rest/api/3/search":
		return jiraError(w, http.StatusGone, []string{"The requested API has been removed. Please migrate to the /rest/api/3/search/jql API."}, nil)
	case p == "/rest/api/3/user/search" && r.Method == http.MethodGet:
		return s.userSearch(w, r)
	}
	if m := issuePath.FindStringSubmatch(p); m != nil {
		is := s.find(m[1])
		if is == nil {
			return jiraError(w, http.StatusNotFound, []string{"Issue does not exist or you do not have permission to see it."}, nil)
		}
		switch {
		case m[2] == "" && r.Method == http.MethodGet:
			return writeJSON(w, http.StatusOK, s.issueJSON(is))
		case m[2] != "" && r.Method == http.MethodGet:
			return writeJSON(w, http.StatusOK, map[string]any{"expand": "transitions", "transitions": s.transitions(is)})
		case m[2] != "" && r.Method == http.MethodPost:
			return s.transition(w, is, body)
		}
	}
	return jiraError(w, http.StatusNotFound, []string{r.Method + " " + p + " is not served"}, nil)
}

func (s *Server) self(is *Issue) string { return s.URL + "/rest/api/3/issue/" + is.ID }

func statusJSON(name string) map[string]any {
	for _, st := range statuses {
		if st.name == name {
			return map[string]any{
				"name": st.name, "id": st.id,
				"statusCategory": map[string]any{"key": st.category, "name": st.categoryName},
			}
		}
	}
	return nil
}

// IssueJSON is the issue as Jira shows it in a webhook or a GET with
// fields status, resolutiondate and labels.
func (s *Server) issueJSON(is *Issue) map[string]any {
	var resolved any
	if !is.Resolved.IsZero() {
		resolved = is.Resolved.Format("2006-01-02T15:04:05.000-0700")
	}
	return map[string]any{
		"expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
		"id":     is.ID, "self": s.self(is), "key": is.Key,
		"fields": map[string]any{
			"status": statusJSON(is.Status), "resolutiondate": resolved, "labels": is.Labels,
		},
	}
}

func (s *Server) transitions(is *Issue) []map[string]any {
	var out []map[string]any
	for i, st := range statuses {
		if st.name == is.Status || (s.noDone && st.category == "done") {
			continue
		}
		out = append(out, map[string]any{
			"id": transitionID(i), "name": st.name, "to": statusJSON(st.name),
			"hasScreen": false, "isGlobal": true, "isInitial": false, "isAvailable": true, "isConditional": false,
		})
	}
	return out
}

func (s *Server) transition(w http.ResponseWriter, is *Issue, body []byte) int {
	var b struct {
		Transition struct {
			ID string `json:"id"`
		} `json:"transition"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return jiraError(w, http.StatusBadRequest, []string{"Unexpected character in the request body"}, nil)
	}
	for _, t := range s.transitions(is) {
		if t["id"] == b.Transition.ID {
			s.move(is, t["name"].(string))
			w.WriteHeader(http.StatusNoContent)
			return http.StatusNoContent
		}
	}
	return jiraError(w, http.StatusBadRequest, []string{fmt.Sprintf("Transition id '%s' is not valid for this issue.", b.Transition.ID)}, nil)
}

type createBody struct {
	Fields *struct {
		Project *struct {
			Key string `json:"key"`
			ID  string `json:"id"`
		} `json:"project"`
		IssueType *struct {
			Name string `json:"name"`
			ID   string `json:"id"`
		} `json:"issuetype"`
		Summary     string          `json:"summary"`
		Description json.RawMessage `json:"description"`
		DueDate     string          `json:"duedate"`
		Priority    *struct {
			Name string `json:"name"`
		} `json:"priority"`
		Labels   []string `json:"labels"`
		Assignee *struct {
			AccountID string `json:"accountId"`
		} `json:"assignee"`
	} `json:"fields"`
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, body []byte) int {
	var b createBody
	if err := json.Unmarshal(body, &b); err != nil || b.Fields == nil {
		return jiraError(w, http.StatusBadRequest, []string{"Can not deserialize the request body"}, nil)
	}
	f := b.Fields
	errs := map[string]string{}
	if f.Project == nil || f.Project.Key != s.Project {
		errs["project"] = "valid project is required"
	}
	if f.IssueType == nil || !slices.Contains(issueTypes, f.IssueType.Name) {
		errs["issuetype"] = "Specify a valid issue type"
	}
	switch {
	case strings.TrimSpace(f.Summary) == "":
		errs["summary"] = "You must specify a summary of the issue."
	case utf8.RuneCountInString(f.Summary) > 255:
		errs["summary"] = "Summary must be less than 255 characters."
	case strings.ContainsAny(f.Summary, "\r\n"):
		errs["summary"] = "The summary is invalid because it contains newline characters."
	}
	if len(f.Description) > 0 && string(f.Description) != "null" && !validADF(f.Description) {
		errs["description"] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
	}
	if f.DueDate != "" {
		if _, err := time.Parse(time.DateOnly, f.DueDate); err != nil {
			errs["duedate"] = "Error parsing date string: " + f.DueDate
		}
	}
	if f.Priority != nil && !slices.Contains(priorities, f.Priority.Name) {
		errs["priority"] = "Specify the Priority (id or name) in the string format"
	}
	for _, l := range f.Labels {
		if strings.ContainsAny(l, " \t") || l == "" {
			errs["labels"] = fmt.Sprintf("The label '%s' contains spaces which is invalid.", l)
		} else if len(l) > 255 {
			errs["labels"] = "The label must not exceed 255 characters."
		}
	}
	if f.Assignee != nil && !slices.ContainsFunc(s.users, func(u User) bool { return u.AccountID == f.Assignee.AccountID }) {
		errs["assignee"] = fmt.Sprintf("User '%s' cannot be assigned issues.", f.Assignee.AccountID)
	}
	if len(errs) > 0 {
		return jiraError(w, http.StatusBadRequest, nil, errs)
	}
	n := len(s.issues) + 1
	is := &Issue{
		ID: strconv.Itoa(10000 + n), Key: fmt.Sprintf("%s-%d", s.Project, n),
		IssueType: f.IssueType.Name, Summary: f.Summary, Description: f.Description,
		DueDate: f.DueDate, Labels: slices.Clone(f.Labels), Status: "To Do",
	}
	if f.Priority != nil {
		is.Priority = f.Priority.Name
	} else {
		is.Priority = "Medium" // the scheme's default
	}
	if f.Assignee != nil {
		is.AssigneeID = f.Assignee.AccountID
	}
	s.issues = append(s.issues, is)
	if s.drop > 0 {
		s.drop--
		hijackClose(w)
		return 0
	}
	return writeJSON(w, http.StatusCreated, map[string]string{"id": is.ID, "key": is.Key, "self": s.self(is)})
}

// hijackClose closes the connection without an answer.
func hijackClose(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// validADF checks what Jira checks first of a description: a doc of
// version 1 whose nodes have types, text nodes non-empty text.
func validADF(raw json.RawMessage) bool {
	var doc struct {
		Type    string            `json:"type"`
		Version int               `json:"version"`
		Content []json.RawMessage `json:"content"`
	}
	if json.Unmarshal(raw, &doc) != nil || doc.Type != "doc" || doc.Version != 1 {
		return false
	}
	var node func(json.RawMessage) bool
	node = func(raw json.RawMessage) bool {
		var n struct {
			Type    string            `json:"type"`
			Text    *string           `json:"text"`
			Content []json.RawMessage `json:"content"`
		}
		if json.Unmarshal(raw, &n) != nil || n.Type == "" {
			return false
		}
		if n.Type == "text" && (n.Text == nil || *n.Text == "") {
			return false
		}
		for _, c := range n.Content {
			if !node(c) {
				return false
			}
		}
		return true
	}
	for _, c := range doc.Content {
		if !node(c) {
			return false
		}
	}
	return true
}

// labelQuery is the one JQL form the fake understands, the one muster
// sends.
var labelQuery = regexp.MustCompile(`^labels = "([^"]+)"( ORDER BY created ASC)?$`)

func (s *Server) search(w http.ResponseWriter, r *http.Request) int {
	m := labelQuery.FindStringSubmatch(r.URL.Query().Get("jql"))
	if m == nil {
		return jiraError(w, http.StatusBadRequest, []string{"The fake understands only labels = \"…\": " + r.URL.Query().Get("jql")}, nil)
	}
	max := 50
	if v, err := strconv.Atoi(r.URL.Query().Get("maxResults")); err == nil && v > 0 {
		max = v
	}
	issues := []map[string]any{}
	for _, is := range s.issues {
		if slices.Contains(is.Labels, m[1]) && len(issues) < max {
			issues = append(issues, s.issueJSON(is))
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"issues": issues, "isLast": true})
}

func (s *Server) userSearch(w http.ResponseWriter, r *http.Request) int {
	q := strings.ToLower(r.URL.Query().Get("query"))
	if q == "" {
		return jiraError(w, http.StatusBadRequest, []string{"One of 'accountId', 'query' or 'property' is required."}, nil)
	}
	out := []map[string]any{}
	for _, u := range s.users {
		if strings.ToLower(u.Email) != q && !strings.HasPrefix(strings.ToLower(u.Name), q) {
			continue
		}
		j := map[string]any{
			"self": s.URL + "/rest/api/3/user?accountId=" + u.AccountID, "accountId": u.AccountID,
			"accountType": "atlassian", "displayName": u.Name, "active": true,
		}
		if !u.Hidden {
			j["emailAddress"] = u.Email
		}
		out = append(out, j)
	}
	return writeJSON(w, http.StatusOK, out)
}
