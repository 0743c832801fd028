package remote_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/remote"
)

func answer(code int, retryAfter string) *http.Response {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	return &http.Response{StatusCode: code, Header: h}
}

func TestRetry(t *testing.T) {
	netErr := &url.Error{Op: "Post", URL: "http://127.0.0.1:1/v2/enqueue", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}
	cases := []struct {
		name  string
		err   error
		retry bool
		after time.Duration
	}{
		{"network failure", fmt.Errorf("trigger: %w", netErr), true, 0},
		{"deadline", fmt.Errorf("trigger: %w", context.DeadlineExceeded), true, 0},
		{"cancelled by the caller", fmt.Errorf("trigger: %w", context.Canceled), false, 0},
		{"500", remote.NewError("PagerDuty", answer(500, ""), "", nil), true, 0},
		{"503 with Retry-After", remote.NewError("PagerDuty", answer(503, "120"), "", nil), true, 2 * time.Minute},
		{"429 with Retry-After", fmt.Errorf("page: %w", remote.NewError("Opsgenie", answer(429, "30"), "slow down", nil)), true, 30 * time.Second},
		{"429 with a date", remote.NewError("Opsgenie", answer(429, "Wed, 21 Oct 2015 07:28:00 GMT"), "", nil), true, 0},
		{"408", remote.NewError("PagerDuty", answer(408, ""), "", nil), true, 0},
		{"400 invalid event", remote.NewError("PagerDuty", answer(400, "30"), "Event object is invalid", nil), false, 0},
		{"401", remote.NewError("PagerDuty", answer(401, ""), "", nil), false, 0},
		{"404", remote.NewError("Opsgenie", answer(404, ""), "No schedule exists", nil), false, 0},
		{"422", remote.NewError("Opsgenie", answer(422, ""), "Message can not be empty.", nil), false, 0},
		{"a rate limit as 403", &remote.Error{Provider: "GitHub", Code: 403, RateLimited: true, RetryAfter: time.Minute}, true, time.Minute},
		{"Statuspage's 420", remote.NewError("Statuspage", answer(420, ""), "", nil), true, 0},
		{"refused by muster itself", fmt.Errorf("close: %w", muster.Errorf(muster.EINVALID, "no transition to done")), false, 0},
		{"no error", nil, false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			retry, after := remote.Retry(c.err)
			if retry != c.retry || after != c.after {
				t.Errorf("Retry(%v) = %v, %s; want %v, %s", c.err, retry, after, c.retry, c.after)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	e := remote.NewError("PagerDuty", answer(400, ""), "Event object is invalid: 'payload.summary' is missing or blank", nil)
	if got, want := e.Error(), "PagerDuty answered 400: Event object is invalid: 'payload.summary' is missing or blank"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = remote.NewError("Opsgenie", answer(502, ""), "", []byte("  <html>bad gateway</html>\n"))
	if got, want := e.Error(), "Opsgenie answered 502: <html>bad gateway</html>"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = remote.NewError("Opsgenie", answer(503, ""), "", nil)
	if got, want := e.Error(), "Opsgenie answered 503 Service Unavailable"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
