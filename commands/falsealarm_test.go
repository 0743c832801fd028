package commands_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

// TestResolveFalseAlarm: `resolve false-alarm [summary]` (or "false
// alarm") resolves and marks the incident, says so in the timeline, the
// room and the announcement; a plain resolve after a reopen does not keep
// the mark.
func TestResolveFalseAlarm(t *testing.T) {
	for _, text := range []string{"resolve false-alarm canary noise", "resolve FALSE-ALARM canary noise", "resolve false alarm canary noise"} {
		t.Run(text, func(t *testing.T) {
			e := newEnv(t)
			e.must("alice", 0, "declare sev2 Checkout 5xx")
			e.now = t0.Add(10 * time.Minute)
			out := e.must("alice", 1, text)
			inc := e.incident(1)
			if inc.Open() || !inc.FalseAlarm || inc.Summary != "canary noise" {
				t.Fatalf("open %v false alarm %v summary %q", inc.Open(), inc.FalseAlarm, inc.Summary)
			}
			tl := e.timeline(1)
			if last := tl[len(tl)-1]; last.Kind != muster.EntryResolved || last.Text != "Resolved as a false alarm: canary noise" {
				t.Errorf("last entry %+v", last)
			}
			if !strings.Contains(out.Room[0].Title, "resolved as a false alarm") || !strings.Contains(out.Announce[0].Text, "resolved as a false alarm") {
				t.Errorf("room %q, announcement %q", out.Room[0].Title, out.Announce[0].Text)
			}
		})
	}
	e := newEnv(t)
	e.must("alice", 0, "declare sev2 Checkout 5xx")
	e.must("alice", 1, "resolve false-alarm")
	e.must("alice", 1, "reopen")
	if e.incident(1).FalseAlarm {
		t.Error("a reopened incident is still a false alarm")
	}
	e.must("alice", 1, "resolve false alarms are rare") // "false alarms" is a summary
	if inc := e.incident(1); inc.FalseAlarm || inc.Summary != "false alarms are rare" {
		t.Errorf("false alarm %v summary %q", inc.FalseAlarm, inc.Summary)
	}
}

// TestStatsAlertAccuracy: stats counts the alert groups received in the
// window (from the per-day counts), the incidents alerts declared and how
// many were real, and the false alarms.
func TestStatsAlertAccuracy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for day, v := range map[time.Time]string{
		t0:                      "alertmanager=3 grafana=1",
		t0.AddDate(0, 0, -6):    "alert=2",
		t0.AddDate(0, 0, -8):    "grafana=50", // outside 7d
		t0.Add(-24 * time.Hour): "junk grafana=x alert=1",
	} {
		if err := e.db.SetSetting(ctx, muster.AlertCountKey(day), v); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []muster.Declaration{
		{Title: "Checkout 5xx", Source: muster.SourceGrafana},
		{Title: "Disk full", Source: muster.SourceAlertmanager},
		{Title: "Typo", Severity: "SEV4"},
	} {
		if _, err := e.cmds.Declare(ctx, d, ""); err != nil {
			t.Fatal(err)
		}
	}
	e.must("alice", 1, "resolve false-alarm")
	e.must("alice", 3, "resolve false-alarm")
	stats := e.must("bob", 0, "stats 7d").Reply
	got := map[string]string{}
	for _, f := range stats.Fields {
		got[f.Label] = f.Value
	}
	for label, want := range map[string]string{
		"Alert groups received":    "7 (alertmanager 3 · grafana 1 · alert 3)",
		"Declared from alerts":     "2 of 3 incidents; 1 real (50%)",
		"Resolved as false alarms": "2 (1 declared from alerts)",
	} {
		if got[label] != want {
			t.Errorf("%s: %q, want %q", label, got[label], want)
		}
	}
}

// TestStatsWithoutAlerts: a team that sends no alerts and marks no false
// alarms sees no alert lines in stats.
func TestStatsWithoutAlerts(t *testing.T) {
	e := newEnv(t)
	e.must("alice", 0, "declare sev2 Checkout 5xx")
	for _, f := range e.must("bob", 0, "stats 7d").Reply.Fields {
		if strings.Contains(f.Label, "lert") {
			t.Errorf("stats shows %q: %q", f.Label, f.Value)
		}
	}
}
