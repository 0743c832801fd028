package commands

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/muster-bot/muster"
)

// stats handles `stats [window] [drills]`: time to detect, declare,
// acknowledge, mitigate and resolve (mean and median) and the count by
// severity of the incidents declared within the window. Drills are left
// out; `drills` reports them alone instead, since a game day's figures
// mixed with real ones would say nothing about either.
func (c *Runner) stats(ctx context.Context, r *Request) (*Outcome, error) {
	window := 30 * 24 * time.Hour
	args := r.Call.Args
	drills := len(args) > 0 && strings.EqualFold(args[len(args)-1], "drills")
	if drills {
		args = args[:len(args)-1]
	}
	if len(args) > 1 {
		return nil, c.malformed("stats", "Give a window and, for the drills alone, `drills`: e.g. `stats 90d drills`.")
	}
	if len(args) > 0 {
		w, ok := parseWindow(args[0])
		if !ok {
			return nil, c.malformed("stats", "%q is not a window (examples: 7d, 30d, 90d, 12h), nor `drills`.", args[0])
		}
		window = w
	}
	since := c.now().Add(-window)
	// The store reads the window alone, from its index by declaration
	// time; no upper bound, as before the index: the end of time.Time's
	// nanosecond range.
	all, err := c.store.IncidentsDeclared(ctx, since, time.Unix(0, math.MaxInt64), 0)
	if err != nil {
		return nil, fmt.Errorf("list incidents for stats: %w", err)
	}
	all = muster.Drills(muster.Visible(all, r.Event), drills)
	var ttd, ttdecl, tta, ttm, ttr []time.Duration
	var acc accuracy
	starts := map[string][]time.Time{} // service → its incidents' starts
	bySeverity := map[string]int{}
	count, actions, openActions, due, onTime := 0, 0, 0, 0, 0
	for _, inc := range all {
		if inc.DeclaredAt.Before(since) {
			continue
		}
		count++
		bySeverity[inc.Severity]++
		acc.count(inc)
		for _, svc := range inc.Services {
			starts[svc] = append(starts[svc], inc.Started())
		}
		cad, err := c.cadences.Measure(inc, c.cfg.Severities, c.now(), func() ([]muster.Entry, error) { return c.store.Timeline(ctx, inc.ID) })
		if err != nil {
			return nil, fmt.Errorf("read timeline of %s for stats: %w", inc.Ref(), err)
		}
		due, onTime = due+cad.Due, onTime+cad.OnTime
		actions += len(inc.Actions)
		for _, a := range inc.Actions {
			if !a.Done {
				openActions++
			}
		}
		ttd = append(ttd, inc.TimeToDetect())
		ttdecl = append(ttdecl, inc.TimeToDeclare())
		if !inc.MitigatedAt.IsZero() {
			ttm = append(ttm, inc.TimeToMitigate())
		}
		if !inc.AcknowledgedAt.IsZero() {
			tta = append(tta, inc.TimeToAcknowledge())
		}
		if !inc.ResolvedAt.IsZero() {
			ttr = append(ttr, inc.TimeToResolve())
		}
	}
	received, err := alertsReceived(ctx, c.store, since, c.now())
	if err != nil {
		return nil, err
	}
	var counts []string
	for _, name := range c.cfg.Severities.Names() {
		counts = append(counts, fmt.Sprintf("%s %d", name, bySeverity[name]))
	}
	title := fmt.Sprintf("Incidents declared in the last %s: %d", formatWindow(window), count)
	if drills {
		title = fmt.Sprintf("%s · drills run in the last %s: %d", muster.DrillMark, formatWindow(window), count)
		received = muster.AlertCounts{} // alerts are real: they say nothing of drills
	}
	msg := &muster.Message{
		Title: title,
		Fields: []muster.Field{
			{Label: "By severity", Value: strings.Join(counts, " · ")},
			{Label: "MTTD (impact started → detected)", Value: meanMedian(ttd)},
			{Label: "Time to declare (detected → declared)", Value: meanMedian(ttdecl)},
			{Label: "MTTA (declared → first IC)", Value: meanMedian(tta)},
			{Label: "MTTM (impact started → mitigated)", Value: meanMedian(ttm)},
			{Label: "MTTR (impact started → resolved)", Value: meanMedian(ttr)},
			{Label: "Status updates on time", Value: share(onTime, due)},
			{Label: "Action items", Value: fmt.Sprintf("%d open of %d", openActions, actions)},
		},
	}
	// Alert accuracy, once there is any: a team that sends no alerts and
	// marks no false alarms is not shown three lines of zeros.
	if received.Total() > 0 || acc.fromAlerts > 0 || acc.falseAlarms > 0 {
		msg.Fields = append(msg.Fields,
			muster.Field{Label: "Alert groups received", Value: receivedText(received)},
			muster.Field{Label: "Declared from alerts", Value: acc.declaredText()},
			muster.Field{Label: "Resolved as false alarms", Value: acc.falseText()})
	}
	if len(c.cfg.Services) > 0 {
		msg.Fields = append(msg.Fields, muster.Field{Label: "MTBF per service (between incidents' starts)", Value: mtbfLine(c.cfg.Services, starts)})
	}
	return &Outcome{Reply: msg}, nil
}

