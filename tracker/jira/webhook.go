package jira

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/muster-bot/muster/tracker"
)

// Headers of a webhook delivery. An admin webhook registered with a
// secret (Jira settings → System → WebHooks) is signed in
// SignatureHeader as "sha256=<hex HMAC-SHA256 of the body>"; webhooks
// that apps register are not signed, so muster takes only admin ones.
const (
	SignatureHeader = "X-Hub-Signature"
	DeliveryHeader  = "X-Atlassian-Webhook-Identifier"
)

// IssueUpdated is the webhookEvent muster acts on.
const IssueUpdated = "jira:issue_updated"

// Verify checks a delivery's body against its SignatureHeader value with
// the webhook's secret; see tracker.Verify.
func Verify(secret string, body []byte, header string) error {
	if err := tracker.Verify(secret, body, header); err != nil {
		return fmt.Errorf("check the Jira webhook's %s: %w", SignatureHeader, err)
	}
	return nil
}

type webhookBody struct {
	Timestamp    int64  `json:"timestamp"` // milliseconds since the epoch
	WebhookEvent string `json:"webhookEvent"`
	Issue        *struct {
		ID     string `json:"id"`
		Self   string `json:"self"`
		Key    string `json:"key"`
		Fields struct {
			Labels []string `json:"labels"`
			Status struct {
				StatusCategory struct {
					Key string `json:"key"`
				} `json:"statusCategory"`
			} `json:"status"`
			ResolutionDate string `json:"resolutiondate"`
		} `json:"fields"`
	} `json:"issue"`
	Changelog struct {
		Items []struct {
			Field   string `json:"field"`
			FieldID string `json:"fieldId"`
		} `json:"items"`
	} `json:"changelog"`
}

// ParseWebhook reads a delivery's body; call Verify first. Only
// jira:issue_updated is read; any other event is tracker.ErrIgnored.
// The event's state is the issue's current one; Changed tells whether
// the update moved its status (the changelog has a status item), as
// opposed to a comment or an edit.
func ParseWebhook(body []byte) (tracker.Event, error) {
	var b webhookBody
	if err := json.Unmarshal(body, &b); err != nil {
		return tracker.Event{}, fmt.Errorf("read Jira webhook: %w", err)
	}
	if b.WebhookEvent == "" {
		return tracker.Event{}, fmt.Errorf("read Jira webhook: no webhookEvent")
	}
	if b.WebhookEvent != IssueUpdated {
		return tracker.Event{}, fmt.Errorf("read Jira webhook %s: %w", b.WebhookEvent, tracker.ErrIgnored)
	}
	is := b.Issue
	if is == nil || is.Key == "" {
		return tracker.Event{}, fmt.Errorf("read Jira webhook %s: no issue key", b.WebhookEvent)
	}
	// The site's address is the issue's self link up to /rest/.
	site, _, _ := strings.Cut(is.Self, "/rest/")
	ev := tracker.Event{
		Ref: tracker.Ref{ID: is.ID, Key: is.Key, URL: site + "/browse/" + is.Key},
		Key: tracker.FindKey(is.Fields.Labels),
	}
	if is.Fields.Status.StatusCategory.Key == "done" {
		ev.State = tracker.State{Done: true, ClosedAt: parseTime(is.Fields.ResolutionDate)}
	}
	for _, it := range b.Changelog.Items {
		if it.FieldID == "status" || it.Field == "status" {
			ev.Changed = true
		}
	}
	if b.Timestamp > 0 {
		ev.At = time.UnixMilli(b.Timestamp).UTC()
	}
	return ev, nil
}
