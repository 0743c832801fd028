package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/muster-bot/muster"
)

// setSeverity handles `severity <sevN>`; the severity may be written any
// way muster.Severities.Find accepts, "sev 1" included. The reminder
// cadence follows by itself: the due time is computed from the severity at
// every tick. An upgrade re-notifies the new severity's responders.
func (c *Runner) setSeverity(ctx context.Context, r *Request) (*Outcome, error) {
	args := r.Call.Args
	if len(args) == 0 || len(args) > 2 {
		return nil, c.malformed("severity", "Name one severity (%s).", c.cfg.Severities.Choices())
	}
	name := strings.Join(args, " ")
	if sev, _, n, ok := c.cfg.Severities.FindWords(args); ok && n == len(args) {
		name = sev.Name
	} else if len(args) > 1 {
		return nil, muster.Errorf(muster.EINVALID, "%q is not a severity. Choose one of: %s.", name, c.cfg.Severities.Choices())
	}
	var upgraded bool
	out, entries, err := c.update(ctx, r, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, up, err := inc.SetSeverity(c.cfg.Severities, name, r.Event.User, c.now())
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
	out.Room = []muster.Message{{Text: text}}
	out.Announce = []muster.Message{{Text: fmt.Sprintf("%s: %s", out.Incident.Ref(), entries[0].Text)}}
	if upgraded {
		out.Invite = sev.Notify
	}
	return out, nil
}
