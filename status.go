package muster

import "strings"

// Status is where an incident is in its lifecycle:
// investigating → identified → mitigated → resolved, and resolved may be
// reopened (back to investigating).
type Status string

const (
	StatusInvestigating Status = "investigating"
	StatusIdentified    Status = "identified"
	StatusMitigated     Status = "mitigated" // service restored, root cause may remain
	StatusResolved      Status = "resolved"
)

// Statuses lists the statuses in lifecycle order.
func Statuses() []Status {
	return []Status{StatusInvestigating, StatusIdentified, StatusMitigated, StatusResolved}
}

// ParseStatus accepts a status name or one of its shortcuts
// ("mitigate", "resolve", "identify", "investigate").
func ParseStatus(s string) (Status, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "investigating", "investigate":
		return StatusInvestigating, nil
	case "identified", "identify":
		return StatusIdentified, nil
	case "mitigated", "mitigate":
		return StatusMitigated, nil
	case "resolved", "resolve":
		return StatusResolved, nil
	}
	return "", Errorf(EINVALID, "%q is not a status. Choose one of: investigating, identified, mitigated, resolved.", s)
}

// Open reports whether the incident is still being worked on.
func (s Status) Open() bool { return s != StatusResolved }
