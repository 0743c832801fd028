// Package github files muster's action items as GitHub issues and reads
// their done state back: create an issue, find it again by muster's key
// label, read whether it is closed, close it. It also checks and reads
// the issues webhooks GitHub sends (webhook.go).
//
// It calls the REST API through github.com/google/go-github: its base URL
// is a field (GitHub Enterprise and the tests' fake are one setting
// away), its errors keep the status and headers, and it tells a rate
// limit (403 with X-RateLimit-Remaining: 0, or a secondary limit) from a
// refusal, which is what the outbox's retry needs. Its own waiting on a
// rate limit is not used: the outbox waits, durably.
package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v75/github"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/remote"
	"github.com/muster-bot/muster/paging"
	"github.com/muster-bot/muster/tracker"
)

const provider = "GitHub"

// DefaultAPIURL is github.com's REST API.
const DefaultAPIURL = "https://api.github.com"

// GitHub refuses a title over 256 characters; a longer one is cut.
const maxTitle = 256

// defaultPriorityLabels are the labels of muster's priorities.
var defaultPriorityLabels = map[muster.Priority]string{
	muster.P0: "priority: P0",
	muster.P1: "priority: P1",
	muster.P2: "priority: P2",
}

// Config is where and how issues are filed (PRODUCT.md's
// trackers.github).
type Config struct {
	// APIURL is the REST API's root: DefaultAPIURL when empty,
	// "https://ghe.example.com/api/v3" for GitHub Enterprise Server.
	APIURL string
	Repo   string // "owner/name"
	Token  string // GITHUB_TOKEN, sent as a bearer token
	// PriorityLabels maps muster's priorities to labels;
	// "priority: P0", "priority: P1", "priority: P2" when nil. GitHub creates a label the
	// repository lacks when an issue names it.
	PriorityLabels map[muster.Priority]string
}

// Client files issues in one repository.
type Client struct {
	gh          *gh.Client
	owner, repo string
	labels      map[muster.Priority]string
	now         func() time.Time
}

// New returns a client for cfg; hc nil uses a client with a 30 s
// timeout. now turns a rate limit's reset time into a wait; nil is
// time.Now.
func New(cfg Config, hc *http.Client, now func() time.Time) (*Client, error) {
	owner, repo, ok := strings.Cut(cfg.Repo, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, muster.Errorf(muster.EINVALID, "trackers.github.repo %q is not owner/name", cfg.Repo)
	}
	api := cfg.APIURL
	if api == "" {
		api = DefaultAPIURL
	}
	base, err := url.Parse(strings.TrimRight(api, "/") + "/")
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, muster.Errorf(muster.EINVALID, "trackers.github.api_url %q is not an http(s) URL", cfg.APIURL)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	c := gh.NewClient(hc).WithAuthToken(cfg.Token)
	// The configured URL is the API's root as it is; WithEnterpriseURLs
	// would add /api/v3/ to any host not named api.*.
	c.BaseURL = base
	// go-github would refuse calls by itself until a rate limit's reset,
	// by its own clock; the outbox already waits, durably, for what
	// Retry says, so the waiting has one home.
	c.DisableRateLimitCheck = true
	labels := cfg.PriorityLabels
	if labels == nil {
		labels = defaultPriorityLabels
	}
	return &Client{gh: c, owner: owner, repo: repo, labels: labels, now: now}, nil
}

func (c *Client) ref(is *gh.Issue) tracker.Ref {
	return tracker.Ref{
		ID:     strconv.FormatInt(is.GetID(), 10),
		Key:    fmt.Sprintf("%s/%s#%d", c.owner, c.repo, is.GetNumber()),
		Number: is.GetNumber(),
		URL:    is.GetHTMLURL(),
	}
}

