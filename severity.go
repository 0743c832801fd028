package muster

import (
	"strings"
	"time"
)

// Severity is one level of the configured severity ladder. The ladder is
// ordered from most to least severe; a lower index is more severe.
type Severity struct {
	Name        string        // "SEV1"
	Description string        // "Critical: complete outage, all hands"
	UpdateEvery time.Duration // status-update cadence; 0 means no reminders
	Notify      []string      // users, groups or channels invited or paged on declare
	WarRoom     bool          // whether declaring creates a war room
	// EscalateAfter is how many consecutive reminders may go unanswered
	// before the next one escalates to the IC and the announcement channel.
	EscalateAfter int
	// Hours, when set, hold the update reminders outside working hours.
	Hours *WorkingHours
}

// Severities is the ordered ladder, most severe first.
type Severities []Severity

// Find returns the severity named name, compared case-insensitively, so
// "sev1", "SEV1" and "Sev1" all match. The index is the severity's rank.
func (s Severities) Find(name string) (Severity, int, bool) {
	for i, sev := range s {
		if strings.EqualFold(sev.Name, name) {
			return sev, i, true
		}
	}
	return Severity{}, -1, false
}

// Names lists the severity names in order, for help and error texts.
func (s Severities) Names() []string {
	names := make([]string, len(s))
	for i, sev := range s {
		names[i] = sev.Name
	}
	return names
}

// DefaultSeverities is the ladder used when the config names none. It
// follows common industry practice: SEV1 critical through SEV4 low.
func DefaultSeverities() Severities {
	return Severities{
		{Name: "SEV1", Description: "Critical: complete outage or data loss, all hands", UpdateEvery: 30 * time.Minute, WarRoom: true, EscalateAfter: 2},
		{Name: "SEV2", Description: "High: a major feature is down for many users", UpdateEvery: time.Hour, WarRoom: true, EscalateAfter: 2},
		{Name: "SEV3", Description: "Medium: degraded service or a small subset of users", UpdateEvery: 4 * time.Hour, WarRoom: true, EscalateAfter: 2},
		{Name: "SEV4", Description: "Low: minimal impact, no reminders", WarRoom: true, EscalateAfter: 2},
	}
}

// Runbook is a link shown in the war room of matching incidents.
type Runbook struct {
	Title      string
	URL        string
	Severities []string // matches every severity when empty
	Keywords   []string // when given, one must appear in the title
}

// Matches reports whether the runbook applies to an incident of severity
// sev titled title.
func (r Runbook) Matches(sev, title string) bool {
	if len(r.Severities) > 0 {
		found := false
		for _, s := range r.Severities {
			found = found || strings.EqualFold(s, sev)
		}
		if !found {
			return false
		}
	}
	if len(r.Keywords) == 0 {
		return true
	}
	lower := strings.ToLower(title)
	for _, k := range r.Keywords {
		if k != "" && strings.Contains(lower, strings.ToLower(k)) {
			return true
		}
	}
	return false
}
