package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/muster-bot/muster"
)

// The insights page answers "are we getting better?" over a window: how
// many incidents, how fast they were detected, acknowledged and resolved,
// whether updates kept to the cadence, and what follow-up is left. Every
// chart draws the numbers of the table beside it, and the table is the
// truth a screen reader or a copy-paste gets.
//
// The charts are SVG written by html/template on the server. muster runs
// air-gapped, so nothing may come from a CDN; the numbers are few (a bar
// per week or month); and a handful of rects and labels is less to own
// than a vendored chart library and its script. The pages run no script
// at all, and the charts keep it that way.

// windows are the choices of ?window=, in the order the form offers them.
var windows = []struct {
	Name string
	Days int
}{{"30d", 30}, {"90d", 90}, {"365d", 365}}

const defaultWindow = "90d"

// parseWindow reads ?window=, naming the choices when it is not one.
func parseWindow(r *http.Request) (string, time.Duration, error) {
	v := strings.TrimSpace(r.URL.Query().Get("window"))
	if v == "" {
		v = defaultWindow
	}
	var names []string
	for _, w := range windows {
		if strings.EqualFold(v, w.Name) {
			return w.Name, time.Duration(w.Days) * 24 * time.Hour, nil
		}
		names = append(names, w.Name)
	}
	return "", 0, muster.Errorf(muster.EINVALID, "window=%q is not a window. Choose one of: %s.", r.URL.Query().Get("window"), strings.Join(names, ", "))
}

// weekCount is one week's row of the incidents-per-week table.
type weekCount struct {
	Week   time.Time // Monday 00:00 UTC
	Counts []int     // by severity, in ladder order
	Total  int
}

// spread is the median and p90 of a set of durations, and how many there
// were; N is 0 when the month had none.
type spread struct {
	N           int
	Median, P90 time.Duration
}

// MedianText and P90Text read as `stats` writes durations; a zero (an
// incident detected as it started) shows as 0s, not as missing.
func (s spread) MedianText() string { return muster.FormatDuration(s.Median) }
func (s spread) P90Text() string    { return muster.FormatDuration(s.P90) }

// monthTimes is one month's row of the MTTD/MTTA/MTTR table.
type monthTimes struct {
	Month            time.Time
	Detect, Ack, Res spread
}

// monthCadence is one month's row of the cadence table.
type monthCadence struct {
	Month     time.Time
	Incidents int // incidents whose severity asked for a cadence
	Due       int
	OnTime    int
	Missed    int
}

// Percent is the share of due updates posted on time, "—" when none
// were due.
func (m monthCadence) Percent() string {
	if m.Due == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(m.OnTime)/float64(m.Due))
}

// monthAlerts is one month's row of the alert-accuracy table.
type monthAlerts struct {
	Month       time.Time
	Received    int // alert groups that started firing (muster.AlertCounts)
	Declared    int // incidents alerts declared
	FalseAlarms int // of those, resolved as false alarms
}

// Real is the share of the incidents alerts declared that were not false
// alarms, "—" when alerts declared none.
func (m monthAlerts) Real() string {
	if m.Declared == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(m.Declared-m.FalseAlarms)/float64(m.Declared))
}

// actionCounts splits the action items of the window's incidents in
// three: open (not done, not past due), overdue and done.
type actionCounts struct {
	Open, Overdue, Done int
}

// serviceMTBF is one service's row of the MTBF table.
type serviceMTBF struct {
	Service   string
	Incidents int
	MTBF      string // "—" with fewer than two incidents
}

// insights is what the page shows: the tables, and the charts drawn from
// them.
type insights struct {
	Window     string
	Drills     bool // ?drills=1: the drills alone, instead of the real incidents
	Windows    []string
	From, To   time.Time
	Incidents  int
	Severities []string
	Weeks      []weekCount
	Months     []monthTimes
	Cadence    []monthCadence
	Alerts     []monthAlerts
	Actions    actionCounts
	MTBF       []serviceMTBF // per service of the catalog; none without one

	WeekChart, TimesChart, CadenceChart, ActionChart chart
	AlertChart                                       chart
	Detect, Ack, Res                                 chart
}

// insightsPage serves GET /insights.
func (s *Server) insightsPage(w http.ResponseWriter, r *http.Request) {
	name, window, err := parseWindow(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.measure(r, name, window)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "insights", v)
}

