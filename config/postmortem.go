package config

import (
	"time"

	"github.com/muster-bot/muster/calendar"
)

// Postmortem configures what follows a resolve: the review meeting muster
// proposes, the reminders to the postmortem's owner, and where the
// published postmortem is shared.
type Postmortem struct {
	// ReviewWindow bounds the start of the review meeting after the
	// resolve (default 24h to 48h).
	ReviewWindow ReviewWindow `yaml:"review_window"`
	// WorkingHours are when the meeting may be held, in `timezone`
	// (default 09:00–17:00). Only start and end are read: the days are
	// Monday to Friday, or every day with weekends: true.
	WorkingHours *WorkingHours `yaml:"working_hours"`
	Weekends     bool          `yaml:"weekends"`
	// ReviewLength is how long the meeting is booked for (default 1h).
	ReviewLength Duration `yaml:"review_length"`
	// RemindEvery is how often the owner is reminded of an unpublished
	// postmortem (default 24h; 0 never).
	RemindEvery Duration `yaml:"remind_every"`
	// ShareChannel is the room published postmortems are posted to, on
	// the incident's platform ("" shares them nowhere).
	ShareChannel string `yaml:"share_channel"`
}

// ReviewWindow is the review_window: from and to, durations after the
// resolve.
type ReviewWindow struct {
	From Duration `yaml:"from"`
	To   Duration `yaml:"to"`
}

func defaultPostmortem() Postmortem {
	return Postmortem{
		ReviewWindow: ReviewWindow{From: Duration{calendar.DefaultFrom}, To: Duration{calendar.DefaultTo}},
		ReviewLength: Duration{calendar.DefaultLength},
		RemindEvery:  Duration{24 * time.Hour},
	}
}

// ReviewWindow returns the review window for calendar.ProposeReview.
func (p Postmortem) Window() calendar.Window {
	w := calendar.Window{
		From: p.ReviewWindow.From.Duration, To: p.ReviewWindow.To.Duration,
		Weekends: p.Weekends, Length: p.ReviewLength.Duration,
	}
	if h := p.WorkingHours.hours(); h != nil {
		w.DayStart, w.DayEnd = h.Start, h.End
	}
	return w
}

func validatePostmortem(c *Config, r *report) {
	p := &c.Postmortem
	nonNegative(r, "postmortem.review_window.from", p.ReviewWindow.From, "the review may start right after the resolve with 0")
	if p.ReviewWindow.To.Duration < p.ReviewWindow.From.Duration {
		r.addf("postmortem.review_window.to", "%s is before from, %s; the window runs from..to after the resolve (default 24h..48h)", p.ReviewWindow.To, p.ReviewWindow.From)
	}
	positive(r, "postmortem.review_length", p.ReviewLength, "default 1h")
	nonNegative(r, "postmortem.remind_every", p.RemindEvery, "0 never reminds the owner")
	if d := p.RemindEvery.Duration; d > 0 && d < time.Hour {
		r.addf("postmortem.remind_every", "is %s; remind the owner at most hourly (default 24h, 0 never)", p.RemindEvery)
	}
	if w := p.WorkingHours; w != nil {
		validateHours(r, "postmortem.working_hours", w)
		if len(w.Days) > 0 {
			r.addf("postmortem.working_hours.days", "reviews are held Monday to Friday; set postmortem.weekends: true to allow Saturday and Sunday")
		}
		if w.Timezone != "" {
			r.addf("postmortem.working_hours.timezone", "the review is planned in the top-level timezone; set it there")
		}
		start, okS := clockTime(w.Start)
		end, okE := clockTime(w.End)
		if okS && okE && end-start < p.ReviewLength.Duration {
			r.addf("postmortem.working_hours", "%s–%s is shorter than the review (%s)", w.Start, w.End, p.ReviewLength)
		}
	}
}
