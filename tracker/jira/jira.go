// Package jira files muster's action items as Jira Cloud issues and reads
// their done state back, through the REST API v3: create an issue, find
// it again by muster's key label, read its status, move it to done. It
// also checks and reads the webhooks Jira sends (webhook.go).
//
// It speaks the documented JSON with net/http: github.com/andygrunwald/go-jira,
// the usual Go client, is not served by the module proxy muster builds
// from, and the five calls are a few dozen lines here.
package jira

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/remote"
	"github.com/muster-bot/muster/paging"
	"github.com/muster-bot/muster/tracker"
)

const provider = "Jira"

// Jira limits the summary to 255 characters; a longer title is cut
// rather than refused.
const maxSummary = 255

// defaultPriorities maps muster's priorities to the names of Jira's
// default priority scheme.
var defaultPriorities = map[muster.Priority]string{
	muster.P0: "Highest",
	muster.P1: "High",
	muster.P2: "Medium",
}

// Config is where and how issues are filed (PRODUCT.md's trackers.jira).
type Config struct {
	URL       string // the site, "https://acme.atlassian.net"
	Project   string // the project key, "OPS"
	IssueType string // the issue type's name, "Task" when empty
	User      string // JIRA_USER: the e-mail of the account muster acts as
	Token     string // JIRA_API_TOKEN
	// Priorities maps muster's priorities to Jira's priority names;
	// Highest, High, Medium when nil. A priority it lacks is not sent.
	Priorities map[muster.Priority]string
}

// Client calls one Jira site. It holds no state between calls.
type Client struct {
	cfg    Config
	base   string
	client *http.Client
}