// measure reads the incidents declared in the window that the viewer may
// see and adds them up.
func (s *Server) measure(r *http.Request, name string, window time.Duration) (*insights, error) {
	ctx := r.Context()
	now := s.now().UTC()
	from := now.Add(-window)
	// The store reads the window alone, from its index by declaration
	// time; the window ends at now, inclusive.
	all, err := s.store.IncidentsDeclared(ctx, from, now.Add(time.Nanosecond), 0)
	if err != nil {
		return nil, fmt.Errorf("list incidents for insights: %w", err)
	}
	ladder := s.cfg.Severities
	// Drills stay out unless asked for, and then they are all there is: a
	// game day's times beside real ones would say nothing about either.
	drills := r.URL.Query().Get("drills") == "1"
	v := &insights{Window: name, Drills: drills, From: from, To: now, Severities: ladder.Names()}
	for _, w := range windows {
		v.Windows = append(v.Windows, w.Name)
	}

	// Every week and month of the window gets a row, empty or not, so a
	// quiet stretch shows as one.
	weekIndex := map[time.Time]int{}
	for wk := weekStart(from); !wk.After(now); wk = wk.AddDate(0, 0, 7) {
		weekIndex[wk] = len(v.Weeks)
		v.Weeks = append(v.Weeks, weekCount{Week: wk, Counts: make([]int, len(ladder))})
	}
	var months []time.Time
	monthIndex := map[time.Time]int{}
	for m := monthStart(from); !m.After(now); m = m.AddDate(0, 1, 0) {
		monthIndex[m] = len(months)
		months = append(months, m)
	}
	detect := make([][]time.Duration, len(months))
	ack := make([][]time.Duration, len(months))
	res := make([][]time.Duration, len(months))
	v.Cadence = make([]monthCadence, len(months))
	v.Alerts = make([]monthAlerts, len(months))
	for i, m := range months {
		v.Alerts[i].Month = m
	}
	if !drills { // alerts are real: they say nothing of drills
		if err := s.alertsReceived(ctx, v.Alerts, monthIndex, from, now); err != nil {
			return nil, err
		}
	}
	starts := map[string][]time.Time{} // service → its incidents' starts

	for _, inc := range muster.Drills(s.visible(r, all), drills) {
		at := inc.DeclaredAt.UTC()
		if at.Before(from) || at.After(now) {
			continue
		}
		v.Incidents++
		for _, svc := range inc.Services {
			starts[svc] = append(starts[svc], inc.Started())
		}
		wk := &v.Weeks[weekIndex[weekStart(at)]]
		if _, rank, ok := ladder.Find(inc.Severity); ok {
			wk.Counts[rank]++
		}
		wk.Total++

		mi := monthIndex[monthStart(at)]
		// As `stats` does: time to detect counts every incident (zero
		// when nobody moved started or detected), acknowledge and
		// resolve only those that got there.
		detect[mi] = append(detect[mi], inc.TimeToDetect())
		if !inc.AcknowledgedAt.IsZero() {
			ack[mi] = append(ack[mi], inc.TimeToAcknowledge())
		}
		if !inc.ResolvedAt.IsZero() {
			res[mi] = append(res[mi], inc.TimeToResolve())
		}

		if inc.Source != "" {
			v.Alerts[mi].Declared++
			if inc.FalseAlarm {
				v.Alerts[mi].FalseAlarms++
			}
		}

		c, err := s.cadences.Measure(inc, ladder, now, func() ([]muster.Entry, error) { return s.store.Timeline(ctx, inc.ID) })
		if err != nil {
			return nil, fmt.Errorf("read timeline of %s for insights: %w", inc.Ref(), err)
		}
		if c.Measured {
			mc := &v.Cadence[mi]
			mc.Incidents++
			mc.Due += c.Due
			mc.OnTime += c.OnTime
			mc.Missed += c.Missed
		}

		for _, a := range inc.Actions {
			switch {
			case a.Done:
				v.Actions.Done++
			case !a.Due.IsZero() && a.Due.Before(now):
				v.Actions.Overdue++
			default:
				v.Actions.Open++
			}
		}
	}
	for i, m := range months {
		v.Months = append(v.Months, monthTimes{Month: m, Detect: spreadOf(detect[i]), Ack: spreadOf(ack[i]), Res: spreadOf(res[i])})
		v.Cadence[i].Month = m
	}
	for _, svc := range s.cfg.Services {
		row := serviceMTBF{Service: svc.Name, Incidents: len(starts[svc.Name]), MTBF: "—"}
		if d, ok := muster.MTBF(starts[svc.Name]); ok {
			row.MTBF = muster.FormatDuration(d)
		}
		v.MTBF = append(v.MTBF, row)
	}
	s.draw(v)
	return v, nil
}

// maxAlertDays bounds the days of alert counts the page reads; the
// longest window is a year.
const maxAlertDays = 400

