package muster

import (
	"strings"
	"time"
)

// RoleIC is the key of the Incident Commander, the one mandatory role.
const RoleIC = "ic"

// RoleComms is the key of the Communications lead, who speaks for the
// incident: status updates and the public status page.
const RoleComms = "comms"

// Role is one responder role. Key is what people type (`/incident role comms`).
type Role struct {
	Key   string // "comms"
	Name  string // "Communications lead"
	Short string // "Comms", used on buttons and in the room summary
}

// Roles is the configured role list; the IC is always first.
type Roles []Role

// Find returns the role with the given key or name, case-insensitively.
func (r Roles) Find(name string) (Role, bool) {
	for _, role := range r {
		if strings.EqualFold(role.Key, name) || strings.EqualFold(role.Short, name) {
			return role, true
		}
	}
	return Role{}, false
}

// Keys lists the role keys in order, for help and error texts.
func (r Roles) Keys() []string {
	keys := make([]string, len(r))
	for i, role := range r {
		keys[i] = role.Key
	}
	return keys
}

// DefaultRoles is the role list used when the config names none.
func DefaultRoles() Roles {
	return Roles{
		{Key: RoleIC, Name: "Incident Commander", Short: "IC"},
		{Key: RoleComms, Name: "Communications lead", Short: "Comms"},
		{Key: "scribe", Name: "Scribe", Short: "Scribe"},
		{Key: "ops", Name: "Ops lead", Short: "Ops"},
	}
}

// RoleChange is one entry of an incident's role history.
type RoleChange struct {
	Role string    `json:"role"`
	User string    `json:"user"`
	From string    `json:"from,omitempty"` // previous holder on a handoff
	By   string    `json:"by"`
	At   time.Time `json:"at"`
}
