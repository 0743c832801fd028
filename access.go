package muster

import "slices"

// This file holds the one rule of who may learn of an incident. Every
// command, button, reminder, listing and export asks it; nothing else
// decides.

// Admits reports whether whoever sent ev may learn of inc and act on it.
// Anyone may, for an ordinary incident. A private (security) incident
// admits its members and anyone acting in its own room; everyone else is
// told NoIncident, exactly as for an incident that does not exist, so
// that not even its existence leaks.
func (inc *Incident) Admits(ev Event) bool {
	return !inc.Private || inc.InRoom(ev) || inc.Member(ev.User)
}

// InRoom reports whether ev happened in the incident's own room: its war
// room, or the thread that serves as one (Teams works a private incident
// in the thread it was declared in). The room it was merely declared in
// does not count: that may be a public channel.
func (inc *Incident) InRoom(ev Event) bool {
	if inc.Room == "" {
		return false
	}
	return ev.Room == inc.Room || (ev.Thread != "" && ev.Thread == inc.Room)
}

// Member reports whether user belongs to the incident: its declarer, a
// holder of a role now or before, someone invited, or someone who took
// part (posted an update or a note).
func (inc *Incident) Member(user string) bool {
	if user == "" {
		return false
	}
	if user == inc.Declarer || slices.Contains(inc.Participants, user) || slices.Contains(inc.Invited, user) {
		return true
	}
	for _, holder := range inc.Roles {
		if holder == user {
			return true
		}
	}
	for _, c := range inc.RoleLog {
		if c.User == user {
			return true
		}
	}
	return false
}

// Invite records people invited to the incident's room, once each. Only
// user ids belong here; groups and channels are the platform's business.
func (inc *Incident) Invite(users ...string) {
	for _, u := range users {
		if u != "" && !slices.Contains(inc.Invited, u) {
			inc.Invited = append(inc.Invited, u)
		}
	}
}

// NoIncident is the answer for an incident that does not exist, and for
// a private one the asker may not see: the two must read the same.
func NoIncident(id int) error {
	return Errorf(ENOTFOUND, "There is no incident INC-%d.", id)
}

// Visible returns the incidents of list that ev's sender may learn of,
// in the same order.
func Visible(list []*Incident, ev Event) []*Incident {
	out := make([]*Incident, 0, len(list))
	for _, inc := range list {
		if inc.Admits(ev) {
			out = append(out, inc)
		}
	}
	return out
}

// AdmitsAnyOf reports whether inc admits any of who: one person known by
// several chat identities (the web matches a signed-in person to each
// platform's users by e-mail). An identity counts only for an incident of
// its own platform, when both say which: a user id of one platform means
// nothing on another. Nobody at all (an empty who) is admitted to what
// admits anyone.
func (inc *Incident) AdmitsAnyOf(who []Event) bool {
	if !inc.Private {
		return true
	}
	for _, ev := range who {
		if inc.Platform != "" && ev.Platform != "" && ev.Platform != inc.Platform {
			continue
		}
		if inc.Admits(ev) {
			return true
		}
	}
	return false
}

// VisibleToAnyOf returns the incidents of list that any of who may learn
// of, in the same order.
func VisibleToAnyOf(list []*Incident, who []Event) []*Incident {
	out := make([]*Incident, 0, len(list))
	for _, inc := range list {
		if inc.AdmitsAnyOf(who) {
			out = append(out, inc)
		}
	}
	return out
}
