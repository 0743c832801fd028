package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/muster-bot/muster"
)

// snooze handles `snooze <duration>`. The snooze is recorded in the
// timeline so the postmortem shows why no reminder came.
func (c *Runner) snooze(ctx context.Context, r *Request) (*Outcome, error) {
	if len(r.Call.Args) != 1 {
		return nil, c.malformed("snooze", "Say for how long, e.g. `snooze 30m`.")
	}
	d, err := time.ParseDuration(r.Call.Args[0])
	if err != nil {
		return nil, c.malformed("snooze", "%q is not a duration (examples: 15m, 1h).", r.Call.Args[0])
	}
	now := c.now()
	out, entries, err := c.update(ctx, r, func(inc *muster.Incident) ([]muster.Entry, error) {
		sev, _ := c.severity(inc.Severity)
		due, ok := inc.NextUpdateDue(sev, now)
		e, err := inc.Snooze(d, sev.UpdateEvery, r.Event.User, now)
		if err != nil {
			return nil, err
		}
		// A snooze that ends before the next reminder would come anyway
		// (or before one already running ends) silences nothing. Saying
		// so, and recording nothing, keeps the timeline from claiming a
		// silence that never was.
		if ok && !inc.Reminder.SnoozedUntil.After(due) {
			return nil, muster.Errorf(muster.ECONFLICT, "%s's next reminder is at %s anyway, after your snooze would end (%s); nothing changed.",
				inc.Ref(), hhmm(due, now), hhmm(inc.Reminder.SnoozedUntil, now))
		}
		return []muster.Entry{e}, nil
	})
	if err != nil {
		return nil, err
	}
	until := hhmm(out.Incident.Reminder.SnoozedUntil, now)
	out.Room = []muster.Message{{Text: fmt.Sprintf("😴 %s by %s, until %s.", entries[0].Text, muster.Mention(r.Event.User), until)}}
	return out, nil
}

// hhmm is a time of day in UTC, the zone every room sees (see clock), with
// the date when it is not today's (working hours can hold a reminder over
// a weekend).
func hhmm(t, now time.Time) string {
	if y, m, d := t.UTC().Date(); y != now.UTC().Year() || m != now.UTC().Month() || d != now.UTC().Day() {
		return clock(t)
	}
	return t.UTC().Format("15:04 MST")
}
