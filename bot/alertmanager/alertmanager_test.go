package alertmanager

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestTranslate(t *testing.T) {
	cfg := Config{Platform: "slack", Room: "C1", SeverityLabel: "severity", Severities: map[string]string{"critical": "SEV1"}, DefaultSeverity: "SEV3"}
	p := Payload{Version: "4", GroupKey: "g", Status: "firing",
		GroupLabels:  map[string]string{"service": "search", "alertname": "Slow"},
		CommonLabels: map[string]string{"severity": "Critical"},
	}
	p.Alerts = append(p.Alerts, struct {
		Status       string            `json:"status"`
		Labels       map[string]string `json:"labels"`
		Annotations  map[string]string `json:"annotations"`
		StartsAt     time.Time         `json:"startsAt"`
		EndsAt       time.Time         `json:"endsAt"`
		GeneratorURL string            `json:"generatorURL"`
		Fingerprint  string            `json:"fingerprint"`
	}{Status: "firing", Labels: map[string]string{"alertname": "Slow"}, Annotations: map[string]string{"description": "p99 4s"}})
	a, err := cfg.translate(p, []byte("body"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Severity != "SEV1" || a.Title != "Alert alertname=Slow service=search" || !a.Firing || a.Room != "C1" || len(a.Lines) != 1 || !strings.Contains(a.Lines[0], "[firing] Slow: p99 4s") {
		t.Errorf("alert = %+v", a)
	}
	p.CommonLabels["severity"] = "warning"
	p.CommonLabels["alertname"] = "SlowSearch"
	if a, _ := cfg.translate(p, []byte("other")); a.Severity != "SEV3" || a.Title != "SlowSearch" {
		t.Errorf("unmapped severity / alertname title: %+v", a)
	}
	p.Status = "pending"
	if _, err := cfg.translate(p, nil); err == nil || !strings.Contains(err.Error(), "neither firing nor resolved") {
		t.Errorf("bad status: %v", err)
	}
}

// TestTranslateStartsAt: the group's start is its earliest firing alert's;
// a resolved alert in the group does not count.
func TestTranslateStartsAt(t *testing.T) {
	cfg := Config{Platform: "slack", Room: "C1", DefaultSeverity: "SEV3"}
	body := `{"version":"4","groupKey":"g","status":"firing","alerts":[
		{"status":"firing","labels":{"alertname":"A"},"startsAt":"2026-12-07T09:50:00+01:00"},
		{"status":"resolved","labels":{"alertname":"B"},"startsAt":"2026-12-07T08:00:00Z"},
		{"status":"firing","labels":{"alertname":"C"},"startsAt":"2026-12-07T08:55:00Z"}]}`
	var p Payload
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	a, err := cfg.translate(p, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 12, 7, 8, 50, 0, 0, time.UTC); !a.StartsAt.Equal(want) || a.StartsAt.Location() != time.UTC {
		t.Errorf("StartsAt %v; want %v in UTC", a.StartsAt, want)
	}
}
