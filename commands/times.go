package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/muster-bot/muster"
)

// timeForms names the ways a time may be written, for replies to bad input.
const timeForms = "`HH:MM` (today, %s), an RFC 3339 time (`2026-12-07T09:55:00Z`), or an age (`25m ago`)"

// started handles `started <time>`: when impact began.
func (c *Runner) started(ctx context.Context, r *Request) (*Outcome, error) {
	return c.setTime(ctx, r, "started", (*muster.Incident).SetStarted)
}

// detected handles `detected <time>`: when the first signal came.
func (c *Runner) detected(ctx context.Context, r *Request) (*Outcome, error) {
	return c.setTime(ctx, r, "detected", (*muster.Incident).SetDetected)
}

func (c *Runner) setTime(ctx context.Context, r *Request, verb string,
	set func(inc *muster.Incident, t time.Time, by string, at time.Time) (muster.Entry, error)) (*Outcome, error) {
	now := c.now()
	if len(r.Call.Args) == 0 {
		return nil, c.malformed(verb, "Say when, as "+timeForms+".", c.zone())
	}
	t, ok := parseTime(strings.Join(r.Call.Args, " "), now, c.location())
	if !ok {
		return nil, c.malformed(verb, "%q is not a time; write "+timeForms+".", strings.Join(r.Call.Args, " "), c.zone())
	}
	out, entries, err := c.update(ctx, r, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := set(inc, t, r.Event.User, now)
		return []muster.Entry{e}, err
	})
	if err != nil {
		return nil, err
	}
	inc := out.Incident
	text := fmt.Sprintf("%s by %s. Time to detect %s, time to declare %s.", entries[0].Text, muster.Mention(r.Event.User),
		muster.FormatDuration(inc.TimeToDetect()), muster.FormatDuration(inc.TimeToDeclare()))
	out.Room = []muster.Message{{Text: "🕒 " + text}}
	return out, nil
}

// parseTime reads a time written as HH:MM in loc, as RFC 3339, or as an
// age ("25m ago", "1h30m ago") before now. HH:MM is today's; when that is
// still to come it is yesterday's, since a milestone is never in the
// future and an incident declared at 00:10 may well have started at 23:50.
func parseTime(s string, now time.Time, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if age, ok := strings.CutSuffix(strings.ToLower(s), " ago"); ok {
		d, err := time.ParseDuration(strings.TrimSpace(age))
		if err != nil || d < 0 {
			return time.Time{}, false
		}
		return now.Add(-d).UTC(), true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), true
	}
	for _, layout := range []string{"15:04", "3:04"} {
		hm, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		local := now.In(loc)
		t := time.Date(local.Year(), local.Month(), local.Day(), hm.Hour(), hm.Minute(), 0, 0, loc)
		if t.After(now) {
			t = time.Date(local.Year(), local.Month(), local.Day()-1, hm.Hour(), hm.Minute(), 0, 0, loc)
		}
		return t.UTC(), true
	}
	return time.Time{}, false
}

func (c *Runner) location() *time.Location {
	if c.cfg.Location == nil {
		return time.UTC
	}
	return c.cfg.Location
}

// zone names the configured time zone for replies: "UTC", "Europe/Paris".
func (c *Runner) zone() string { return c.location().String() }
