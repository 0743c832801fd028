package templates

import (
	"slices"
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
	Due      int    // update slots: deadlines missed and updates that met one
	OnTime   int    // updates posted before their deadline
	Missed   int    // deadlines that passed without an update
	Longest  string // longest stretch without an update while open

	Reminders, Escalations, Snoozes int
}

// measureCadence is muster.MeasureCadence over the timeline in time order,
// in the words the template shows.
func measureCadence(inc *muster.Incident, entries []muster.Entry, ladder muster.Severities, now time.Time) cadence {
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(a, b muster.Entry) int { return a.At.Compare(b.At) })
	m := muster.MeasureCadence(inc, sorted, ladder, now)
	return cadence{
		Updates: m.Updates, Measured: m.Measured, Rule: m.Rule, Due: m.Due, OnTime: m.OnTime, Missed: m.Missed,
		Longest: muster.FormatDuration(m.Longest), Reminders: m.Reminders, Escalations: m.Escalations, Snoozes: m.Snoozes,
	}
}
