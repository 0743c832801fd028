// Package trackerhook receives the webhooks of the trackers action items
// are filed in: POST /hooks/jira (an admin webhook with a secret) and
// POST /hooks/github (a repository webhook with a secret, the "issues"
// event). Each delivery's signature is checked against its raw body
// before anything of it is read; the event is then handed to the bot,
// which decides what it means for the item.
package trackerhook

import (
	"context"
	"errors"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster/tracker"
	"github.com/muster-bot/muster/tracker/github"
	"github.com/muster-bot/muster/tracker/jira"
)

// MaxBody bounds a delivery: an issue event with its fields is tens of
// kilobytes.
const MaxBody = 1 << 20

// Receiver applies a tracker's event; *bot.Bot satisfies it.
type Receiver interface {
	TrackerEvent(ctx context.Context, ev tracker.Event) error
}

// Bodies reads a request's body within a bound before its sender is
// known; *inbound.Gate satisfies it, and answers the request itself when
// it cannot read.
type Bodies interface {
	Read(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool)
}

// Jira serves POST /hooks/jira, signed with secret (JIRA_WEBHOOK_SECRET).
func Jira(secret string, bodies Bodies, rcv Receiver, log zerolog.Logger) http.Handler {
	return serve(bodies, rcv, log.With().Str("source", "jira").Logger(), func(r *http.Request, body []byte) (tracker.Event, error, error) {
		if err := jira.Verify(secret, body, r.Header.Get(jira.SignatureHeader)); err != nil {
			return tracker.Event{}, err, nil
		}
		ev, err := jira.ParseWebhook(body)
		ev.Delivery = r.Header.Get(jira.DeliveryHeader)
		return ev, nil, err
	})
}

// GitHub serves POST /hooks/github, signed with secret
// (GITHUB_WEBHOOK_SECRET).
func GitHub(secret string, bodies Bodies, rcv Receiver, log zerolog.Logger) http.Handler {
	return serve(bodies, rcv, log.With().Str("source", "github").Logger(), func(r *http.Request, body []byte) (tracker.Event, error, error) {
		if err := github.Verify(secret, body, r.Header.Get(github.SignatureHeader)); err != nil {
			return tracker.Event{}, err, nil
		}
		ev, err := github.ParseWebhook(r.Header.Get(github.EventHeader), body)
		ev.Delivery = r.Header.Get(github.DeliveryHeader)
		return ev, nil, err
	})
}

// parser checks a delivery (denied: 401) and reads it (bad: 400, or
// tracker.ErrIgnored for one not about an issue's state).
type parser func(r *http.Request, body []byte) (ev tracker.Event, denied, bad error)

func serve(bodies Bodies, rcv Receiver, log zerolog.Logger, parse parser) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := bodies.Read(w, r, MaxBody)
		if !ok {
			return
		}
		ev, denied, bad := parse(r, body)
		switch {
		case denied != nil:
			log.Warn().Err(denied).Str("remote", r.RemoteAddr).Msg("rejected tracker webhook")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		case errors.Is(bad, tracker.ErrIgnored):
			w.WriteHeader(http.StatusNoContent)
			return
		case bad != nil:
			log.Info().Err(bad).Msg("malformed tracker webhook")
			http.Error(w, bad.Error(), http.StatusBadRequest)
			return
		}
		if err := rcv.TrackerEvent(r.Context(), ev); err != nil {
			// The tracker delivers again after an error answer.
			log.Error().Err(err).Str("issue", ev.Ref.Key).Msg("apply tracker webhook")
			http.Error(w, "could not apply the event; deliver it again", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
