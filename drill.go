package muster

// DrillMark leads every message that announces or heads a drill, so that
// nobody who sees it takes a game day for a real outage.
const DrillMark = "🧪 DRILL"

// MayPage reports whether declaring or escalating the incident may page
// anyone's on-call. A drill pages nobody: the paging code asks this one
// question, so that a rehearsal never wakes a person who is not in it.
func (inc *Incident) MayPage() bool { return !inc.Drill }

// Publishes reports whether the incident may show on the public status
// pages and their mirrors: never for a private incident or a drill.
func (inc *Incident) Publishes() bool { return !inc.Private && !inc.Drill }

// Drills keeps of list the real incidents (drills false) or the drills
// alone (drills true). Statistics, insights and the digest
// read through it, so that a game day never moves a team's MTTR.
func Drills(list []*Incident, drills bool) []*Incident {
	out := make([]*Incident, 0, len(list))
	for _, inc := range list {
		if inc.Drill == drills {
			out = append(out, inc)
		}
	}
	return out
}

// publishRefused is the reply to a public post or a component change that
// the incident may not make (what says why), or nil when it may.
func (inc *Incident) publishRefused(what string) error {
	switch {
	case inc.Private:
		return Errorf(EINVALID, "%s is private: %s.", inc.Ref(), what)
	case inc.Drill:
		return Errorf(EINVALID, "%s is a drill: %s. Rehearse the wording with `update <text>`: it goes to the room and to the announcement thread, marked %s.", inc.Ref(), what, DrillMark)
	}
	return nil
}
