// Package webhooks tells other systems (status pages, ticket systems) of
// every state change of an incident: a signed JSON POST per change to each
// configured URL. The timeline is the outbox: each change it delivers is
// an entry written in the same transaction as the change itself, and how
// far each URL got in each incident is kept in the store. So a restart or
// an endpoint that is down loses nothing; per incident, changes arrive in
// order, and a change is retried (with backoff) until it is accepted.
package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
)

// Store is what delivery reads and where it keeps its place; *store.DB
// satisfies it.
type Store interface {
	Incidents(ctx context.Context, openOnly bool) ([]*muster.Incident, error)
	EntriesAfter(ctx context.Context, id, after, limit int) ([]muster.Entry, error)
	Setting(ctx context.Context, key string) (string, error)
	SetSetting(ctx context.Context, key, value string) error
}

// eventName names the timeline entries that are state changes.
func eventName(k muster.EntryKind) (string, bool) {
	switch k {
	case muster.EntryDeclared, muster.EntrySeverity, muster.EntryStatus, muster.EntryUpdate, muster.EntryResolved, muster.EntryReopened:
		return string(k), true
	case muster.EntryRole, muster.EntryHandoff:
		return "role", true
	}
	return "", false
}

// Event is the JSON body of a delivery.
type Event struct {
	Event    string       `json:"event"` // declared, severity, status, role, update, resolved, reopened
	At       time.Time    `json:"at"`
	Actor    string       `json:"actor,omitempty"`
	Text     string       `json:"text"`
	Seq      int          `json:"seq"` // position in the incident's timeline: deliveries of one incident come in this order
	Incident IncidentInfo `json:"incident"`
}

// IncidentInfo is the incident as it is when the event is delivered.
type IncidentInfo struct {
	ID       int    `json:"id"`
	Ref      string `json:"ref"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
	Status   string `json:"status"`
	IC       string `json:"ic,omitempty"`
}

// SignatureHeader carries "sha256=" + hex(HMAC-SHA256(secret, timestamp +
// "." + body)); TimestampHeader the Unix time it was signed at.
const (
	SignatureHeader = "X-Muster-Signature"
	TimestampHeader = "X-Muster-Timestamp"
)

// Deliverer sends the events.
type Deliverer struct {
	store  Store
	urls   []string
	secret []byte
	client *http.Client
	now    func() time.Time
	log    zerolog.Logger
	// retry holds, per URL and incident, when to try again after a failure
	// and how long the last wait was. In memory: a restart retries at once.
	retry map[string]backoff
}

type backoff struct {
	at   time.Time
	wait time.Duration
}

// New returns a deliverer for urls, signing with secret.
func New(store Store, urls []string, secret string, client *http.Client, now func() time.Time, log zerolog.Logger) *Deliverer {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Deliverer{store: store, urls: urls, secret: []byte(secret), client: client, now: now, log: log, retry: map[string]backoff{}}
}

// Run delivers every second until ctx is done.
func (d *Deliverer) Run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		if err := d.Step(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn().Err(err).Msg("webhook delivery")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Step delivers what is pending now, for every URL and incident. Private
// incidents are never sent out.
func (d *Deliverer) Step(ctx context.Context) error {
	incidents, err := d.store.Incidents(ctx, false)
	if err != nil {
		return fmt.Errorf("webhooks: list incidents: %w", err)
	}
	for i, url := range d.urls {
		for _, inc := range incidents {
			if inc.Private {
				continue
			}
			if err := d.deliver(ctx, i, url, inc); err != nil {
				d.log.Warn().Err(err).Str("incident", inc.Ref()).Int("webhook", i).Msg("webhook delivery failed; will retry")
			}
		}
	}
	return nil
}

func (d *Deliverer) deliver(ctx context.Context, i int, url string, inc *muster.Incident) error {
	key := fmt.Sprintf("webhook.%d.%d", i, inc.ID)
	if b, ok := d.retry[key]; ok && d.now().Before(b.at) {
		return nil
	}
	raw, err := d.store.Setting(ctx, key)
	if err != nil {
		return err
	}
	cursor, _ := strconv.Atoi(raw)
	entries, err := d.store.EntriesAfter(ctx, inc.ID, cursor, 100)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if name, ok := eventName(e.Kind); ok {
			if err := d.post(ctx, url, Event{Event: name, At: e.At, Actor: e.Actor, Text: e.Text, Seq: e.Seq, Incident: info(inc)}); err != nil {
				b := d.retry[key]
				b.wait = min(max(2*b.wait, time.Second), 5*time.Minute)
				b.at = d.now().Add(b.wait)
				d.retry[key] = b
				return err
			}
		}
		if err := d.store.SetSetting(ctx, key, strconv.Itoa(e.Seq)); err != nil {
			return err
		}
	}
	delete(d.retry, key)
	return nil
}

func info(inc *muster.Incident) IncidentInfo {
	return IncidentInfo{ID: inc.ID, Ref: inc.Ref(), Title: inc.Title, Severity: inc.Severity, Status: string(inc.Status), IC: inc.Roles[muster.RoleIC]}
}

func (d *Deliverer) post(ctx context.Context, url string, ev Event) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	ts := strconv.FormatInt(d.now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook %s: %w", url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(TimestampHeader, ts)
	req.Header.Set(SignatureHeader, Sign(d.secret, ts, body))
	resp, err := d.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", url, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook %s: HTTP %d", url, resp.StatusCode)
	}
	return nil
}

// Sign is the signature receivers check: "sha256=" + hex of the
// HMAC-SHA256 of timestamp + "." + body.
func Sign(secret []byte, ts string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
