// Package pagerhook receives PagerDuty's v3 webhooks (POST /hooks/pagerduty):
// each is checked against the subscription's secret
// (PAGERDUTY_WEBHOOK_SECRET, 401 when no signature matches) and translated
// for the bot: an acknowledgement or resolution of a page muster sent
// becomes a bot.PageChange; a PagerDuty incident triggered (or resolved)
// on a service whose catalog entry has declare_on_trigger becomes a
// bot.Alert, so it declares through the same path alerts do, once per
// PagerDuty incident. Anything else is answered 200 and ignored, as
// PagerDuty wants for events a receiver does not use.
package pagerhook

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
	"github.com/muster-bot/muster/internal/inbound"
	"github.com/muster-bot/muster/paging/pagerduty"
)

// MaxBody bounds a webhook: PagerDuty's are a few kilobytes.
const MaxBody = 1 << 20

// Bot is what the webhooks lead to; *bot.Bot satisfies it.
type Bot interface {
	Alert(ctx context.Context, a bot.Alert) error
	PageChanged(ctx context.Context, c bot.PageChange) error
}

// Config configures the receiver.
type Config struct {
	Secret   string          // PAGERDUTY_WEBHOOK_SECRET
	Services muster.Services // declare_on_trigger and service_id come from here
	Platform string          // where triggered incidents are declared (alertmanager.platform)…
	Room     string          // …and from which channel (alertmanager.room)
	// High and Low are the severities of incidents declared for a
	// PagerDuty incident of high and of low urgency.
	High, Low string
}

// Handler serves POST /hooks/pagerduty.
func Handler(cfg Config, b Bot, log zerolog.Logger) http.Handler {
	log = log.With().Str("source", muster.SourcePagerDuty).Logger()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := inbound.Read(w, r, MaxBody)
		if !ok {
			return
		}
		if err := pagerduty.Verify(cfg.Secret, raw, r.Header.Get(pagerduty.SignatureHeader)); err != nil {
			log.Warn().Err(err).Str("remote", r.RemoteAddr).Msg("rejected PagerDuty webhook")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		ev, err := pagerduty.ParseWebhook(raw)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := handle(r.Context(), cfg, b, ev); err != nil {
			log.Error().Err(err).Str("event", ev.ID).Str("type", ev.Type).Msg("handle PagerDuty webhook")
			http.Error(w, "could not record the event", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

func handle(ctx context.Context, cfg Config, b Bot, ev pagerduty.WebhookEvent) error {
	if ev.Incident.ID == "" {
		return nil // not about an incident
	}
	if key, n, service, ok := ev.MusterKey(); ok {
		// Muster's own page: never declares, only moves the page along.
		state := muster.PageState("")
		switch ev.Type {
		case pagerduty.IncidentAcknowledged:
			state = muster.PageAcknowledged
		case pagerduty.IncidentResolved:
			state = muster.PageResolved
		default:
			return nil
		}
		return b.PageChanged(ctx, bot.PageChange{
			Incident: n, Service: service, Provider: muster.ProviderPagerDuty, Key: key,
			State: state, By: ev.Agent, At: ev.OccurredAt,
		})
	}
	svc, ok := declaring(cfg.Services, ev.Incident.ServiceID)
	if !ok || cfg.Platform == "" {
		return nil
	}
	var firing bool
	switch ev.Type {
	case pagerduty.IncidentTriggered:
		firing = true
	case pagerduty.IncidentResolved:
	default:
		return nil
	}
	inc := ev.Incident
	sev := cfg.High
	if inc.Urgency == "low" {
		sev = cfg.Low
	}
	line := fmt.Sprintf("PagerDuty #%d on %s: %s", inc.Number, cmpOr(inc.ServiceName, svc.Name), inc.Title)
	if inc.HTMLURL != "" {
		line += " " + inc.HTMLURL
	}
	return b.Alert(ctx, bot.Alert{
		Source: muster.SourcePagerDuty, GroupKey: inc.ID, Firing: firing, Severity: sev,
		Title: title(inc.Title), Lines: []string{line}, StartsAt: inc.CreatedAt,
		Key: ev.ID, Platform: cfg.Platform, Room: cfg.Room, Services: []string{svc.Name},
	})
}

// declaring finds the catalog's service that declares on a trigger of the
// PagerDuty service id.
func declaring(services muster.Services, id string) (muster.Service, bool) {
	for _, s := range services {
		if pd := s.PagerDuty; pd != nil && pd.DeclareOnTrigger && id != "" && pd.ServiceID == id {
			return s, true
		}
	}
	return muster.Service{}, false
}

// title makes a PagerDuty incident's title an incident title: one line,
// at most muster.MaxTitle characters, never empty.
func title(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > muster.MaxTitle {
		s = string(r[:muster.MaxTitle-1]) + "…"
	}
	return cmpOr(s, "PagerDuty incident")
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