// Create files the issue and returns it. GitHub takes no idempotency
// key, so muster's key goes on the issue as a label and Create first
// looks for an open or closed issue with that label: a create retried
// after a lost answer returns the issue the first try made.
//
// GitHub issues have no due date, so it goes in the body, with the owner
// and the link back. The owner is assigned when a user search finds
// exactly one account with that public e-mail and GitHub takes them as
// an assignee; otherwise the body names them.
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
	login := ""
	if is.Assignee != "" {
		var err error
		if login, err = c.login(ctx, is.Assignee); err != nil {
			return tracker.Ref{}, fmt.Errorf("file GitHub issue %s: %w", is.Key, err)
		}
	}
	labels := []string{is.Key}
	if l := c.labels[is.Priority]; l != "" {
		labels = append(labels, l)
	}
	labels = append(labels, is.Labels...)
	req := &gh.IssueRequest{
		Title:  gh.Ptr(paging.Truncate(strings.TrimSpace(is.Title), maxTitle)),
		Body:   gh.Ptr(body(is, login)),
		Labels: &labels,
	}
	if login != "" {
		req.Assignees = &[]string{login}
	}
	created, _, err := c.gh.Issues.Create(ctx, c.owner, c.repo, req)
	if login != "" && assigneeRefused(err) {
		// The account exists but cannot be assigned here (not a
		// collaborator): file it unassigned, owner named in the body.
		req.Assignees, req.Body = nil, gh.Ptr(body(is, ""))
		created, _, err = c.gh.Issues.Create(ctx, c.owner, c.repo, req)
	}
	if err != nil {
		return tracker.Ref{}, fmt.Errorf("file GitHub issue %s: %w", is.Key, c.classify(err))
	}
	return c.ref(created), nil
}

// body is the issue's Markdown: the item's body, then what GitHub has no
// field for.
func body(is tracker.Issue, login string) string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(is.Body))
	var facts []string
	switch {
	case login != "":
		facts = append(facts, "**Owner:** @"+login)
	case is.Assignee != "":
		facts = append(facts, "**Owner:** "+is.Assignee)
	}
	if !is.Due.IsZero() {
		facts = append(facts, "**Due:** "+is.Due.Format(time.DateOnly))
	}
	if is.Priority != "" {
		facts = append(facts, "**Priority:** "+strings.ToUpper(string(is.Priority)))
	}
	if is.Link.URL != "" {
		text := is.Link.Text
		if text == "" {
			text = is.Link.URL
		}
		facts = append(facts, fmt.Sprintf("Filed by muster from [%s](%s)", strings.NewReplacer("[", `\[`, "]", `\]`).Replace(text), is.Link.URL))
	}
	if len(facts) > 0 {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(strings.Join(facts, "  \n"))
	}
	return b.String()
}

func assigneeRefused(err error) bool {
	e, ok := errors.AsType[*gh.ErrorResponse](err)
	if !ok || e.Response == nil || e.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	for _, fe := range e.Errors {
		if fe.Field == "assignees" || fe.Field == "assignee" {
			return true
		}
	}
	return false
}

// Find returns the issue carrying muster's key as a label, open or
// closed, if any (the oldest, should a person have copied the label).
func (c *Client) Find(ctx context.Context, key string) (tracker.Ref, bool, error) {
	if _, _, ok := tracker.ParseKey(key); !ok {
		return tracker.Ref{}, false, muster.Errorf(muster.EINVALID, "%q is not an action item key of muster", key)
	}
	opts := &gh.IssueListByRepoOptions{
		State: "all", Labels: []string{key}, Sort: "created", Direction: "asc",
		ListOptions: gh.ListOptions{PerPage: 1},
	}
	issues, _, err := c.gh.Issues.ListByRepo(ctx, c.owner, c.repo, opts)
	if err != nil {
		return tracker.Ref{}, false, fmt.Errorf("look for the GitHub issue labelled %s: %w", key, c.classify(err))
	}
	for _, is := range issues {
		if !is.IsPullRequest() {
			return c.ref(is), true, nil
		}
	}
	return tracker.Ref{}, false, nil
}

