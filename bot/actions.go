package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/muster-bot/muster"
)

// DirectMessenger sends a message to one person directly (a Slack DM).
// Platforms without it get the owner's reminder in the war room instead.
type DirectMessenger interface {
	DirectMessage(ctx context.Context, user string, msg muster.Message) error
}

// RemindActions tells the owners of overdue action items (due before
// today, not done) which ones they are, one message per owner and
// platform, with the incident each belongs to. Incidents stay in the list
// after they are resolved: follow-through is the point.
func (b *Bot) RemindActions(ctx context.Context, now time.Time) error {
	all, err := b.store.Incidents(ctx, false)
	if err != nil {
		return fmt.Errorf("action reminders: list incidents: %w", err)
	}
	type owner struct{ platform, user string }
	overdue := map[owner][]overdueItem{}
	today := muster.Today(now, now.Location())
	for _, inc := range all {
		for _, a := range inc.Actions {
			if a.Owner == "" || !a.Overdue(today) {
				continue
			}
			o := owner{inc.Platform, a.Owner}
			where := inc.Title
			if p, ok := b.platforms[inc.Platform]; ok && inc.Room != "" {
				where = inc.Title + " in " + b.link(p, inc) // a link to the war room where the platform has one
			}
			overdue[o] = append(overdue[o], overdueItem{inc: inc, line: fmt.Sprintf("• %s #%d %s (due %s, %s ago) — %s", inc.Ref(), a.Number, a.Text,
				a.Due.Format(time.DateOnly), days(int(today.Sub(a.Due).Hours()/24)), where)})
		}
	}
	owners := make([]owner, 0, len(overdue))
	for o := range overdue {
		owners = append(owners, o)
	}
	slices.SortFunc(owners, func(a, b owner) int { return strings.Compare(a.platform+a.user, b.platform+b.user) })
	var errs []error
	for _, o := range owners {
		p, ok := b.platforms[o.platform]
		if !ok {
			continue
		}
		items := overdue[o]
		if dm, ok := p.(DirectMessenger); ok {
			if err := dm.DirectMessage(ctx, o.user, overdueMessage(o.user, items)); err == nil {
				continue
			}
		}
		// No direct message: each room is told only of what its own
		// audience may see. A private incident's items go to its own room;
		// the others together to the room of the latest public one.
		for _, group := range byRoom(items) {
			if _, err := p.Post(ctx, group.room, overdueMessage(o.user, group.items)); err != nil {
				errs = append(errs, fmt.Errorf("remind %s of overdue action items: %w", o.user, err))
			}
		}
	}
	return errors.Join(errs...)
}

type overdueItem struct {
	inc  *muster.Incident
	line string
}

type roomItems struct {
	room  string
	items []overdueItem
}

// byRoom groups overdue items by the room they may be told in: a private
// incident's in its own room, every public one's together in the work
// room of the last public incident that has one. Items with no such room
// are left out.
func byRoom(items []overdueItem) []roomItems {
	var groups []roomItems
	var public []overdueItem
	publicRoom := ""
	for _, it := range items {
		room := workRoom(it.inc)
		switch {
		case it.inc.Private && room != "":
			groups = append(groups, roomItems{room: room, items: []overdueItem{it}})
		case !it.inc.Private:
			public = append(public, it)
			if room != "" {
				publicRoom = room
			}
		}
	}
	if publicRoom != "" {
		groups = append(groups, roomItems{room: publicRoom, items: public})
	}
	return groups
}

func overdueMessage(user string, items []overdueItem) muster.Message {
	lines := make([]string, len(items))
	for i, it := range items {
		lines[i] = it.line
	}
	return muster.Message{
		Text:   fmt.Sprintf("📋 %s, %s overdue:", muster.Mention(user), plural(len(items), "action item of yours is", "of your action items are")),
		Footer: strings.Join(lines, "\n") + "\nClose one with `action INC-n done <number>` once it is done.",
	}
}

// plural writes a count with the singular or plural form of what it counts.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// StartActionReminders runs RemindActions on a cron schedule (standard
// five fields, e.g. "0 9 * * 1-5": weekdays at nine, the process's time
// zone) until stop is called.
func (b *Bot) StartActionReminders(ctx context.Context, spec string) (stop func(), err error) {
	c := cron.New()
	if _, err := c.AddFunc(spec, func() {
		if err := b.RemindActions(ctx, b.now()); err != nil {
			b.log.Error().Err(err).Msg("action item reminders")
		}
	}); err != nil {
		return nil, fmt.Errorf("schedule action item reminders %q: %w", spec, err)
	}
	c.Start()
	return func() { <-c.Stop().Done() }, nil
}

// days is n days, in words.
func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}
