package alerthook

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
)

// genericPayload is the generic alert, for any sender that can POST JSON:
//
//	{"title": "Checkout 5xx above 5%", "severity": "critical", "service": "checkout",
//	 "started_at": "2026-12-07T06:40:00Z", "labels": {"region": "eu-1"},
//	 "url": "https://grafana.example.com/d/abc", "status": "firing", "group": "checkout-5xx"}
//
// Only title is required. status is firing (the default) or resolved.
// The group is `group`, else `dedup_key` (PagerDuty's word for it), else
// the title and the service together: a resolution must name the same
// group as the firing it ends.
type genericPayload struct {
	Title     string            `json:"title"`
	Severity  string            `json:"severity"`
	Service   string            `json:"service"`
	StartedAt string            `json:"started_at"`
	Labels    map[string]string `json:"labels"`
	URL       string            `json:"url"`
	Status    string            `json:"status"`
	Group     string            `json:"group"`
	DedupKey  string            `json:"dedup_key"`
}

// parseGeneric translates the generic alert. Its idempotency key is the
// digest of the alert as parsed, not of the bytes, so a sender that
// retries with its keys in another order or other spacing records once.
func parseGeneric(cfg Config, raw []byte) (bot.Alert, error) {
	var p genericPayload
	if err := json.Unmarshal(raw, &p); err != nil {
		return bot.Alert{}, fmt.Errorf("not a JSON alert (want {\"title\", \"severity\", \"service\", \"started_at\", \"labels\", \"url\"}): %w", err)
	}
	t := title(p.Title)
	if t == "" {
		return bot.Alert{}, fmt.Errorf("title is missing: say what is wrong, e.g. {\"title\": \"Checkout 5xx above 5%%\"}")
	}
	status := strings.ToLower(strings.TrimSpace(p.Status))
	switch status {
	case "":
		status = "firing"
	case "firing", "resolved":
	default:
		return bot.Alert{}, fmt.Errorf("status %q is neither firing nor resolved", p.Status)
	}
	var started time.Time
	if s := strings.TrimSpace(p.StartedAt); s != "" {
		var err error
		if started, err = time.Parse(time.RFC3339, s); err != nil {
			return bot.Alert{}, fmt.Errorf("started_at %q is not an RFC 3339 time (e.g. 2026-12-07T06:40:00Z)", p.StartedAt)
		}
	}
	if p.URL != "" && !linkable(p.URL) {
		return bot.Alert{}, fmt.Errorf("url %q is not an http or https URL", p.URL)
	}
	service := firstOf(strings.TrimSpace(p.Service), p.Labels["service"])
	group := firstOf(strings.TrimSpace(p.Group), strings.TrimSpace(p.DedupKey), t+"\n"+service)
	sevValue := firstOf(p.Severity, p.Labels[cfg.SeverityLabel])

	line := fmt.Sprintf("• [%s] %s", status, t)
	if service != "" {
		line += " (" + service + ")"
	}
	var labels []string
	for _, k := range slices.Sorted(maps.Keys(p.Labels)) {
		labels = append(labels, k+"="+p.Labels[k])
	}
	if len(labels) > 0 {
		line += " " + strings.Join(labels, " ")
	}
	line += link(p.URL, "source")

	p.Status, p.StartedAt = status, started.UTC().Format(time.RFC3339)
	canonical, err := json.Marshal(p) // map keys sorted: the same alert, the same bytes
	if err != nil {
		return bot.Alert{}, fmt.Errorf("digest the alert: %w", err)
	}
	return bot.Alert{
		Source: muster.SourceAlert, GroupKey: groupKey(group), Firing: status == "firing",
		Severity: cfg.severity(sevValue), Title: t, Lines: []string{line},
		StartsAt: started.UTC(), Key: digest(canonical, 12), Services: services(service),
	}, nil
}
