package metrics_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/metrics"
)

var t0 = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

// fakeStore returns its incidents, or its error, or blocks until block is
// closed.
type fakeStore struct {
	open  []*muster.Incident
	err   error
	block chan struct{}
}

func (s *fakeStore) Incidents(ctx context.Context, openOnly bool) ([]*muster.Incident, error) {
	if !openOnly {
		return nil, errors.New("the metrics asked for closed incidents too")
	}
	if s.block != nil {
		<-s.block
	}
	return s.open, s.err
}

func newMetrics(t testing.TB, store metrics.Store) (*metrics.Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	return metrics.New(reg, store, []string{"SEV1", "SEV2"}, []string{"checkout", "payments"}), reg
}

func incident(sev string, status muster.Status) *muster.Incident {
	return &muster.Incident{ID: 1, Severity: sev, Status: status, DeclaredAt: t0}
}

func TestIncidentLifecycle(t *testing.T) {
	m, reg := newMetrics(t, &fakeStore{})
	inc := incident("SEV1", muster.StatusInvestigating)
	m.Declared(inc)
	m.Milestones(nil, inc)

	acked := *inc
	acked.AcknowledgedAt = t0.Add(5 * time.Minute)
	m.Milestones(inc, &acked)
	again := acked // a handoff of the IC role is no second acknowledgement
	m.Milestones(&acked, &again)

	mitigated := acked
	mitigated.Status, mitigated.MitigatedAt = muster.StatusMitigated, t0.Add(40*time.Minute)
	m.Milestones(&acked, &mitigated)

	resolved := mitigated
	resolved.Status, resolved.ResolvedAt = muster.StatusResolved, t0.Add(2*time.Hour)
	m.Milestones(&mitigated, &resolved)

	counts := `
# HELP muster_incidents_declared_total Incidents declared.
# TYPE muster_incidents_declared_total counter
muster_incidents_declared_total{severity="SEV1"} 1
# HELP muster_incidents_resolved_total Incidents resolved (again after a reopen).
# TYPE muster_incidents_resolved_total counter
muster_incidents_resolved_total{severity="SEV1"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(counts), "muster_incidents_declared_total", "muster_incidents_resolved_total"); err != nil {
		t.Error(err)
	}
	want := `
# HELP muster_time_to_acknowledge_seconds Time from declaration to the first Incident Commander.
# TYPE muster_time_to_acknowledge_seconds histogram
muster_time_to_acknowledge_seconds_bucket{severity="SEV1",le="60"} 0
muster_time_to_acknowledge_seconds_bucket{severity="SEV1",le="120"} 0
muster_time_to_acknowledge_seconds_bucket{severity="SEV1",le="300"} 1
muster_time_to_acknowledge_seconds_bucket{severity="SEV1",le="600"} 1
muster_time_to_acknowledge_seconds_bucket{severity="SEV1",le="900"} 1
muster_time_to_acknowledge_seconds_bucket{severity="SEV1",le="1800"} 1
muster_time_to_acknowledge_seconds_bucket{severity="SEV1",le="3600"} 1
muster_time_to_acknowledge_seconds_bucket{severity="SEV1",le="7200"} 1
muster_time_to_acknowledge_seconds_bucket{severity="SEV1",le="14400"} 1
muster_time_to_acknowledge_seconds_bucket{severity="SEV1",le="28800"} 1
muster_time_to_acknowledge_seconds_bucket{severity="SEV1",le="43200"} 1
muster_time_to_acknowledge_seconds_bucket{severity="SEV1",le="86400"} 1
muster_time_to_acknowledge_seconds_bucket{severity="SEV1",le="+Inf"} 1
muster_time_to_acknowledge_seconds_sum{severity="SEV1"} 300
muster_time_to_acknowledge_seconds_count{severity="SEV1"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "muster_time_to_acknowledge_seconds"); err != nil {
		t.Error(err)
	}
	for name, sum := range map[string]float64{"muster_time_to_mitigate_seconds": 2400, "muster_time_to_resolve_seconds": 7200} {
		if n, s := histogram(t, reg, name, "SEV1"); n != 1 || s != sum {
			t.Errorf("%s: count %d sum %v, want 1 and %v", name, n, s, sum)
		}
	}
}

