package bot

import (
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/commands"
)

// Observer is told of incidents' milestones, reminders and updates once
// they are durable. *metrics.Metrics satisfies it.
type Observer interface {
	Declared(inc *muster.Incident)
	// Milestones is called after every change a command made; before is
	// nil for a new incident.
	Milestones(before, after *muster.Incident)
	ReminderSent(inc *muster.Incident, nag string)
	UpdatePosted(inc *muster.Incident, onTime bool)
	// AlertReceived is called once for each alert group that starts
	// firing, by source (muster.SourceGrafana, …).
	AlertReceived(source string)
}

type noObserver struct{}

func (noObserver) Declared(*muster.Incident)                 {}
func (noObserver) Milestones(before, after *muster.Incident) {}
func (noObserver) ReminderSent(*muster.Incident, string)     {}
func (noObserver) UpdatePosted(*muster.Incident, bool)       {}
func (noObserver) AlertReceived(string)                      {}

// observe tells the observer what a command changed: a declaration, the
// milestones reached, a status update and whether it came in time.
func (b *Bot) observe(before *muster.Incident, out *commands.Outcome) {
	after := out.Incident
	if after == nil {
		return
	}
	switch {
	case out.Happened == commands.Declared:
		b.cfg.Observer.Declared(after)
		before = nil
	case before == nil || before.ID != after.ID:
		return // a command that acts on no incident (list, stats) changed none
	}
	b.cfg.Observer.Milestones(before, after)
	if before != nil && before.Open() && after.Open() && after.Reminder.LastUpdate.After(before.Reminder.LastUpdate) {
		sev, _, _ := b.cfg.Severities.Find(before.Severity)
		b.cfg.Observer.UpdatePosted(after, updateOnTime(before, sev, after.Reminder.LastUpdate))
	}
}

// updateOnTime says whether an update posted at was in time: before the
// cadence came due after the last update (or a snooze ended). A severity
// without a cadence has no due time, so its updates are always in time.
// Reminders sent meanwhile do not move the due time.
func updateOnTime(before *muster.Incident, sev muster.Severity, at time.Time) bool {
	if sev.UpdateEvery <= 0 {
		return true
	}
	due := before.Reminder.LastUpdate.Add(sev.UpdateEvery)
	if before.Reminder.SnoozedUntil.After(due) {
		due = before.Reminder.SnoozedUntil
	}
	return at.Before(due)
}
