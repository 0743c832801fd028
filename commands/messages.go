package commands

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/muster-bot/muster"
)

// Header is the war room's first message: the current state, one button
// per unassigned role, status and severity menus, and the cheat-sheet. The
// bot updates it in place, so the top of the room always tells the truth.
func (c *Runner) Header(inc *muster.Incident) muster.Message {
	msg := c.Summary(inc)
	if !inc.Open() {
		msg.Footer = "Resolved. `postmortem` posts the draft again; `reopen` brings the incident back."
		return msg
	}
	for _, role := range c.cfg.Roles {
		if inc.Roles[role.Key] == "" {
			style := ""
			if role.Key == muster.RoleIC {
				style = "primary"
			}
			msg.Buttons = append(msg.Buttons, muster.Button{
				Label: "I'll be " + role.Short, Action: "role " + role.Key, Value: inc.Ref(), Style: style,
			})
		}
	}
	var statuses []string
	for _, s := range muster.Statuses() {
		statuses = append(statuses, string(s))
	}
	msg.Menus = []muster.Menu{
		{Label: "Status", Action: "status", Incident: inc.Ref(), Options: statuses, Selected: string(inc.Status)},
		{Label: "Severity", Action: "severity", Incident: inc.Ref(), Options: c.cfg.Severities.Names(), Selected: inc.Severity},
	}
	msg.Footer = "Commands: `update <text>` · `note <text>` · `action <text> [@owner]` · `severity <sevN>` · " +
		"`handoff @user` · `snooze 30m` · `resolve [summary]` · `help`. Everything said here goes into the timeline."
	return msg
}

// Summary is the state of an incident without the controls, for `show`.
func (c *Runner) Summary(inc *muster.Incident) muster.Message {
	msg := muster.Message{
		Title: fmt.Sprintf("%s · %s · %s — %s", inc.Ref(), inc.Severity, inc.Status, inc.Title),
		Text:  inc.Description,
	}
	if inc.Private {
		msg.Title += " 🔒"
	}
	if inc.Drill {
		msg.Title = muster.DrillMark + " · " + msg.Title
	}
	sev, _ := c.severity(inc.Severity)
	msg.Fields = append(msg.Fields, muster.Field{Label: "Severity", Value: strings.TrimSpace(sev.Name + " — " + sev.Description)})
	if len(inc.Services) > 0 {
		msg.Fields = append(msg.Fields, muster.Field{Label: "Services", Value: c.serviceSummary(inc)})
	}
	for _, role := range c.cfg.Roles {
		holder := inc.Roles[role.Key]
		value := muster.Mention(holder)
		switch {
		case holder != "":
		case role.Key == muster.RoleIC:
			value = "unassigned — take it with the button or `ic`"
		case inc.Roles[muster.RoleIC] != "":
			value = muster.Mention(inc.Roles[muster.RoleIC]) + " (the IC holds it until delegated)"
		default:
			value = "unassigned (the IC will hold it)"
		}
		msg.Fields = append(msg.Fields, muster.Field{Label: role.Name, Value: value})
	}
	if !inc.StartedAt.IsZero() || !inc.DetectedAt.IsZero() {
		// Only when someone set them: otherwise both are the declaration.
		msg.Fields = append(msg.Fields,
			muster.Field{Label: "Impact started", Value: clock(inc.Started())},
			muster.Field{Label: "Detected", Value: fmt.Sprintf("%s, %s after impact began", clock(inc.Detected()), muster.FormatDuration(inc.TimeToDetect()))})
	}
	msg.Fields = append(msg.Fields, muster.Field{Label: "Declared", Value: fmt.Sprintf("%s by %s", clock(inc.DeclaredAt), declarer(inc))})
	// The reminders' own rule, so the header names the time the reminder
	// comes; an upgrade can make it due at once.
	now := c.now()
	if due, ok := inc.NextUpdateDue(sev, now); ok {
		value := fmt.Sprintf("%s (every %s)", clock(due), muster.FormatDuration(sev.UpdateEvery))
		if !due.After(now) {
			value = fmt.Sprintf("now, overdue since %s (every %s)", clock(due), muster.FormatDuration(sev.UpdateEvery))
		}
		msg.Fields = append(msg.Fields, muster.Field{Label: "Next update due", Value: value})
	}
	if !inc.Open() {
		msg.Fields = append(msg.Fields, muster.Field{Label: "Resolved", Value: fmt.Sprintf("%s, after %s", clock(inc.ResolvedAt), muster.FormatDuration(inc.TimeToResolve()))})
	}
	var links []string
	for _, rb := range c.runbooks(inc) {
		if rb.Matches(inc.Severity, inc.Title) {
			links = append(links, muster.Link(rb.URL, rb.Title))
		}
	}
	if len(links) > 0 {
		msg.Fields = append(msg.Fields, muster.Field{Label: "Runbooks", Value: strings.Join(links, " · ")})
	}
	if open := openActions(inc); open > 0 {
		msg.Fields = append(msg.Fields, muster.Field{Label: "Action items", Value: fmt.Sprintf("%d open of %d", open, len(inc.Actions))})
	}
	return msg
}

