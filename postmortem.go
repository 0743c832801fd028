package muster

import (
	"fmt"
	"time"
)

// PostmortemStatus is where an incident's postmortem is in its lifecycle.
type PostmortemStatus string

const (
	// PostmortemNone: the incident was never resolved, so there is no
	// postmortem yet.
	PostmortemNone PostmortemStatus = ""
	// PostmortemDraft: resolved; the owner is reminded until it is
	// published.
	PostmortemDraft PostmortemStatus = "draft"
	// PostmortemPublished: reviewed and shared.
	PostmortemPublished PostmortemStatus = "published"
)

// Postmortem is the follow-through after resolve: who owns the write-up,
// when its review meets, and how far muster got in posting the invite,
// reminding the owner and sharing the published text. Everything the
// leader's tick decides is a function of this and the time, so a restart
// or another replica goes on where the last one stopped.
type Postmortem struct {
	Status PostmortemStatus `json:"status,omitempty"`
	Owner  string           `json:"owner,omitempty"` // user id; the IC at resolve, the declarer when there was none

	// Review is the proposed start of the review meeting, set when the
	// invite is posted (ReviewPosted); zero before.
	Review       time.Time `json:"review,omitzero"`
	ReviewPosted bool      `json:"review_posted,omitempty"`

	// LastReminder is when the owner was last reminded of the draft;
	// zero before the first reminder, which comes one period after the
	// resolve.
	LastReminder time.Time `json:"last_reminder,omitzero"`
	Reminders    int       `json:"reminders,omitempty"`

	PublishedAt time.Time `json:"published_at,omitzero"`
	PublishedBy string    `json:"published_by,omitempty"`
	// SharedAt is when the published text reached the share channel;
	// zero until then, and for ever when there is nowhere to share it.
	SharedAt time.Time `json:"shared_at,omitzero"`

	// Pending is the step (review, remind, share) claimed at PendingAt
	// and not yet known to be posted: like ReminderState.Pending, a
	// process that dies posting leaves it, and the next leader posts it
	// again, so a step may be doubled by a crash, never lost.
	Pending   string    `json:"pending,omitempty"`
	PendingAt time.Time `json:"pending_at,omitzero"`
}

// startPostmortem makes the draft at resolve, owned by the IC (or the
// declarer when nobody took the role), unless a resolve before a reopen
// made it already or someone named the owner while it was open.
func (inc *Incident) startPostmortem() {
	if inc.Postmortem.Owner == "" {
		inc.Postmortem.Owner = inc.Roles[RoleIC]
		if inc.Postmortem.Owner == "" {
			inc.Postmortem.Owner = inc.Declarer
		}
	}
	if inc.Postmortem.Status == PostmortemNone {
		inc.Postmortem.Status = PostmortemDraft
	}
}

// noPostmortem reports whether the incident was resolved as a false alarm
// before a review was posted: ResolveFalseAlarm cleared its draft, and
// none comes unless it is reopened.
func (inc *Incident) noPostmortem() bool {
	return inc.FalseAlarm && !inc.Open() && inc.Postmortem.Status == PostmortemNone
}

// SetPostmortemOwner names who writes the postmortem and is reminded of
// it. It may be named before the resolve; the resolve keeps it.
func (inc *Incident) SetPostmortemOwner(user, by string, at time.Time) (Entry, error) {
	switch {
	case user == "":
		return Entry{}, Errorf(EINVALID, "Name the postmortem's owner, e.g. `postmortem owner @alex`.")
	case inc.Postmortem.Status == PostmortemPublished:
		return Entry{}, Errorf(ECONFLICT, "The postmortem of %s is published already; it needs no owner now.", inc.Ref())
	case inc.noPostmortem():
		return Entry{}, Errorf(ECONFLICT, "%s was resolved as a false alarm: it has no postmortem to own; `reopen` it if something was wrong.", inc.Ref())
	case inc.Postmortem.Owner == user:
		return Entry{}, Errorf(ECONFLICT, "%s already owns the postmortem of %s.", Mention(user), inc.Ref())
	}
	inc.Postmortem.Owner = user
	inc.Join(user)
	return Entry{Kind: EntryPostmortem, At: at, Actor: by, Text: fmt.Sprintf("%s now owns the postmortem", Mention(user))}, nil
}

// PublishPostmortem marks the draft published. Publishing twice is a
// conflict, so a retried command shares nothing twice.
func (inc *Incident) PublishPostmortem(by string, at time.Time) (Entry, error) {
	switch inc.Postmortem.Status {
	case PostmortemNone:
		if inc.noPostmortem() {
			return Entry{}, Errorf(ECONFLICT, "%s was resolved as a false alarm: it has no postmortem to publish; `reopen` it if something was wrong.", inc.Ref())
		}
		return Entry{}, Errorf(ECONFLICT, "%s is not resolved; its postmortem starts at `resolve`.", inc.Ref())
	case PostmortemPublished:
		return Entry{}, Errorf(ECONFLICT, "The postmortem of %s was published already, at %s.", inc.Ref(), inc.Postmortem.PublishedAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if inc.Open() {
		return Entry{}, Errorf(ECONFLICT, "%s was reopened; `resolve` it again before publishing its postmortem.", inc.Ref())
	}
	inc.Postmortem.Status = PostmortemPublished
	inc.Postmortem.PublishedAt, inc.Postmortem.PublishedBy = at, by
	return Entry{Kind: EntryPostmortem, At: at, Actor: by, Text: "Postmortem published"}, nil
}
