package slack

import (
	"context"
	"errors"
	"fmt"
	"time"

	goslack "github.com/slack-go/slack"
)

// health is what /readyz says of Slack: whether auth.test has accepted
// the token, and whether the Web API calls keep failing since.
type health struct {
	authed   bool
	down     error // why auth.test has not succeeded yet
	failures int   // Web API calls failed in a row
	last     error // the last of them
}

var errNotChecked = errors.New("slack auth.test: not answered yet")

// FailuresToUnready is how many Web API calls in a row must fail, with no
// success between them, for the platform to report itself not ready: one
// failure is a blip, and a retried call counts each attempt.
const FailuresToUnready = 5

// The waits between tries of auth.test while Slack cannot be reached: a
// second, doubling to a minute, so that an outage of Slack or of the
// network is noticed soon after it ends without hammering the API.
const (
	ConnectRetryMin = time.Second
	ConnectRetryMax = time.Minute
)

// Connect checks the bot token with auth.test once and learns the bot's
// user id.
func (p *Platform) Connect(ctx context.Context) error {
	var resp *goslack.AuthTestResponse
	err := p.call(ctx, "auth.test", func(ctx context.Context) (err error) {
		resp, err = p.api.AuthTestContext(ctx)
		return err
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.health.down = err
		return err
	}
	p.botUser = resp.UserID
	p.health.authed, p.health.down = true, nil
	p.log.Info().Str("team", resp.Team).Str("team_id", resp.TeamID).Str("bot_user", resp.UserID).Msg("connected to Slack")
	return nil
}

// Authenticate tries auth.test until it succeeds or ctx ends, waiting
// ConnectRetryMin, doubling up to ConnectRetryMax, between tries. Until
// then the platform is not ready and Health says why; the process keeps
// serving, so that an outage at start-up is not a crash loop. A token
// Slack rejects is logged as an error each time, for an operator to fix.
func (p *Platform) Authenticate(ctx context.Context) {
	wait := ConnectRetryMin
	for {
		err := p.Connect(ctx)
		if err == nil || ctx.Err() != nil {
			return
		}
		if badCredentials(err) {
			p.log.Error().Err(err).Dur("retry_in", wait).Msg("Slack rejected SLACK_BOT_TOKEN: set the app's bot token (xoxb-…); not ready until it is accepted")
		} else {
			p.log.Warn().Err(err).Dur("retry_in", wait).Msg("cannot reach Slack (auth.test); not ready until it answers")
		}
		if p.cfg.Wait(ctx, wait) != nil {
			return
		}
		wait = min(2*wait, ConnectRetryMax)
	}
}

// Health is nil when Slack can be used, else why not: auth.test has not
// accepted the token, the Socket Mode socket is down, or the last
// FailuresToUnready calls failed. One successful call makes it nil again.
func (p *Platform) Health() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch h := p.health; {
	case !h.authed:
		return h.down
	case !p.connected:
		return errors.New("slack socket mode: not connected")
	case h.failures >= FailuresToUnready:
		return fmt.Errorf("slack: the last %d calls failed: %w", h.failures, h.last)
	}
	return nil
}

// observeCall counts an attempt of a Web API call towards Health.
func (p *Platform) observeCall(method string, err error) {
	if err != nil && (errors.Is(err, context.Canceled) || result(err) == "rate_limited" || !outage(err)) {
		// Slack answered: the request was wrong, or is to wait its turn;
		// neither says Slack is unusable.
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil {
		p.health.failures, p.health.last = 0, nil
		return
	}
	p.health.failures++
	p.health.last = fmt.Errorf("%s: %w", method, err)
}

// outageCodes are Slack's error codes that say Slack, or the bot's access
// to it, is not working, rather than that one request was wrong.
var outageCodes = map[string]bool{
	"invalid_auth": true, "not_authed": true, "account_inactive": true, "token_revoked": true, "token_expired": true,
	"fatal_error": true, "internal_error": true, "service_unavailable": true, "request_timeout": true,
}

// outage reports whether err means Slack could not be used: no answer, an
// HTTP error status, or one of outageCodes.
func outage(err error) bool {
	var se goslack.SlackErrorResponse
	if errors.As(err, &se) {
		return outageCodes[se.Err]
	}
	return true
}

// badCredentials reports whether Slack refused the token itself.
func badCredentials(err error) bool {
	switch slackError(err) {
	case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type":
		return true
	}
	return false
}
