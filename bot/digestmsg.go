package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/muster-bot/muster"
)

// digestMessage is the digest of the week before slot: its incidents,
// their median times against the four weeks before, the postmortems not
// yet published and the overdue action items. Private incidents and
// drills are left out: the digest goes to a wide channel, and a game day
// is no incident.
func (b *Bot) digestMessage(ctx context.Context, s DigestStore, d Digest, slot, now time.Time) (muster.Message, error) {
	loc := d.Location
	weekFrom := slot.In(loc).AddDate(0, 0, -7) // calendar days: a DST change makes a week of 167 or 169 hours
	prevFrom := slot.In(loc).AddDate(0, 0, -35)
	declared, err := s.IncidentsDeclared(ctx, prevFrom, slot, 0)
	if err != nil {
		return muster.Message{}, fmt.Errorf("digest: list the incidents declared since %s: %w", prevFrom.Format(time.DateOnly), err)
	}
	all, err := s.Incidents(ctx, false)
	if err != nil {
		return muster.Message{}, fmt.Errorf("digest: list incidents: %w", err)
	}
	var week, before []*muster.Incident
	for _, inc := range digestable(declared) {
		if inc.DeclaredAt.Before(weekFrom) {
			before = append(before, inc)
		} else {
			week = append(week, inc)
		}
	}
	slices.SortFunc(week, func(a, b *muster.Incident) int { return a.DeclaredAt.Compare(b.DeclaredAt) })
	msg := muster.Message{
		Title: fmt.Sprintf("📰 Weekly digest: %s – %s", weekFrom.Format("Mon 2 Jan"), slot.In(loc).AddDate(0, 0, -1).Format("Mon 2 Jan 2006")),
		Text:  digestWeek(week, now),
	}
	msg.Fields = append(msg.Fields,
		muster.Field{Label: "Time to detect (median)", Value: digestTimes(week, before, (*muster.Incident).TimeToDetect, func(*muster.Incident) bool { return true })},
		muster.Field{Label: "Time to acknowledge (median)", Value: digestTimes(week, before, (*muster.Incident).TimeToAcknowledge, func(i *muster.Incident) bool { return !i.AcknowledgedAt.IsZero() })},
		muster.Field{Label: "Time to resolve (median)", Value: digestTimes(week, before, (*muster.Incident).TimeToResolve, func(i *muster.Incident) bool { return !i.ResolvedAt.IsZero() })},
	)
	msg.Fields = append(msg.Fields,
		muster.Field{Label: "Postmortems not yet published", Value: orNone(unpublished(digestable(all), loc))},
		muster.Field{Label: "Overdue action items", Value: orNone(overdueLines(digestable(all), muster.Today(now, loc)))},
	)
	msg.Footer = "Private incidents and drills are not in the digest. `stats 30d` has the figures in any room."
	return msg, nil
}

// digestable keeps the incidents a digest may name.
func digestable(list []*muster.Incident) []*muster.Incident {
	out := make([]*muster.Incident, 0, len(list))
	for _, inc := range list {
		if !inc.Private && !inc.Drill {
			out = append(out, inc)
		}
	}
	return out
}

// digestWeek lists the week's incidents with severity, title and
// duration (so far, for one still open).
func digestWeek(week []*muster.Incident, now time.Time) string {
	if len(week) == 0 {
		return "No incidents last week."
	}
	lines := []string{fmt.Sprintf("%s last week:", plural(len(week), "incident", "incidents"))}
	for _, inc := range week {
		took := "resolved after " + muster.FormatDuration(inc.TimeToResolve())
		if inc.Open() {
			took = fmt.Sprintf("open, %s so far", muster.FormatDuration(now.Sub(inc.Started())))
		}
		lines = append(lines, fmt.Sprintf("• %s %s — %s (%s)", inc.Ref(), inc.Severity, inc.Title, took))
	}
	return strings.Join(lines, "\n")
}

// digestTimes is the week's median of a time against the median of the
// four weeks before, over the incidents that have it.
func digestTimes(week, before []*muster.Incident, of func(*muster.Incident) time.Duration, has func(*muster.Incident) bool) string {
	median := func(list []*muster.Incident) string {
		var ds []time.Duration
		for _, inc := range list {
			if has(inc) {
				ds = append(ds, of(inc))
			}
		}
		if len(ds) == 0 {
			return "—"
		}
		return fmt.Sprintf("%s (n=%d)", muster.FormatDuration(muster.Median(ds)), len(ds))
	}
	return fmt.Sprintf("%s last week · %s the four weeks before", median(week), median(before))
}

// unpublished lists the resolved incidents whose postmortem is still a
// draft. (Incidents resolved before muster kept a postmortem's state have
// none, and are not listed.) The date of resolution is the one it had in
// loc, the digest's time zone.
func unpublished(list []*muster.Incident, loc *time.Location) []string {
	var lines []string
	for _, inc := range list {
		if !inc.Open() && inc.Postmortem.Status == muster.PostmortemDraft {
			lines = append(lines, fmt.Sprintf("• %s — %s (resolved %s)", inc.Ref(), inc.Title, inc.ResolvedAt.In(loc).Format(time.DateOnly)))
		}
	}
	return lines
}

// overdueLines lists the action items past their due date and not done on
// today (as muster.Today gives it in the digest's time zone).
func overdueLines(list []*muster.Incident, today time.Time) []string {
	var lines []string
	for _, inc := range list {
		for _, a := range inc.Actions {
			if !a.Overdue(today) {
				continue
			}
			owner := "no owner"
			if a.Owner != "" {
				owner = muster.Mention(a.Owner)
			}
			lines = append(lines, fmt.Sprintf("• %s #%d %s — %s, due %s", inc.Ref(), a.Number, a.Text, owner, a.Due.Format(time.DateOnly)))
		}
	}
	return lines
}

func orNone(lines []string) string {
	if len(lines) == 0 {
		return "none"
	}
	return strings.Join(lines, "\n")
}
