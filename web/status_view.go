package web

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/muster-bot/muster"
)

// statusView is the public state: what /status shows and /status.json
// says. Its JSON is the documented shape of /status.json.
type statusView struct {
	Title      string            `json:"title"`
	State      string            `json:"state"` // the worst component state
	StateLabel string            `json:"state_label"`
	UpdatedAt  time.Time         `json:"updated_at"`
	Components []componentView   `json:"components"`
	Incidents  []publicIncident  `json:"incidents"`      // current (open) incidents
	Past       []publicIncident  `json:"past_incidents"` // resolved within the history window
	Days       []string          `json:"-"`              // the history's dates, oldest first
	feed       []publicFeedEntry // every post in the window, newest first, for the feed
}

type componentView struct {
	Name        string                `json:"name"`
	Description string                `json:"description,omitempty"`
	State       muster.ComponentState `json:"state"`
	StateLabel  string                `json:"state_label"`
	// History is the worst state of each of the last 90 days (UTC),
	// oldest first; Trouble the days that were not operational.
	History []dayState `json:"-"`
	Trouble []dayState `json:"history"`
}

type dayState struct {
	Date  string                `json:"date"` // YYYY-MM-DD, UTC
	State muster.ComponentState `json:"state"`
}

// Label is the day's state as the page says it.
func (d dayState) Label() string { return d.State.Label() }

// publicIncident is an incident as the public page names it. It has no
// title: the title is written in the heat of the moment for responders
// and may name customers, systems or people; the public page calls it
// "Incident on <date>" with the components it touched, and lets the
// posts speak.
type publicIncident struct {
	ID         string              `json:"id"` // stable, and not the internal number
	Name       string              `json:"name"`
	Status     muster.Status       `json:"status"`
	StartedAt  time.Time           `json:"started_at"`
	ResolvedAt time.Time           `json:"resolved_at,omitzero"`
	Components []componentSnapshot `json:"components"`
	Posts      []publicPost        `json:"posts"` // newest first
}

type componentSnapshot struct {
	Name  string                `json:"name"`
	State muster.ComponentState `json:"state"`
}

type publicPost struct {
	At     time.Time     `json:"at"`
	Status muster.Status `json:"status"`
	Text   string        `json:"text"`
}

type publicFeedEntry struct {
	ID       string
	Incident string
	Post     publicPost
}

// publicID names an incident on the public pages: the time it first
// published something. It is stable, and unlike INC-n it does not count
// the private incidents in between.
func publicID(inc *muster.Incident) string {
	first := time.Time{}
	if len(inc.Public) > 0 {
		first = inc.Public[0].At
	}
	if len(inc.ComponentLog) > 0 && (first.IsZero() || inc.ComponentLog[0].At.Before(first)) {
		first = inc.ComponentLog[0].At
	}
	return first.UTC().Format("20060102T150405.000000000Z")
}

// published reports whether inc shows on the public pages at all.
func published(inc *muster.Incident) bool {
	return inc.Publishes() && (len(inc.Public) > 0 || len(inc.ComponentLog) > 0)
}

// load reads the incidents the public pages draw from: those declared in
// the history window and every open one (one may have been declared
// before the window), without their timelines.
func (p *StatusPages) load(ctx context.Context, now time.Time) ([]*muster.Incident, time.Time, error) {
	today := now.UTC().Truncate(24 * time.Hour)
	from := today.AddDate(0, 0, -(historyDays - 1))
	recent, err := p.store.IncidentsDeclared(ctx, from, now.Add(time.Second), 0)
	if err != nil {
		return nil, from, fmt.Errorf("status page: list incidents since %s: %w", from.Format(time.DateOnly), err)
	}
	open, err := p.store.Incidents(ctx, true)
	if err != nil {
		return nil, from, fmt.Errorf("status page: list open incidents: %w", err)
	}
	seen := map[int]bool{}
	var list []*muster.Incident
	for _, inc := range slices.Concat(open, recent) {
		if seen[inc.ID] || !published(inc) {
			continue
		}
		seen[inc.ID] = true
		list = append(list, inc)
	}
	return list, from, nil
}

