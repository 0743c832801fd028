// Package metrics holds muster's Prometheus metrics: incidents declared,
// resolved and open, the time to each milestone, reminders, status
// updates, and the requests and calls of the chat platforms. It registers
// on the registry it is given, never the default one.
package metrics

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/muster-bot/muster"
)

// Store lists incidents; *store.DB satisfies it. Only the open ones are
// asked for, at scrape time.
type Store interface {
	Incidents(ctx context.Context, openOnly bool) ([]*muster.Incident, error)
}

// OpenTimeout bounds the store read behind muster_incidents_open, so that
// a slow store cannot hold up a scrape.
const OpenTimeout = 2 * time.Second

// Results of a platform call.
const (
	ResultOK          = "ok"
	ResultRateLimited = "rate_limited"
	ResultError       = "error"
)

// incidentBuckets suit incidents: a minute to a day.
var incidentBuckets = []float64{60, 120, 300, 600, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 12 * 3600, 24 * 3600}

// ackBuckets suit acknowledgements, which Slack wants within 3 s and the
// Bot Connector within 15 s.
var ackBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 1.5, 2, 3, 5, 10, 15}

// Metrics records what muster does. Its methods are safe for concurrent
// use; *Metrics satisfies bot.Observer.
type Metrics struct {
	declared, resolved           *prometheus.CounterVec
	toDetect, toDeclare          *prometheus.HistogramVec
	toAck, toMitigate, toResolve *prometheus.HistogramVec
	reminders, updates           *prometheus.CounterVec
	requests                     *prometheus.CounterVec
	ack                          *prometheus.HistogramVec
	calls                        *prometheus.CounterVec
	alerts, falseAlarms          *prometheus.CounterVec
	leading                      prometheus.Gauge
	byService                    *prometheus.CounterVec
	// services are the catalog's names, the only values of the service
	// label besides none and other: a label taken from incidents as
	// they are could grow without bound.
	services map[string]bool
}

// Values of the service label besides the catalog's names.
const (
	ServiceNone  = "none"  // an incident declared with no service
	ServiceOther = "other" // a service no longer in the catalog
)

// New registers muster's metrics on reg. store is read at each scrape for
// muster_incidents_open; severities are the configured ones, reported as
// 0 open when no incident is open at them, so that a query over them
// finds a series. services are the catalog's names, the values of the
// service label (with none and other), each starting at 0 for the same
// reason.
func New(reg prometheus.Registerer, store Store, severities, services []string) *Metrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	}
	m := &Metrics{
		declared:   counter("muster_incidents_declared_total", "Incidents declared.", "severity"),
		resolved:   counter("muster_incidents_resolved_total", "Incidents resolved (again after a reopen).", "severity"),
		toDetect:   histogram("muster_time_to_detect_seconds", "Time from the start of impact to its detection, observed at resolution.", incidentBuckets, "severity"),
		toDeclare:  histogram("muster_time_to_declare_seconds", "Time from detection to declaration, observed at resolution.", incidentBuckets, "severity"),
		toAck:      histogram("muster_time_to_acknowledge_seconds", "Time from declaration to the first Incident Commander.", incidentBuckets, "severity"),
		toMitigate: histogram("muster_time_to_mitigate_seconds", "Time from the start of impact to mitigation (or resolution, when it came first).", incidentBuckets, "severity"),
		toResolve:  histogram("muster_time_to_resolve_seconds", "Time from the start of impact to resolution.", incidentBuckets, "severity"),
		reminders:  counter("muster_reminders_sent_total", "Reminders posted, by kind: update, escalate, no_ic.", "severity", "kind"),
		updates:    counter("muster_status_updates_total", "Status updates posted, on_time when before the severity's cadence was due, else late.", "severity", "timeliness"),
		requests:   counter("muster_requests_total", "Inbound platform requests, by the status of their acknowledgement.", "platform", "kind", "code"),
		ack:        histogram("muster_ack_seconds", "Time from receiving a platform request to writing its acknowledgement.", ackBuckets, "platform", "kind"),
		calls:      counter("muster_platform_calls_total", "Outbound platform API calls, each attempt counted, by result: ok, rate_limited, error.", "platform", "method", "result"),
		alerts: counter("muster_alerts_received_total",
			"Alert groups that started firing (first, or again after resolving), by source: alertmanager, grafana, alert. Repeats and retries do not count.", "source"),
		falseAlarms: counter("muster_incidents_false_alarm_total", "Incidents resolved as false alarms.", "severity"),
		byService: counter("muster_service_incidents_total",
			"Incidents per affected service, counted when declared with it or when it is added; an incident of two services counts for both, one declared with none as service=\"none\".", "service"),
		services: map[string]bool{},
		leading: prometheus.NewGauge(prometheus.GaugeOpts{Name: "muster_leader",
			Help: "1 while this replica runs the reminders and scheduled jobs (always, with one process on bbolt), else 0. Summed over replicas it should be 1."}),
	}
	for _, name := range slices.Concat(services, []string{ServiceNone}) {
		m.services[name] = true
		m.byService.WithLabelValues(name)
	}
	reg.MustRegister(m.byService, m.declared, m.resolved, m.toDetect, m.toDeclare, m.toAck, m.toMitigate, m.toResolve, m.reminders, m.updates, m.requests, m.ack, m.calls, m.alerts, m.falseAlarms, m.leading,
		&openCollector{store: store, severities: severities, desc: prometheus.NewDesc("muster_incidents_open",
			"Incidents open now, read from the store at scrape time.", []string{"severity", "status"}, nil)})
	for _, src := range muster.AlertSources() {
		m.alerts.WithLabelValues(src) // a series at 0 from the start, for rate()
	}
	return m
}

