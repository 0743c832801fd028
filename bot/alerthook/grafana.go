package alerthook

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
)

// grafanaPayload is the body of Grafana alerting's webhook contact point
// (unified alerting, Grafana 9 and later), as Grafana documents it
// ("Configure the webhook notifier"): Alertmanager's shape, plus orgId,
// title, state and message.
type grafanaPayload struct {
	Receiver          string            `json:"receiver"`
	Status            string            `json:"status"`
	OrgID             int64             `json:"orgId"`
	Alerts            []grafanaAlert    `json:"alerts"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Title             string            `json:"title"`
	State             string            `json:"state"`
	Message           string            `json:"message"`
}

type grafanaAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
	DashboardURL string            `json:"dashboardURL"`
	PanelURL     string            `json:"panelURL"`
}

// parseGrafana translates Grafana's notification. The group is Grafana's
// groupKey within its organisation: two organisations may route alerts of
// the same labels. The idempotency key is the body's digest, so a retry
// of a notification records nothing twice, and so does a repeat of the
// same state (Grafana's repeat_interval).
func parseGrafana(cfg Config, raw []byte) (bot.Alert, error) {
	var p grafanaPayload
	if err := json.Unmarshal(raw, &p); err != nil {
		return bot.Alert{}, fmt.Errorf("not a Grafana webhook payload: %w", err)
	}
	switch {
	case p.GroupKey == "":
		return bot.Alert{}, fmt.Errorf("groupKey is missing (muster reads the webhook of Grafana's unified alerting, Grafana 9 and later)")
	case p.Status != "firing" && p.Status != "resolved":
		return bot.Alert{}, fmt.Errorf("status %q is neither firing nor resolved", p.Status)
	case len(p.Alerts) == 0:
		return bot.Alert{}, fmt.Errorf("no alerts in the notification")
	}
	first := p.Alerts[0]
	t := title(firstOf(p.CommonAnnotations["summary"], p.CommonLabels["alertname"],
		first.Annotations["summary"], first.Labels["alertname"], p.Title, "Grafana alert"))
	sevValue := p.CommonLabels[cfg.SeverityLabel]
	if sevValue == "" {
		sevValue = first.Labels[cfg.SeverityLabel]
	}
	svcs := []string{p.CommonLabels["service"]}
	var lines []string
	var starts time.Time // of the earliest firing alert
	for _, al := range p.Alerts {
		if al.Status == "firing" && !al.StartsAt.IsZero() && (starts.IsZero() || al.StartsAt.Before(starts)) {
			starts = al.StartsAt
		}
		svcs = append(svcs, al.Labels["service"])
		line := fmt.Sprintf("• [%s] %s", al.Status, al.Labels["alertname"])
		if what := firstOf(al.Annotations["summary"], al.Annotations["description"]); what != "" {
			line += ": " + what
		}
		line += link(al.GeneratorURL, "source") + link(firstOf(al.PanelURL, al.DashboardURL), "dashboard")
		lines = append(lines, line)
	}
	if p.TruncatedAlerts > 0 {
		lines = append(lines, fmt.Sprintf("• … and %d more Grafana left out", p.TruncatedAlerts))
	}
	return bot.Alert{
		Source:   muster.SourceGrafana,
		GroupKey: groupKey("org" + strconv.FormatInt(p.OrgID, 10) + ":" + p.GroupKey),
		Firing:   p.Status == "firing", Severity: cfg.severity(sevValue), Title: t,
		Lines: capLines(lines), StartsAt: starts.UTC(), Key: digest(raw, 12),
		Services: services(svcs...),
	}, nil
}

// firstOf is the first of vs that is not empty.
func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
