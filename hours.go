package muster

import "time"

// WorkingHours are when a severity's reminders may be sent: a reminder
// that comes due outside them waits until they start again (low
// severities should not page anyone at 3 AM).
type WorkingHours struct {
	Start, End time.Duration  // since midnight; Start < End
	Days       [7]bool        // indexed by time.Weekday; all false means every day
	Location   *time.Location // nil means UTC
}

// NextOpen returns t when t is within the working hours, else the next
// moment they start.
func (w *WorkingHours) NextOpen(t time.Time) time.Time {
	if w == nil {
		return t
	}
	loc := w.Location
	if loc == nil {
		loc = time.UTC
	}
	local := t.In(loc)
	for day := 0; day < 8; day++ {
		d := local.AddDate(0, 0, day)
		midnight := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
		if !w.workday(midnight.Weekday()) {
			continue
		}
		start, end := midnight.Add(w.Start), midnight.Add(w.End)
		switch {
		case day == 0 && !local.Before(start) && local.Before(end):
			return t
		case !start.Before(local):
			return start
		}
	}
	return t // no working day configured at all: never hold
}

func (w *WorkingHours) workday(d time.Weekday) bool {
	any := false
	for _, on := range w.Days {
		any = any || on
	}
	return !any || w.Days[d]
}