// accuracy counts, over some incidents, those alerts declared and those
// resolved as false alarms.
type accuracy struct {
	all, fromAlerts, falseAlarms, falseFromAlerts int
}

func (a *accuracy) count(inc *muster.Incident) {
	a.all++
	if inc.Source != "" {
		a.fromAlerts++
	}
	if inc.FalseAlarm {
		a.falseAlarms++
		if inc.Source != "" {
			a.falseFromAlerts++
		}
	}
}

// declaredText is "3 of 9 incidents; 2 real (67%)": a real one is one not
// resolved as a false alarm, open ones included.
func (a accuracy) declaredText() string {
	if a.fromAlerts == 0 {
		return fmt.Sprintf("0 of %d incidents", a.all)
	}
	real := a.fromAlerts - a.falseFromAlerts
	return fmt.Sprintf("%d of %d incidents; %d real (%d%%)", a.fromAlerts, a.all, real, (100*real+a.fromAlerts/2)/a.fromAlerts)
}

// falseText is "2 (1 declared from alerts)".
func (a accuracy) falseText() string {
	return fmt.Sprintf("%d (%d declared from alerts)", a.falseAlarms, a.falseFromAlerts)
}

// maxAlertDays bounds the days of alert counts a report reads: ten years.
const maxAlertDays = 3660

// alertsReceived adds up the alert groups received (see
// muster.AlertCounts) on the UTC days from since's to now's. The counts
// are kept per day, so a window shorter than a day reads whole days.
func alertsReceived(ctx context.Context, s Store, since, now time.Time) (muster.AlertCounts, error) {
	sum := muster.AlertCounts{}
	for _, day := range muster.AlertDays(since, now, maxAlertDays) {
		v, err := s.Setting(ctx, muster.AlertCountKey(day))
		if err != nil {
			return nil, fmt.Errorf("read the alerts received on %s: %w", day.Format(time.DateOnly), err)
		}
		sum.Add(muster.ParseAlertCounts(v))
	}
	return sum, nil
}

// receivedText is "7 (alertmanager 5 · grafana 2)".
func receivedText(c muster.AlertCounts) string {
	var by []string
	for _, src := range muster.AlertSources() {
		if c[src] > 0 {
			by = append(by, fmt.Sprintf("%s %d", src, c[src]))
		}
	}
	if len(by) == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%s)", c.Total(), strings.Join(by, " · "))
}

// mtbfLine is "checkout 3d 4h (n=3) · payments — (n=1)", in the
// catalog's order: the figure is "—" for a service with fewer than two
// incidents in the window.
func mtbfLine(catalog muster.Services, starts map[string][]time.Time) string {
	parts := make([]string, 0, len(catalog))
	for _, svc := range catalog {
		figure := "—"
		if d, ok := muster.MTBF(starts[svc.Name]); ok {
			figure = muster.FormatDuration(d)
		}
		parts = append(parts, fmt.Sprintf("%s %s (n=%d)", svc.Name, figure, len(starts[svc.Name])))
	}
	return strings.Join(parts, " · ")
}

// parseWindow accepts whole days ("30d") or a Go duration ("12h").
func parseWindow(s string) (time.Duration, bool) {
	if days, ok := strings.CutSuffix(strings.ToLower(s), "d"); ok {
		n, err := strconv.Atoi(days)
		return time.Duration(n) * 24 * time.Hour, err == nil && n > 0
	}
	d, err := time.ParseDuration(s)
	return d, err == nil && d > 0
}

func formatWindow(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return muster.FormatDuration(d)
}

func meanMedian(ds []time.Duration) string {
	if len(ds) == 0 {
		return "no data"
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return fmt.Sprintf("mean %s, median %s (n=%d)", muster.FormatDuration(sum/time.Duration(len(ds))), muster.FormatDuration(muster.Median(ds)), len(ds))
}

// share is "7 of 9 (78%)", or "no updates came due".
func share(n, of int) string {
	if of == 0 {
		return "no updates came due"
	}
	return fmt.Sprintf("%d of %d (%d%%)", n, of, (100*n+of/2)/of)
}
