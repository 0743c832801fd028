package commands

import (
	"context"
	"fmt"

	"github.com/muster-bot/muster"
)

// update_ handles `update <text>`: the update goes to the room and to the
// stakeholders, and the reminder clock starts again. (The name avoids the
// update helper every command uses.)
func (c *Runner) statusUpdate(ctx context.Context, r *Request) (*Outcome, error) {
	out, entries, err := c.update(ctx, r, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.PostUpdate(r.Call.Rest, r.Event.User, c.now())
		return []muster.Entry{e}, err
	})
	if err != nil {
		return nil, err
	}
	inc := out.Incident
	msg := muster.Message{
		Title: fmt.Sprintf("Status update · %s · %s · %s", inc.Ref(), inc.Severity, inc.Status),
		Text:  entries[0].Text,
	}
	msg.Footer = "Posted by " + muster.Mention(r.Event.User)
	if sev, ok := c.severity(inc.Severity); ok && sev.UpdateEvery > 0 {
		msg.Footer += fmt.Sprintf(" · next update due in %s", muster.FormatDuration(sev.UpdateEvery))
	}
	out.Room = []muster.Message{msg}
	out.Announce = []muster.Message{msg}
	return out, nil
}

// note handles `note <text>`: an explicit key event.
func (c *Runner) note(ctx context.Context, r *Request) (*Outcome, error) {
	out, entries, err := c.update(ctx, r, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.AddNote(r.Call.Rest, r.Event.User, c.now())
		return []muster.Entry{e}, err
	})
	if err != nil {
		return nil, err
	}
	out.Room = []muster.Message{{Text: "📌 Key event noted: " + entries[0].Text}}
	return out, nil
}
