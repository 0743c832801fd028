package commands

import (
	"context"
	"fmt"

	"github.com/muster-bot/muster"
)

// setStatus handles `status <status>`; resolving goes through resolve so
// the postmortem is posted whichever way it is asked for.
func (c *Runner) setStatus(ctx context.Context, r *Request) (*Outcome, error) {
	if len(r.Call.Args) != 1 {
		return nil, c.malformed("status", "Name one status.")
	}
	s, err := muster.ParseStatus(r.Call.Args[0])
	if err != nil {
		return nil, err
	}
	return c.moveTo(ctx, r, s)
}

// mitigate handles the `mitigate` shortcut.
func (c *Runner) mitigate(ctx context.Context, r *Request) (*Outcome, error) {
	return c.moveTo(ctx, r, muster.StatusMitigated)
}

func (c *Runner) moveTo(ctx context.Context, r *Request, s muster.Status) (*Outcome, error) {
	if s == muster.StatusResolved {
		return c.resolve(ctx, r)
	}
	out, entries, err := c.update(ctx, r, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.SetStatus(s, r.Event.User, c.now())
		return []muster.Entry{e}, err
	})
	if err != nil {
		return nil, err
	}
	out.Room = []muster.Message{{Text: entries[0].Text + "."}}
	out.Announce = []muster.Message{{Text: fmt.Sprintf("%s is now %s.", out.Incident.Ref(), s)}}
	return out, nil
}
