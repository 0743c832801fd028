package web_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

// TestInsightsAlertAccuracy: the alert-accuracy table has a row per
// month of the window: the alert groups received (the per-day counts),
// the incidents alerts declared, those resolved as false alarms, and the
// share that were real; a private incident the viewer may not see is left
// out, and a day outside the window is not counted.
func TestInsightsAlertAccuracy(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	for day, v := range map[time.Time]string{
		t0:                     "alertmanager=3 grafana=1", // 1 December
		t0.AddDate(0, 0, -10):  "alert=2",                  // 21 November
		t0.AddDate(0, 0, -200): "grafana=99",               // before the 90-day window
	} {
		if err := s.db.SetSetting(ctx, muster.AlertCountKey(day), v); err != nil {
			t.Fatal(err)
		}
	}
	fromAlert := func(title string, at time.Time, falseAlarm, private bool) {
		id := s.declare(title, "SEV2", private, at)
		s.update(id, func(inc *muster.Incident) ([]muster.Entry, error) {
			inc.Source = muster.SourceGrafana
			return nil, nil
		})
		if falseAlarm {
			s.update(id, func(inc *muster.Incident) ([]muster.Entry, error) {
				e, err := inc.ResolveFalseAlarm("", "U_alice", at.Add(time.Hour))
				return []muster.Entry{e}, err
			})
		}
	}
	fromAlert("checkout 500s", t0, true, false)
	fromAlert("disk full", t0.Add(time.Hour), false, false)
	fromAlert("secret thing", t0.Add(2*time.Hour), true, true)
	s.declare("typo", "SEV4", false, t0.Add(3*time.Hour)) // people declared it
	fromAlert("search slow", t0.AddDate(0, 0, -10), false, false)

	code, body, _ := s.get("/insights", "")
	if code != http.StatusOK {
		t.Fatalf("GET /insights: %d\n%s", code, body)
	}
	mustContain(t, "insights", body, "Alert accuracy, per month", `id="table-alerts"`)
	sameCells(t, "December alerts", row(t, body, "table-alerts", "Dec 2026"), "Dec 2026", "4", "2", "1", "50%")
	sameCells(t, "November alerts", row(t, body, "table-alerts", "Nov 2026"), "Nov 2026", "2", "1", "0", "100%")
	sameCells(t, "October alerts", row(t, body, "table-alerts", "Oct 2026"), "Oct 2026", "0", "0", "0", "—")
}
