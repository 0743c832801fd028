package github

import (
	"fmt"

	gh "github.com/google/go-github/v75/github"

	"github.com/muster-bot/muster/tracker"
)

// Headers of a webhook delivery.
const (
	SignatureHeader = "X-Hub-Signature-256"
	EventHeader     = "X-GitHub-Event"
	DeliveryHeader  = "X-GitHub-Delivery"
)

// Verify checks a delivery's body against its SignatureHeader value with
// the webhook's secret; see tracker.Verify. The older X-Hub-Signature
// (SHA-1) is not taken.
func Verify(secret string, body []byte, header string) error {
	if err := tracker.Verify(secret, body, header); err != nil {
		return fmt.Errorf("check the GitHub webhook's %s: %w", SignatureHeader, err)
	}
	return nil
}

// ParseWebhook reads a delivery's body of the event named in its
// EventHeader; call Verify first. Only "issues" events are read; any
// other (ping, push, …) is tracker.ErrIgnored. Changed is true for the
// actions closed and reopened; other actions (labeled, edited, …) carry
// the issue's state too.
func ParseWebhook(event string, body []byte) (tracker.Event, error) {
	if event != "issues" {
		return tracker.Event{}, fmt.Errorf("read GitHub webhook %q: %w", event, tracker.ErrIgnored)
	}
	v, err := gh.ParseWebHook(event, body)
	if err != nil {
		return tracker.Event{}, fmt.Errorf("read GitHub webhook %s: %w", event, err)
	}
	e, ok := v.(*gh.IssuesEvent)
	if !ok || e.Issue == nil || e.Issue.GetNumber() == 0 || e.GetAction() == "" {
		return tracker.Event{}, fmt.Errorf("read GitHub webhook %s: no action or issue", event)
	}
	is := e.Issue
	var labels []string
	for _, l := range is.Labels {
		labels = append(labels, l.GetName())
	}
	ev := tracker.Event{
		Ref: tracker.Ref{
			ID:     fmt.Sprint(is.GetID()),
			Key:    fmt.Sprintf("%s#%d", e.GetRepo().GetFullName(), is.GetNumber()),
			Number: is.GetNumber(),
			URL:    is.GetHTMLURL(),
		},
		Key:     tracker.FindKey(labels),
		State:   state(is),
		Changed: e.GetAction() == "closed" || e.GetAction() == "reopened",
		At:      is.GetUpdatedAt().Time,
	}
	if ev.State.Done && e.GetAction() == "closed" {
		ev.At = ev.State.ClosedAt
	}
	return ev, nil
}
