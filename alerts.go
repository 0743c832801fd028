package muster

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Where an incident came from, as Incident.Source records it: one of the
// alert sources, or "" for an incident people declared in chat.
const (
	SourceAlertmanager = "alertmanager" // POST /hooks/alertmanager
	SourceGrafana      = "grafana"      // POST /hooks/grafana
	SourceAlert        = "alert"        // POST /hooks/alert, the generic JSON alert
)

// AlertSources are the alert sources, in the order reports list them.
func AlertSources() []string { return []string{SourceAlertmanager, SourceGrafana, SourceAlert} }

// AlertCounts is how many alert groups started firing on one UTC day, by
// source. A group counts when it fires for the first time or again after
// it resolved; repeats and retries of its notifications do not count.
// One small setting a day keeps the count durable and bounded: a year is
// 365 keys, whatever the alert volume.
type AlertCounts map[string]int

// alertCountPrefix starts the key of a day's AlertCounts setting.
const alertCountPrefix = "alerts.received."

// AlertCountKey is the setting that holds the AlertCounts of t's UTC day.
func AlertCountKey(t time.Time) string {
	return alertCountPrefix + t.UTC().Format(time.DateOnly)
}

// ParseAlertCounts reads a day's setting ("alertmanager=3 grafana=1");
// words it cannot read are skipped, so a damaged setting counts what it
// still can.
func ParseAlertCounts(v string) AlertCounts {
	c := AlertCounts{}
	for _, w := range strings.Fields(v) {
		src, n, ok := strings.Cut(w, "=")
		if k, err := strconv.Atoi(n); ok && err == nil && k > 0 {
			c[src] += k
		}
	}
	return c
}

// String is the setting's value, sources sorted.
func (c AlertCounts) String() string {
	srcs := make([]string, 0, len(c))
	for s, n := range c {
		if n > 0 {
			srcs = append(srcs, s)
		}
	}
	slices.Sort(srcs)
	words := make([]string, len(srcs))
	for i, s := range srcs {
		words[i] = s + "=" + strconv.Itoa(c[s])
	}
	return strings.Join(words, " ")
}

// Total is the count over every source.
func (c AlertCounts) Total() int {
	n := 0
	for _, k := range c {
		n += k
	}
	return n
}

// Add adds o's counts to c.
func (c AlertCounts) Add(o AlertCounts) {
	for s, n := range o {
		c[s] += n
	}
}

// AlertDays are the UTC days whose counts a report over [from, to]
// reads, at most max of them (the latest): a window is read day by day,
// and a window of years must not read thousands of settings.
func AlertDays(from, to time.Time, max int) []time.Time {
	from, to = from.UTC(), to.UTC()
	day := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, time.UTC)
	first := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	var days []time.Time
	for ; !day.Before(first) && len(days) < max; day = day.AddDate(0, 0, -1) {
		days = append(days, day)
	}
	slices.Reverse(days)
	return days
}