func TestResolvedWithoutMitigationCountsBoth(t *testing.T) {
	m, reg := newMetrics(t, &fakeStore{})
	open := incident("SEV2", muster.StatusInvestigating)
	done := *open
	done.Status, done.ResolvedAt, done.MitigatedAt = muster.StatusResolved, t0.Add(time.Hour), t0.Add(time.Hour)
	m.Milestones(open, &done)
	m.Milestones(&done, &done) // a second look at a resolved incident
	if n, _ := histogram(t, reg, "muster_time_to_resolve_seconds", "SEV2"); n != 1 {
		t.Errorf("time to resolve count = %d, want 1", n)
	}
	if n, _ := histogram(t, reg, "muster_time_to_mitigate_seconds", "SEV2"); n != 1 {
		t.Errorf("time to mitigate count = %d, want 1", n)
	}
}

func TestRemindersAndUpdates(t *testing.T) {
	m, reg := newMetrics(t, &fakeStore{})
	inc := incident("SEV1", muster.StatusInvestigating)
	m.ReminderSent(inc, "update")
	m.ReminderSent(inc, "update")
	m.ReminderSent(inc, "escalate")
	m.UpdatePosted(inc, true)
	m.UpdatePosted(inc, false)
	m.UpdatePosted(inc, false)
	want := `
# HELP muster_reminders_sent_total Reminders posted, by kind: update, escalate, no_ic.
# TYPE muster_reminders_sent_total counter
muster_reminders_sent_total{kind="escalate",severity="SEV1"} 1
muster_reminders_sent_total{kind="update",severity="SEV1"} 2
# HELP muster_status_updates_total Status updates posted, on_time when before the severity's cadence was due, else late.
# TYPE muster_status_updates_total counter
muster_status_updates_total{severity="SEV1",timeliness="late"} 2
muster_status_updates_total{severity="SEV1",timeliness="on_time"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "muster_reminders_sent_total", "muster_status_updates_total"); err != nil {
		t.Error(err)
	}
}

func TestPlatformHooks(t *testing.T) {
	m, reg := newMetrics(t, &fakeStore{})
	slackReq, teamsReq := m.Request("slack"), m.Request("teams")
	slackReq("event", 200, 20*time.Millisecond)
	slackReq("event", 200, 30*time.Millisecond)
	slackReq("command", 401, time.Millisecond)
	teamsReq("activity", 200, 4*time.Second)
	call := m.Call("slack")
	call("chat.postMessage", metrics.ResultRateLimited)
	call("chat.postMessage", metrics.ResultOK)
	m.Call("teams")("token", metrics.ResultError)
	want := `
# HELP muster_requests_total Inbound platform requests, by the status of their acknowledgement.
# TYPE muster_requests_total counter
muster_requests_total{code="200",kind="activity",platform="teams"} 1
muster_requests_total{code="200",kind="event",platform="slack"} 2
muster_requests_total{code="401",kind="command",platform="slack"} 1
# HELP muster_platform_calls_total Outbound platform API calls, each attempt counted, by result: ok, rate_limited, error.
# TYPE muster_platform_calls_total counter
muster_platform_calls_total{method="chat.postMessage",platform="slack",result="ok"} 1
muster_platform_calls_total{method="chat.postMessage",platform="slack",result="rate_limited"} 1
muster_platform_calls_total{method="token",platform="teams",result="error"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "muster_requests_total", "muster_platform_calls_total"); err != nil {
		t.Error(err)
	}
	// Label values in name order: kind, platform.
	if n, s := histogram(t, reg, "muster_ack_seconds", "event", "slack"); n != 2 || s < 0.049 || s > 0.051 {
		t.Errorf("slack event acks: count %d sum %v, want 2 and 0.05", n, s)
	}
}

