package templates

import (
	"strings"
	"time"

	"github.com/muster-bot/muster"
)

// cadence says whether status updates kept to the severity's update
// cadence, and how often muster had to nag for them.
type cadence struct {
	Updates int // status updates posted

	// Measured is true when the severity ladder was given and some
	// severity the incident had asks for updates on a cadence.
	Measured bool
	Rule     string // the cadences in effect, "SEV2 every 1h, then SEV1 every 30m"
	Due      int    // updates that came due (each later update, or a deadline passed)
	OnTime   int
	Late     int    // late or never posted
	Longest  string // longest stretch without an update while open

	Reminders, Escalations, Snoozes int
}

// segment is a stretch of time at one severity, from start until the next
// segment's start.
type segment struct {
	start time.Time
	name  string
	every time.Duration
}

// measureCadence walks the timeline in time order. An update window opens
// at the declaration, at each update and at a reopen; it closes at the
// next update, at resolution, or at now for an open incident. A window is
// late when, at some moment inside it, the time since it opened exceeded
// the cadence of the severity in effect at that moment, which is when
// muster's reminder would have fired. A window closed by an update counts
// as due, on time or late; one closed otherwise counts only when late.
func measureCadence(inc *muster.Incident, rows []row, ladder muster.Severities, now time.Time) cadence {
	var c cadence
	for _, r := range rows {
		switch r.kind {
		case muster.EntryUpdate:
			c.Updates++
		case muster.EntryReminder:
			c.Reminders++
		case muster.EntryEscalation:
			c.Escalations++
		case muster.EntrySnooze:
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
			rule = append(rule, s.name+" every "+muster.FormatDuration(s.every))
		} else {
			rule = append(rule, s.name+" without a cadence")
		}
	}
	if !c.Measured {
		return c
	}
	c.Rule = strings.Join(rule, ", then ")

	var longest time.Duration
	closeWindow := func(start, end time.Time, byUpdate bool) {
		if start.IsZero() || end.Before(start) {
			return
		}
		longest = max(longest, end.Sub(start))
		late := overdue(segs, start, end)
		switch {
		case late:
			c.Due++
			c.Late++
		case byUpdate:
			c.Due++
			c.OnTime++
		}
	}
	start, open := inc.DeclaredAt, true
	for _, r := range rows {
		switch r.kind {
		case muster.EntryDeclared:
			if start.IsZero() {
				start = r.at
			}
		case muster.EntryUpdate:
			if open {
				closeWindow(start, r.at, true)
			}
			start = r.at
		case muster.EntryResolved:
			if open {
				closeWindow(start, r.at, false)
			}
			open = false
		case muster.EntryReopened:
			start, open = r.at, true
		}
	}
	if open && !now.IsZero() {
		closeWindow(start, now, false)
	}
	c.Longest = muster.FormatDuration(longest)
	return c
}

// severitySegments is the incident's severity over time, from its
// severity log, with each severity's cadence from the ladder.
func severitySegments(inc *muster.Incident, ladder muster.Severities) []segment {
	seg := func(at time.Time, name string) segment {
		sev, _, _ := ladder.Find(name)
		return segment{start: at, name: name, every: sev.UpdateEvery}
	}
	first := inc.Severity
	if len(inc.SeverityLog) > 0 {
		first = inc.SeverityLog[0].From
	}
	segs := []segment{seg(time.Time{}, first)}
	for _, ch := range inc.SeverityLog {
		segs = append(segs, seg(ch.At, ch.To))
	}
	return segs
}

// overdue reports whether the window (start, end] outlived the cadence in
// effect at some moment inside it.
func overdue(segs []segment, start, end time.Time) bool {
	for i, s := range segs {
		segEnd := end
		if i+1 < len(segs) && segs[i+1].start.Before(end) {
			segEnd = segs[i+1].start
		}
		if s.every <= 0 || !segEnd.After(start) || !segEnd.After(s.start) {
			continue
		}
		if segEnd.Sub(start) > s.every {
			return true
		}
	}
	return false
}
