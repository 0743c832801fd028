package muster

import (
	"strings"
	"time"
)

// ComponentState is how a status-page component is doing, as Comms set it
// for an incident. The public page shows, for each component, the worst
// state any open incident gives it.
type ComponentState string

const (
	ComponentOperational ComponentState = "operational"
	ComponentDegraded    ComponentState = "degraded" // degraded performance
	ComponentPartial     ComponentState = "partial"  // partial outage
	ComponentMajor       ComponentState = "major"    // major outage
)

// ComponentStates are the states in order, best first.
var ComponentStates = []ComponentState{ComponentOperational, ComponentDegraded, ComponentPartial, ComponentMajor}

// ParseComponentState reads a state as typed in a command
// (case-insensitive; "partial_outage" and "major_outage" too, as
// Atlassian Statuspage spells them).
func ParseComponentState(s string) (ComponentState, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimSuffix(strings.TrimSuffix(s, "_outage"), " outage")
	if s == "degraded_performance" {
		s = "degraded"
	}
	for _, c := range ComponentStates {
		if string(c) == s {
			return c, true
		}
	}
	return "", false
}

// Rank orders states: 0 for operational up to 3 for a major outage; an
// unknown state ranks as operational.
func (s ComponentState) Rank() int {
	for i, c := range ComponentStates {
		if c == s {
			return i
		}
	}
	return 0
}

// Label is the state as the status page says it.
func (s ComponentState) Label() string {
	switch s {
	case ComponentDegraded:
		return "Degraded performance"
	case ComponentPartial:
		return "Partial outage"
	case ComponentMajor:
		return "Major outage"
	default:
		return "Operational"
	}
}

// PublicPost is a customer-facing post Comms published to the status
// pages. It is the only text of an incident the public page shows.
type PublicPost struct {
	At     time.Time `json:"at"`
	Text   string    `json:"text"`
	Status Status    `json:"status"`       // the incident's status when it was published
	By     string    `json:"by,omitempty"` // who published it: for the timeline, never shown publicly
}

// ComponentChange records a component's state set for an incident.
type ComponentChange struct {
	Component string         `json:"component"`
	State     ComponentState `json:"state"`
	By        string         `json:"by,omitempty"`
	At        time.Time      `json:"at"`
}

// ComponentStates returns the state this incident gives each component it
// touched, the latest change of each winning.
func (inc *Incident) ComponentStates() map[string]ComponentState {
	out := map[string]ComponentState{}
	for _, c := range inc.ComponentLog {
		out[c.Component] = c.State
	}
	return out
}

// LastPublic returns the newest public post, if any.
func (inc *Incident) LastPublic() (PublicPost, bool) {
	if len(inc.Public) == 0 {
		return PublicPost{}, false
	}
	return inc.Public[len(inc.Public)-1], true
}

// StatuspageMirror records what of an incident's public posts and
// component changes the Atlassian Statuspage mirror has sent: the
// Statuspage incident's id, and how many of Public and of ComponentLog it
// carries. It is recorded after each call, so a restart or another
// replica goes on from there instead of posting again.
type StatuspageMirror struct {
	ID         string `json:"id,omitempty"`
	Posts      int    `json:"posts,omitempty"`
	Components int    `json:"components,omitempty"`
	// GaveUpAt is how many posts and component changes the incident had
	// when the mirror last gave up: it tries again once there are more.
	GaveUpAt int `json:"gave_up_at,omitempty"`
}

// StatuspageBehind reports whether the incident has public posts or
// component changes its Statuspage mirror does not carry yet, and has had
// more since the mirror last gave up. Component changes wait for the
// first post: a Statuspage incident is created with one.
func (inc *Incident) StatuspageBehind() bool {
	m := inc.Statuspage
	if !inc.Publishes() || len(inc.Public) == 0 || m.GaveUpAt >= len(inc.Public)+len(inc.ComponentLog) {
		return false
	}
	return len(inc.Public) > m.Posts || len(inc.ComponentLog) > m.Components
}
