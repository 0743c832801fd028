package commands

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/templates"
)

// falseAlarm is the word after resolve that marks a false alarm.
const falseAlarmWord = "false-alarm"

// resolve handles `resolve [false-alarm] [summary]`: reminders stop (the
// reminder logic skips resolved incidents), the postmortem draft is
// posted in the room and stakeholders are told. false-alarm marks an
// incident nothing was wrong in, for the alert accuracy `stats` reports.
func (c *Runner) resolve(ctx context.Context, r *Request) (*Outcome, error) {
	summary, falseAlarm := resolveArgs(r.Call)
	if r.Call.Verb == "status" {
		summary, falseAlarm = "", false // `status resolved` carries no summary
	}
	out, _, err := c.update(ctx, r, func(inc *muster.Incident) ([]muster.Entry, error) {
		resolve := inc.Resolve
		if falseAlarm {
			resolve = inc.ResolveFalseAlarm
		}
		e, err := resolve(summary, r.Event.User, c.now())
		return []muster.Entry{e}, err
	})
	if err != nil {
		return nil, err
	}
	inc := out.Incident
	// The incident is resolved whatever happens to the draft: a draft that
	// fails to render is said so, and the rest of the resolution goes out.
	draft, err := c.draft(ctx, inc)
	if err != nil {
		out.Warnings = append(out.Warnings, err)
		draft = muster.Message{Fields: c.durations(inc), Text: "The postmortem draft could not be rendered (the error is logged); try `postmortem` again."}
	} else {
		draft.Text = "The postmortem draft is attached: timeline, roles, durations and action items are filled in; the rest is for the review meeting."
	}
	if owner := inc.Postmortem.Owner; owner != "" {
		draft.Text += fmt.Sprintf(" %s owns it (`postmortem owner @user` hands it on) and publishes it with `postmortem publish`; the review meeting is proposed here shortly.", muster.Mention(owner))
	}
	how := "resolved"
	if inc.FalseAlarm {
		how = "resolved as a false alarm"
	}
	draft.Title = fmt.Sprintf("✅ %s %s after %s", inc.Ref(), how, muster.FormatDuration(inc.TimeToResolve()))
	if offersResolution(inc) {
		// Customers were told of the incident: one click tells them it is over.
		draft.Text += " Customers were told of this incident on the status page: “Publish the resolution” tells them it is over."
		draft.Buttons = []muster.Button{ResolutionButton(inc)}
	}
	out.Room = []muster.Message{draft}
	announce := fmt.Sprintf("✅ %s (%s) %s after %s.", inc.Ref(), inc.Title, how, muster.FormatDuration(inc.TimeToResolve()))
	if inc.Summary != "" {
		announce += " " + inc.Summary
	}
	out.Announce = []muster.Message{{Text: announce}}
	return out, nil
}

// resolveArgs splits `resolve [false-alarm] [summary]`; the word is
// matched whatever its case, and "false alarm" in two words too, since
// people type both.
func resolveArgs(call Call) (summary string, falseAlarm bool) {
	rest := strings.TrimSpace(call.Rest)
	first, after, _ := strings.Cut(rest, " ")
	switch {
	case strings.EqualFold(first, falseAlarmWord):
		return strings.TrimSpace(after), true
	case strings.EqualFold(first, "false"):
		second, after2, _ := strings.Cut(strings.TrimSpace(after), " ")
		if strings.EqualFold(second, "alarm") {
			return strings.TrimSpace(after2), true
		}
	}
	return rest, false
}

// reopen handles `reopen`.
func (c *Runner) reopen(ctx context.Context, r *Request) (*Outcome, error) {
	out, _, err := c.update(ctx, r, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.Reopen(r.Event.User, c.now())
		return []muster.Entry{e}, err
	})
	if err != nil {
		return nil, err
	}
	out.Room = []muster.Message{{Text: fmt.Sprintf("%s reopened by %s; back to investigating, reminders resume.", out.Incident.Ref(), muster.Mention(r.Event.User))}}
	out.Announce = []muster.Message{{Text: fmt.Sprintf("%s was reopened.", out.Incident.Ref())}}
	return out, nil
}

// draft renders the postmortem into a message with the Markdown attached.
func (c *Runner) draft(ctx context.Context, inc *muster.Incident) (muster.Message, error) {
	timeline, err := c.store.Timeline(ctx, inc.ID)
	if err != nil {
		return muster.Message{}, fmt.Errorf("read timeline of %s: %w", inc.Ref(), err)
	}
	var buf bytes.Buffer
	err = c.postmortems.Render(&buf, templates.Data{Incident: inc, Timeline: timeline, Roles: c.cfg.Roles, Severities: c.cfg.Severities, Now: c.now()})
	if err != nil {
		return muster.Message{}, fmt.Errorf("render postmortem of %s: %w", inc.Ref(), err)
	}
	title := "Postmortem draft"
	if inc.Postmortem.Status == muster.PostmortemPublished {
		title = "Postmortem"
	}
	return muster.Message{
		Fields: c.durations(inc),
		File: &muster.File{
			Name:    fmt.Sprintf("%s-postmortem.md", inc.Ref()),
			Title:   fmt.Sprintf("%s: %s %s", title, inc.Ref(), inc.Title),
			Content: buf.Bytes(),
		},
	}, nil
}

func (c *Runner) durations(inc *muster.Incident) []muster.Field {
	return []muster.Field{
		{Label: "Time to acknowledge", Value: formatSpan(inc.AcknowledgedAt, inc.TimeToAcknowledge())},
		{Label: "Time to mitigate", Value: formatSpan(inc.MitigatedAt, inc.TimeToMitigate())},
		{Label: "Time to resolve", Value: formatSpan(inc.ResolvedAt, inc.TimeToResolve())},
	}
}

// formatSpan renders a milestone duration, or says it was never reached.
func formatSpan(at time.Time, d time.Duration) string {
	if at.IsZero() {
		return "not reached"
	}
	return muster.FormatDuration(d)
}
