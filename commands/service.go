package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/muster-bot/muster"
)

// service handles `service <name>...` (names apart or as one list,
// `checkout,payments`), which adds affected services and invites their
// owners, and `service remove <name>...`, which takes back one named by
// mistake. Without names it says which the incident affects.
func (c *Runner) service(ctx context.Context, r *Request) (*Outcome, error) {
	cmd, _ := c.registry.lookup("service")
	args := r.Call.Args
	remove := len(args) > 0 && strings.EqualFold(args[0], "remove")
	if remove {
		args = args[1:]
	}
	var words []string
	for _, a := range args {
		for _, w := range strings.Split(a, ",") {
			if w = strings.TrimPrefix(strings.TrimSpace(w), "svc:"); w != "" {
				words = append(words, w)
			}
		}
	}
	if len(words) == 0 {
		if len(r.Call.Args) == 0 {
			return &Outcome{Incident: r.Incident, Reply: private(fmt.Sprintf("%s affects: %s. Services: %s. Add one with `service <name>`.",
				r.Incident.Ref(), r.Incident.ServiceList(), c.serviceChoices()))}, nil
		}
		return nil, cmd.malformed("Name the services. Services: %s.", c.serviceChoices())
	}
	names, err := c.cfg.Services.Lookup(words)
	if err != nil {
		return nil, err
	}
	var added []string
	out, entries, err := c.update(ctx, r, func(inc *muster.Incident) ([]muster.Entry, error) {
		if remove {
			e, err := inc.RemoveServices(names, r.Event.User, c.now())
			return []muster.Entry{e}, err
		}
		e, a, err := inc.AddServices(names, r.Event.User, c.now())
		added = a
		return []muster.Entry{e}, err
	})
	if err != nil {
		return nil, err
	}
	out.Room = []muster.Message{ServicesChanged(entries[0].Text, out.Incident, r.Event.User)}
	if out.Incident.Open() {
		// A service added after the fact, for the record, calls nobody in.
		out.Invite = c.cfg.Services.Owners(added)
	}
	return out, nil
}

func (c *Runner) serviceChoices() string {
	if len(c.cfg.Services) == 0 {
		return "none configured (services: in the config)"
	}
	return strings.Join(c.cfg.Services.Names(), ", ")
}