// New returns a client for cfg. hc nil uses a client with a 30 s timeout.
func New(cfg Config, hc *http.Client) *Client {
	if cfg.IssueType == "" {
		cfg.IssueType = "Task"
	}
	if cfg.Priorities == nil {
		cfg.Priorities = defaultPriorities
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{cfg: cfg, base: strings.TrimRight(cfg.URL, "/"), client: hc}
}

// ref makes the reference of the issue key (id when known).
func (c *Client) ref(id, key string) tracker.Ref {
	return tracker.Ref{ID: id, Key: key, URL: c.base + "/browse/" + key}
}

// Create files the issue and returns it. Jira takes no idempotency key,
// so muster's key goes on the issue as a label and Create first looks for
// an issue with that label: a create retried after a lost answer returns
// the issue the first try made. Jira's search is eventually consistent,
// so a retry within seconds of a lost answer can still make a second
// issue; the outbox's backoff waits longer than that.
func (c *Client) Create(ctx context.Context, is tracker.Issue) (tracker.Ref, error) {
	if _, _, ok := tracker.ParseKey(is.Key); !ok {
		return tracker.Ref{}, muster.Errorf(muster.EINVALID, "%q is not an action item key of muster", is.Key)
	}
	if strings.TrimSpace(is.Title) == "" {
		return tracker.Ref{}, muster.Errorf(muster.EINVALID, "the action item %s has no text to file", is.Key)
	}
	if ref, found, err := c.Find(ctx, is.Key); err != nil || found {
		return ref, err
	}
	f := fields{
		Project:   &named{Key: c.cfg.Project},
		IssueType: &named{Name: c.cfg.IssueType},
		Summary:   paging.Truncate(strings.TrimSpace(is.Title), maxSummary),
		Labels:    append([]string{is.Key}, is.Labels...),
	}
	if name, ok := c.cfg.Priorities[is.Priority]; ok && name != "" {
		f.Priority = &named{Name: name}
	}
	if !is.Due.IsZero() {
		f.DueDate = is.Due.Format(time.DateOnly)
	}
	owner := ""
	if is.Assignee != "" {
		id, err := c.accountID(ctx, is.Assignee)
		switch {
		case err != nil:
			return tracker.Ref{}, fmt.Errorf("file Jira issue %s: %w", is.Key, err)
		case id == "":
			owner = "Owner: " + is.Assignee + " (no Jira account found for this e-mail)"
		default:
			f.Assignee = &named{AccountID: id}
		}
	}
	f.Description = document(is.Body, owner, is.Link)
	var got struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	if err := c.call(ctx, http.MethodPost, "/rest/api/3/issue", map[string]any{"fields": f}, &got); err != nil {
		return tracker.Ref{}, fmt.Errorf("file Jira issue %s: %w", is.Key, err)
	}
	if got.Key == "" {
		return tracker.Ref{}, fmt.Errorf("file Jira issue %s: the answer names no issue key", is.Key)
	}
	return c.ref(got.ID, got.Key), nil
}

// fields are the fields of a create, in the order Jira documents them.
type fields struct {
	Project     *named   `json:"project"`
	IssueType   *named   `json:"issuetype"`
	Summary     string   `json:"summary"`
	Description *adf     `json:"description,omitempty"`
	DueDate     string   `json:"duedate,omitempty"`
	Priority    *named   `json:"priority,omitempty"`
	Labels      []string `json:"labels"`
	Assignee    *named   `json:"assignee,omitempty"`
}

type named struct {
	Key       string `json:"key,omitempty"`
	Name      string `json:"name,omitempty"`
	AccountID string `json:"accountId,omitempty"`
}

// adf is a node of the Atlassian Document Format, the only form API v3
// takes a description in.
type adf struct {
	Type    string         `json:"type"`
	Version int            `json:"version,omitempty"`
	Text    string         `json:"text,omitempty"`
	Attrs   map[string]any `json:"attrs,omitempty"`
	Marks   []adf          `json:"marks,omitempty"`
	Content []adf          `json:"content,omitempty"`
}

// document turns the Markdown body into ADF: one paragraph per block
// separated by a blank line, the lines of a block joined by hard breaks,
// the text as it is (Jira shows Markdown marks literally, which reads
// well enough), then the owner line and the link back.
func document(body, owner string, link tracker.Link) *adf {
	doc := &adf{Type: "doc", Version: 1}
	para := func(nodes ...adf) { doc.Content = append(doc.Content, adf{Type: "paragraph", Content: nodes}) }
	for block := range strings.SplitSeq(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		var nodes []adf
		for line := range strings.SplitSeq(strings.TrimSpace(block), "\n") {
			if line = strings.TrimSpace(line); line == "" {
				continue // ADF refuses empty text nodes
			}
			if len(nodes) > 0 {
				nodes = append(nodes, adf{Type: "hardBreak"})
			}
			nodes = append(nodes, adf{Type: "text", Text: line})
		}
		if len(nodes) > 0 {
			para(nodes...)
		}
	}
	if owner != "" {
		para(adf{Type: "text", Text: owner})
	}
	if link.URL != "" {
		text := link.Text
		if text == "" {
			text = link.URL
		}
		para(adf{Type: "text", Text: "Filed by muster from "},
			adf{Type: "text", Text: text, Marks: []adf{{Type: "link", Attrs: map[string]any{"href": link.URL}}}})
	}
	if len(doc.Content) == 0 {
		return nil
	}
	return doc
}

// Find returns the issue carrying muster's key as a label, if any (the
// oldest, should a person have copied the label).
func (c *Client) Find(ctx context.Context, key string) (tracker.Ref, bool, error) {
	// The key goes into JQL: only muster's own, which hold no quotes.
	if _, _, ok := tracker.ParseKey(key); !ok {
		return tracker.Ref{}, false, muster.Errorf(muster.EINVALID, "%q is not an action item key of muster", key)
	}
	q := url.Values{}
	q.Set("jql", fmt.Sprintf("labels = %q ORDER BY created ASC", key))
	q.Set("fields", "status")
	q.Set("maxResults", "1")
	var got struct {
		Issues []struct {
			ID  string `json:"id"`
			Key string `json:"key"`
		} `json:"issues"`
	}
	// /rest/api/3/search/jql replaced /rest/api/3/search, which Jira
	// Cloud removed in 2025 (it answers 410 Gone).
	if err := c.call(ctx, http.MethodGet, "/rest/api/3/search/jql?"+q.Encode(), nil, &got); err != nil {
		return tracker.Ref{}, false, fmt.Errorf("look for the Jira issue labelled %s: %w", key, err)
	}
	if len(got.Issues) == 0 {
		return tracker.Ref{}, false, nil
	}
	return c.ref(got.Issues[0].ID, got.Issues[0].Key), true, nil
}

// accountID returns the account of the person with the e-mail, "" when
// Jira knows none (or hides it). A refusal of the search (the account
// lacks the Browse users permission) also leaves the issue unassigned;
// only a failure worth retrying fails the create.
func (c *Client) accountID(ctx context.Context, email string) (string, error) {
	var users []struct {
		AccountID   string `json:"accountId"`
		AccountType string `json:"accountType"`
		Email       string `json:"emailAddress"`
		Active      bool   `json:"active"`
	}
	err := c.call(ctx, http.MethodGet, "/rest/api/3/user/search?"+url.Values{"query": {email}}.Encode(), nil, &users)
	if err != nil {
		if retry, _ := remote.Retry(err); retry {
			return "", fmt.Errorf("look up the Jira account of %s: %w", email, err)
		}
		return "", nil
	}
	var first string
	for _, u := range users {
		if !u.Active || (u.AccountType != "" && u.AccountType != "atlassian") {
			continue
		}
		if strings.EqualFold(u.Email, email) {
			return u.AccountID, nil
		}
		if first == "" {
			first = u.AccountID
		}
	}
	// Jira hides e-mails by the person's privacy setting; a single match
	// of the query is the person.
	if len(users) == 1 {
		return first, nil
	}
	return "", nil
}

// issueState is GET /rest/api/3/issue/{key}?fields=status,resolutiondate.
type issueState struct {
	ID     string `json:"id"`
	Key    string `json:"key"`
	Fields struct {
		Status struct {
			Name           string `json:"name"`
			StatusCategory struct {
				Key string `json:"key"` // new, indeterminate, done
			} `json:"statusCategory"`
		} `json:"status"`
		ResolutionDate string `json:"resolutiondate"`
	} `json:"fields"`
}

func (s issueState) state() tracker.State {
	st := tracker.State{Done: s.Fields.Status.StatusCategory.Key == "done"}
	if st.Done {
		st.ClosedAt = parseTime(s.Fields.ResolutionDate)
	}
	return st
}

// parseTime reads Jira's timestamps ("2026-12-09T10:15:30.000+0100");
// anything else is zero.
func parseTime(s string) time.Time {
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// State reads whether the issue is done: its status is in Jira's done
// category, whatever the workflow names it.
func (c *Client) State(ctx context.Context, ref tracker.Ref) (tracker.State, error) {
	s, err := c.issue(ctx, ref.Key)
	if err != nil {
		return tracker.State{}, err
	}
	return s.state(), nil
}

func (c *Client) issue(ctx context.Context, key string) (issueState, error) {
	var s issueState
	if err := c.call(ctx, http.MethodGet, "/rest/api/3/issue/"+url.PathEscape(key)+"?fields=status,resolutiondate", nil, &s); err != nil {
		return s, fmt.Errorf("read Jira issue %s: %w", key, err)
	}
	return s, nil
}

// Close moves the issue to a done status, when the item was done in
// muster: the first transition the workflow offers into the done
// category. An issue already done is left as it is, so a retry is safe.
func (c *Client) Close(ctx context.Context, ref tracker.Ref) error {
	s, err := c.issue(ctx, ref.Key)
	if err != nil {
		return err
	}
	if s.state().Done {
		return nil
	}
	var got struct {
		Transitions []transition `json:"transitions"`
	}
	path := "/rest/api/3/issue/" + url.PathEscape(ref.Key) + "/transitions"
	if err := c.call(ctx, http.MethodGet, path, nil, &got); err != nil {
		return fmt.Errorf("list the transitions of Jira issue %s: %w", ref.Key, err)
	}
	i := slices.IndexFunc(got.Transitions, func(t transition) bool { return t.To.StatusCategory.Key == "done" })
	if i < 0 {
		return muster.Errorf(muster.EINVALID, "Jira offers no transition of %s from %q to a done status; close it in Jira",
			ref.Key, s.Fields.Status.Name)
	}
	body := map[string]any{"transition": map[string]string{"id": got.Transitions[i].ID}}
	if err := c.call(ctx, http.MethodPost, path, body, nil); err != nil {
		return fmt.Errorf("move Jira issue %s to %s: %w", ref.Key, got.Transitions[i].Name, err)
	}
	return nil
}

// transition is one of GET …/transitions: where it leads.
type transition struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	To   struct {
		StatusCategory struct {
			Key string `json:"key"`
		} `json:"statusCategory"`
	} `json:"to"`
}

// errorBody is Jira's error answer.
type errorBody struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
}

func (e errorBody) message() string {
	parts := slices.Clone(e.ErrorMessages)
	keys := make([]string, 0, len(e.Errors))
	for k := range e.Errors {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		parts = append(parts, k+": "+e.Errors[k])
	}
	return strings.Join(parts, "; ")
}

// call sends one request with basic auth and decodes a 2xx answer into
// out (nil: the body is ignored, as for a transition's 204).
func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode the request: %w", err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("build the request: %w", err)
	}
	req.SetBasicAuth(c.cfg.User, c.cfg.Token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err // a network failure: worth retrying
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read the answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e errorBody
		_ = json.Unmarshal(data, &e) // a body that is not JSON is reported by its text
		return remote.NewError(provider, resp, e.message(), data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode the answer: %w", err)
	}
	return nil
}
