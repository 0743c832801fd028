package commands

import (
	"context"
	"fmt"

	"github.com/muster-bot/muster"
)

// setSeverity handles `severity <sevN>`. The reminder cadence follows by
// itself: the due time is computed from the severity at every tick. An
// upgrade re-notifies the new severity's responders.
func (c *Commands) setSeverity(ctx context.Context, r *Request) (*Outcome, error) {
	if len(r.Call.Args) != 1 {
		return nil, c.malformed("severity", "Name one severity (%s).", joinNames(c.cfg.Severities.Names()))
	}
	var upgraded bool
	out, entries, err := c.update(ctx, r, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, up, err := inc.SetSeverity(c.cfg.Severities, r.Call.Args[0], r.Event.User, c.now())
		upgraded = up
		return []muster.Entry{e}, err
	})
	if err != nil {
		return nil, err
	}
	sev, _ := c.severity(out.Incident.Severity)
	text := entries[0].Text + "."
	if sev.UpdateEvery > 0 {
		text += fmt.Sprintf(" Updates are now due every %s.", muster.FormatDuration(sev.UpdateEvery))
	} else {
		text += " No update reminders at this severity."
	}
	out.Header = true
	out.Room = []muster.Message{{Text: text}}
	out.Announce = []muster.Message{{Text: fmt.Sprintf("%s: %s", out.Incident.Ref(), entries[0].Text)}}
	if upgraded {
		out.Invite = sev.Notify
	}
	return out, nil
}

func joinNames(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}