// serviceSummary names the affected services, each with its description.
func (c *Runner) serviceSummary(inc *muster.Incident) string {
	parts := make([]string, len(inc.Services))
	for i, name := range inc.Services {
		parts[i] = name
		if svc, ok := c.cfg.Services.Find(name); ok && svc.Description != "" {
			parts[i] += " (" + svc.Description + ")"
		}
	}
	return strings.Join(parts, " · ")
}

// runbooks are the top-level runbooks and those of the affected
// services, each once.
func (c *Runner) runbooks(inc *muster.Incident) []muster.Runbook {
	all := c.cfg.Runbooks
	for _, name := range inc.Services {
		svc, _ := c.cfg.Services.Find(name)
		for _, rb := range svc.Runbooks {
			if !slices.ContainsFunc(all, func(o muster.Runbook) bool { return o.URL == rb.URL }) {
				all = append(slices.Clip(all), rb)
			}
		}
	}
	return all
}

// Announcement is the stakeholders' message at declaration; updates
// thread under it.
func (c *Runner) Announcement(inc *muster.Incident, room string) muster.Message {
	sev, _ := c.severity(inc.Severity)
	msg := muster.Message{
		Title: fmt.Sprintf("🚨 %s · %s — %s", inc.Ref(), inc.Severity, inc.Title),
		Text:  fmt.Sprintf("Declared by %s. %s", declarer(inc), sev.Description),
	}
	if inc.Drill {
		// Only as a drill: no siren, and the text says nothing is wrong.
		msg.Title = fmt.Sprintf("%s · %s · %s — %s", muster.DrillMark, inc.Ref(), inc.Severity, inc.Title)
		msg.Text = fmt.Sprintf("Declared by %s. A game day: nothing is broken, nobody is paged, nothing goes to the status page.", declarer(inc))
	}
	if len(inc.Services) > 0 {
		msg.Fields = append(msg.Fields, muster.Field{Label: "Services", Value: strings.Join(inc.Services, ", ")})
	}
	if room != "" {
		msg.Fields = append(msg.Fields, muster.Field{Label: "War room", Value: room})
	}
	msg.Footer = "Status updates follow in this thread."
	return msg
}

func openActions(inc *muster.Incident) int {
	n := 0
	for _, a := range inc.Actions {
		if !a.Done {
			n++
		}
	}
	return n
}

