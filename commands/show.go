package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/muster-bot/muster"
)

// show handles `show`.
func (c *Commands) show(ctx context.Context, r *Request) (*Outcome, error) {
	msg := c.Summary(r.Incident)
	return &Outcome{Incident: r.Incident, Reply: &msg}, nil
}

// list handles `list [open|all]`.
func (c *Commands) list(ctx context.Context, r *Request) (*Outcome, error) {
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
	title := fmt.Sprintf("%d open incident(s)", len(incidents))
	if !openOnly {
		title = fmt.Sprintf("%d incident(s)", len(incidents))
	}
	return &Outcome{Reply: &muster.Message{Title: title, Text: strings.TrimRight(b.String(), "\n")}}, nil
}

// help handles `help [command]`.
func (c *Commands) help(ctx context.Context, r *Request) (*Outcome, error) {
	if len(r.Call.Args) > 0 {
		cmd, ok := c.registry.lookup(r.Call.Args[0])
		if !ok {
			return nil, c.registry.unknown(r.Call.Args[0])
		}
		return &Outcome{Reply: private(cmd.usageLine() + " — " + cmd.summary)}, nil
	}
	return &Outcome{Reply: &muster.Message{Title: "muster commands", Text: c.registry.help}}, nil
}