// alertsReceived adds the alert groups received on each UTC day of the
// window to its month's row. The counts are kept per day, so the first
// day of the window is read whole.
func (s *Server) alertsReceived(ctx context.Context, rows []monthAlerts, monthIndex map[time.Time]int, from, now time.Time) error {
	for _, day := range muster.AlertDays(from, now, maxAlertDays) {
		v, err := s.store.Setting(ctx, muster.AlertCountKey(day))
		if err != nil {
			return fmt.Errorf("read the alerts received on %s: %w", day.Format(time.DateOnly), err)
		}
		if i, ok := monthIndex[monthStart(day)]; ok {
			rows[i].Received += muster.ParseAlertCounts(v).Total()
		}
	}
	return nil
}

// weekStart is the Monday 00:00 UTC of t's week.
func weekStart(t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	back := (int(day.Weekday()) + 6) % 7 // days since Monday
	return day.AddDate(0, 0, -back)
}

// monthStart is the first of t's month, 00:00 UTC.
func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// spreadOf is the median (the mean of the middle two for an even count,
// as `stats` has it) and the 90th percentile by nearest rank: the
// smallest value that at least 90% of the set do not exceed, so it is
// always a time some incident really took.
func spreadOf(ds []time.Duration) spread {
	if len(ds) == 0 {
		return spread{}
	}
	sorted := slices.Sorted(slices.Values(ds))
	rank := int(math.Ceil(0.9 * float64(len(ds))))
	return spread{N: len(ds), Median: muster.Median(ds), P90: sorted[rank-1]}
}

// draw lays out the charts of v's tables.
func (s *Server) draw(v *insights) {
	sevSeries := make([]series, len(v.Severities))
	for i, name := range v.Severities {
		sevSeries[i] = series{Name: name, Class: s.sevClass(name)}
	}
	weeks := make([]group, len(v.Weeks))
	for i, w := range v.Weeks {
		vals := make([]float64, len(w.Counts))
		for j, c := range w.Counts {
			vals[j] = float64(c)
		}
		weeks[i] = group{Label: w.Week.Format("Jan 2"), Values: vals}
	}
	v.WeekChart = barChart("Incidents per week by severity", sevSeries, weeks, true, countScale)

	times := func(title string, pick func(monthTimes) spread) chart {
		gs := make([]group, len(v.Months))
		for i, m := range v.Months {
			sp := pick(m)
			gs[i] = group{Label: m.Month.Format("Jan 2006"), Values: []float64{sp.Median.Minutes(), sp.P90.Minutes()}}
		}
		return barChart(title, []series{{Name: "median", Class: "median"}, {Name: "p90", Class: "p90"}}, gs, false, durationScale)
	}
	v.Detect = times("Time to detect per month", func(m monthTimes) spread { return m.Detect })
	v.Ack = times("Time to acknowledge per month", func(m monthTimes) spread { return m.Ack })
	v.Res = times("Time to resolve per month", func(m monthTimes) spread { return m.Res })

	cad := make([]group, len(v.Cadence))
	for i, c := range v.Cadence {
		cad[i] = group{Label: c.Month.Format("Jan 2006"), Values: []float64{float64(c.OnTime), float64(c.Missed)}}
	}
	v.CadenceChart = barChart("Status updates due per month", []series{{Name: "on time", Class: "ontime"}, {Name: "missed", Class: "missed"}}, cad, true, countScale)

	al := make([]group, len(v.Alerts))
	for i, a := range v.Alerts {
		al[i] = group{Label: a.Month.Format("Jan 2006"), Values: []float64{float64(a.Received), float64(a.Declared), float64(a.FalseAlarms)}}
	}
	v.AlertChart = barChart("Alert accuracy per month",
		[]series{{Name: "alert groups", Class: "received"}, {Name: "declared", Class: "declared"}, {Name: "false alarms", Class: "falsealarm"}}, al, false, countScale)

	v.ActionChart = barChart("Action items", []series{{Name: "open", Class: "open"}, {Name: "overdue", Class: "overdue"}, {Name: "done", Class: "done"}},
		[]group{
			{Label: "open", Values: []float64{float64(v.Actions.Open), 0, 0}},
			{Label: "overdue", Values: []float64{0, float64(v.Actions.Overdue), 0}},
			{Label: "done", Values: []float64{0, 0, float64(v.Actions.Done)}},
		}, true, countScale)
}

// The chart model: what the template draws, every coordinate computed
// here so the template holds no arithmetic.

// series is one kind of bar: a severity, median or p90, on time or missed.
type series struct {
	Name  string
	Class string // CSS class that colours it
}

// group is one position on the x axis and its value per series.
type group struct {
	Label  string
	Values []float64 // one per series
}

