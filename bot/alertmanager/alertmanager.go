// Package alertmanager receives Prometheus Alertmanager's webhook (payload
// version 4) so that a firing alert group declares an incident. It only
// authenticates and translates; what happens is the bot's (bot.Alert).
package alertmanager

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
	"github.com/muster-bot/muster/internal/inbound"
)

// MaxBody bounds a notification; Alertmanager's are a few kilobytes.
const MaxBody = 1 << 20

// Alerter is the bot; *bot.Bot satisfies it.
type Alerter interface {
	Alert(ctx context.Context, a bot.Alert) error
}

// Config configures the receiver.
type Config struct {
	Token           string            // bearer token Alertmanager sends (http_config.authorization)
	Platform        string            // where incidents are declared: "slack", "teams", …
	Room            string            // the channel they are declared from
	SeverityLabel   string            // the alert label that says how bad it is; default "severity"
	Severities      map[string]string // label value → severity name
	DefaultSeverity string            // for values not in Severities
}

// Payload is Alertmanager's webhook body, version 4.
type Payload struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []struct {
		Status       string            `json:"status"`
		Labels       map[string]string `json:"labels"`
		Annotations  map[string]string `json:"annotations"`
		StartsAt     time.Time         `json:"startsAt"`
		EndsAt       time.Time         `json:"endsAt"`
		GeneratorURL string            `json:"generatorURL"`
		Fingerprint  string            `json:"fingerprint"`
	} `json:"alerts"`
}

// Handler serves POST /hooks/alertmanager.
func Handler(cfg Config, b Alerter, log zerolog.Logger) http.Handler {
	if cfg.SeverityLabel == "" {
		cfg.SeverityLabel = "severity"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hooks/alertmanager", func(w http.ResponseWriter, r *http.Request) {
		got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if cfg.Token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(cfg.Token)) != 1 {
			log.Warn().Str("remote", r.RemoteAddr).Msg("rejected alertmanager request: bad or missing bearer token")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		raw, ok := inbound.Read(w, r, MaxBody)
		if !ok {
			return
		}
		var p Payload
		if err := json.Unmarshal(raw, &p); err != nil {
			http.Error(w, "not an Alertmanager webhook payload: "+err.Error(), http.StatusBadRequest)
			return
		}
		a, err := cfg.translate(p, raw)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := b.Alert(r.Context(), a); err != nil {
			log.Error().Err(err).Str("group", p.GroupKey).Msg("handle alertmanager notification")
			http.Error(w, "could not record the notification", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	return mux
}

func (cfg Config) translate(p Payload, raw []byte) (bot.Alert, error) {
	switch {
	case p.Version != "4":
		return bot.Alert{}, fmt.Errorf("payload version %q is not supported; muster reads version 4", p.Version)
	case p.GroupKey == "":
		return bot.Alert{}, fmt.Errorf("groupKey is missing")
	case p.Status != "firing" && p.Status != "resolved":
		return bot.Alert{}, fmt.Errorf("status %q is neither firing nor resolved", p.Status)
	case len(p.Alerts) == 0:
		return bot.Alert{}, fmt.Errorf("no alerts in the notification")
	}
	sev := cfg.DefaultSeverity
	if v, ok := cfg.Severities[strings.ToLower(p.CommonLabels[cfg.SeverityLabel])]; ok {
		sev = v
	}
	title := p.CommonAnnotations["summary"]
	if title == "" {
		title = p.CommonLabels["alertname"]
	}
	if title == "" {
		keys := make([]string, 0, len(p.GroupLabels))
		for k, v := range p.GroupLabels {
			keys = append(keys, k+"="+v)
		}
		sort.Strings(keys)
		title = "Alert " + strings.Join(keys, " ")
	}
	if r := []rune(title); len(r) > muster.MaxTitle {
		title = string(r[:muster.MaxTitle-1]) + "…"
	}
	var lines, services []string
	var starts time.Time // of the earliest firing alert
	for _, al := range p.Alerts {
		if svc := al.Labels["service"]; svc != "" && !slices.Contains(services, svc) {
			services = append(services, svc)
		}
		if al.Status == "firing" && !al.StartsAt.IsZero() && (starts.IsZero() || al.StartsAt.Before(starts)) {
			starts = al.StartsAt
		}
		what := al.Annotations["summary"]
		if what == "" {
			what = al.Annotations["description"]
		}
		line := fmt.Sprintf("• [%s] %s", al.Status, al.Labels["alertname"])
		if what != "" {
			line += ": " + what
		}
		if al.GeneratorURL != "" {
			line += " " + muster.Link(al.GeneratorURL, "source")
		}
		lines = append(lines, line)
	}
	if svc := p.CommonLabels["service"]; svc != "" && !slices.Contains(services, svc) {
		services = append(services, svc)
	}
	slices.Sort(services)
	sum := sha256.Sum256(raw)
	return bot.Alert{
		Source: muster.SourceAlertmanager, Services: services,
		GroupKey: p.GroupKey, Firing: p.Status == "firing", Severity: sev, Title: title, Lines: lines,
		StartsAt: starts.UTC(),
		Key:      hex.EncodeToString(sum[:12]), Platform: cfg.Platform, Room: cfg.Room,
	}, nil
}