// AlertReceived counts an alert group that started firing.
func (m *Metrics) AlertReceived(source string) {
	m.alerts.WithLabelValues(source).Inc()
}

// Leading records whether this replica leads.
func (m *Metrics) Leading(on bool) {
	if on {
		m.leading.Set(1)
	} else {
		m.leading.Set(0)
	}
}

// Declared counts a new incident.
//
// Drills are never counted, here or below: a game day must not move the
// figures a team is paged on, and a label for them would double every
// series for a few events a quarter.
func (m *Metrics) Declared(inc *muster.Incident) {
	if inc.Drill {
		return
	}
	m.declared.WithLabelValues(inc.Severity).Inc()
	if len(inc.Services) == 0 {
		m.byService.WithLabelValues(ServiceNone).Inc()
	}
	m.servicesAdded(nil, inc.Services)
}

// servicesAdded counts the services in after that are not in before.
func (m *Metrics) servicesAdded(before, after []string) {
	for _, name := range after {
		if slices.Contains(before, name) {
			continue
		}
		if !m.services[name] || name == ServiceNone {
			name = ServiceOther
		}
		m.byService.WithLabelValues(name).Inc()
	}
}

// Milestones observes the milestones after reached and before had not:
// the first IC, mitigation, resolution. before is nil for a new incident.
// Time to detect and to declare are observed at resolution, by which time
// the start of impact and the detection have been set if anyone will.
func (m *Metrics) Milestones(before, after *muster.Incident) {
	if after.Drill {
		return
	}
	if before == nil {
		before = &muster.Incident{Status: muster.StatusInvestigating}
	} else {
		m.servicesAdded(before.Services, after.Services) // Declared counts a new incident's
	}
	sev := after.Severity
	if before.AcknowledgedAt.IsZero() && !after.AcknowledgedAt.IsZero() {
		m.toAck.WithLabelValues(sev).Observe(after.TimeToAcknowledge().Seconds())
	}
	if before.MitigatedAt.IsZero() && !after.MitigatedAt.IsZero() {
		m.toMitigate.WithLabelValues(sev).Observe(after.TimeToMitigate().Seconds())
	}
	if before.Open() && !after.Open() {
		m.resolved.WithLabelValues(sev).Inc()
		if after.FalseAlarm {
			m.falseAlarms.WithLabelValues(sev).Inc()
		}
		m.toResolve.WithLabelValues(sev).Observe(after.TimeToResolve().Seconds())
		m.toDetect.WithLabelValues(sev).Observe(after.TimeToDetect().Seconds())
		m.toDeclare.WithLabelValues(sev).Observe(after.TimeToDeclare().Seconds())
	}
}

// ReminderSent counts a reminder posted; kind is update, escalate or no_ic.
func (m *Metrics) ReminderSent(inc *muster.Incident, kind string) {
	if inc.Drill {
		return
	}
	m.reminders.WithLabelValues(inc.Severity, kind).Inc()
}

// UpdatePosted counts a status update.
func (m *Metrics) UpdatePosted(inc *muster.Incident, onTime bool) {
	if inc.Drill {
		return
	}
	timeliness := "late"
	if onTime {
		timeliness = "on_time"
	}
	m.updates.WithLabelValues(inc.Severity, timeliness).Inc()
}

// Request returns the hook a platform calls for each inbound request it
// acknowledges: its kind (command, event, …), the status of the
// acknowledgement and the time it took.
func (m *Metrics) Request(platform string) func(kind string, code int, d time.Duration) {
	return func(kind string, code int, d time.Duration) {
		m.requests.WithLabelValues(platform, kind, strconv.Itoa(code)).Inc()
		m.ack.WithLabelValues(platform, kind).Observe(d.Seconds())
	}
}

// Call returns the hook a platform calls for each outbound API call, with
// result ResultOK, ResultRateLimited or ResultError.
func (m *Metrics) Call(platform string) func(method, result string) {
	return func(method, result string) {
		m.calls.WithLabelValues(platform, method, result).Inc()
	}
}

// openCollector reports the open incidents, counted at scrape time: a
// count kept in memory would drift from the store across restarts.
type openCollector struct {
	store      Store
	severities []string
	desc       *prometheus.Desc
}

func (c *openCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *openCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), OpenTimeout)
	defer cancel()
	open, err := c.open(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	type key struct {
		severity string
		status   muster.Status
	}
	counts := map[key]int{}
	for _, sev := range c.severities {
		for _, st := range muster.Statuses() {
			if st.Open() {
				counts[key{sev, st}] = 0
			}
		}
	}
	for _, inc := range muster.Drills(open, false) {
		counts[key{inc.Severity, inc.Status}]++
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), k.severity, string(k.status))
	}
}

// open lists the open incidents, giving up when ctx is done even if the
// store does not notice (a bbolt read does not watch its context).
func (c *openCollector) open(ctx context.Context) ([]*muster.Incident, error) {
	type result struct {
		list []*muster.Incident
		err  error
	}
	done := make(chan result, 1)
	go func() {
		list, err := c.store.Incidents(ctx, true)
		done <- result{list, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("list open incidents: %w", r.err)
		}
		return r.list, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("list open incidents: %w", ctx.Err())
	}
}
