// Package tracker is what muster knows about the issue trackers its
// action items go to (Jira, GitHub Issues), whichever it is: the issue it
// files for an item, the reference it keeps, the done state it reads back
// by poll or webhook, and whether a failed call is worth another try. The
// providers' packages below it translate these to their wire formats; the
// bot decides what to file, when, and what to retry through the outbox.
package tracker

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/muster-bot/muster"
)

// Issue is one action item as muster files it.
type Issue struct {
	// Key is muster's own name of the item, made by Key. Trackers have no
	// idempotency key, so each client puts it on the issue as a label and
	// looks for it before creating: a create retried after a lost answer
	// finds the first issue instead of filing a second.
	Key string
	// Title is the issue's one line: the item's text, cut to the
	// provider's limit.
	Title string
	// Body is Markdown: the item's context. The provider's client adds the
	// link back, the owner when it cannot assign them, and what the
	// provider has no field for (GitHub's due date).
	Body string
	// Link leads back to the incident in muster.
	Link Link
	// Assignee is the owner's e-mail, empty when the item has none or the
	// chat platform did not tell it. The client maps it to the provider's
	// user where it can, and names it in the body where it cannot.
	Assignee string
	// Due is the due date, zero for none. Only the date counts: it is
	// sent as the calendar day Due has in its own location.
	Due time.Time
	// Priority is muster's (p0…p2), empty for none; each client maps it to
	// the provider's priority (Jira) or a label (GitHub) from its
	// configuration.
	Priority muster.Priority
	// Labels are added to the issue besides the key and priority labels.
	Labels []string
}

// Link is a link back to muster.
type Link struct {
	URL  string
	Text string
}

// Ref is an issue as a provider names it, kept with the action item.
type Ref struct {
	// ID is the provider's internal id (Jira's "10068", GitHub's issue id).
	ID string `json:"id"`
	// Key is the name people use: Jira's "OPS-12", GitHub's "acme/web#42".
	Key string `json:"key"`
	// Number is GitHub's issue number (42), 0 for Jira.
	Number int `json:"number,omitempty"`
	// URL is the issue's page for people.
	URL string `json:"url"`
}

// State is what muster reads back of an issue.
type State struct {
	// Done: Jira's status is in the done category, GitHub's issue is
	// closed.
	Done bool
	// ClosedAt is when it was done (Jira's resolutiondate, GitHub's
	// closed_at), zero when it is not or the provider did not say.
	ClosedAt time.Time
}

// Event is what muster reads of a tracker's webhook about an issue.
type Event struct {
	// Delivery is the provider's id of the delivery (GitHub's
	// X-GitHub-Delivery, Jira's X-Atlassian-Webhook-Identifier) when the
	// caller passes it on; a redelivery has the same.
	Delivery string
	Ref      Ref
	// Key is muster's key found among the issue's labels, empty for an
	// issue muster did not file.
	Key string
	// State is the issue's state the webhook carries.
	State State
	// Changed is true when the event is a change of done state (a status
	// transition in Jira, closed or reopened in GitHub); other updates
	// carry the state too, and applying it again changes nothing.
	Changed bool
	// At is when the provider says it happened, zero if it did not.
	At time.Time
}

// ErrIgnored is returned by the providers' webhook parsers for a
// well-formed delivery that is not about an issue's state (GitHub's ping,
// a Jira comment event): the handler answers it 2xx and does nothing.
var ErrIgnored = errors.New("not an issue event muster acts on")

const keyPrefix = "muster-INC-"

// Key is the key of action item number item of incident incident:
// "muster-INC-12-action-3". It is the same for every try of filing that
// item, and usable as a label in both Jira (no spaces) and GitHub.
func Key(incident, item int) string {
	return fmt.Sprintf("%s%d-action-%d", keyPrefix, incident, item)
}

// ParseKey reads a key made by Key; ok is false for any other string,
// such as a label a person added.
func ParseKey(key string) (incident, item int, ok bool) {
	rest, found := strings.CutPrefix(key, keyPrefix)
	if !found {
		return 0, 0, false
	}
	inc, num, found := strings.Cut(rest, "-action-")
	if !found {
		return 0, 0, false
	}
	incident, ok1 := positive(inc)
	item, ok2 := positive(num)
	if !ok1 || !ok2 {
		return 0, 0, false
	}
	return incident, item, true
}

func positive(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || strconv.Itoa(n) != s {
		return 0, false
	}
	return n, true
}

// FindKey returns the first of labels that is a key made by Key, or "".
func FindKey(labels []string) string {
	for _, l := range labels {
		if _, _, ok := ParseKey(l); ok {
			return l
		}
	}
	return ""
}

// Signature errors of Verify. A handler answers both with 401 and reads
// nothing of the body.
var (
	ErrNoSignature  = errors.New("no sha256 signature")
	ErrBadSignature = errors.New("the signature does not match the body")
)

// Sign returns the signature of body with secret in the WebSub form both
// GitHub (X-Hub-Signature-256) and Jira's admin webhooks
// (X-Hub-Signature) send: "sha256=" and the hex HMAC-SHA256 of the raw
// body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks body against the value of its signature header. Only
// the sha256 method is taken: GitHub's older sha1 header is not enough.
// The comparison takes the same time whatever the signature, so it leaks
// nothing of the right one.
func Verify(secret string, body []byte, header string) error {
	if secret == "" {
		return errors.New("no webhook secret configured")
	}
	header = strings.TrimSpace(header)
	if !strings.HasPrefix(header, "sha256=") {
		return ErrNoSignature
	}
	if !hmac.Equal([]byte(header), []byte(Sign(secret, body))) {
		return ErrBadSignature
	}
	return nil
}
