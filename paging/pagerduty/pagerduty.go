// Package pagerduty is a client of the two PagerDuty APIs muster pages
// through: the Events API v2 (trigger and resolve a page by its dedup
// key) and the REST API's on-calls (who to invite to the war room). It
// also checks and reads the v3 webhooks PagerDuty sends back (webhook.go).
//
// It speaks the documented JSON with net/http rather than through
// github.com/PagerDuty/go-pagerduty v1.8.0, whose Client does let both
// base URLs be set but: appends "/v2/enqueue" to the events base (muster's
// events_url is the whole URL), decodes an Events API 400 as a REST error
// object keyed "error" and so loses the "errors" list that says what was
// invalid, drops the Retry-After header of a 429 (reachable only through
// a debug capture of the last response, shared by all calls), formats
// network errors with %v so they cannot be unwrapped, and brings
// go-querystring for one query. The two calls and their answers are a
// few dozen lines here.
package pagerduty

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/muster-bot/muster/internal/remote"
	"github.com/muster-bot/muster/paging"
)

// Default addresses, when the configuration names none.
const (
	DefaultEventsURL = "https://events.pagerduty.com/v2/enqueue"
	DefaultAPIURL    = "https://api.pagerduty.com"
)

// Severities the Events API takes in payload.severity.
const (
	SeverityCritical = "critical"
	SeverityError    = "error"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// ValidSeverity reports whether s is a severity the Events API takes, so
// the configuration can refuse another at load time.
func ValidSeverity(s string) bool {
	switch s {
	case SeverityCritical, SeverityError, SeverityWarning, SeverityInfo:
		return true
	}
	return false
}

// Limits of the Events API: a longer summary is cut rather than refused;
// a longer dedup key is refused here, since cutting it would merge pages.
const (
	maxSummary  = 1024
	maxDedupKey = 255
)

const provider = "PagerDuty"

// Client calls PagerDuty. It holds no state between calls.
type Client struct {
	events string
	api    string
	token  string
	client *http.Client
}

// New returns a client sending events to eventsURL and REST calls to
// apiURL (DefaultEventsURL and DefaultAPIURL when empty), with the REST
// API token (PAGERDUTY_API_TOKEN; events carry their routing key
// instead). hc nil uses a client with a 30 s timeout.
func New(eventsURL, apiURL, apiToken string, hc *http.Client) *Client {
	if eventsURL == "" {
		eventsURL = DefaultEventsURL
	}
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{events: eventsURL, api: strings.TrimRight(apiURL, "/"), token: apiToken, client: hc}
}

// event is an Events API v2 request body.
type event struct {
	RoutingKey string  `json:"routing_key"`
	Action     string  `json:"event_action"`
	DedupKey   string  `json:"dedup_key"`
	Payload    *detail `json:"payload,omitempty"`
	Links      []link  `json:"links,omitempty"`
	Client     string  `json:"client,omitempty"`
}

type detail struct {
	Summary  string            `json:"summary"`
	Source   string            `json:"source"`
	Severity string            `json:"severity"`
	Details  map[string]string `json:"custom_details,omitempty"`
}

type link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// eventAnswer is the Events API's answer, success or not.
type eventAnswer struct {
	Status   string   `json:"status"`
	Message  string   `json:"message"`
	DedupKey string   `json:"dedup_key"`
	Errors   []string `json:"errors"`
}

// Trigger pages the on-call of the service whose Events API v2
// integration has routingKey. A trigger with the key of an open page
// adds to it instead of paging again, so a retry is safe.
func (c *Client) Trigger(ctx context.Context, routingKey string, p paging.Page) error {
	if p.Description != "" {
		// The Events API has no description field; custom details show
		// under the summary.
		d := make(map[string]string, len(p.Details)+1)
		for k, v := range p.Details {
			d[k] = v
		}
		d["description"] = p.Description
		p.Details = d
	}
	ev := event{
		RoutingKey: routingKey,
		Action:     "trigger",
		DedupKey:   p.Key,
		Payload: &detail{
			Summary:  paging.Truncate(p.Summary, maxSummary),
			Source:   paging.Source,
			Severity: p.Severity,
			Details:  p.Details,
		},
		Client: paging.Source,
	}
	for _, l := range p.Links {
		ev.Links = append(ev.Links, link(l))
	}
	if err := c.send(ctx, ev); err != nil {
		return fmt.Errorf("trigger PagerDuty page %s: %w", p.Key, err)
	}
	return nil
}

// Resolve resolves the page dedupKey of the service with routingKey.
// Resolving a page that is already resolved, or was never opened, is
// accepted by PagerDuty and does nothing.
func (c *Client) Resolve(ctx context.Context, routingKey, dedupKey string) error {
	ev := event{RoutingKey: routingKey, Action: "resolve", DedupKey: dedupKey}
	if err := c.send(ctx, ev); err != nil {
		return fmt.Errorf("resolve PagerDuty page %s: %w", dedupKey, err)
	}
	return nil
}

func (c *Client) send(ctx context.Context, ev event) error {
	switch {
	case ev.DedupKey == "":
		return errors.New("no dedup key")
	case len(ev.DedupKey) > maxDedupKey:
		return fmt.Errorf("dedup key longer than %d characters", maxDedupKey)
	case ev.Payload != nil && !ValidSeverity(ev.Payload.Severity):
		return fmt.Errorf("severity %q is not one of critical, error, warning, info", ev.Payload.Severity)
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode the event: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.events, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build the request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	var got eventAnswer
	resp, data, err := c.do(req)
	if err != nil {
		return err
	}
	_ = json.Unmarshal(data, &got) // an answer that is not JSON is reported by its text below
	if resp.StatusCode/100 != 2 {
		msg := got.Message
		if len(got.Errors) > 0 {
			msg = strings.TrimSpace(msg + ": " + strings.Join(got.Errors, "; "))
		}
		return remote.NewError(provider, resp, msg, data)
	}
	// PagerDuty answers 202 with the dedup key it filed the event under.
	// Anything else means the event may not have arrived where we think
	// (a proxy's page, a wrong URL): worth another try, which the dedup
	// key makes harmless.
	if got.DedupKey != ev.DedupKey {
		return fmt.Errorf("PagerDuty answered %d without the dedup key %s: %s", resp.StatusCode, ev.DedupKey,
			strings.TrimSpace(string(data[:min(len(data), 200)])))
	}
	return nil
}

// do sends req and reads the answer's body.
func (c *Client) do(req *http.Request) (*http.Response, []byte, error) {
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, nil, err // a network failure: worth retrying
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("read the answer: %w", err)
	}
	return resp, data, nil
}

// maxOnCallPages bounds how many pages of on-calls are read: an
// escalation policy has a few levels of a few people, far fewer than
// this many pages of 100.
const maxOnCallPages = 10

// oncalls is the REST API's answer to GET /oncalls with include[]=users.
type oncalls struct {
	OnCalls []struct {
		EscalationLevel int `json:"escalation_level"`
		User            struct {
			ID      string `json:"id"`
			Type    string `json:"type"`
			Name    string `json:"name"`
			Summary string `json:"summary"`
			Email   string `json:"email"`
		} `json:"user"`
	} `json:"oncalls"`
	More   bool `json:"more"`
	Offset int  `json:"offset"`
	Limit  int  `json:"limit"`
}

// OnCall returns who is on call now for the escalation policy, first
// level first, each person once (at their lowest level). The on-call
// entries name users by reference only (id and summary), so the request
// asks include[]=users to get the e-mails.
func (c *Client) OnCall(ctx context.Context, escalationPolicy string) ([]paging.OnCall, error) {
	var out []paging.OnCall
	seen := map[string]bool{}
	offset := 0
	for range maxOnCallPages {
		q := url.Values{}
		q.Set("escalation_policy_ids[]", escalationPolicy)
		q.Set("include[]", "users")
		q.Set("limit", "100")
		q.Set("offset", strconv.Itoa(offset))
		var got oncalls
		if err := c.get(ctx, "/oncalls?"+q.Encode(), &got); err != nil {
			return nil, fmt.Errorf("list PagerDuty on-calls of escalation policy %s: %w", escalationPolicy, err)
		}
		for _, oc := range got.OnCalls {
			u := oc.User
			if u.Email == "" || seen[u.Email] {
				continue
			}
			seen[u.Email] = true
			name := u.Name
			if name == "" {
				name = u.Summary
			}
			out = append(out, paging.OnCall{Email: u.Email, Name: name, Level: oc.EscalationLevel})
		}
		if !got.More || len(got.OnCalls) == 0 {
			break
		}
		offset += len(got.OnCalls)
	}
	// First level first; PagerDuty's order within a level.
	slices.SortStableFunc(out, func(a, b paging.OnCall) int { return cmp.Compare(a.Level, b.Level) })
	return out, nil
}

// restError is the REST API's error body.
type restError struct {
	Error struct {
		Message string   `json:"message"`
		Code    int      `json:"code"`
		Errors  []string `json:"errors"`
	} `json:"error"`
}

func (c *Client) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.api+path, nil)
	if err != nil {
		return fmt.Errorf("build the request: %w", err)
	}
	req.Header.Set("Authorization", "Token token="+c.token)
	req.Header.Set("Accept", "application/json")
	resp, data, err := c.do(req)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e restError
		_ = json.Unmarshal(data, &e)
		msg := e.Error.Message
		if len(e.Error.Errors) > 0 {
			msg = strings.TrimSpace(msg + ": " + strings.Join(e.Error.Errors, "; "))
		}
		return remote.NewError(provider, resp, msg, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode the answer: %w", err)
	}
	return nil
}
