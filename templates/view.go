package templates

import (
	"slices"
	"strings"

	"github.com/muster-bot/muster"
)

// view is what postmortem.md.tmpl is executed with. Every value is
// computed here and already formatted, with mentions rewritten and table
// cells escaped, so that the template holds layout only. The one
// exception is Cadence, the domain's own muster.Cadence rather than a copy
// of it in strings; the template spells its Longest with duration. An
// override template sees the same fields and functions; they are its
// whole vocabulary.
type view struct {
	Ref       string // INC-42
	Title     string
	Generated string // time of rendering, "2026-11-22 05:00 UTC"; "" when unknown
	Private   bool
	Declarer  string
	Room      string // war-room name; "" when none
	Services  string // the affected services, "checkout, payments"; "" when none

	Severity         string           // current severity
	DeclaredSeverity string           // severity at declaration when it differs from the current one; else ""
	SeverityChanges  []severityChange // in order
	Status           string
	Open             bool // not resolved when the draft was generated

	Summary     string // the resolve summary; "" when none was given
	Description string // the description given at declaration; "" when none

	Milestones []milestone // impact started, detected, declared, acknowledged, mitigated, resolved
	// TTD (started → detected) and TTDeclare (detected → declared) are
	// always measured, 0s when the milestones are the same; TTA runs from
	// the declaration, TTM and TTR from the start of impact, each "not
	// reached" before its milestone.
	TTD, TTDeclare, TTA, TTM, TTR string

	RoleTerms  []roleTerm // each holder of each role, role by role, in time order
	NoIC       string     // the IC role's name when nobody ever took it; else ""
	Unassigned string     // other roles nobody was given: "Scribe, Ops lead"

	Participants []string // @names, in order of first appearance

	// The timeline, every entry in time order, and the key events, the
	// flagged ones. The tables are the rows as the embedded template
	// shows them, "| Time | Who | Kind | What |" and a newline each, 📌
	// marking key events in the full timeline; the slices hold the same
	// rows cell by cell for another layout.
	Timeline       []row
	TimelineTable  string
	KeyEvents      []row
	KeyEventsTable string

	Updates []update       // status updates posted
	Cadence muster.Cadence // shown with {{duration .Longest}} for its longest silence

	Actions []action

	// Record holds the lines pre-filled from the record, each marked
	// with FromRecord: the impact window, components, what went poorly,
	// the public posts, candidate contributing factors (record.go).
	Record facts
}

type severityChange struct{ At, From, To, By string }

type milestone struct{ Name, At string }

type roleTerm struct {
	Role   string // display name, "Incident Commander"
	Holder string
	From   string
	Until  string // time and successor, "resolution", or "still holding"
	By     string // who assigned it; "self" when taken
}

type update struct{ Time, Who, Text string }

type action struct {
	Number                           int
	Text, Owner, Due, Priority, Done string
	Tracker                          string // a Markdown link to its issue, "" when not filed
}

var priorityLabels = map[muster.Priority]string{
	muster.P0: "P0 (fix root cause)",
	muster.P1: "P1 (detect faster)",
	muster.P2: "P2 (prevent the class)",
}

func newView(d Data) *view {
	inc := d.Incident
	n := &namer{names: d.Names, cache: map[string]string{}}
	v := &view{
		Ref:         inc.Ref(),
		Title:       oneLine(n.text(inc.Title)),
		Private:     inc.Private,
		Declarer:    n.user(inc.Declarer),
		Room:        inc.RoomName,
		Services:    strings.Join(inc.Services, ", "),
		Severity:    inc.Severity,
		Status:      string(inc.Status),
		Open:        inc.Open(),
		Summary:     strings.TrimSpace(n.text(inc.Summary)),
		Description: strings.TrimSpace(n.text(inc.Description)),
		Milestones: []milestone{
			{"Impact started", defaulted(inc.Started(), inc.StartedAt, "detected")},
			{"Detected (first signal)", defaulted(inc.Detected(), inc.DetectedAt, "declared")},
			{"Declared", stamp(inc.DeclaredAt)},
			{"Acknowledged (first IC)", stamp(inc.AcknowledgedAt)},
			{"Mitigated", stamp(inc.MitigatedAt)},
			{"Resolved", stamp(inc.ResolvedAt)},
		},
		TTD:       muster.FormatDuration(inc.TimeToDetect()),
		TTDeclare: muster.FormatDuration(inc.TimeToDeclare()),
		TTA:       duration(inc.TimeToAcknowledge()),
		TTM:       duration(inc.TimeToMitigate()),
		TTR:       duration(inc.TimeToResolve()),
	}
	if !d.Now.IsZero() {
		v.Generated = stamp(d.Now)
	}
	if len(inc.SeverityLog) > 0 && inc.SeverityLog[0].From != inc.Severity {
		v.DeclaredSeverity = inc.SeverityLog[0].From
	}
	for _, c := range inc.SeverityLog {
		v.SeverityChanges = append(v.SeverityChanges, severityChange{stamp(c.At), c.From, c.To, n.user(c.By)})
	}
	roles := d.Roles
	if roles == nil {
		roles = muster.DefaultRoles()
	}
	v.roles(inc, roles, n)
	timeline := inTimeOrder(d.Timeline)
	v.timeline(timeline, n)
	v.participants(inc, d.Timeline, n)
	v.Cadence = muster.MeasureCadence(inc, timeline, d.Severities, d.Now)
	v.Record = newFacts(inc, timeline, d.Severities, v.Cadence, n)
	for _, a := range inc.Actions {
		v.Actions = append(v.Actions, newAction(a, n))
	}
	return v
}

