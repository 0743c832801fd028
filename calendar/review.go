package calendar

import "time"

// Window is when a review may be held, as PRODUCT.md's
// postmortem.review_window and the team's working hours say. Zero
// fields take the defaults.
type Window struct {
	// From and To bound the meeting's start after the resolve: the team
	// rests first, and meets while the memory is fresh. Default 24h–48h.
	// They are real durations: across a change to summer time, 24h after
	// 10:00 is 11:00 on the wall clock.
	From, To time.Duration
	// DayStart and DayEnd are the working hours, as offsets from local
	// midnight: the whole meeting falls between them. Default 09:00–17:00.
	DayStart, DayEnd time.Duration
	// Weekends allows Saturday and Sunday.
	Weekends bool
	// Length of the meeting. Default 1h.
	Length time.Duration
}

// Defaults of Window.
const (
	DefaultFrom     = 24 * time.Hour
	DefaultTo       = 48 * time.Hour
	DefaultDayStart = 9 * time.Hour
	DefaultDayEnd   = 17 * time.Hour
	DefaultLength   = time.Hour
)

// slot is the grid a proposed start is put on, so that the invite says
// 10:30 rather than 10:07.
const slot = 30 * time.Minute

func (w Window) withDefaults() Window {
	if w.From == 0 && w.To == 0 {
		w.From, w.To = DefaultFrom, DefaultTo
	}
	if w.To < w.From {
		w.To = w.From
	}
	if w.DayStart == 0 && w.DayEnd == 0 {
		w.DayStart, w.DayEnd = DefaultDayStart, DefaultDayEnd
	}
	if w.Length <= 0 {
		w.Length = DefaultLength
	}
	return w
}

// maxDays bounds the search: a working day is never further away than a
// weekend, but a window whose working hours are shorter than the meeting
// has no slot at all.
const maxDays = 400

// ProposeReview returns the start of the review meeting for an incident
// resolved at resolvedAt, in loc: the earliest start on the half-hour
// grid, at least w.From after the resolve, with the whole meeting inside
// the working hours of a working day (weekends only if w.Weekends). That
// start is inside the window when the window has any such slot; when it
// has none (a Friday-evening resolve's window is the weekend), it is the
// first working slot after it, and inWindow is false so the post can say
// so. A working day too short for the meeting proposes at w.From on the
// grid, inWindow false.
func ProposeReview(resolvedAt time.Time, loc *time.Location, w Window) (start time.Time, inWindow bool) {
	w = w.withDefaults()
	if loc == nil {
		loc = time.UTC
	}
	earliest := resolvedAt.Add(w.From)
	c := ceilSlot(earliest.In(loc))
	for range maxDays {
		y, m, d := c.Date()
		if !w.Weekends && (c.Weekday() == time.Saturday || c.Weekday() == time.Sunday) {
			c = at(y, m, d+1, w.DayStart, loc)
			continue
		}
		open, closed := at(y, m, d, w.DayStart, loc), at(y, m, d, w.DayEnd, loc)
		if c.Before(open) {
			c = open
		}
		if c.Add(w.Length).After(closed) {
			c = at(y, m, d+1, w.DayStart, loc)
			continue
		}
		return c, !c.After(resolvedAt.Add(w.To))
	}
	return ceilSlot(earliest.In(loc)), false
}

// at is the wall-clock time offset after midnight of the day in loc.
// It is built from hours and minutes rather than added to midnight, so
// 09:00 stays 09:00 on the day the clocks change.
func at(y int, m time.Month, d int, offset time.Duration, loc *time.Location) time.Time {
	return time.Date(y, m, d, int(offset/time.Hour), int(offset%time.Hour/time.Minute), 0, 0, loc)
}

// ceilSlot rounds t up to the next half hour of its wall clock.
func ceilSlot(t time.Time) time.Time {
	y, m, d := t.Date()
	mins := t.Hour()*60 + t.Minute()
	if t.Second() != 0 || t.Nanosecond() != 0 {
		mins++
	}
	per := int(slot / time.Minute)
	mins = (mins + per - 1) / per * per
	return time.Date(y, m, d, 0, mins, 0, 0, t.Location()) // 24:00 is the next day's 00:00
}
