package slack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/muster-bot/muster"
)

// call runs one Web API call, waiting out rate limits (Retry-After) and
// retrying server errors with backoff, at most MaxAttempts times. Slack's
// error codes that mean something to the bot become muster error codes.
func (p *Platform) call(ctx context.Context, method string, fn func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		p.cfg.Call(method, result(err))
		p.observeCall(method, err)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("slack %s: %w", method, err)
		}
		wait, retry := retryAfter(err, attempt)
		if !retry {
			return classify(method, err)
		}
		if attempt >= p.cfg.MaxAttempts {
			return fmt.Errorf("slack %s: gave up after %d attempts: %w", method, attempt, err)
		}
		p.log.Warn().Err(err).Str("method", method).Dur("wait", wait).Int("attempt", attempt).Msg("slack call will be retried")
		if err := p.cfg.Wait(ctx, wait); err != nil {
			return fmt.Errorf("slack %s: %w", method, err)
		}
	}
}

// retryAfter says whether err is worth another try, and after how long:
// rate limits, server errors, and a connection that failed (refused,
// reset, timed out), which is as passing as a 503.
func retryAfter(err error, attempt int) (time.Duration, bool) {
	var op *net.OpError
	if errors.As(err, &op) {
		return backoff(attempt), true
	}
	var rl *goslack.RateLimitedError
	if errors.As(err, &rl) {
		return rl.RetryAfter, true
	}
	var sc goslack.StatusCodeError
	if errors.As(err, &sc) && (sc.Code == 429 || sc.Code >= 500) {
		return backoff(attempt), true
	}
	if slackError(err) == "ratelimited" {
		return backoff(attempt), true
	}
	return 0, false
}

// result names the outcome of one attempt for the Call hook.
func result(err error) string {
	var rl *goslack.RateLimitedError
	var sc goslack.StatusCodeError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &rl), errors.As(err, &sc) && sc.Code == 429, slackError(err) == "ratelimited":
		return "rate_limited"
	}
	return "error"
}

// backoff doubles from 500 ms: 0.5 s, 1 s, 2 s, 4 s.
func backoff(attempt int) time.Duration {
	return 500 * time.Millisecond << min(attempt-1, 6)
}

// slackError returns Slack's error code ("name_taken") or "".
func slackError(err error) string {
	var se goslack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func classify(method string, err error) error {
	code := slackError(err)
	var me *muster.Error
	switch {
	case errors.As(err, &me):
		return err
	case code == "name_taken":
		return fmt.Errorf("slack %s: %w", method, muster.Errorf(muster.ECONFLICT, "That channel name is taken."))
	case code == "channel_not_found", code == "not_in_channel", code == "is_archived":
		return fmt.Errorf("slack %s: %w", method, muster.Errorf(muster.ENOTFOUND, "Slack says %s: the bot cannot reach that channel (invite it first).", code))
	case code == "missing_scope", code == "restricted_action", code == "not_allowed_token_type":
		return fmt.Errorf("slack %s: %w", method, muster.Errorf(muster.EINVALID, "Slack refused %s (%s): the app needs that permission.", method, code))
	}
	return fmt.Errorf("slack %s: %w", method, err)
}
