package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/muster-bot/muster"
)

// roleShortcut handles `ic [@user]`, `comms [@user]` and the other verbs
// named after roles.
func (c *Runner) roleShortcut(ctx context.Context, r *Request) (*Outcome, error) {
	role, _ := c.cfg.Roles.Find(r.Call.Verb)
	return c.assign(ctx, r, role, r.Call.Args)
}

// role handles `role <role> [@user]`.
func (c *Runner) role(ctx context.Context, r *Request) (*Outcome, error) {
	if len(r.Call.Args) == 0 {
		return nil, c.malformed("role", "Name the role.")
	}
	role, ok := c.cfg.Roles.Find(r.Call.Args[0])
	if !ok {
		return nil, muster.Errorf(muster.EINVALID, "%q is not a role. Choose one of: %s.", r.Call.Args[0], strings.Join(c.cfg.Roles.Keys(), ", "))
	}
	return c.assign(ctx, r, role, r.Call.Args[1:])
}

// handoff handles `handoff @user`: the IC role goes to someone else.
func (c *Runner) handoff(ctx context.Context, r *Request) (*Outcome, error) {
	if len(r.Call.Args) != 1 {
		return nil, c.malformed("handoff", "Name who takes over as Incident Commander.")
	}
	ic, _ := c.cfg.Roles.Find(muster.RoleIC)
	return c.assign(ctx, r, ic, r.Call.Args)
}

func (c *Runner) assign(ctx context.Context, r *Request, role muster.Role, args []string) (*Outcome, error) {
	user := r.Event.User
	switch len(args) {
	case 0:
	case 1:
		u, err := c.user(ctx, r, args[0])
		if err != nil {
			return nil, err
		}
		user = u
	default:
		return nil, muster.Errorf(muster.EINVALID, "Give one person for %s, e.g. `%s @alex`.", role.Short, role.Key)
	}
	out, entries, err := c.update(ctx, r, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.Assign(role, user, r.Event.User, c.now())
		return []muster.Entry{e}, err
	})
	if err != nil {
		return nil, err
	}
	out.Room = []muster.Message{{Text: entries[0].Text}}
	if user != r.Event.User {
		out.Invite = []string{user} // someone named may not be in the room yet
	}
	return out, nil
}

func (c *Runner) malformed(verb, format string, args ...any) error {
	cmd, ok := c.registry.lookup(verb)
	if !ok {
		return fmt.Errorf("malformed %s: no such command", verb)
	}
	return cmd.malformed(format, args...)
}