// clock shows a time the same way for everyone in every room: UTC.
func clock(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// declarer names who declared: a person, or an alert for incidents that
// alerting opened.
func declarer(inc *muster.Incident) string {
	if inc.Declarer == "" {
		return "an alert"
	}
	return muster.Mention(inc.Declarer)
}

// RoomFailed tells the declarer that the incident exists but its war room
// could not be made, and how to work it anyway.
func RoomFailed(inc *muster.Incident, reason string) string {
	if inc.Private {
		return fmt.Sprintf("⚠️ %s is declared, but its private room could not be created (%s). Nothing about it was posted anywhere. "+
			"Commands still work with its id (`note %s …`, `update %s …`) and are answered to you alone.", inc.Ref(), reason, inc.Ref(), inc.Ref())
	}
	return fmt.Sprintf("⚠️ %s is declared, but its war room could not be created (%s). Work it here; commands need its id (`update %s …`), "+
		"and since this is no war room, what is said here is not recorded: put key facts in with `note %s …`.", inc.Ref(), reason, inc.Ref(), inc.Ref())
}

// RoomOpened tells the declarer where the war room is.
func RoomOpened(inc *muster.Incident, link string) string {
	if inc.Drill {
		return fmt.Sprintf("%s · %s declared (%s). War room: %s", muster.DrillMark, inc.Ref(), inc.Severity, link)
	}
	return fmt.Sprintf("🚨 %s declared (%s). War room: %s", inc.Ref(), inc.Severity, link)
}

// PostFailed tells the sender that a command's change is saved but the
// room was not told of it: not yet (queued, it is posted once the
// platform takes it), or not at all.
func PostFailed(inc *muster.Incident, what, room, reason string, queued bool) string {
	if queued {
		return fmt.Sprintf("⚠️ Saved in %s's timeline, but posting it to %s failed for now (%s): “%s”. muster keeps trying and posts it once the platform takes it.", inc.Ref(), room, reason, what)
	}
	return fmt.Sprintf("⚠️ Saved in %s's timeline, but posting it to %s failed (%s): “%s”. Nothing is lost; tell the room yourself.", inc.Ref(), room, reason, what)
}

// Posted confirms to the sender of a command typed outside the war room
// that what it said went there.
func Posted(what, room string) string { return fmt.Sprintf("Done: %s — posted in %s.", what, room) }

// InviteFailed tells the war room who could not be brought in.
func InviteFailed(reason string) string { return "⚠️ Could not invite everyone: " + reason }

// Topic is the war room's topic: the state at a glance.
func Topic(inc *muster.Incident) string {
	ic := "no IC yet"
	if holder := inc.Roles[muster.RoleIC]; holder != "" {
		ic = "IC " + muster.Mention(holder)
	}
	if len(inc.Services) > 0 {
		ic += " · " + strings.Join(inc.Services, ", ")
	}
	topic := fmt.Sprintf("%s · %s · %s · %s — %s", inc.Ref(), inc.Severity, inc.Status, ic, inc.Title)
	if inc.Drill {
		topic = muster.DrillMark + " · " + topic
	}
	return topic
}

// PublicPosted tells the war room what went to the status page, so that
// everyone there knows what customers were told.
func PublicPosted(inc *muster.Incident, post muster.PublicPost, by string) muster.Message {
	return muster.Message{
		Title:  fmt.Sprintf("📣 Published to the status page · %s · %s", inc.Ref(), post.Status),
		Text:   post.Text,
		Footer: "Published by " + muster.Mention(by) + ". Customers see this; `public <text>` posts the next one.",
	}
}

// ComponentSet tells the war room a component's state on the status page.
func ComponentSet(what string, state muster.ComponentState, by string) muster.Message {
	icon := "🟠"
	if state == muster.ComponentOperational {
		icon = "🟢"
	}
	return muster.Message{Text: fmt.Sprintf("%s %s (set by %s).", icon, what, muster.Mention(by))}
}

// ServicesChanged tells the war room which services the incident affects
// now, and what changed.
func ServicesChanged(what string, inc *muster.Incident, by string) muster.Message {
	return muster.Message{Text: fmt.Sprintf("🧩 %s (by %s). Affected now: %s.", what, muster.Mention(by), inc.ServiceList())}
}

// ResolutionButton offers, at resolve, to tell customers the incident is
// over: one click publishes muster.ResolvedText and sets the incident's
// components back to operational.
func ResolutionButton(inc *muster.Incident) muster.Button {
	return muster.Button{Label: "Publish the resolution", Action: "public " + resolutionWord, Value: inc.Ref(), Style: "primary"}
}
