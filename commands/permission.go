package commands

import (
	"fmt"
	"slices"
	"strings"

	"github.com/muster-bot/muster"
)

// permitted applies the configured permissions to a command on the
// request's incident. A refusal names who may run it and changes nothing.
func (c *Runner) permitted(cmd *command, r *Request) error {
	name := c.permissionName(cmd, r)
	if c.cfg.Permissions.Allows(name, r.Incident, r.Event.User) {
		return nil
	}
	if owner := r.Incident.Postmortem.Owner; name == "postmortem" && owner != "" && owner == r.Event.User {
		return nil // the postmortem's owner may always hand it on or publish it
	}
	if r.Event.User == "" {
		return nil // raised by muster itself (alerting), not a person
	}
	var roles []string
	for _, key := range c.cfg.Permissions[name] {
		if role, ok := c.cfg.Roles.Find(key); ok {
			roles = append(roles, "the "+role.Name)
		}
	}
	var who []string
	for _, u := range c.cfg.Permissions.Who(name, r.Incident) {
		who = append(who, muster.Mention(u))
	}
	if owner := r.Incident.Postmortem.Owner; name == "postmortem" && owner != "" {
		roles = append(roles, "the postmortem's owner")
		if m := muster.Mention(owner); !slices.Contains(who, m) {
			who = append(who, m)
		}
	}
	what := name + " it"
	if name == "postmortem" {
		what = "name the owner of its postmortem or publish it"
	}
	return muster.Errorf(muster.EINVALID, "Only %s of %s may %s (now: %s); nothing was changed. Ask them, or ask for the role with a `handoff`.",
		strings.Join(roles, " or "), r.Incident.Ref(), what, strings.Join(who, ", "))
}

// permissionName is the command a permission is set for. A command that
// does what another does answers to that one's permission: `status
// resolved` is a resolve, and taking the IC role from its holder is a
// handoff, so neither is a way around the rule.
func (c *Runner) permissionName(cmd *command, r *Request) string {
	switch {
	case cmd.name == "status" && len(r.Call.Args) == 1:
		switch s, err := muster.ParseStatus(r.Call.Args[0]); {
		case err != nil:
		case s == muster.StatusResolved:
			return "resolve"
		case s == muster.StatusMitigated:
			return "mitigate"
		case !r.Incident.Open():
			return "reopen"
		}
	case c.takesHeldIC(cmd, r):
		return "handoff"
	case cmd.name == "postmortem" && len(r.Call.Args) == 0:
		return "show" // the draft alone is a read, whoever may change it
	}
	return cmd.name
}

// takesHeldIC reports whether the command gives the IC role, which
// someone holds, to someone else.
func (c *Runner) takesHeldIC(cmd *command, r *Request) bool {
	ic := r.Incident.Roles[muster.RoleIC]
	if ic == "" {
		return false
	}
	var args []string
	switch {
	case cmd.name == muster.RoleIC:
		args = r.Call.Args
	case cmd.name == "role" && len(r.Call.Args) > 0:
		if role, ok := c.cfg.Roles.Find(r.Call.Args[0]); !ok || role.Key != muster.RoleIC {
			return false
		}
		args = r.Call.Args[1:]
	default:
		return false
	}
	target := r.Event.User
	if len(args) == 1 {
		if ref, ok := userRef(args[0]); ok {
			target = ref
		}
	}
	return target != ic
}

// CheckPermissions reports permissions set for what is not a command that
// acts on an incident, or for roles that are not configured. Each problem
// comes with the config key it is about.
func CheckPermissions(perms muster.Permissions, roles muster.Roles) map[string]string {
	reg := newRegistry(roles)
	problems := map[string]string{}
	defaults := muster.DefaultPermissions()
	for name, allowed := range perms {
		cmd, ok := reg.lookup(name)
		switch {
		case !ok:
			problems[name] = fmt.Sprintf("%q is not a command; permissions can be set for %s", name, strings.Join(reg.incidentCommands(), ", "))
			continue
		case !cmd.needsIncident:
			problems[name] = fmt.Sprintf("`%s` acts on no incident, so it is for everyone; permissions can be set for %s", name, strings.Join(reg.incidentCommands(), ", "))
			continue
		case cmd.name != name:
			problems[name] = fmt.Sprintf("%q is an alias; set the permission for `%s`", name, cmd.name)
			continue
		}
		if def, ok := defaults[name]; ok && slices.Equal(def, allowed) {
			// A default may name a role the config left out (comms): a
			// seat nobody can hold is the IC's, so the rule still holds.
			continue
		}
		for _, key := range allowed {
			if _, ok := roles.Find(key); !ok && key != muster.AnyRole {
				problems[name] = fmt.Sprintf("%q is not a role; choose from %s, or %s for everyone", key, strings.Join(roles.Keys(), ", "), muster.AnyRole)
				break
			}
		}
		if len(allowed) == 0 {
			problems[name] = fmt.Sprintf("lists no role; name at least one of %s, or %s for everyone", strings.Join(roles.Keys(), ", "), muster.AnyRole)
		}
	}
	return problems
}

// IncidentVerbs lists the commands that act on one incident, by their
// names: what permissions and the private-incident rule apply to.
func (c *Runner) IncidentVerbs() []string { return c.registry.incidentCommands() }

func (reg *registry) incidentCommands() []string {
	var names []string
	for _, cmd := range reg.commands {
		if cmd.needsIncident {
			names = append(names, cmd.name)
		}
	}
	return names
}
