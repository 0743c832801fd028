package fakepagerduty

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// WebhookIncident is the incident a webhook built by WebhookBody is about.
type WebhookIncident struct {
	ID          string // "PGR0VU2" when empty
	Number      int
	Title       string
	Status      string // from the event type when empty
	Key         string // incident_key: the dedup key of muster's trigger
	ServiceID   string
	ServiceName string
	Agent       string // who caused the event; none when empty
}

// WebhookBody returns a v3 webhook body for an incident event
// (incident.triggered, incident.acknowledged, incident.resolved) at the
// time at, shaped as PagerDuty's documented sample.
func WebhookBody(eventType string, inc WebhookIncident, at time.Time) []byte {
	if inc.ID == "" {
		inc.ID = "PGR0VU2"
	}
	if inc.Status == "" {
		inc.Status = strings.TrimPrefix(eventType, "incident.")
	}
	ref := func(kind, id, summary string) map[string]string {
		return map[string]string{
			"id": id, "type": kind + "_reference", "summary": summary,
			"self":     "https://api.pagerduty.com/" + kind + "s/" + id,
			"html_url": "https://acme.pagerduty.com/" + kind + "s/" + id,
		}
	}
	var agent any
	if inc.Agent != "" {
		agent = ref("user", "PLH1HKV", inc.Agent)
	}
	body := map[string]any{"event": map[string]any{
		"id":            fmt.Sprintf("01%X", at.UnixNano()),
		"event_type":    eventType,
		"resource_type": "incident",
		"occurred_at":   at.UTC().Format("2006-01-02T15:04:05.000Z"),
		"agent":         agent,
		"client":        nil,
		"data": map[string]any{
			"id":             inc.ID,
			"type":           "incident",
			"self":           "https://api.pagerduty.com/incidents/" + inc.ID,
			"html_url":       "https://acme.pagerduty.com/incidents/" + inc.ID,
			"number":         inc.Number,
			"status":         inc.Status,
			"incident_key":   inc.Key,
			"created_at":     at.UTC().Format(time.RFC3339),
			"title":          inc.Title,
			"service":        ref("service", inc.ServiceID, inc.ServiceName),
			"assignees":      []any{},
			"urgency":        "high",
			"resolve_reason": nil,
		},
	}}
	data, _ := json.Marshal(body) // maps of strings always encode
	return data
}

// Signature returns the X-PagerDuty-Signature value of body signed with
// each secret, comma-separated, as PagerDuty sends it while a secret is
// rotated. It is computed here from the documentation rather than with
// pagerduty.Sign, so that a test checks the receiver against PagerDuty's
// format instead of against itself.
func Signature(body []byte, secrets ...string) string {
	sigs := make([]string, len(secrets))
	for i, s := range secrets {
		m := hmac.New(sha256.New, []byte(s))
		m.Write(body)
		sigs[i] = "v1=" + hex.EncodeToString(m.Sum(nil))
	}
	return strings.Join(sigs, ",")
}

// WebhookRequest builds the POST PagerDuty makes to deliver body to url,
// signed with the secrets.
func WebhookRequest(ctx context.Context, url string, body []byte, secrets ...string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build the webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "PagerDuty-Webhook/V3.0")
	req.Header.Set("X-Webhook-Id", "fake-delivery")
	if len(secrets) > 0 {
		req.Header.Set("X-PagerDuty-Signature", Signature(body, secrets...))
	}
	return req, nil
}

// SendWebhook delivers body to url signed with the secrets, as PagerDuty
// does, and returns the status the receiver answered.
func SendWebhook(ctx context.Context, hc *http.Client, url string, body []byte, secrets ...string) (int, error) {
	req, err := WebhookRequest(ctx, url, body, secrets...)
	if err != nil {
		return 0, err
	}
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("deliver the webhook: %w", err)
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
