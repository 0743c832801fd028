package commands

import (
	"context"
	"fmt"
	"strings"

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

// list handles `list [open|all]`.
func (c *Runner) list(ctx context.Context, r *Request) (*Outcome, error) {
	openOnly := true
	switch {
	case len(r.Call.Args) == 0 || strings.EqualFold(r.Call.Args[0], "open"):
	case len(r.Call.Args) == 1 && strings.EqualFold(r.Call.Args[0], "all"):
		openOnly = false
	default:
		return nil, c.malformed("list", "Say `open` or `all`.")
	}
	incidents, err := c.store.Incidents(ctx, openOnly)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	incidents = muster.Visible(incidents, r.Event)
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
		if ic := inc.Roles[muster.RoleIC]; ic != "" {
			fmt.Fprintf(&b, " · IC %s", muster.Mention(ic))
		}
		if inc.RoomName != "" {
			fmt.Fprintf(&b, " · #%s", inc.RoomName)
		}
		b.WriteByte('\n')
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
