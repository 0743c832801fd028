package muster

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// Cadence says whether status updates kept to the severity's update
// cadence, and how often muster had to remind people of them. The
// postmortem shows it per incident; `stats` adds it up.
type Cadence struct {
	Updates int // status updates posted

	// Measured is true when some severity the incident had asks for
	// updates on a cadence.
	Measured bool
	Rule     string // the cadences in effect, "SEV2 every 1h, then SEV1 every 30m"
	// Due counts the update slots: each deadline the cadence set (a
	// reminder's moment) and each update that met one. Due = OnTime + Missed.
	Due     int
	OnTime  int           // updates posted before their deadline
	Missed  int           // deadlines that passed without an update
	Longest time.Duration // longest stretch without an update while open

	Reminders, Escalations, Snoozes int
}

// cadenceSegment is a stretch of time at one severity.
type cadenceSegment struct {
	start time.Time
	name  string
	every time.Duration
}

// MeasureCadence walks timeline (in time order). An update window opens
// at the declaration, at each update and at a reopen; it closes at the
// next update, at resolution, or at now for an open incident. Inside a
// window the deadlines fall where muster's reminders would: one cadence
// (of the severity in effect) after the window opened, then one cadence
// after each missed deadline, and at once when an upgrade leaves the
// window older than the new cadence. Each deadline passed before the
// window closed is a missed slot, so a 1h58m silence at a 30m cadence
// missed three; the update that closes a window met the next deadline.
func MeasureCadence(inc *Incident, timeline []Entry, ladder Severities, now time.Time) Cadence {
	var c Cadence
	for _, e := range timeline {
		switch e.Kind {
		case EntryUpdate:
			c.Updates++
		case EntryReminder:
			c.Reminders++
		case EntryEscalation:
			c.Escalations++
		case EntrySnooze:
			c.Snoozes++
		}
	}
	if len(ladder) == 0 {
		return c
	}
	segs := severitySegments(inc, ladder)
	var rule []string
	for _, s := range segs {
		if s.every > 0 {
			c.Measured = true
			rule = append(rule, s.name+" every "+FormatDuration(s.every))
		} else {
			rule = append(rule, s.name+" without a cadence")
		}
	}
	if !c.Measured {
		return c
	}
	c.Rule = strings.Join(rule, ", then ")
	closeWindow := func(start, end time.Time, byUpdate bool) {
		if start.IsZero() || end.Before(start) {
			return
		}
		c.Longest = max(c.Longest, end.Sub(start))
		missed := missedSlots(segs, start, end)
		c.Due += missed
		c.Missed += missed
		if byUpdate {
			c.Due++
			c.OnTime++
		}
	}
	start, open := inc.DeclaredAt, true
	for _, e := range timeline {
		switch e.Kind {
		case EntryDeclared:
			if start.IsZero() {
				start = e.At
			}
		case EntryUpdate:
			if open {
				closeWindow(start, e.At, true)
			}
			start = e.At
		case EntryResolved:
			if open {
				closeWindow(start, e.At, false)
			}
			open = false
		case EntryReopened:
			start, open = e.At, true
		}
	}
	if open && !now.IsZero() {
		closeWindow(start, now, false)
	}
	return c
}

// severitySegments is the incident's severity over time, from its
// severity log, with each severity's cadence from the ladder.
func severitySegments(inc *Incident, ladder Severities) []cadenceSegment {
	seg := func(at time.Time, name string) cadenceSegment {
		sev, _, _ := ladder.Find(name)
		return cadenceSegment{start: at, name: name, every: sev.UpdateEvery}
	}
	first := inc.Severity
	if len(inc.SeverityLog) > 0 {
		first = inc.SeverityLog[0].From
	}
	segs := []cadenceSegment{seg(time.Time{}, first)}
	for _, ch := range inc.SeverityLog {
		segs = append(segs, seg(ch.At, ch.To))
	}
	return segs
}

// missedSlots counts the deadlines that fell inside the window (start,
// end): the moments muster's reminders would have come, with the cadence
// in effect at each.
func missedSlots(segs []cadenceSegment, start, end time.Time) int {
	n, last := 0, start // last: when the window opened, or the last deadline
	for i, s := range segs {
		segEnd := end
		if i+1 < len(segs) && segs[i+1].start.Before(end) {
			segEnd = segs[i+1].start
		}
		if s.every <= 0 {
			continue
		}
		for {
			deadline := last.Add(s.every)
			if deadline.Before(s.start) {
				deadline = s.start // an upgrade made the window overdue at once
			}
			if !deadline.Before(segEnd) {
				break
			}
			n++
			last = deadline
		}
	}
	return n
}

// CadenceMemo remembers what MeasureCadence found for resolved incidents,
// so that `stats` and /insights over a long window read the timelines of
// the incidents resolved since they last looked, not of every incident
// each time. A resolved incident's cadence is settled: nothing is posted
// or nagged after the resolution, and a reopen and a new resolution change
// ResolvedAt, which is part of the key. One memo serves one ladder. The
// zero value is ready; it is safe for concurrent use.
type CadenceMemo struct {
	mu sync.Mutex
	m  map[cadenceKey]Cadence
}

type cadenceKey struct {
	id       int
	resolved int64 // ResolvedAt, in Unix nanoseconds
}

// cadenceMemoSize bounds the memory a memo holds, about a hundred bytes
// an incident; past it, the memo starts again empty.
const cadenceMemoSize = 100_000

// Measure is MeasureCadence of inc, from memory when inc is resolved and
// was measured before; timeline reads inc's timeline otherwise.
func (m *CadenceMemo) Measure(inc *Incident, ladder Severities, now time.Time, timeline func() ([]Entry, error)) (Cadence, error) {
	key := cadenceKey{id: inc.ID, resolved: inc.ResolvedAt.UnixNano()}
	settled := !inc.Open() && !inc.ResolvedAt.IsZero()
	if settled {
		m.mu.Lock()
		c, ok := m.m[key]
		m.mu.Unlock()
		if ok {
			return c, nil
		}
	}
	entries, err := timeline()
	if err != nil {
		return Cadence{}, err
	}
	slices.SortStableFunc(entries, func(a, b Entry) int { return a.At.Compare(b.At) })
	c := MeasureCadence(inc, entries, ladder, now)
	if settled {
		m.mu.Lock()
		if m.m == nil || len(m.m) >= cadenceMemoSize {
			m.m = make(map[cadenceKey]Cadence)
		}
		m.m[key] = c
		m.mu.Unlock()
	}
	return c, nil
}
