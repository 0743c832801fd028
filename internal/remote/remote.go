// Package remote classifies the failures of calls to the services muster
// talks to (the paging providers, Statuspage, the trackers), so that the
// outbox decides alike for every one of them whether a call is tried
// again, and after how long.
package remote

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/muster-bot/muster"
)

// Error is a service's answer other than success.
type Error struct {
	Provider string // "PagerDuty", "Statuspage", "GitHub"
	Code     int    // the HTTP status
	// Message is the service's own explanation (PagerDuty's errors list,
	// Statuspage's error, Opsgenie's message), or the start of the body.
	Message string
	// RetryAfter is the wait the service asked for (Retry-After, or until
	// a rate limit resets), if any.
	RetryAfter time.Duration
	// RateLimited marks a rate limit given with a status that otherwise
	// means a refusal: GitHub answers 403 for its rate limits.
	RateLimited bool
}

func (e *Error) Error() string {
	prefix := ""
	if e.RateLimited {
		prefix = "rate limited: "
	}
	if e.Message == "" {
		return fmt.Sprintf("%s%s answered %d %s", prefix, e.Provider, e.Code, http.StatusText(e.Code))
	}
	return fmt.Sprintf("%s%s answered %d: %s", prefix, e.Provider, e.Code, e.Message)
}

// Temporary reports whether the same call may succeed later: the
// service is down (5xx), timed out (408) or rate-limiting (429, and
// Statuspage's 420). Any other refusal (a wrong key, an invalid event)
// repeats whatever the wait, so it is reported instead of retried.
func (e *Error) Temporary() bool {
	return e.RateLimited || e.Code >= 500 || e.Code == http.StatusTooManyRequests || e.Code == http.StatusRequestTimeout || e.Code == 420
}

// NewError builds the Error for a response with the service's message;
// an empty message falls back to the start of body.
func NewError(provider string, resp *http.Response, message string, body []byte) *Error {
	e := &Error{Provider: provider, Code: resp.StatusCode, Message: strings.TrimSpace(message)}
	if e.Message == "" {
		e.Message = strings.TrimSpace(string(body[:min(len(body), 200)]))
	}
	e.RetryAfter = RetryAfter(resp.Header)
	return e
}

// RetryAfter reads a Retry-After header given in seconds, the form these
// services use; anything else (absent, a date, nonsense) is 0, leaving
// the wait to the caller's backoff.
func RetryAfter(h http.Header) time.Duration {
	s, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After")))
	if err != nil || s <= 0 {
		return 0
	}
	return time.Duration(s) * time.Second
}

// Retry says whether a failed call is worth trying again, and after how
// long at least (0: the caller's backoff decides). Network failures,
// timeouts and temporary answers are; refusals are not, neither the
// service's nor the ones a client makes itself before calling (a
// muster.Error: a key that is not muster's, no transition to done), nor
// a call the caller cancelled.
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
	if _, ok := errors.AsType[*muster.Error](err); ok {
		return false, 0
	}
	return !errors.Is(err, context.Canceled), 0
}
