package metrics_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/muster-bot/muster"
)

// A drill moves no metric: not the counts, not the histograms, not the
// open incidents.
func TestDrillsAreNotCounted(t *testing.T) {
	drill := incident("SEV1", muster.StatusInvestigating)
	drill.Drill = true
	m, reg := newMetrics(t, &fakeStore{open: []*muster.Incident{drill}})
	m.Declared(drill)
	m.Milestones(nil, drill)
	done := *drill
	done.Status, done.AcknowledgedAt, done.ResolvedAt = muster.StatusResolved, t0.Add(time.Minute), t0.Add(time.Hour)
	m.Milestones(drill, &done)
	m.ReminderSent(drill, "update")
	m.UpdatePosted(drill, false)

	if n := testutil.CollectAndCount(reg, "muster_incidents_declared_total", "muster_incidents_resolved_total", "muster_reminders_sent_total", "muster_status_updates_total"); n != 0 {
		t.Errorf("%d series counted a drill", n)
	}
	for _, name := range []string{"muster_time_to_acknowledge_seconds", "muster_time_to_resolve_seconds"} {
		if n, _ := histogram(t, reg, name, "SEV1"); n != 0 {
			t.Errorf("%s observed a drill %d times", name, n)
		}
	}
	open := `
# HELP muster_incidents_open Incidents open now, read from the store at scrape time.
# TYPE muster_incidents_open gauge
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(open+openLines()), "muster_incidents_open"); err != nil {
		t.Error(err)
	}
}

func openLines() string {
	var b strings.Builder
	for _, sev := range []string{"SEV1", "SEV2"} {
		for _, st := range []string{"identified", "investigating", "mitigated"} {
			b.WriteString(`muster_incidents_open{severity="` + sev + `",status="` + st + `"} 0` + "\n")
		}
	}
	return b.String()
}
