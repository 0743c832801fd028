package metrics_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/muster-bot/muster"
)

// TestAlertsAndFalseAlarms: alert groups are counted by source, with a
// series for each source from the start; a resolution as a false alarm
// counts once, a plain one not at all.
func TestAlertsAndFalseAlarms(t *testing.T) {
	m, reg := newMetrics(t, &fakeStore{})
	m.AlertReceived(muster.SourceGrafana)
	m.AlertReceived(muster.SourceGrafana)
	open := incident("SEV2", muster.StatusInvestigating)
	falseAlarm := *open
	falseAlarm.Status, falseAlarm.ResolvedAt, falseAlarm.FalseAlarm = muster.StatusResolved, t0.Add(time.Hour), true
	real := falseAlarm
	real.FalseAlarm = false
	m.Milestones(open, &falseAlarm)
	m.Milestones(&falseAlarm, &falseAlarm) // a second look: not again
	m.Milestones(open, &real)
	want := `
# HELP muster_alerts_received_total Alert groups that started firing (first, or again after resolving), by source: alertmanager, grafana, alert. Repeats and retries do not count.
# TYPE muster_alerts_received_total counter
muster_alerts_received_total{source="alert"} 0
muster_alerts_received_total{source="alertmanager"} 0
muster_alerts_received_total{source="grafana"} 2
# HELP muster_incidents_false_alarm_total Incidents resolved as false alarms.
# TYPE muster_incidents_false_alarm_total counter
muster_incidents_false_alarm_total{severity="SEV2"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "muster_alerts_received_total", "muster_incidents_false_alarm_total"); err != nil {
		t.Error(err)
	}
}
