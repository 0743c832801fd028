package pagerduty

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/muster-bot/muster/paging"
)

// SignatureHeader is the header a v3 webhook's signatures come in.
const SignatureHeader = "X-PagerDuty-Signature"

// Errors of Verify. A handler answers both with 401 and reads nothing of
// the body.
var (
	ErrNoSignature  = errors.New("no v1 signature in " + SignatureHeader)
	ErrBadSignature = errors.New("no signature in " + SignatureHeader + " matches the body")
)

// Sign returns the v1 signature of body with secret, as PagerDuty puts it
// in SignatureHeader: "v1=" and the hex HMAC-SHA256 of the raw body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a v3 webhook's body against the value of its
// SignatureHeader. PagerDuty signs with every secret the subscription has
// while one is being rotated and sends the signatures comma-separated;
// the body is genuine when any v1 signature matches. Signatures of other
// versions are skipped. The comparison takes the same time whatever the
// signature, so it leaks nothing of the right one.
func Verify(secret string, body []byte, header string) error {
	if secret == "" {
		return errors.New("no webhook secret configured")
	}
	want := []byte(Sign(secret, body))
	found, ok := false, false
	for sig := range strings.SplitSeq(header, ",") {
		sig = strings.TrimSpace(sig)
		if !strings.HasPrefix(sig, "v1=") {
			continue
		}
		found = true
		if hmac.Equal([]byte(sig), want) {
			ok = true
		}
	}
	switch {
	case ok:
		return nil
	case !found:
		return ErrNoSignature
	default:
		return ErrBadSignature
	}
}

// Webhook event types muster acts on.
const (
	IncidentTriggered    = "incident.triggered"
	IncidentAcknowledged = "incident.acknowledged"
	IncidentResolved     = "incident.resolved"
)

// WebhookEvent is what muster reads of a v3 webhook.
type WebhookEvent struct {
	ID         string // the event's id: a redelivery has the same
	Type       string // event_type: incident.acknowledged, …
	OccurredAt time.Time
	// Agent names who or what caused the event ("Jane Doe" acknowledging),
	// empty when PagerDuty itself did.
	Agent string
	// Incident is the incident the event is about; zero when the event is
	// about something else (event.resource_type is not "incident" or
	// event.data.type is not "incident", as for incident.annotated).
	Incident Incident
}

// Incident is a PagerDuty incident as a webhook shows it.
type Incident struct {
	ID      string
	Number  int
	Title   string
	Status  string // triggered, acknowledged, resolved
	Urgency string // high, low
	HTMLURL string
	// Key is the incident_key. An incident that a muster trigger opened
	// has the trigger's dedup_key here (paging.Key), which is how a webhook
	// leads back to muster's incident; see MusterKey.
	Key         string
	ServiceID   string
	ServiceName string // the service's summary
	CreatedAt   time.Time
}

// MusterKey returns the incident's key when it is one muster paged with,
// so the bot knows the acknowledgement is of its page; ok is false for
// incidents opened by anything else.
func (e WebhookEvent) MusterKey() (key string, incident int, service string, ok bool) {
	n, svc, ok := paging.ParseKey(e.Incident.Key)
	if !ok {
		return "", 0, "", false
	}
	return e.Incident.Key, n, svc, true
}

type reference struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Summary string `json:"summary"`
	HTMLURL string `json:"html_url"`
}

type webhookBody struct {
	Event *struct {
		ID           string     `json:"id"`
		EventType    string     `json:"event_type"`
		ResourceType string     `json:"resource_type"`
		OccurredAt   time.Time  `json:"occurred_at"`
		Agent        *reference `json:"agent"`
		Data         struct {
			ID          string    `json:"id"`
			Type        string    `json:"type"`
			HTMLURL     string    `json:"html_url"`
			Number      int       `json:"number"`
			Status      string    `json:"status"`
			IncidentKey string    `json:"incident_key"`
			CreatedAt   time.Time `json:"created_at"`
			Title       string    `json:"title"`
			Urgency     string    `json:"urgency"`
			Service     reference `json:"service"`
		} `json:"data"`
	} `json:"event"`
}

// ParseWebhook reads a v3 webhook's body. Call Verify first: the body is
// trusted only once its signature matched.
func ParseWebhook(body []byte) (WebhookEvent, error) {
	var b webhookBody
	if err := json.Unmarshal(body, &b); err != nil {
		return WebhookEvent{}, fmt.Errorf("read PagerDuty webhook: %w", err)
	}
	if b.Event == nil || b.Event.EventType == "" {
		return WebhookEvent{}, errors.New("read PagerDuty webhook: no event.event_type")
	}
	ev := b.Event
	out := WebhookEvent{ID: ev.ID, Type: ev.EventType, OccurredAt: ev.OccurredAt}
	if ev.Agent != nil {
		out.Agent = ev.Agent.Summary
	}
	if ev.ResourceType == "incident" && ev.Data.Type == "incident" {
		d := ev.Data
		if d.ID == "" {
			return WebhookEvent{}, fmt.Errorf("read PagerDuty webhook %s: the incident has no id", ev.EventType)
		}
		out.Incident = Incident{
			ID: d.ID, Number: d.Number, Title: d.Title, Status: d.Status, Urgency: d.Urgency,
			HTMLURL: d.HTMLURL, Key: d.IncidentKey, CreatedAt: d.CreatedAt,
			ServiceID: d.Service.ID, ServiceName: d.Service.Summary,
		}
	}
	return out, nil
}