func TestOpenIncidents(t *testing.T) {
	store := &fakeStore{open: []*muster.Incident{
		incident("SEV1", muster.StatusInvestigating),
		incident("SEV1", muster.StatusInvestigating),
		incident("SEV2", muster.StatusMitigated),
		incident("SEV9", muster.StatusIdentified), // a severity since removed from the config
	}}
	_, reg := newMetrics(t, store)
	want := `
# HELP muster_incidents_open Incidents open now, read from the store at scrape time.
# TYPE muster_incidents_open gauge
muster_incidents_open{severity="SEV1",status="identified"} 0
muster_incidents_open{severity="SEV1",status="investigating"} 2
muster_incidents_open{severity="SEV1",status="mitigated"} 0
muster_incidents_open{severity="SEV2",status="identified"} 0
muster_incidents_open{severity="SEV2",status="investigating"} 0
muster_incidents_open{severity="SEV2",status="mitigated"} 1
muster_incidents_open{severity="SEV9",status="identified"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "muster_incidents_open"); err != nil {
		t.Error(err)
	}
	// Scraped again after a change: counted afresh, not accumulated.
	store.open = store.open[:1]
	if n := testutil.CollectAndCount(reg, "muster_incidents_open"); n != 6 {
		t.Errorf("%d series after the change, want 6 (the configured severities' zeros, and SEV1 investigating)", n)
	}
}

func TestOpenIncidentsStoreFailure(t *testing.T) {
	_, reg := newMetrics(t, &fakeStore{err: errors.New("disk on fire")})
	if _, err := reg.Gather(); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("gather with a failing store: %v, want its error", err)
	}
}

func TestOpenIncidentsSlowStore(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the scrape timeout")
	}
	block := make(chan struct{})
	defer close(block)
	_, reg := newMetrics(t, &fakeStore{block: block})
	start := time.Now()
	_, err := reg.Gather()
	if err == nil || !strings.Contains(err.Error(), context.DeadlineExceeded.Error()) {
		t.Errorf("gather with a stuck store: %v, want a deadline error", err)
	}
	if took := time.Since(start); took > metrics.OpenTimeout+time.Second {
		t.Errorf("gather took %s, want about %s", took, metrics.OpenTimeout)
	}
}

// histogram returns the sample count and sum of the histogram name whose
// label values are values, in label-name order.
func histogram(t testing.TB, reg *prometheus.Registry, name string, values ...string) (uint64, float64) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, m := range f.GetMetric() {
			labels := m.GetLabel()
			if len(labels) != len(values) {
				continue
			}
			for i, l := range labels {
				if l.GetValue() != values[i] {
					continue metric
				}
			}
			return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
		}
	}
	return 0, 0
}

// TestTimeToDetectAndDeclare: both are observed once, at resolution, from
// the milestones as they stand then; time to mitigate and to resolve run
// from the start of impact.
func TestTimeToDetectAndDeclare(t *testing.T) {
	m, reg := newMetrics(t, &fakeStore{})
	open := incident("SEV1", muster.StatusInvestigating)
	open.StartedAt, open.DetectedAt = t0.Add(-15*time.Minute), t0.Add(-5*time.Minute)
	m.Milestones(nil, open)
	for _, name := range []string{"muster_time_to_detect_seconds", "muster_time_to_declare_seconds"} {
		if n, _ := histogram(t, reg, name, "SEV1"); n != 0 {
			t.Errorf("%s observed %d times before resolution", name, n)
		}
	}
	done := *open
	done.Status, done.ResolvedAt, done.MitigatedAt = muster.StatusResolved, t0.Add(time.Hour), t0.Add(time.Hour)
	m.Milestones(open, &done)
	for name, sum := range map[string]float64{
		"muster_time_to_detect_seconds": 600, "muster_time_to_declare_seconds": 300,
		"muster_time_to_mitigate_seconds": 4500, "muster_time_to_resolve_seconds": 4500,
	} {
		if n, s := histogram(t, reg, name, "SEV1"); n != 1 || s != sum {
			t.Errorf("%s: count %d sum %v, want 1 and %v", name, n, s, sum)
		}
	}
}

// TestServiceLabelBounded: incidents are counted per affected service,
// at declaration and when one is added, and the label takes only the
// catalog's names, none and other, whatever the incidents hold.
func TestServiceLabelBounded(t *testing.T) {
	m, reg := newMetrics(t, &fakeStore{})
	plain := incident("SEV2", muster.StatusInvestigating)
	m.Declared(plain)
	m.Milestones(nil, plain)

	inc := incident("SEV1", muster.StatusInvestigating)
	inc.Services = []string{"checkout"}
	m.Declared(inc)
	m.Milestones(nil, inc)
	added := *inc
	added.Services = []string{"checkout", "payments", "retired-service", "another-retired"}
	m.Milestones(inc, &added)
	again := added // a later change adds nothing
	again.Status = muster.StatusMitigated
	m.Milestones(&added, &again)

	want := `
# HELP muster_service_incidents_total Incidents per affected service, counted when declared with it or when it is added; an incident of two services counts for both, one declared with none as service="none".
# TYPE muster_service_incidents_total counter
muster_service_incidents_total{service="checkout"} 1
muster_service_incidents_total{service="none"} 1
muster_service_incidents_total{service="other"} 2
muster_service_incidents_total{service="payments"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "muster_service_incidents_total"); err != nil {
		t.Error(err)
	}
}
