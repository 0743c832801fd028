// Package statuspage is a client of the Atlassian Statuspage REST API v1,
// the part muster mirrors public posts and component states to: create an
// incident, then update it. It translates between the domain and the wire
// and nothing more; the bot decides what to send and when to retry.
package statuspage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/remote"
)

// DefaultURL is the API's address when the configuration names none.
const DefaultURL = "https://api.statuspage.io/v1"

// Statuses of a Statuspage incident.
const (
	StatusInvestigating = "investigating"
	StatusIdentified    = "identified"
	StatusMonitoring    = "monitoring"
	StatusResolved      = "resolved"
)

// Component states on Statuspage.
const (
	ComponentOperational = "operational"
	ComponentDegraded    = "degraded_performance"
	ComponentPartial     = "partial_outage"
	ComponentMajor       = "major_outage"
)

// Status maps an incident's status to Statuspage's: a mitigated
// incident is being monitored.
func Status(s muster.Status) string {
	switch s {
	case muster.StatusIdentified:
		return StatusIdentified
	case muster.StatusMitigated:
		return StatusMonitoring
	case muster.StatusResolved:
		return StatusResolved
	default:
		return StatusInvestigating
	}
}

// ComponentState maps a component's state to Statuspage's.
func ComponentState(s muster.ComponentState) string {
	switch s {
	case muster.ComponentDegraded:
		return ComponentDegraded
	case muster.ComponentPartial:
		return ComponentPartial
	case muster.ComponentMajor:
		return ComponentMajor
	default:
		return ComponentOperational
	}
}

// Incident is what a create or an update sends. Empty fields are left
// out, so an update without Body changes the components alone, and one
// without Components leaves them as they are.
type Incident struct {
	Name   string `json:"name,omitempty"`
	Status string `json:"status,omitempty"`
	// Body becomes an incident update (the text readers see under the
	// status).
	Body string `json:"body,omitempty"`
	// Components maps a component's id to its state (ComponentOperational…).
	Components map[string]string `json:"components,omitempty"`
	// ComponentIDs are the components the incident affects.
	ComponentIDs []string `json:"component_ids,omitempty"`
}

type envelope struct {
	Incident Incident `json:"incident"`
}

// Client calls the API for one page.
type Client struct {
	base   string
	page   string
	key    string
	client *http.Client
}

// New returns a client of the page pageID at baseURL (DefaultURL when
// empty) with the API key. hc nil uses a client with a 30 s timeout.
func New(baseURL, pageID, apiKey string, hc *http.Client) *Client {
	if baseURL == "" {
		baseURL = DefaultURL
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), page: pageID, key: apiKey, client: hc}
}

// CreateIncident creates an incident and returns its id.
func (c *Client) CreateIncident(ctx context.Context, inc Incident) (string, error) {
	var got struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, http.MethodPost, "/pages/"+url.PathEscape(c.page)+"/incidents", inc, &got); err != nil {
		return "", fmt.Errorf("create a Statuspage incident: %w", err)
	}
	if got.ID == "" {
		return "", errors.New("create a Statuspage incident: the answer has no incident id")
	}
	return got.ID, nil
}

// UpdateIncident updates the incident id.
func (c *Client) UpdateIncident(ctx context.Context, id string, inc Incident) error {
	path := "/pages/" + url.PathEscape(c.page) + "/incidents/" + url.PathEscape(id)
	if err := c.call(ctx, http.MethodPatch, path, inc, nil); err != nil {
		return fmt.Errorf("update Statuspage incident %s: %w", id, err)
	}
	return nil
}

func (c *Client) call(ctx context.Context, method, path string, inc Incident, out any) error {
	body, err := json.Marshal(envelope{Incident: inc})
	if err != nil {
		return fmt.Errorf("encode the request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "OAuth "+c.key)
	req.Header.Set("Content-Type", "application/json")
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
		return responseError(resp, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decode the answer: %w", err)
		}
	}
	return nil
}

// responseError is the remote.Error of an answer other than 2xx, with
// Statuspage's "error" text (a string, or a list of them).
func responseError(resp *http.Response, body []byte) *remote.Error {
	var parsed struct {
		Error any `json:"error"`
	}
	var msg string
	if json.Unmarshal(body, &parsed) == nil && parsed.Error != nil {
		switch v := parsed.Error.(type) {
		case string:
			msg = v
		case []any:
			var parts []string
			for _, p := range v {
				parts = append(parts, fmt.Sprint(p))
			}
			msg = strings.Join(parts, "; ")
		}
	}
	return remote.NewError("Statuspage", resp, msg, body)
}
