// Package paging is what muster knows about paging an on-call through a
// provider (PagerDuty, Opsgenie), whichever it is: the page it sends, the
// people on call it is told about, and whether a failed call is worth
// another try. The providers' packages below it translate these to their
// wire formats; the bot decides whom to page, when, and what to retry.
package paging

import (
	"fmt"
	"strconv"
	"strings"
)

// Source is what muster calls itself in the pages it sends, so that the
// on-call sees where a page came from.
const Source = "muster"

// Page is one page of one service's on-call about one incident.
type Page struct {
	// Key identifies the page at the provider (PagerDuty's dedup_key,
	// Opsgenie's alias): a second page with the same key while the first
	// is open adds to it instead of paging again, and the resolve names
	// it. See Key.
	Key string `json:"key"`
	// Summary is the one line the on-call's phone shows:
	// "INC-12 SEV1: Checkout is returning 500s".
	Summary string `json:"summary"`
	// Severity is the provider's own value: PagerDuty's critical, error,
	// warning or info; Opsgenie's P1…P5. The bot maps muster's severity
	// to it from the configuration.
	Severity string `json:"severity"`
	// Description is the longer text under the summary, if any.
	Description string `json:"description,omitempty"`
	// Details are key-value facts shown with the page (service, IC, …).
	Details map[string]string `json:"details,omitempty"`
	// Links lead the on-call to the war room and the incident page.
	Links []Link `json:"links,omitempty"`
}

// Link is a link shown with a page.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// OnCall is a person on call, as a provider names them: muster finds
// the chat user by the e-mail to invite them to the war room.
type OnCall struct {
	Email string
	Name  string
	// Level is the escalation level (1 is the first responder) where the
	// provider tells it (PagerDuty); 0 where it does not (Opsgenie's
	// schedule on-calls).
	Level int
}

// Key is the page key of an incident's page to a service's on-call:
// "muster-INC-<n>-<service>". It is the same for every page of that
// service about that incident, so retries and repeated pages never page
// twice, and a webhook about it leads back to the incident.
func Key(incident int, service string) string {
	return fmt.Sprintf("muster-INC-%d-%s", incident, service)
}

// ParseKey reads a key made by Key. ok is false for any other key, such
// as a page another tool sent to the same service.
func ParseKey(key string) (incident int, service string, ok bool) {
	rest, found := strings.CutPrefix(key, "muster-INC-")
	if !found {
		return 0, "", false
	}
	num, service, found := strings.Cut(rest, "-")
	if !found || service == "" {
		return 0, "", false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 || strconv.Itoa(n) != num {
		return 0, "", false
	}
	return n, service, true
}

// Truncate cuts s to at most n runes, marking the cut with "…", so that a
// long incident title fits a provider's limit instead of being refused.
func Truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
