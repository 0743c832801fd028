package muster

import "time"

// NextUpdateDue is when the next update reminder comes due at sev's
// cadence: one cadence after the later of the last update and the last
// reminder, or when a snooze ends if that is later, held to sev's working
// hours if it has any. It reads the cadence from sev, the current
// severity, so a severity change moves it at once (an upgrade may make it
// due at once). The reminders and the war-room header both ask it, so the
// header always names the time the reminder will come.
//
// A clock set back leaves times in the store that lie in the future. Read
// as they are, they would silence reminders until the clock caught up, so
// a stored time later than now is read as now: the next reminder comes at
// most one cadence from now. A snooze, which legitimately ends in the
// future, is held to the longest one could ask for now (twice the
// cadence). Read alone this rule would keep the due time moving with the
// clock; PullBack writes it into the state once, which fixes it.
func (inc *Incident) NextUpdateDue(sev Severity, now time.Time) (time.Time, bool) {
	if !inc.Open() || sev.UpdateEvery <= 0 {
		return time.Time{}, false
	}
	r := inc.Reminder
	r.PullBack(sev.UpdateEvery, now)
	base := r.LastUpdate
	if r.LastNag.After(base) {
		base = r.LastNag
	}
	due := base.Add(sev.UpdateEvery)
	if r.SnoozedUntil.After(due) {
		due = r.SnoozedUntil
	}
	return sev.Hours.NextOpen(due), true
}

// PullBack moves the times of the state that a clock set back left in the
// future (see NextUpdateDue) back to now, and the end of a snooze to at
// most twice cadence from now. It reports whether anything moved.
func (r *ReminderState) PullBack(cadence time.Duration, now time.Time) bool {
	moved := false
	if r.LastUpdate.After(now) {
		r.LastUpdate, moved = now, true
	}
	if r.LastNag.After(now) {
		r.LastNag, moved = now, true
	}
	if longest := now.Add(2 * cadence); cadence > 0 && r.SnoozedUntil.After(longest) {
		r.SnoozedUntil, moved = longest, true
	}
	return moved
}
