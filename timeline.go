package muster

import "time"

// EntryKind says what a timeline entry records.
type EntryKind string

const (
	EntryMessage    EntryKind = "message"     // a human message said in the war room
	EntryDeclared   EntryKind = "declared"    // the incident was declared
	EntrySeverity   EntryKind = "severity"    // severity changed
	EntryStatus     EntryKind = "status"      // status changed (not to resolved)
	EntryRole       EntryKind = "role"        // a role was assigned to an empty seat
	EntryHandoff    EntryKind = "handoff"     // a held role was handed to someone else
	EntryUpdate     EntryKind = "update"      // a status update was posted
	EntryNote       EntryKind = "note"        // an explicit key event
	EntryAction     EntryKind = "action"      // an action item was added
	EntryActionDone EntryKind = "action_done" // an action item was completed
	EntryReminder   EntryKind = "reminder"    // the bot nagged for an update
	EntryEscalation EntryKind = "escalation"  // a reminder escalated to the IC
	EntrySnooze     EntryKind = "snooze"      // reminders were silenced for a while
	EntryResolved   EntryKind = "resolved"    // the incident was resolved
	EntryReopened   EntryKind = "reopened"    // a resolved incident was reopened
	EntryTimes      EntryKind = "times"       // when impact started or was detected was set
	EntryPublic     EntryKind = "public"      // a post was published to the status pages
	EntryComponent  EntryKind = "component"   // a status-page component's state was set
	EntryService    EntryKind = "service"     // affected services were added or removed
	EntryPage       EntryKind = "page"        // an on-call was paged, acknowledged, or paging failed
	EntryPostmortem EntryKind = "postmortem"  // the postmortem's owner, review invite, reminders, publication
)

// Entry is one element of an incident's append-only timeline. Messages may
// later be edited or deleted on the platform; the entry then changes but
// keeps every earlier text in Edits, so nothing said is ever lost.
type Entry struct {
	Seq       int       `json:"seq"` // 1-based position, assigned by the store
	Kind      EntryKind `json:"kind"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor,omitempty"` // user id; empty for the bot itself
	Text      string    `json:"text"`
	MessageID string    `json:"message_id,omitempty"` // platform message id (Slack ts), for permalinks and edits
	ThreadID  string    `json:"thread_id,omitempty"`  // parent message id for thread replies
	Key       bool      `json:"key,omitempty"`        // flagged as a key event
	Edits     []Edit    `json:"edits,omitempty"`
	DeletedAt time.Time `json:"deleted_at,omitzero"`
}

// Edit keeps the text an entry had before an edit.
type Edit struct {
	At       time.Time `json:"at"`
	Previous string    `json:"previous"`
}

// Absorb applies to a message entry the changes held for it: edits,
// a deletion or a key-event flag that the platform delivered before the
// message itself (events are not ordered). held is the blank entry those
// changes were applied to while they waited.
func (e *Entry) Absorb(held Entry) {
	if len(held.Edits) > 0 && held.Text != "" {
		e.Revise(held.Text, held.Edits[len(held.Edits)-1].At)
	}
	if !held.DeletedAt.IsZero() {
		e.DeletedAt = held.DeletedAt
	}
	e.Key = e.Key || held.Key
}

// Deleted reports whether the message was deleted on the platform.
func (e Entry) Deleted() bool { return !e.DeletedAt.IsZero() }

// Revise records an edit of a message entry, keeping the old text.
func (e *Entry) Revise(text string, at time.Time) {
	if text == e.Text {
		return
	}
	e.Edits = append(e.Edits, Edit{At: at, Previous: e.Text})
	e.Text = text
}
