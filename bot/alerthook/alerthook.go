// Package alerthook receives alerts from sources other than Alertmanager
// (which has its own package): Grafana alerting's webhook contact point
// (POST /hooks/grafana) and a generic JSON alert any script can send
// (POST /hooks/alert). Each request is authenticated with one bearer token
// (ALERT_TOKEN) and translated into a bot.Alert; what happens then is the
// bot's, the same for every source.
package alerthook

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
	"github.com/muster-bot/muster/internal/inbound"
)

// MaxBody bounds a notification, as for Alertmanager's: Grafana's are a
// few kilobytes, a generic alert less.
const MaxBody = 1 << 20

const (
	maxLines    = 20  // alerts listed in a notification; the rest are counted
	maxServices = 10  // service names taken from one notification
	maxGroupKey = 200 // longer group keys are hashed: they name a setting
)

// Alerter is the bot; *bot.Bot satisfies it.
type Alerter interface {
	Alert(ctx context.Context, a bot.Alert) error
}

// Config configures both receivers. Where incidents are declared and how
// severities map are the alertmanager section's, shared by every source.
type Config struct {
	Token           string            // ALERT_TOKEN, the bearer token senders send
	Platform        string            // where incidents are declared: "slack", "teams", …
	Room            string            // the channel they are declared from
	SeverityLabel   string            // the label that says how bad it is; default "severity"
	Severities      map[string]string // label value (lower case) → severity name
	Ladder          muster.Severities // a value naming a severity (SEV1, an alias) is taken as it is
	DefaultSeverity string            // for any other value
}

// parser translates a request body into an alert, or says what is wrong
// with it.
type parser func(cfg Config, raw []byte) (bot.Alert, error)

// Grafana serves POST /hooks/grafana.
func Grafana(cfg Config, b Alerter, log zerolog.Logger) http.Handler {
	return serve(cfg, b, log.With().Str("source", muster.SourceGrafana).Logger(), parseGrafana)
}

// Generic serves POST /hooks/alert.
func Generic(cfg Config, b Alerter, log zerolog.Logger) http.Handler {
	return serve(cfg, b, log.With().Str("source", muster.SourceAlert).Logger(), parseGeneric)
}

func serve(cfg Config, b Alerter, log zerolog.Logger, parse parser) http.Handler {
	if cfg.SeverityLabel == "" {
		cfg.SeverityLabel = "severity"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if cfg.Token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(cfg.Token)) != 1 {
			log.Warn().Str("remote", r.RemoteAddr).Msg("rejected alert: bad or missing bearer token")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		raw, ok := inbound.Read(w, r, MaxBody)
		if !ok {
			return
		}
		a, err := parse(cfg, raw)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		a.Platform, a.Room = cfg.Platform, cfg.Room
		if err := b.Alert(r.Context(), a); err != nil {
			log.Error().Err(err).Str("group", a.GroupKey).Msg("handle alert notification")
			http.Error(w, "could not record the notification", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// severity maps a label value: through the configured mapping first
// (critical → SEV1), then as a severity's name or alias, else the default.
func (cfg Config) severity(value string) string {
	v := strings.ToLower(strings.TrimSpace(value))
	if sev, ok := cfg.Severities[v]; ok {
		return sev
	}
	if sev, _, ok := cfg.Ladder.Find(v); ok && v != "" {
		return sev.Name
	}
	return cfg.DefaultSeverity
}

// title makes s an incident title: one line, at most muster.MaxTitle
// characters.
func title(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > muster.MaxTitle {
		s = string(r[:muster.MaxTitle-1]) + "…"
	}
	return s
}

// groupKey bounds a sender's group key: it names a setting.
func groupKey(k string) string {
	if len(k) <= maxGroupKey {
		return k
	}
	return "sha256:" + digest([]byte(k), 32)
}

// digest is the first n bytes of b's SHA-256, in hex: the idempotency
// key of a notification, as Alertmanager's receiver makes it.
func digest(b []byte, n int) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:n])
}

// services are the distinct service names of names, sorted, at most
// maxServices; empty ones are left out.
func services(names ...string) []string {
	var out []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	if len(out) > maxServices {
		out = out[:maxServices]
	}
	return out
}

// capLines keeps the first maxLines lines and says how many more there
// were: a notification of hundreds of alerts is one message, not a wall.
func capLines(lines []string) []string {
	if len(lines) <= maxLines {
		return lines
	}
	return append(lines[:maxLines:maxLines], fmt.Sprintf("• … and %d more", len(lines)-maxLines))
}

// link is the neutral link markup for an http(s) URL from an alert, or ""
// for anything else, which is left out rather than shown half-parsed.
func link(url, name string) string {
	if !linkable(url) {
		return ""
	}
	return " " + muster.Link(url, name)
}

func linkable(url string) bool {
	return (strings.HasPrefix(url, "https://") || strings.HasPrefix(url, "http://")) &&
		!strings.ContainsAny(url, " \t\n<>|")
}