// roles lists the holders of each role over time, from the role log: the
// configured roles first, in their order, then any role the log names
// that is no longer configured.
func (v *view) roles(inc *muster.Incident, roles muster.Roles, n *namer) {
	byRole := map[string][]muster.RoleChange{}
	var order []string
	for _, r := range roles {
		order = append(order, r.Key)
	}
	for _, c := range inc.RoleLog {
		if _, ok := byRole[c.Role]; !ok && !slices.Contains(order, c.Role) {
			order = append(order, c.Role)
		}
		byRole[c.Role] = append(byRole[c.Role], c)
	}
	name := func(key string) string {
		for _, r := range roles {
			if r.Key == key {
				return r.Name
			}
		}
		return key
	}
	end := "still holding"
	if !inc.Open() {
		end = "resolution"
	}
	var unassigned []string
	for _, key := range order {
		log := byRole[key]
		if len(log) == 0 {
			if key == muster.RoleIC {
				v.NoIC = name(key)
			} else {
				unassigned = append(unassigned, name(key))
			}
			continue
		}
		for i, c := range log {
			t := roleTerm{Role: cell(name(key)), Holder: cell(n.user(c.User)), From: stamp(c.At), Until: end, By: cell(n.user(c.By))}
			if c.By == c.User {
				t.By = "self"
			}
			if i+1 < len(log) {
				next := log[i+1]
				t.Until = stamp(next.At) + ", handed off to " + cell(n.user(next.User))
			}
			v.RoleTerms = append(v.RoleTerms, t)
		}
	}
	v.Unassigned = strings.Join(unassigned, ", ")
}

// participants are the incident's participants, then everyone who appears
// in the timeline, each once, in order of first appearance.
func (v *view) participants(inc *muster.Incident, entries []muster.Entry, n *namer) {
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			v.Participants = append(v.Participants, n.user(id))
		}
	}
	for _, id := range inc.Participants {
		add(id)
	}
	for _, e := range entries {
		add(e.Actor)
	}
}

func newAction(a muster.ActionItem, n *namer) action {
	r := action{Number: a.Number, Text: cell(n.text(a.Text)), Owner: "_unassigned_", Due: "—", Priority: "—", Done: "no"}
	if a.Owner != "" {
		r.Owner = cell(n.user(a.Owner))
	}
	if !a.Due.IsZero() {
		r.Due = a.Due.UTC().Format(dayLayout)
	}
	if a.Priority != "" {
		r.Priority = priorityLabels[a.Priority]
		if r.Priority == "" {
			r.Priority = cell(string(a.Priority))
		}
	}
	if a.Tracker.Filed() {
		r.Tracker = issueLink(a.Tracker)
	}
	if a.Done {
		r.Done = "yes"
		if !a.DoneAt.IsZero() {
			r.Done += ", " + a.DoneAt.UTC().Format(dayLayout)
		}
	}
	return r
}

// issueLink is a Markdown link to an action item's issue, safe in a table
// cell; the key alone when the URL is not a plain http(s) one.
func issueLink(t muster.TrackerIssue) string {
	key := cell(strings.NewReplacer("[", `\[`, "]", `\]`).Replace(t.Key))
	u := t.URL
	if !(strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) || strings.ContainsAny(u, " \t\r\n<>") {
		return key
	}
	return "[" + key + "](" + strings.NewReplacer("(", "%28", ")", "%29", "|", "%7C").Replace(u) + ")"
}

// inTimeOrder returns entries sorted by time, keeping append order for
// entries of the same time (a platform may deliver a message late).
func inTimeOrder(entries []muster.Entry) []muster.Entry {
	byTime := func(a, b muster.Entry) int { return a.At.Compare(b.At) }
	if slices.IsSortedFunc(entries, byTime) {
		return entries
	}
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, byTime)
	return sorted
}
