package commands

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/muster-bot/muster"
)

// show handles `show [INC-n]`. In a war room a bare number is no
// reference for the parser (`update 42 hosts are down`), but show takes no
// other argument, so `show 99` there means INC-99, never the room's own.
func (c *Runner) show(ctx context.Context, r *Request) (*Outcome, error) {
	inc := r.Incident
	switch len(r.Call.Args) {
	case 0:
	case 1:
		id, ok := muster.ParseRef(r.Call.Args[0])
		if !ok {
			return nil, c.malformed("show", "%q is not an incident; name one like INC-42.", r.Call.Args[0])
		}
		if id != inc.ID {
			var err error
			if inc, err = c.store.Incident(ctx, id); err != nil {
				return nil, fmt.Errorf("show INC-%d: %w", id, err)
			}
		}
	default:
		return nil, c.malformed("show", "Name at most one incident.")
	}
	if !inc.Admits(r.Event) { // another incident than the one Run checked
		return nil, muster.NoIncident(inc.ID)
	}
	msg := c.Summary(inc)
	return &Outcome{Incident: inc, Reply: &msg}, nil
}

// listRecent is how many resolved incidents `list all` shows, newest
// first: the whole history is the web list's, a page at a time.
const listRecent = 20

// list handles `list [open|all]`: the open incidents, newest first, and
// with `all` the most recently declared resolved ones after them.
func (c *Runner) list(ctx context.Context, r *Request) (*Outcome, error) {
	openOnly := true
	switch {
	case len(r.Call.Args) == 0 || strings.EqualFold(r.Call.Args[0], "open"):
	case len(r.Call.Args) == 1 && strings.EqualFold(r.Call.Args[0], "all"):
		openOnly = false
	default:
		return nil, c.malformed("list", "Say `open` or `all`.")
	}
	// The store keeps an index of the open incidents, so this reads them
	// alone however long the history.
	incidents, err := c.store.Incidents(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	incidents = muster.Visible(incidents, r.Event)
	slices.SortFunc(incidents, func(a, b *muster.Incident) int {
		if c := b.DeclaredAt.Compare(a.DeclaredAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	older := false
	if !openOnly {
		recent, more, err := c.recentResolved(ctx, r.Event, len(incidents))
		if err != nil {
			return nil, err
		}
		incidents, older = append(incidents, recent...), more
	}
	if len(incidents) == 0 {
		if openOnly {
			return &Outcome{Reply: private("No open incidents. 🎉 `list all` shows the resolved ones.")}, nil
		}
		return &Outcome{Reply: private("No incidents yet. Declare one with `declare [sevN] <title>`.")}, nil
	}
	var b strings.Builder
	for _, inc := range incidents {
		fmt.Fprintf(&b, "• %s · %s · %s — %s", inc.Ref(), inc.Severity, inc.Status, inc.Title)
		if inc.Private {
			b.WriteString(" 🔒")
		}
		if inc.Drill {
			b.WriteString(" · " + muster.DrillMark)
		}
		if ic := inc.Roles[muster.RoleIC]; ic != "" {
			fmt.Fprintf(&b, " · IC %s", muster.Mention(ic))
		}
		if inc.RoomName != "" {
			fmt.Fprintf(&b, " · #%s", inc.RoomName)
		}
		b.WriteByte('\n')
	}
	if older {
		fmt.Fprintf(&b, "Older incidents are on the web incident list; here, the %d most recent resolved ones.", listRecent)
	}
	noun := "incidents"
	if len(incidents) == 1 {
		noun = "incident"
	}
	if openOnly {
		noun = "open " + noun
	}
	title := fmt.Sprintf("%d %s", len(incidents), noun)
	return &Outcome{Reply: &muster.Message{Title: title, Text: strings.TrimRight(b.String(), "\n")}}, nil
}

// recentResolved reads the newest incidents from the declaration index,
// once: enough for listRecent resolved ones after the open ones (open
// counts them) unless private ones the asker may not see are among them.
// more tells whether older ones are left.
func (c *Runner) recentResolved(ctx context.Context, ev muster.Event, open int) (list []*muster.Incident, more bool, err error) {
	limit := 2*listRecent + open
	all, err := c.store.IncidentsDeclared(ctx, time.Unix(0, math.MinInt64), time.Unix(0, math.MaxInt64), limit)
	if err != nil {
		return nil, false, fmt.Errorf("list recent incidents: %w", err)
	}
	for _, inc := range muster.Visible(all, ev) {
		if inc.Open() {
			continue
		}
		if len(list) == listRecent {
			return list, true, nil
		}
		list = append(list, inc)
	}
	return list, len(all) == limit, nil
}

// help handles `help [command]`.
func (c *Runner) help(ctx context.Context, r *Request) (*Outcome, error) {
	if len(r.Call.Args) > 0 {
		cmd, ok := c.registry.lookup(r.Call.Args[0])
		if !ok {
			return nil, c.registry.unknown(r.Call.Args[0])
		}
		return &Outcome{Reply: private(cmd.usageLine() + " — " + cmd.summary)}, nil
	}
	return &Outcome{Reply: &muster.Message{Title: "muster commands", Text: c.registry.help}}, nil
}
