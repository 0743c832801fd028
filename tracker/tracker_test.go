package tracker_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/remote"
	"github.com/muster-bot/muster/tracker"
)

func TestKeyRoundTrip(t *testing.T) {
	k := tracker.Key(12, 3)
	if k != "muster-INC-12-action-3" {
		t.Fatalf("Key = %q", k)
	}
	inc, item, ok := tracker.ParseKey(k)
	if !ok || inc != 12 || item != 3 {
		t.Errorf("ParseKey(%q) = %d, %d, %v", k, inc, item, ok)
	}
	for _, bad := range []string{"", "muster-INC-12", "muster-INC-12-action-", "muster-INC-012-action-3", "muster-INC-0-action-3",
		"muster-INC-12-action-3x", "muster-INC-12-checkout", "bug", "muster-INC--1-action-3"} {
		if _, _, ok := tracker.ParseKey(bad); ok {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
	if got := tracker.FindKey([]string{"bug", "priority: P1", k}); got != k {
		t.Errorf("FindKey = %q", got)
	}
	if got := tracker.FindKey([]string{"bug"}); got != "" {
		t.Errorf("FindKey of no key = %q", got)
	}
}

func TestRetry(t *testing.T) {
	pe := func(code, after int) error {
		return fmt.Errorf("create Jira issue: %w", &remote.Error{Provider: "Jira", Code: code, RetryAfter: time.Duration(after) * time.Second})
	}
	cases := []struct {
		name  string
		err   error
		retry bool
		after time.Duration
	}{
		{"nil", nil, false, 0},
		{"401", pe(http.StatusUnauthorized, 0), false, 0},
		{"404", pe(http.StatusNotFound, 0), false, 0},
		{"422", pe(http.StatusUnprocessableEntity, 0), false, 0},
		{"429 with Retry-After", pe(http.StatusTooManyRequests, 30), true, 30 * time.Second},
		{"503", pe(http.StatusServiceUnavailable, 0), true, 0},
		{"403 rate limit", fmt.Errorf("x: %w", &remote.Error{Provider: "GitHub", Code: 403, RateLimited: true, RetryAfter: time.Minute}), true, time.Minute},
		{"403 other", pe(http.StatusForbidden, 0), false, 0},
		{"network", errors.New("connection refused"), true, 0},
		{"timeout", fmt.Errorf("x: %w", context.DeadlineExceeded), true, 0},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), false, 0},
		{"muster refusal", fmt.Errorf("x: %w", muster.Errorf(muster.EINVALID, "no transition")), false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			retry, after := remote.Retry(c.err)
			if retry != c.retry || after != c.after {
				t.Errorf("Retry = %v, %s; want %v, %s", retry, after, c.retry, c.after)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	const secret = "It's a Secret to Everybody"
	body := []byte("Hello, World!")
	// GitHub's documented example of X-Hub-Signature-256 for this secret and body.
	const documented = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	cases := []struct {
		name, secret, header string
		body                 []byte
		want                 error
	}{
		{"documented", secret, documented, body, nil},
		{"with spaces", secret, " " + documented + " ", body, nil},
		{"body changed", secret, documented, []byte("Hello, World"), tracker.ErrBadSignature},
		{"another secret", "other", documented, body, tracker.ErrBadSignature},
		{"missing", secret, "", body, tracker.ErrNoSignature},
		{"sha1 only", secret, "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59", body, tracker.ErrNoSignature},
		{"not hex", secret, "sha256=zz", body, tracker.ErrBadSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := tracker.Verify(c.secret, c.body, c.header)
			if !errors.Is(err, c.want) || (err == nil) != (c.want == nil) {
				t.Errorf("Verify = %v, want %v", err, c.want)
			}
		})
	}
	if err := tracker.Verify("", body, tracker.Sign("", body)); err == nil {
		t.Error("Verify without a secret accepted a body signed with the empty secret")
	}
	if got := tracker.Sign(secret, body); got != documented {
		t.Errorf("Sign = %s, want %s", got, documented)
	}
}
