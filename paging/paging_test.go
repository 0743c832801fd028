package paging_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/muster-bot/muster/paging"
)

func TestKeyRoundTrip(t *testing.T) {
	key := paging.Key(42, "checkout-api")
	if key != "muster-INC-42-checkout-api" {
		t.Fatalf("Key = %q", key)
	}
	n, svc, ok := paging.ParseKey(key)
	if !ok || n != 42 || svc != "checkout-api" {
		t.Fatalf("ParseKey(%q) = %d, %q, %v", key, n, svc, ok)
	}
}

func TestParseKeyRefusesOthers(t *testing.T) {
	for _, key := range []string{
		"", "d3640fbd41094207a1c11e58e46b1662", "muster-INC-", "muster-INC-42", "muster-INC-42-",
		"muster-INC-x-checkout", "muster-INC-0-checkout", "muster-INC-042-checkout", "muster-INC--1-checkout",
		"other-INC-42-checkout",
	} {
		if n, svc, ok := paging.ParseKey(key); ok {
			t.Errorf("ParseKey(%q) = %d, %q, true; want not muster's", key, n, svc)
		}
	}
}

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
		{"500", paging.NewError("PagerDuty", answer(500, ""), "", nil), true, 0},
		{"503 with Retry-After", paging.NewError("PagerDuty", answer(503, "120"), "", nil), true, 2 * time.Minute},
		{"429 with Retry-After", fmt.Errorf("page: %w", paging.NewError("Opsgenie", answer(429, "30"), "slow down", nil)), true, 30 * time.Second},
		{"429 with a date", paging.NewError("Opsgenie", answer(429, "Wed, 21 Oct 2015 07:28:00 GMT"), "", nil), true, 0},
		{"408", paging.NewError("PagerDuty", answer(408, ""), "", nil), true, 0},
		{"400 invalid event", paging.NewError("PagerDuty", answer(400, "30"), "Event object is invalid", nil), false, 0},
		{"401", paging.NewError("PagerDuty", answer(401, ""), "", nil), false, 0},
		{"404", paging.NewError("Opsgenie", answer(404, ""), "No schedule exists", nil), false, 0},
		{"422", paging.NewError("Opsgenie", answer(422, ""), "Message can not be empty.", nil), false, 0},
		{"no error", nil, false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			retry, after := paging.Retry(c.err)
			if retry != c.retry || after != c.after {
				t.Errorf("Retry(%v) = %v, %s; want %v, %s", c.err, retry, after, c.retry, c.after)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	e := paging.NewError("PagerDuty", answer(400, ""), "Event object is invalid: 'payload.summary' is missing or blank", nil)
	if got, want := e.Error(), "PagerDuty answered 400: Event object is invalid: 'payload.summary' is missing or blank"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = paging.NewError("Opsgenie", answer(502, ""), "", []byte("  <html>bad gateway</html>\n"))
	if got, want := e.Error(), "Opsgenie answered 502: <html>bad gateway</html>"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = paging.NewError("Opsgenie", answer(503, ""), "", nil)
	if got, want := e.Error(), "Opsgenie answered 503 Service Unavailable"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestTruncate(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"too long", 5, "too …"},
		{"ünïcödé", 4, "ünï…"},
		{"x", 0, ""},
	}
	for _, c := range cases {
		if got := paging.Truncate(c.in, c.n); got != c.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