// view builds the public state from the incidents, at now. It reads only
// the incidents' public posts, component changes, status and milestone
// times.
func (p *StatusPages) view(list []*muster.Incident, from, now time.Time) statusView {
	v := statusView{Title: p.cfg.Title}
	current := map[string]muster.ComponentState{}
	for _, inc := range list {
		if !inc.Publishes() { // published() leaves them out already; this is the rule, said twice on purpose
			continue
		}
		if inc.Open() {
			for name, state := range inc.ComponentStates() {
				if state.Rank() > current[name].Rank() {
					current[name] = state
				}
			}
		}
		pi := publicIncidentOf(inc)
		for i, post := range pi.Posts {
			v.feed = append(v.feed, publicFeedEntry{ID: fmt.Sprintf("%s/%d", pi.ID, len(pi.Posts)-i), Incident: pi.Name, Post: post})
			v.UpdatedAt = latest(v.UpdatedAt, post.At)
		}
		for _, c := range inc.ComponentLog {
			v.UpdatedAt = latest(v.UpdatedAt, c.At)
		}
		switch {
		case inc.Open():
			v.Incidents = append(v.Incidents, pi)
		case !inc.ResolvedAt.Before(from):
			v.Past = append(v.Past, pi)
		}
	}
	byNewest := func(a, b publicIncident) int { return b.StartedAt.Compare(a.StartedAt) }
	slices.SortFunc(v.Incidents, byNewest)
	slices.SortFunc(v.Past, byNewest)
	slices.SortFunc(v.feed, func(a, b publicFeedEntry) int { return b.Post.At.Compare(a.Post.At) })
	for d := range historyDays {
		v.Days = append(v.Days, from.AddDate(0, 0, d).Format(time.DateOnly))
	}
	worst := muster.ComponentOperational
	for _, c := range p.cfg.Components {
		state := cmp.Or(current[c.Name], muster.ComponentOperational)
		if state.Rank() > worst.Rank() {
			worst = state
		}
		cv := componentView{Name: c.Name, Description: c.Description, State: state, StateLabel: state.Label(), History: history(list, c.Name, from, now)}
		for _, d := range cv.History {
			if d.State != muster.ComponentOperational {
				cv.Trouble = append(cv.Trouble, d)
			}
		}
		v.Components = append(v.Components, cv)
	}
	v.State, v.StateLabel = string(worst), overall(worst)
	if v.UpdatedAt.IsZero() {
		v.UpdatedAt = now
	}
	return v
}

func publicIncidentOf(inc *muster.Incident) publicIncident {
	pi := publicIncident{ID: publicID(inc), Status: inc.Status, StartedAt: inc.DeclaredAt}
	if !inc.Open() {
		pi.ResolvedAt = inc.ResolvedAt
	}
	states := inc.ComponentStates()
	var names []string
	for _, c := range inc.ComponentLog {
		if !slices.Contains(names, c.Component) {
			names = append(names, c.Component)
			pi.Components = append(pi.Components, componentSnapshot{Name: c.Component, State: states[c.Component]})
		}
	}
	pi.Name = "Incident on " + pi.StartedAt.UTC().Format("2 January 2006")
	if len(names) > 0 {
		pi.Name += " affecting " + strings.Join(names, ", ")
	}
	for i := len(inc.Public) - 1; i >= 0; i-- {
		post := inc.Public[i]
		pi.Posts = append(pi.Posts, publicPost{At: post.At, Status: post.Status, Text: post.Text})
	}
	return pi
}

// history is the worst state component had on each day from from to now
// (UTC days), over every incident: each change holds until the next
// change of that component in that incident, or until the incident was
// resolved.
func history(list []*muster.Incident, component string, from, now time.Time) []dayState {
	days := make([]dayState, historyDays)
	for d := range days {
		days[d] = dayState{Date: from.AddDate(0, 0, d).Format(time.DateOnly), State: muster.ComponentOperational}
	}
	for _, inc := range list {
		end := now
		if !inc.Open() {
			end = inc.ResolvedAt
		}
		var changes []muster.ComponentChange
		for _, c := range inc.ComponentLog {
			if c.Component == component {
				changes = append(changes, c)
			}
		}
		for i, c := range changes {
			until := end
			if i+1 < len(changes) {
				until = changes[i+1].At
			}
			if c.State == muster.ComponentOperational || until.Before(from) {
				continue
			}
			for d := range days {
				dayStart := from.AddDate(0, 0, d)
				dayEnd := dayStart.AddDate(0, 0, 1)
				if c.At.Before(dayEnd) && until.After(dayStart) && c.State.Rank() > days[d].State.Rank() {
					days[d].State = c.State
				}
			}
		}
	}
	return days
}

// overall says the page's headline for the worst component state.
func overall(worst muster.ComponentState) string {
	switch worst {
	case muster.ComponentDegraded:
		return "Some systems are degraded"
	case muster.ComponentPartial:
		return "Partial outage"
	case muster.ComponentMajor:
		return "Major outage"
	default:
		return "All systems operational"
	}
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
