// Package opsgenie is a client of the Opsgenie REST API calls muster pages
// through: create an alert for a team (the Alert API), close it by its
// alias, and read who is on call for a schedule (the Who is On Call API).
//
// It speaks the documented JSON with net/http rather than through
// github.com/opsgenie/opsgenie-go-sdk-v2 v1.2.23, whose client retries by
// itself (go-retryablehttp, four tries with its own backoff) where muster's
// outbox decides retries and waits; logs through its own logrus logger
// and publishes metrics to a package-level publisher; drops the caller's
// context (it calls Request.WithContext and discards the result), so a
// cancelled page still runs its retries; takes the API address as a bare
// host and picks https or http by whether the host contains "api"; and
// would add logrus, go-retryablehttp and pkg/errors to the build for three
// calls.
//
// Alert creation and closing are asynchronous at Opsgenie: a valid
// request is answered 202 with a requestId and processed afterwards, so
// success here means Opsgenie took the request, not that the alert exists
// yet (GET /v2/alerts/requests/<requestId> would tell).
package opsgenie

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/muster-bot/muster/internal/remote"
	"github.com/muster-bot/muster/paging"
)

// DefaultURL is the API's address when the configuration names none
// (accounts in the EU region use https://api.eu.opsgenie.com).
const DefaultURL = "https://api.opsgenie.com"

// Documented limits of an alert: a longer message or description is cut
// rather than refused; a longer alias is refused here, since cutting it
// would merge pages.
const (
	maxMessage     = 130
	maxDescription = 15000
	maxAlias       = 512
	maxDetailValue = 8000
)

// ValidPriority reports whether p is an Opsgenie priority (P1…P5), so the
// configuration can refuse another at load time.
func ValidPriority(p string) bool {
	switch p {
	case "P1", "P2", "P3", "P4", "P5":
		return true
	}
	return false
}

const provider = "Opsgenie"

// Client calls Opsgenie with one API key. It holds no state between calls.
type Client struct {
	base   string
	key    string
	client *http.Client
}

// New returns a client of the API at baseURL (DefaultURL when empty) with
// the API key of an API integration (OPSGENIE_API_KEY). hc nil uses a
// client with a 30 s timeout.
func New(baseURL, apiKey string, hc *http.Client) *Client {
	if baseURL == "" {
		baseURL = DefaultURL
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), key: apiKey, client: hc}
}

type responder struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

type alert struct {
	Message     string            `json:"message"`
	Alias       string            `json:"alias"`
	Description string            `json:"description,omitempty"`
	Responders  []responder       `json:"responders,omitempty"`
	Details     map[string]string `json:"details,omitempty"`
	Source      string            `json:"source"`
	Priority    string            `json:"priority"`
}

// answer is Opsgenie's answer body, success or not.
type answer struct {
	Result    string            `json:"result"`
	Message   string            `json:"message"`
	RequestID string            `json:"requestId"`
	Errors    map[string]string `json:"errors"`
}

// Create pages team's on-call with an alert whose alias is p.Key and
// priority p.Severity (P1…P5). Opsgenie folds an alert into an open one
// with the same alias instead of paging again, so a retry is safe. The
// page's links go in the description, Opsgenie's alert having no links.
// It returns Opsgenie's requestId.
func (c *Client) Create(ctx context.Context, team string, p paging.Page) (string, error) {
	switch {
	case p.Key == "":
		return "", errors.New("create Opsgenie alert: no alias")
	case len(p.Key) > maxAlias:
		return "", fmt.Errorf("create Opsgenie alert %s: alias longer than %d characters", p.Key, maxAlias)
	case !ValidPriority(p.Severity):
		return "", fmt.Errorf("create Opsgenie alert %s: priority %q is not one of P1, P2, P3, P4, P5", p.Key, p.Severity)
	}
	a := alert{
		Message:     paging.Truncate(p.Summary, maxMessage),
		Alias:       p.Key,
		Description: paging.Truncate(description(p), maxDescription),
		Source:      paging.Source,
		Priority:    p.Severity,
	}
	if team != "" {
		a.Responders = []responder{{Type: "team", Name: team}}
	}
	if len(p.Details) > 0 {
		a.Details = make(map[string]string, len(p.Details))
		for k, v := range p.Details {
			a.Details[k] = paging.Truncate(v, maxDetailValue)
		}
	}
	id, err := c.post(ctx, "/v2/alerts", a)
	if err != nil {
		return "", fmt.Errorf("create Opsgenie alert %s: %w", p.Key, err)
	}
	return id, nil
}

