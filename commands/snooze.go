package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/muster-bot/muster"
)

// snooze handles `snooze <duration>`. The snooze is recorded in the
// timeline so the postmortem shows why no reminder came.
func (c *Commands) snooze(ctx context.Context, r *Request) (*Outcome, error) {
	if len(r.Call.Args) != 1 {
		return nil, c.malformed("snooze", "Say for how long, e.g. `snooze 30m`.")
	}
	d, err := time.ParseDuration(r.Call.Args[0])
	if err != nil {
		return nil, c.malformed("snooze", "%q is not a duration (examples: 15m, 1h).", r.Call.Args[0])
	}
	cadence := time.Duration(0)
	if sev, ok := c.severity(r.Incident.Severity); ok {
		cadence = sev.UpdateEvery
	}
	out, entries, err := c.update(ctx, r, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.Snooze(d, cadence, r.Event.User, c.now())
		return []muster.Entry{e}, err
	})
	if err != nil {
		return nil, err
	}
	until := out.Incident.Reminder.SnoozedUntil.UTC().Format("15:04 MST")
	out.Header = true
	out.Room = []muster.Message{{Text: fmt.Sprintf("😴 %s by %s, until %s.", entries[0].Text, muster.Mention(r.Event.User), until)}}
	return out, nil
}
