package muster

import (
	"testing"
	"time"
)

func TestAlertCounts(t *testing.T) {
	c := ParseAlertCounts("grafana=2 junk alertmanager=x alert=-1 alertmanager=3")
	if c.String() != "alertmanager=3 grafana=2" || c.Total() != 5 {
		t.Errorf("parsed %v (%q)", c, c.String())
	}
	c.Add(AlertCounts{SourceAlert: 1})
	if back := ParseAlertCounts(c.String()); back.String() != "alert=1 alertmanager=3 grafana=2" {
		t.Errorf("round trip %q", back.String())
	}
	if k := AlertCountKey(time.Date(2026, 12, 7, 23, 30, 0, 0, time.FixedZone("x", -3600))); k != "alerts.received.2026-12-08" {
		t.Errorf("key %q: the UTC day", k)
	}
}

func TestAlertDays(t *testing.T) {
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	days := AlertDays(now.Add(-7*24*time.Hour), now, 100)
	if len(days) != 8 || !days[0].Equal(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)) || !days[7].Equal(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("days %v", days)
	}
	if days := AlertDays(now.AddDate(-20, 0, 0), now, 10); len(days) != 10 || !days[9].Equal(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("capped days %v: want the latest 10", days)
	}
}
