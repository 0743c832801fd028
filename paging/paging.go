// Package paging is what muster knows about paging an on-call through a
// provider (PagerDuty, Opsgenie), whichever it is: the page it sends, the
// people on call it is told about, and whether a failed call is worth
// another try. The providers' packages below it translate these to their
// wire formats; the bot decides whom to page, when, and what to retry.
package paging

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
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

// Error is a provider's answer other than success.
type Error struct {
	Provider string // "PagerDuty", "Opsgenie"
	Code     int    // the HTTP status
	// Message is the provider's own explanation (PagerDuty's message and
	// errors list, Opsgenie's message), or the start of the body.
	Message string
	// RetryAfter is the wait the provider asked for (Retry-After), if any.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("%s answered %d %s", e.Provider, e.Code, http.StatusText(e.Code))
	}
	return fmt.Sprintf("%s answered %d: %s", e.Provider, e.Code, e.Message)
}

// Temporary reports whether the same call may succeed later: the
// provider is down (5xx), overloaded (429) or timed out (408). Any
// other refusal (a wrong key, an invalid event) repeats whatever the
// wait, so it is reported instead of retried.
func (e *Error) Temporary() bool {
	return e.Code >= 500 || e.Code == http.StatusTooManyRequests || e.Code == http.StatusRequestTimeout
}

// NewError builds the Error for a response with the provider's message;
// an empty message falls back to the start of body.
func NewError(provider string, resp *http.Response, message string, body []byte) *Error {
	e := &Error{Provider: provider, Code: resp.StatusCode, Message: strings.TrimSpace(message)}
	if e.Message == "" {
		e.Message = strings.TrimSpace(string(body[:min(len(body), 200)]))
	}
	e.RetryAfter = RetryAfter(resp.Header)
	return e
}

// RetryAfter reads a Retry-After header given in seconds, the form both
// providers use; anything else (absent, a date, nonsense) is 0, leaving
// the wait to the caller's backoff.
func RetryAfter(h http.Header) time.Duration {
	s, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After")))
	if err != nil || s <= 0 {
		return 0
	}
	return time.Duration(s) * time.Second
}

// Retry says whether a failed call is worth trying again, and after how
// long at least (0: the caller's backoff decides). Network failures and
// temporary answers are; refusals are not, nor is a call the caller
// cancelled.
func Retry(err error) (retry bool, after time.Duration) {
	if err == nil {
		return false, 0
	}
	if e, ok := errors.AsType[*Error](err); ok {
		if !e.Temporary() {
			return false, 0
		}
		return true, e.RetryAfter
	}
	return !errors.Is(err, context.Canceled), 0
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