// chart is an SVG bar chart: Width×Height user units, scaled by CSS.
type chart struct {
	Title         string
	Width, Height int
	Bars          []bar
	XLabels       []label
	Ticks         []tick
	Legend        []legendItem
	Left, Bottom  float64 // the plot's left edge and baseline
	Right         float64
	MidX, MidY    float64 // where "no data" is written
	Empty         bool
}

type bar struct {
	X, Y, W, H float64
	Class      string
	Title      string // the bar's number, shown on hover
}

type label struct {
	X, Y float64
	Text string
}

type tick struct {
	Y    float64
	Text string
}

type legendItem struct {
	X     float64
	Class string
	Name  string
}

// scale picks the y axis's top and its tick step for the largest value,
// and says how a value reads.
type scale func(max float64) (top, step float64, format func(float64) string)

// countScale steps by 1, 2 or 5 times a power of ten.
func countScale(max float64) (float64, float64, func(float64) string) {
	format := func(v float64) string { return fmt.Sprintf("%.0f", v) }
	if max <= 0 {
		return 1, 1, format
	}
	step := niceStep(max, []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000})
	return math.Ceil(max/step) * step, step, format
}

// durationScale works in minutes and steps by lengths people say.
func durationScale(max float64) (float64, float64, func(float64) string) {
	format := func(v float64) string {
		if v <= 0 {
			return "0"
		}
		return muster.FormatDuration(time.Duration(v * float64(time.Minute)))
	}
	if max <= 0 {
		return 60, 60, format
	}
	step := niceStep(max, []float64{1, 5, 10, 15, 30, 60, 120, 240, 360, 720, 1440, 2880, 7 * 1440, 14 * 1440, 30 * 1440})
	return math.Ceil(max/step) * step, step, format
}

// niceStep is the first of steps that divides max into at most five
// ticks, or the last.
func niceStep(max float64, steps []float64) float64 {
	for _, s := range steps {
		if max/s <= 5 {
			return s
		}
	}
	last := steps[len(steps)-1]
	return math.Ceil(max/last/5) * last
}

// Chart geometry, in SVG user units.
const (
	chartWidth  = 640
	chartHeight = 260
	plotLeft    = 56
	plotRight   = 8
	plotTop     = 28
	plotBottom  = 40
)

// barChart lays out groups of bars, stacked or side by side.
func barChart(title string, ss []series, gs []group, stacked bool, sc scale) chart {
	c := chart{Title: title, Width: chartWidth, Height: chartHeight,
		Left: plotLeft, Right: chartWidth - plotRight, Bottom: chartHeight - plotBottom,
		MidX: (plotLeft + chartWidth - plotRight) / 2, MidY: (plotTop + chartHeight - plotBottom) / 2}
	maxV := 0.0
	for _, g := range gs {
		sum := 0.0
		for _, v := range g.Values {
			sum += v
			if !stacked {
				maxV = max(maxV, v)
			}
		}
		if stacked {
			maxV = max(maxV, sum)
		}
	}
	c.Empty = maxV == 0
	top, step, format := sc(maxV)
	plotH := c.Bottom - plotTop
	y := func(v float64) float64 { return c.Bottom - v/top*plotH }
	for v := 0.0; v <= top+step/2; v += step {
		c.Ticks = append(c.Ticks, tick{Y: y(v), Text: format(v)})
	}
	x := 0.0
	for _, s := range ss {
		c.Legend = append(c.Legend, legendItem{X: plotLeft + x, Class: s.Class, Name: s.Name})
		x += 16 + 8*float64(len(s.Name)) + 12
	}
	if len(gs) == 0 {
		return c
	}
	slot := (c.Right - c.Left) / float64(len(gs))
	gap := max(1, slot*0.2)
	// Label every nth group so that labels never overlap.
	every := max(1, int(math.Ceil(float64(len(gs))*64/(c.Right-c.Left))))
	for i, g := range gs {
		x0 := c.Left + float64(i)*slot + gap/2
		w := slot - gap
		if i%every == 0 {
			c.XLabels = append(c.XLabels, label{X: x0 + w/2, Y: c.Bottom + 16, Text: g.Label})
		}
		base := 0.0
		for j, v := range g.Values {
			if v <= 0 {
				continue
			}
			title := fmt.Sprintf("%s, %s: %s", g.Label, ss[j].Name, format(v))
			if stacked {
				c.Bars = append(c.Bars, bar{X: x0, Y: y(base + v), W: w, H: y(base) - y(base+v), Class: ss[j].Class, Title: title})
				base += v
				continue
			}
			bw := w / float64(len(ss))
			c.Bars = append(c.Bars, bar{X: x0 + float64(j)*bw, Y: y(v), W: bw, H: c.Bottom - y(v), Class: ss[j].Class, Title: title})
		}
	}
	return c
}
