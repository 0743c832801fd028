package muster

import (
	"strings"
	"time"
)

// Priority of an action item, from the postmortem practice of fixing the
// root cause first, then detection, then the class of failure.
type Priority string

const (
	P0 Priority = "p0" // fix the root cause
	P1 Priority = "p1" // detect faster
	P2 Priority = "p2" // prevent the class of failure
)

// ParsePriority accepts p0, p1 or p2 in any case.
func ParsePriority(s string) (Priority, bool) {
	switch Priority(strings.ToLower(s)) {
	case P0:
		return P0, true
	case P1:
		return P1, true
	case P2:
		return P2, true
	}
	return "", false
}

// ActionItem is a follow-up task recorded during or after an incident.
// Number is its 1-based position, what people type in `action done <n>`.
type ActionItem struct {
	Number    int       `json:"number"`
	Text      string    `json:"text"`
	Owner     string    `json:"owner,omitempty"`
	Due       time.Time `json:"due,omitzero"`
	Priority  Priority  `json:"priority,omitempty"`
	Done      bool      `json:"done,omitempty"`
	DoneAt    time.Time `json:"done_at,omitzero"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	// Tracker is the issue the item was filed as in the team's tracker
	// (Jira, GitHub), zero until it is filed.
	Tracker TrackerIssue `json:"tracker,omitzero"`
}

// TrackerIssue names an issue in the team's tracker: what the tracker
// calls it, and where people open it. It holds nothing of the tracker's
// own types, so the domain depends on no tracker.
type TrackerIssue struct {
	ID     string `json:"id,omitempty"`     // the tracker's internal id
	Key    string `json:"key,omitempty"`    // what people call it: "OPS-12", "acme/web#42"
	Number int    `json:"number,omitempty"` // GitHub's issue number, 0 for Jira
	URL    string `json:"url,omitempty"`    // the issue's page
	// Wanted says the item is owed an issue: set in the same write that
	// adds the item when its incident's items go to a tracker, cleared
	// when the issue is filed or filing is given up. A process that dies
	// between adding the item and queueing its filing leaves it set, and
	// the leader files it from this.
	Wanted bool `json:"wanted,omitempty"`
}

// Today is the date now has in loc, as due dates are kept: midnight UTC
// of that date. Late on the 1st in New York it is already the 2nd in UTC,
// and a due date of the 1st is still today there, not past.
func Today(now time.Time, loc *time.Location) time.Time {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Overdue reports whether the item is not done and its due date is
// before today, a date as Today gives it.
func (a ActionItem) Overdue(today time.Time) bool {
	return !a.Done && !a.Due.IsZero() && a.Due.Before(today)
}

// Filed reports whether the item has an issue in the tracker.
func (t TrackerIssue) Filed() bool { return t.Key != "" }
