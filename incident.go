package muster

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxTitle is the longest incident title accepted, in characters. Titles
// end up in channel names, topics and announcement headers.
const MaxTitle = 150

// Incident is one numbered incident (INC-42) with everything the war room,
// the reminders and the postmortem need. The timeline is stored beside it,
// entry by entry, so that appending a message never rewrites the incident.
type Incident struct {
	ID          int    `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Severity    string `json:"severity"`
	Status      Status `json:"status"`
	Private     bool   `json:"private,omitempty"`
	// Drill marks a game-day incident (`declare drill …`): the whole flow
	// works, but it pages nobody, publishes nothing public, is announced
	// only as a drill and stays out of the statistics. See Pages.
	Drill    bool   `json:"drill,omitempty"`
	Declarer string `json:"declarer"`

	Platform     string `json:"platform,omitempty"`
	Room         string `json:"room,omitempty"`         // war-room id on the platform
	DeclaredIn   string `json:"declared_in,omitempty"`  // room the incident was declared in; where it is worked without a war room
	RoomName     string `json:"room_name,omitempty"`    // e.g. inc-42-checkout-500s
	Header       string `json:"header,omitempty"`       // id of the header message, updated in place
	Announcement string `json:"announcement,omitempty"` // id of the announcement message, updates thread under it

	Roles        map[string]string `json:"roles,omitempty"` // role key → user id
	RoleLog      []RoleChange      `json:"role_log,omitempty"`
	SeverityLog  []SeverityChange  `json:"severity_log,omitempty"`
	Participants []string          `json:"participants,omitempty"`
	Invited      []string          `json:"invited,omitempty"` // people invited to the room; members of a private incident
	Actions      []ActionItem      `json:"actions,omitempty"`
	Summary      string            `json:"summary,omitempty"`
	Services     []string          `json:"services,omitempty"` // affected services, by catalog name
	// Source is the alert source that declared the incident (SourceGrafana,
	// …), "" when people declared it; FalseAlarm is set when it was
	// resolved as a false alarm. Together they measure alert accuracy.
	Source     string `json:"source,omitempty"`
	FalseAlarm bool   `json:"false_alarm,omitempty"`

	// LatestUpdate is the last status update posted, kept on the incident
	// so that a page shows it without reading the timeline. Nil when none
	// was posted, and on incidents stored before it was kept.
	LatestUpdate *StatusUpdate `json:"latest_update,omitempty"`

	// What the status pages show: the posts Comms published and the
	// components' states set for this incident, in order.
	Public       []PublicPost      `json:"public,omitempty"`
	ComponentLog []ComponentChange `json:"component_log,omitempty"`
	// Statuspage is how far the Atlassian Statuspage mirror got.
	Statuspage StatuspageMirror `json:"statuspage,omitzero"`
	// Pages are the pages of services' on-calls, one per service and
	// provider (see page.go).
	Pages []PageRecord `json:"pages,omitempty"`

	// StartedAt (impact began) and DetectedAt (first signal) are zero
	// until someone sets them or an alert declares the incident: see
	// Started and Detected for the defaults.
	StartedAt      time.Time `json:"started_at,omitzero"`
	DetectedAt     time.Time `json:"detected_at,omitzero"`
	DeclaredAt     time.Time `json:"declared_at"`
	AcknowledgedAt time.Time `json:"acknowledged_at,omitzero"` // first time someone took the IC role
	MitigatedAt    time.Time `json:"mitigated_at,omitzero"`
	ResolvedAt     time.Time `json:"resolved_at,omitzero"`

	Reminder ReminderState `json:"reminder"`
	// Postmortem is the follow-through after resolve (postmortem.go).
	Postmortem Postmortem `json:"postmortem,omitzero"`
}

// StatusUpdate is a status update as the incident keeps its latest one.
type StatusUpdate struct {
	Text string    `json:"text"`
	By   string    `json:"by"`
	At   time.Time `json:"at"`
}

// SeverityChange is one entry of an incident's severity history.
type SeverityChange struct {
	From string    `json:"from"`
	To   string    `json:"to"`
	By   string    `json:"by"`
	At   time.Time `json:"at"`
}

// ReminderState is what the reminder logic needs to decide, from the store
// and the current time alone, whether a nag is due. Nothing about a
// schedule lives in memory, so a restart loses no reminder.
type ReminderState struct {
	LastUpdate   time.Time `json:"last_update"`       // last status update, or declare/reopen time
	LastNag      time.Time `json:"last_nag,omitzero"` // last reminder since LastUpdate
	Missed       int       `json:"missed,omitempty"`  // reminders sent since LastUpdate
	SnoozedUntil time.Time `json:"snoozed_until,omitzero"`
	NoICNagged   bool      `json:"no_ic_nagged,omitempty"`
	// LastPublicNag is the last reminder that the status page was stale
	// (see NextPublicDue).
	LastPublicNag time.Time `json:"last_public_nag,omitzero"`
	// Pending is the reminder claimed at PendingAt and not yet known to
	// have been posted. A process that dies while posting leaves it set,
	// and the next one posts it again: a reminder may be doubled by a
	// crash, never lost.
	Pending   string    `json:"pending,omitempty"`
	PendingAt time.Time `json:"pending_at,omitzero"`
}

// Ref is the incident's name as people say it: INC-42.
func (inc *Incident) Ref() string { return fmt.Sprintf("INC-%d", inc.ID) }

// ParseRef accepts "INC-42", "inc-42", "#42" or "42".
func ParseRef(s string) (int, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "#")
	if len(s) > 4 && strings.EqualFold(s[:4], "INC-") {
		s = s[4:]
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// NewIncident declares an incident. The ID is assigned by the store.
func NewIncident(title string, sev Severity, private bool, declarer string, at time.Time) (*Incident, Entry, error) {
	title = strings.Join(strings.Fields(title), " ")
	if title == "" {
		return nil, Entry{}, Errorf(EINVALID, "An incident needs a title, e.g. `declare sev2 Checkout is returning 500s`.")
	}
	if n := utf8.RuneCountInString(title); n > MaxTitle {
		return nil, Entry{}, Errorf(EINVALID, "The title is %d characters long; keep it under %d and put details in a note.", n, MaxTitle)
	}
	inc := &Incident{
		Title:        title,
		Severity:     sev.Name,
		Status:       StatusInvestigating,
		Private:      private,
		Declarer:     declarer,
		Roles:        map[string]string{},
		Participants: []string{declarer},
		DeclaredAt:   at,
		Reminder:     ReminderState{LastUpdate: at},
	}
	text := fmt.Sprintf("Declared %s: %s", sev.Name, title)
	if private {
		text += " (private)"
	}
	return inc, Entry{Kind: EntryDeclared, At: at, Actor: declarer, Text: text, Key: true}, nil
}

// Clone returns a copy of inc that shares no map or slice with it, so
// that either may be changed without the other seeing it.
func (inc *Incident) Clone() *Incident {
	c := *inc
	c.Roles = maps.Clone(inc.Roles)
	c.RoleLog = slices.Clone(inc.RoleLog)
	c.SeverityLog = slices.Clone(inc.SeverityLog)
	c.Participants = slices.Clone(inc.Participants)
	c.Invited = slices.Clone(inc.Invited)
	c.Actions = slices.Clone(inc.Actions)
	c.Public = slices.Clone(inc.Public)
	c.Services = slices.Clone(inc.Services)
	c.ComponentLog = slices.Clone(inc.ComponentLog)
	c.Pages = slices.Clone(inc.Pages)
	if inc.LatestUpdate != nil {
		u := *inc.LatestUpdate
		c.LatestUpdate = &u
	}
	return &c
}

// Open reports whether the incident is still being worked on.
func (inc *Incident) Open() bool { return inc.Status.Open() }

// Holder returns who holds a role. The IC holds every role not yet
// delegated, so an empty Comms seat answers with the IC.
func (inc *Incident) Holder(role string) string {
	if u := inc.Roles[role]; u != "" {
		return u
	}
	return inc.Roles[RoleIC]
}

// Join records a participant once.
func (inc *Incident) Join(user string) {
	if user != "" && !slices.Contains(inc.Participants, user) {
		inc.Participants = append(inc.Participants, user)
	}
}

// Assign gives role to user. Taking a role someone else holds is a
// handoff and is recorded as one. The first IC acknowledges the incident.
func (inc *Incident) Assign(role Role, user, by string, at time.Time) (Entry, error) {
	if user == "" {
		return Entry{}, Errorf(EINVALID, "Name who should be %s, e.g. `%s @alex`.", role.Short, role.Key)
	}
	prev := inc.Roles[role.Key]
	if prev == user {
		return Entry{}, Errorf(ECONFLICT, "%s is already the %s of %s.", Mention(user), role.Name, inc.Ref())
	}
	if inc.Roles == nil {
		inc.Roles = map[string]string{}
	}
	inc.Roles[role.Key] = user
	inc.RoleLog = append(inc.RoleLog, RoleChange{Role: role.Key, User: user, From: prev, By: by, At: at})
	inc.Join(user)
	if role.Key == RoleIC && inc.AcknowledgedAt.IsZero() {
		inc.AcknowledgedAt = at
	}
	if prev != "" {
		return Entry{Kind: EntryHandoff, At: at, Actor: by,
			Text: fmt.Sprintf("%s handed off from %s to %s", role.Name, Mention(prev), Mention(user))}, nil
	}
	return Entry{Kind: EntryRole, At: at, Actor: by,
		Text: fmt.Sprintf("%s is now %s", Mention(user), role.Name)}, nil
}

// SetSeverity moves the incident to the severity named name. upgraded is
// true when the new severity is more severe, which re-notifies responders.
func (inc *Incident) SetSeverity(ladder Severities, name, by string, at time.Time) (e Entry, upgraded bool, err error) {
	if err := inc.mustBeOpen("change its severity"); err != nil {
		return Entry{}, false, err
	}
	sev, rank, ok := ladder.Find(name)
	if !ok {
		return Entry{}, false, Errorf(EINVALID, "%q is not a severity. Choose one of: %s.", name, ladder.Choices())
	}
	if sev.Name == inc.Severity {
		return Entry{}, false, Errorf(ECONFLICT, "%s is already %s.", inc.Ref(), sev.Name)
	}
	_, oldRank, _ := ladder.Find(inc.Severity)
	upgraded = oldRank < 0 || rank < oldRank
	inc.SeverityLog = append(inc.SeverityLog, SeverityChange{From: inc.Severity, To: sev.Name, By: by, At: at})
	word := "downgraded"
	if upgraded {
		word = "upgraded"
	}
	text := fmt.Sprintf("Severity %s from %s to %s", word, inc.Severity, sev.Name)
	inc.Severity = sev.Name
	return Entry{Kind: EntrySeverity, At: at, Actor: by, Text: text, Key: true}, upgraded, nil
}

// SetStatus moves an open incident to another open status. Resolving goes
// through Resolve and leaving resolved through Reopen, so that their side
// effects live in one place.
func (inc *Incident) SetStatus(s Status, by string, at time.Time) (Entry, error) {
	switch {
	case s == StatusResolved:
		return inc.Resolve("", by, at)
	case !inc.Open():
		return Entry{}, Errorf(ECONFLICT, "%s is resolved; `reopen` it first.", inc.Ref())
	case s == inc.Status:
		return Entry{}, Errorf(ECONFLICT, "%s is already %s.", inc.Ref(), s)
	}
	text := fmt.Sprintf("Status changed from %s to %s", inc.Status, s)
	inc.Status = s
	if s == StatusMitigated && inc.MitigatedAt.IsZero() {
		inc.MitigatedAt = at
	}
	return Entry{Kind: EntryStatus, At: at, Actor: by, Text: text, Key: true}, nil
}

// Resolve closes the incident. Resolving twice is a conflict, never a
// second postmortem.
func (inc *Incident) Resolve(summary, by string, at time.Time) (Entry, error) {
	if !inc.Open() {
		return Entry{}, Errorf(ECONFLICT, "%s is already resolved. Use `postmortem` to see the draft again, or `reopen`.", inc.Ref())
	}
	inc.Status = StatusResolved
	inc.ResolvedAt = at
	if inc.MitigatedAt.IsZero() {
		inc.MitigatedAt = at // resolved implies service was restored
	}
	if summary = strings.TrimSpace(summary); summary != "" {
		inc.Summary = summary
	}
	inc.startPostmortem()
	text := "Resolved"
	if summary != "" {
		text += ": " + summary
	}
	return Entry{Kind: EntryResolved, At: at, Actor: by, Text: text, Key: true}, nil
}

// ResolveFalseAlarm resolves the incident as a false alarm: nothing was
// wrong, the alert (or the person) that raised it was. It counts against
// the accuracy of the alert that declared it.
func (inc *Incident) ResolveFalseAlarm(summary, by string, at time.Time) (Entry, error) {
	e, err := inc.Resolve(summary, by, at)
	if err != nil {
		return Entry{}, err
	}
	inc.FalseAlarm = true
	if inc.Postmortem.Status == PostmortemDraft && !inc.Postmortem.ReviewPosted {
		// Nothing was wrong: no review to hold, no owner to remind.
		inc.Postmortem = Postmortem{}
	}
	e.Text = strings.Replace(e.Text, "Resolved", "Resolved as a false alarm", 1)
	return e, nil
}

// Reopen brings a resolved incident back to investigating and restarts
// its reminder clock.
func (inc *Incident) Reopen(by string, at time.Time) (Entry, error) {
	if inc.Open() {
		return Entry{}, Errorf(ECONFLICT, "%s is not resolved; it is %s.", inc.Ref(), inc.Status)
	}
	inc.Status = StatusInvestigating
	inc.ResolvedAt = time.Time{}
	inc.FalseAlarm = false // its next resolution says again what it was
	inc.Reminder = ReminderState{LastUpdate: at, NoICNagged: inc.Reminder.NoICNagged}
	return Entry{Kind: EntryReopened, At: at, Actor: by, Text: "Reopened", Key: true}, nil
}

// PostUpdate records a status update and resets the reminder clock.
func (inc *Incident) PostUpdate(text, by string, at time.Time) (Entry, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Entry{}, Errorf(EINVALID, "An update needs text, e.g. `update Rolled back the deploy; error rate falling`.")
	}
	if err := inc.mustBeOpen("post an update"); err != nil {
		return Entry{}, err
	}
	inc.Reminder.LastUpdate = at
	inc.Reminder.LastNag = time.Time{}
	inc.Reminder.Missed = 0
	inc.Join(by)
	inc.LatestUpdate = &StatusUpdate{Text: text, By: by, At: at}
	return Entry{Kind: EntryUpdate, At: at, Actor: by, Text: text, Key: true}, nil
}

// AddNote records an explicit key event.
func (inc *Incident) AddNote(text, by string, at time.Time) (Entry, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Entry{}, Errorf(EINVALID, "A note needs text, e.g. `note Disabled the feature flag checkout_v2`.")
	}
	inc.Join(by)
	return Entry{Kind: EntryNote, At: at, Actor: by, Text: text, Key: true}, nil
}

// AddAction records an action item and numbers it.
func (inc *Incident) AddAction(item ActionItem) (Entry, error) {
	item.Text = strings.TrimSpace(item.Text)
	if item.Text == "" {
		return Entry{}, Errorf(EINVALID, "An action item needs text, e.g. `action Add an alert on checkout 5xx @sam p1 due 2026-12-01`.")
	}
	item.Number = len(inc.Actions) + 1
	inc.Actions = append(inc.Actions, item)
	text := fmt.Sprintf("Action item #%d: %s", item.Number, item.Text)
	if item.Owner != "" {
		text += " (owner " + Mention(item.Owner) + ")"
	}
	return Entry{Kind: EntryAction, At: item.CreatedAt, Actor: item.CreatedBy, Text: text}, nil
}

// CompleteAction marks action item n done.
func (inc *Incident) CompleteAction(n int, by string, at time.Time) (Entry, error) {
	if n < 1 || n > len(inc.Actions) {
		if len(inc.Actions) == 0 {
			return Entry{}, Errorf(ENOTFOUND, "%s has no action items yet; add one with `action <text>`.", inc.Ref())
		}
		return Entry{}, Errorf(ENOTFOUND, "%s has action items #1 to #%d; there is no #%d.", inc.Ref(), len(inc.Actions), n)
	}
	item := &inc.Actions[n-1]
	if item.Done {
		return Entry{}, Errorf(ECONFLICT, "Action item #%d is already done.", n)
	}
	item.Done, item.DoneAt = true, at
	return Entry{Kind: EntryActionDone, At: at, Actor: by, Text: fmt.Sprintf("Action item #%d done: %s", n, item.Text)}, nil
}

// ReopenAction marks action item n not done again, as when its issue is
// reopened in the tracker. It reports false when n is no item or the
// item is not done: nothing to change.
func (inc *Incident) ReopenAction(n int) bool {
	if n < 1 || n > len(inc.Actions) || !inc.Actions[n-1].Done {
		return false
	}
	inc.Actions[n-1].Done, inc.Actions[n-1].DoneAt = false, time.Time{}
	return true
}

// Snooze silences reminders for d, at most twice the cadence so that a
// snoozed incident cannot fall silent for good.
func (inc *Incident) Snooze(d, cadence time.Duration, by string, at time.Time) (Entry, error) {
	if err := inc.mustBeOpen("snooze its reminders"); err != nil {
		return Entry{}, err
	}
	if cadence <= 0 {
		return Entry{}, Errorf(EINVALID, "%s has no update reminders at %s, so there is nothing to snooze.", inc.Ref(), inc.Severity)
	}
	if d <= 0 || d > 2*cadence {
		return Entry{}, Errorf(EINVALID, "Snooze for up to %s (twice the %s cadence of %s), e.g. `snooze 30m`.", FormatDuration(2*cadence), inc.Severity, FormatDuration(cadence))
	}
	inc.Reminder.SnoozedUntil = at.Add(d)
	return Entry{Kind: EntrySnooze, At: at, Actor: by, Text: fmt.Sprintf("Reminders snoozed for %s", FormatDuration(d))}, nil
}

func (inc *Incident) mustBeOpen(what string) error {
	if !inc.Open() {
		return Errorf(ECONFLICT, "%s is resolved; `reopen` it to %s.", inc.Ref(), what)
	}
	return nil
}

// Detected is when the first signal came: DetectedAt, or the declaration
// when nobody said otherwise.
func (inc *Incident) Detected() time.Time {
	if inc.DetectedAt.IsZero() {
		return inc.DeclaredAt
	}
	return inc.DetectedAt
}

// Started is when impact began: StartedAt, or the detection when nobody
// said otherwise. Defaulting to Detected (rather than to the declaration)
// keeps started ≤ detected when only the detection is moved earlier.
func (inc *Incident) Started() time.Time {
	if inc.StartedAt.IsZero() {
		return inc.Detected()
	}
	return inc.StartedAt
}

// SetStarted records when impact began. It may not come after the
// detection, so the order started ≤ detected ≤ declared always holds.
func (inc *Incident) SetStarted(t time.Time, by string, at time.Time) (Entry, error) {
	t = t.UTC()
	if bound := inc.Detected(); t.After(bound) {
		what := "detected"
		if inc.DetectedAt.IsZero() {
			what = "declared"
		}
		return Entry{}, Errorf(EINVALID, "Impact cannot start after %s was %s (%s); move `detected` earlier first, or give an earlier time.",
			inc.Ref(), what, bound.Format(time.RFC3339))
	}
	if t.Equal(inc.StartedAt) {
		return Entry{}, Errorf(ECONFLICT, "%s already started at %s.", inc.Ref(), t.Format(time.RFC3339))
	}
	inc.StartedAt = t
	return Entry{Kind: EntryTimes, At: at, Actor: by, Key: true,
		Text: "Impact started at " + t.Format(time.RFC3339)}, nil
}

// SetDetected records when the first signal came: no earlier than the
// start of impact and no later than the declaration.
func (inc *Incident) SetDetected(t time.Time, by string, at time.Time) (Entry, error) {
	t = t.UTC()
	if t.After(inc.DeclaredAt) {
		return Entry{}, Errorf(EINVALID, "Detection cannot come after %s was declared (%s); give an earlier time.",
			inc.Ref(), inc.DeclaredAt.UTC().Format(time.RFC3339))
	}
	if !inc.StartedAt.IsZero() && t.Before(inc.StartedAt) {
		return Entry{}, Errorf(EINVALID, "Detection cannot come before impact started (%s); move `started` earlier first, or give a later time.",
			inc.StartedAt.Format(time.RFC3339))
	}
	if t.Equal(inc.DetectedAt) {
		return Entry{}, Errorf(ECONFLICT, "%s was already detected at %s.", inc.Ref(), t.Format(time.RFC3339))
	}
	inc.DetectedAt = t
	return Entry{Kind: EntryTimes, At: at, Actor: by, Key: true,
		Text: "Detected at " + t.Format(time.RFC3339)}, nil
}

// Durations between milestones. Zero when a milestone has not been
// reached. Time to mitigate and to resolve run from the start of impact,
// which is what the people affected lived through; time to acknowledge
// runs from the declaration, when there was first someone to page.
func (inc *Incident) TimeToDetect() time.Duration  { return since(inc.Started(), inc.Detected()) }
func (inc *Incident) TimeToDeclare() time.Duration { return since(inc.Detected(), inc.DeclaredAt) }
func (inc *Incident) TimeToAcknowledge() time.Duration {
	return since(inc.DeclaredAt, inc.AcknowledgedAt)
}
func (inc *Incident) TimeToMitigate() time.Duration { return since(inc.Started(), inc.MitigatedAt) }
func (inc *Incident) TimeToResolve() time.Duration  { return since(inc.Started(), inc.ResolvedAt) }

func since(from, to time.Time) time.Duration {
	if to.IsZero() || from.IsZero() {
		return 0
	}
	return to.Sub(from)
}

// FormatDuration renders a duration the way people say it: 30m, 4h, 1h30m,
// 2d3h. Seconds are shown only under a minute.
func FormatDuration(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	}
	d = d.Round(time.Minute)
	days, d := d/(24*time.Hour), d%(24*time.Hour)
	hours, mins := d/time.Hour, (d%time.Hour)/time.Minute
	var b strings.Builder
	if days > 0 {
		fmt.Fprintf(&b, "%dd", days)
	}
	if hours > 0 {
		fmt.Fprintf(&b, "%dh", hours)
	}
	if mins > 0 && days == 0 {
		fmt.Fprintf(&b, "%dm", mins)
	}
	if b.Len() == 0 {
		return "0m"
	}
	return b.String()
}