// login returns the account whose public e-mail is email, "" when the
// search finds none or several. A refusal of the search leaves the issue
// unassigned; only a failure worth retrying fails the create.
func (c *Client) login(ctx context.Context, email string) (string, error) {
	res, _, err := c.gh.Search.Users(ctx, email+" in:email", &gh.SearchOptions{ListOptions: gh.ListOptions{PerPage: 2}})
	if err != nil {
		err = c.classify(err)
		if retry, _ := remote.Retry(err); retry {
			return "", fmt.Errorf("look up the GitHub account of %s: %w", email, err)
		}
		return "", nil
	}
	if res.GetTotal() != 1 || len(res.Users) != 1 {
		return "", nil
	}
	return res.Users[0].GetLogin(), nil
}

// State reads whether the issue is closed. GitHub's "closed as not
// planned" is closed too: the item is settled there.
func (c *Client) State(ctx context.Context, ref tracker.Ref) (tracker.State, error) {
	is, err := c.issue(ctx, ref)
	if err != nil {
		return tracker.State{}, err
	}
	return state(is), nil
}

func state(is *gh.Issue) tracker.State {
	if is.GetState() != "closed" {
		return tracker.State{}
	}
	return tracker.State{Done: true, ClosedAt: is.GetClosedAt().Time}
}

func (c *Client) issue(ctx context.Context, ref tracker.Ref) (*gh.Issue, error) {
	if ref.Number <= 0 {
		return nil, muster.Errorf(muster.EINVALID, "the GitHub issue %q has no number", ref.Key)
	}
	is, _, err := c.gh.Issues.Get(ctx, c.owner, c.repo, ref.Number)
	if err != nil {
		return nil, fmt.Errorf("read GitHub issue %s: %w", ref.Key, c.classify(err))
	}
	return is, nil
}

// Close closes the issue as completed, when the item was done in muster.
// An issue already closed is left as it is, so a retry is safe.
func (c *Client) Close(ctx context.Context, ref tracker.Ref) error {
	is, err := c.issue(ctx, ref)
	if err != nil {
		return err
	}
	if state(is).Done {
		return nil
	}
	req := &gh.IssueRequest{State: gh.Ptr("closed"), StateReason: gh.Ptr("completed")}
	if _, _, err := c.gh.Issues.Edit(ctx, c.owner, c.repo, ref.Number, req); err != nil {
		return fmt.Errorf("close GitHub issue %s: %w", ref.Key, c.classify(err))
	}
	return nil
}

// classify turns go-github's errors into muster's: a rate limit into a
// rate-limited remote.Error with the wait, any other answer into a
// remote.Error with GitHub's message and the fields it names; network
// failures stay as they are.
func (c *Client) classify(err error) error {
	if e, ok := errors.AsType[*gh.RateLimitError](err); ok {
		pe := &remote.Error{Provider: provider, Code: http.StatusForbidden, Message: e.Message}
		if e.Response != nil {
			pe.Code = e.Response.StatusCode
		}
		pe.RateLimited, pe.RetryAfter = true, max(e.Rate.Reset.Sub(c.now()), 0)
		return pe
	}
	if e, ok := errors.AsType[*gh.AbuseRateLimitError](err); ok {
		pe := &remote.Error{Provider: provider, Code: http.StatusForbidden, Message: e.Message}
		if e.Response != nil {
			pe.Code = e.Response.StatusCode
		}
		pe.RateLimited, pe.RetryAfter = true, e.GetRetryAfter()
		return pe
	}
	if e, ok := errors.AsType[*gh.ErrorResponse](err); ok && e.Response != nil {
		msg := e.Message
		var details []string
		for _, fe := range e.Errors {
			switch {
			case fe.Message != "":
				details = append(details, fe.Message)
			case fe.Field != "":
				details = append(details, fe.Field+" "+fe.Code)
			}
		}
		if len(details) > 0 {
			msg += ": " + strings.Join(details, "; ")
		}
		return &remote.Error{Provider: provider, Code: e.Response.StatusCode, Message: msg,
			RetryAfter: remote.RetryAfter(e.Response.Header)}
	}
	return err // a network failure, or a 202 of work not finished yet: worth retrying
}
