package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/muster-bot/muster"
)

// postmortem handles `postmortem` (post the draft as it is now),
// `postmortem owner @user` and `postmortem publish`. Naming the owner and
// publishing answer to the `postmortem` permission (the IC by default)
// and are always open to the postmortem's owner (see permitted); the
// draft alone is a read, open to whoever may `show` the incident.
func (c *Runner) postmortem(ctx context.Context, r *Request) (*Outcome, error) {
	args := r.Call.Args
	switch {
	case len(args) == 0:
		return c.postmortemShow(ctx, r)
	case strings.EqualFold(args[0], "owner") && len(args) == 2:
		return c.postmortemOwner(ctx, r, args[1])
	case strings.EqualFold(args[0], "publish") && len(args) == 1:
		return c.postmortemPublish(ctx, r)
	case strings.EqualFold(args[0], "owner"):
		return nil, c.malformed("postmortem", "Name one owner, e.g. `postmortem owner @alex`.")
	}
	return nil, c.malformed("postmortem", "%q is not something `postmortem` does; choose `owner @user` or `publish`, or nothing for the draft.", strings.Join(args, " "))
}

// postmortemShow renders and posts the draft now, with where it stands.
func (c *Runner) postmortemShow(ctx context.Context, r *Request) (*Outcome, error) {
	inc := r.Incident
	draft, err := c.draft(ctx, inc)
	if err != nil {
		return nil, err
	}
	draft.Title = fmt.Sprintf("Postmortem draft · %s · %s", inc.Ref(), inc.Title)
	draft.Text = "The draft as of now is attached."
	if inc.Postmortem.Status == muster.PostmortemPublished {
		draft.Title = fmt.Sprintf("Postmortem · %s · %s", inc.Ref(), inc.Title)
		draft.Text = "The postmortem as of now is attached."
	}
	draft.Fields = append(draft.Fields, c.postmortemFields(inc)...)
	return &Outcome{Incident: inc, Room: []muster.Message{draft}}, nil
}

// postmortemFields say where the postmortem is in its lifecycle.
func (c *Runner) postmortemFields(inc *muster.Incident) []muster.Field {
	pm := inc.Postmortem
	if pm.Status == muster.PostmortemNone {
		return []muster.Field{{Label: "Postmortem", Value: "starts at resolve"}}
	}
	fields := []muster.Field{
		{Label: "Postmortem", Value: string(pm.Status)},
		{Label: "Owner", Value: muster.Mention(pm.Owner)},
	}
	if !pm.Review.IsZero() {
		fields = append(fields, muster.Field{Label: "Review", Value: c.localTime(pm.Review)})
	}
	return fields
}

// localTime writes t in the configured time zone, naming it, as people
// read meeting times.
func (c *Runner) localTime(t time.Time) string {
	loc := c.cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon 2006-01-02 15:04 MST") + " (" + loc.String() + ")"
}

// postmortemOwner handles `postmortem owner @user`.
func (c *Runner) postmortemOwner(ctx context.Context, r *Request, who string) (*Outcome, error) {
	owner, err := c.user(ctx, r, who)
	if err != nil {
		return nil, err
	}
	out, _, err := c.update(ctx, r, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.SetPostmortemOwner(owner, r.Event.User, c.now())
		return []muster.Entry{e}, err
	})
	if err != nil {
		return nil, err
	}
	text := fmt.Sprintf("📝 %s now owns the postmortem of %s", muster.Mention(owner), out.Incident.Ref())
	if out.Incident.Postmortem.Status == muster.PostmortemDraft {
		text += "; the reminders go to them until `postmortem publish`."
	} else {
		text += "; the draft starts at resolve."
	}
	out.Room = []muster.Message{{Text: text}}
	if owner != r.Event.User {
		// The owner is made a participant, but on a private incident only
		// the war room's members see the reminders posted there.
		out.Invite = []string{owner}
	}
	return out, nil
}

// postmortemPublish handles `postmortem publish`: the postmortem is marked
// published and its final text posted in the room. Sharing it with
// postmortem.share_channel is the bot's, once, from the leader; a private
// incident's postmortem stays in its room.
func (c *Runner) postmortemPublish(ctx context.Context, r *Request) (*Outcome, error) {
	out, _, err := c.update(ctx, r, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.PublishPostmortem(r.Event.User, c.now())
		return []muster.Entry{e}, err
	})
	if err != nil {
		return nil, err
	}
	inc := out.Incident
	final, err := c.draft(ctx, inc)
	if err != nil {
		out.Warnings = append(out.Warnings, err)
		final = muster.Message{Text: "The postmortem could not be rendered (the error is logged); `postmortem` posts it once it can."}
	} else {
		final.Text = "The final text is attached."
	}
	final.Title = fmt.Sprintf("📘 Postmortem of %s published by %s", inc.Ref(), muster.Mention(r.Event.User))
	switch {
	case inc.Private:
		final.Text += " " + PrivatePostmortem
	case c.cfg.ShareChannel != "":
		final.Text += fmt.Sprintf(" It is shared in %s.", c.cfg.ShareChannel)
	}
	out.Room = []muster.Message{final}
	return out, nil
}

// PrivatePostmortem is what publishing a private incident's postmortem
// says of sharing it.
const PrivatePostmortem = "It is private, so it stays in this room: it is not shared with the postmortem channel."

// PostmortemFile renders inc's postmortem as the Markdown file that the
// draft, the published post and the shared one attach.
func (c *Runner) PostmortemFile(ctx context.Context, inc *muster.Incident) (*muster.File, error) {
	msg, err := c.draft(ctx, inc)
	if err != nil {
		return nil, err
	}
	return msg.File, nil
}
