package muster

import "slices"

// AnyRole in a permission lets everyone run the command.
const AnyRole = "any"

// Permissions maps a command (its canonical name: "resolve", "severity")
// to the roles whose holders may run it on an incident. A command that is
// not listed is for anyone.
type Permissions map[string][]string

// DefaultPermissions keeps the decisions that end or change command of an
// incident with its Incident Commander.
func DefaultPermissions() Permissions {
	return Permissions{
		"resolve": {RoleIC},
		"reopen":  {RoleIC},
		"handoff": {RoleIC},
		// What customers read is Comms' to say, or the IC's.
		"public":    {RoleIC, RoleComms},
		"component": {RoleIC, RoleComms},
		// Naming the postmortem's owner and publishing it: the IC's, and
		// always its owner's (the commands add the owner, who holds no
		// role).
		"postmortem": {RoleIC},
	}
}

// With returns the defaults overridden, command by command, by p.
func (p Permissions) With(overrides Permissions) Permissions {
	out := Permissions{}
	for cmd, roles := range p {
		out[cmd] = slices.Clone(roles)
	}
	for cmd, roles := range overrides {
		out[cmd] = slices.Clone(roles)
	}
	return out
}

// Allows reports whether user may run command on inc. A role nobody
// holds is held by the IC (see Holder); when none of the allowed roles
// has a holder at all, there is nobody to defer to and anyone may, so an
// incident is never stuck for want of an IC.
func (p Permissions) Allows(command string, inc *Incident, user string) bool {
	roles, listed := p[command]
	if !listed || slices.Contains(roles, AnyRole) {
		return true
	}
	held := false
	for _, role := range roles {
		switch inc.Holder(role) {
		case user:
			return true
		case "":
		default:
			held = true
		}
	}
	return !held
}

// Who lists the holders of the roles allowed to run command on inc, for
// a refusal that names whom to ask.
func (p Permissions) Who(command string, inc *Incident) []string {
	var who []string
	for _, role := range p[command] {
		if h := inc.Holder(role); h != "" && !slices.Contains(who, h) {
			who = append(who, h)
		}
	}
	return who
}