// description is the page's description followed by its links, one a line.
func description(p paging.Page) string {
	var b strings.Builder
	b.WriteString(p.Description)
	for _, l := range p.Links {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		if l.Text != "" {
			b.WriteString(l.Text + ": ")
		}
		b.WriteString(l.Href)
	}
	return b.String()
}

type closeBody struct {
	Source string `json:"source"`
	Note   string `json:"note,omitempty"`
}

// Close closes the alert with alias, noting why. Opsgenie answers 202 even
// for an alias with no open alert (the request then fails on its side,
// harmlessly). It returns Opsgenie's requestId.
func (c *Client) Close(ctx context.Context, alias, note string) (string, error) {
	if alias == "" {
		return "", errors.New("close Opsgenie alert: no alias")
	}
	path := "/v2/alerts/" + url.PathEscape(alias) + "/close?identifierType=alias"
	id, err := c.post(ctx, path, closeBody{Source: paging.Source, Note: note})
	if err != nil {
		return "", fmt.Errorf("close Opsgenie alert %s: %w", alias, err)
	}
	return id, nil
}

func (c *Client) post(ctx context.Context, path string, v any) (string, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode the request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("build the request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	var got answer
	if err := c.do(req, &got); err != nil {
		return "", err
	}
	// Opsgenie takes a valid request with 202 and its requestId; without
	// one the request may not have arrived (a proxy's page): worth another
	// try, which the alias makes harmless.
	if got.RequestID == "" {
		return "", errors.New("the answer has no requestId")
	}
	return got.RequestID, nil
}

type onCalls struct {
	Data struct {
		Parent struct {
			Name string `json:"name"`
		} `json:"_parent"`
		Recipients []string `json:"onCallRecipients"`
	} `json:"data"`
}

// OnCall returns who is on call now for the schedule named schedule.
// With flat=true Opsgenie lists the on-call users by username, which is
// their e-mail address; it does not give their names.
func (c *Client) OnCall(ctx context.Context, schedule string) ([]paging.OnCall, error) {
	path := "/v2/schedules/" + url.PathEscape(schedule) + "/on-calls?scheduleIdentifierType=name&flat=true"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("list Opsgenie on-calls of schedule %s: build the request: %w", schedule, err)
	}
	var got onCalls
	if err := c.do(req, &got); err != nil {
		return nil, fmt.Errorf("list Opsgenie on-calls of schedule %s: %w", schedule, err)
	}
	var out []paging.OnCall
	seen := map[string]bool{}
	for _, r := range got.Data.Recipients {
		if r == "" || seen[r] {
			continue
		}
		seen[r] = true
		out = append(out, paging.OnCall{Email: r})
	}
	return out, nil
}

// do sends req with the API key and decodes a 2xx answer into out.
func (c *Client) do(req *http.Request, out any) error {
	req.Header.Set("Authorization", "GenieKey "+c.key)
	req.Header.Set("Accept", "application/json")
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
		var e answer
		_ = json.Unmarshal(data, &e) // an answer that is not JSON is reported by its text
		return remote.NewError(provider, resp, errorText(e), data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode the answer: %w", err)
	}
	return nil
}

// errorText is Opsgenie's message with the fields it names, if any.
func errorText(e answer) string {
	msg := e.Message
	if len(e.Errors) > 0 {
		var parts []string
		for k, v := range e.Errors {
			parts = append(parts, k+": "+v)
		}
		slices.Sort(parts)
		msg = strings.TrimSpace(msg + " (" + strings.Join(parts, "; ") + ")")
	}
	return msg
}
