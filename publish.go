package muster

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxPublic is the longest public post accepted, in characters: a status
// page post is a few sentences for customers, not a report.
const MaxPublic = 2000

// ResolvedText is the post "Publish the resolution" publishes. It is a
// fixed sentence, not the resolve summary: the summary is written for the
// war room and may name systems, people or causes not meant for customers.
const ResolvedText = "This incident has been resolved."

// mentionMarkRE finds a mention as each platform writes it in command
// text: Slack's <@U…>, <!here>, <!subteam^…>, <#C…> (Teams' mentions reach
// muster as <@…> too), and a plain @name as typed on the console.
var mentionMarkRE = regexp.MustCompile(`<[@!#]|(?:^|[\s(\[{"'“‘])@[\p{L}\p{N}_.-]`)

// Publish appends a customer-facing post for the status pages, with the
// incident's status as it is now. A private incident publishes nothing,
// and text that names a person or a group is refused: the public page
// must not.
func (inc *Incident) Publish(text, by string, at time.Time) (Entry, error) {
	if err := inc.publishRefused("nothing about it goes to the status page"); err != nil {
		return Entry{}, err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return Entry{}, Errorf(EINVALID, "A public post needs text, e.g. `public We are investigating failed checkouts; some payments are delayed.`")
	}
	if n := utf8.RuneCountInString(text); n > MaxPublic {
		return Entry{}, Errorf(EINVALID, "The post is %d characters long; a status page post may have at most %d. Keep it to what customers need.", n, MaxPublic)
	}
	if MentionsSomeone(text) {
		return Entry{}, Errorf(EINVALID, "Public posts must not name people, groups or channels, and this one mentions someone; nothing was published. Write it for customers, without mentions.")
	}
	inc.Public = append(inc.Public, PublicPost{At: at, Text: text, Status: inc.Status, By: by})
	inc.Join(by)
	return Entry{Kind: EntryPublic, At: at, Actor: by, Text: "Published to the status page: " + text}, nil
}

// MentionsSomeone reports whether text holds a mention of a person, a
// group or a channel in any platform's markup.
func MentionsSomeone(text string) bool { return mentionMarkRE.MatchString(text) }

// SetComponent sets the state this incident gives a status-page
// component. name is the component's configured name; the caller checks
// it is one.
func (inc *Incident) SetComponent(name string, state ComponentState, by string, at time.Time) (Entry, error) {
	if err := inc.publishRefused("it sets no component on the status page"); err != nil {
		return Entry{}, err
	}
	if cur, ok := inc.ComponentStates()[name]; ok && cur == state || !ok && state == ComponentOperational {
		return Entry{}, Errorf(ECONFLICT, "%s already shows %s as %s.", inc.Ref(), name, strings.ToLower(state.Label()))
	}
	inc.ComponentLog = append(inc.ComponentLog, ComponentChange{Component: name, State: state, By: by, At: at})
	inc.Join(by)
	return Entry{Kind: EntryComponent, At: at, Actor: by, Text: fmt.Sprintf("Status page: %s is now %s", name, strings.ToLower(state.Label()))}, nil
}

// PublishResolution publishes ResolvedText and sets every component the
// incident left in trouble back to operational: what "Publish the
// resolution" does, once, after the incident is resolved.
func (inc *Incident) PublishResolution(by string, at time.Time) ([]Entry, error) {
	if inc.Open() {
		return nil, Errorf(ECONFLICT, "%s is not resolved yet; `resolve` it first, or post where things stand with `public <text>`.", inc.Ref())
	}
	if last, ok := inc.LastPublic(); ok && last.Status == StatusResolved && !last.At.Before(inc.ResolvedAt) {
		return nil, Errorf(ECONFLICT, "The resolution of %s is already on the status page.", inc.Ref())
	}
	e, err := inc.Publish(ResolvedText, by, at)
	if err != nil {
		return nil, err
	}
	entries := []Entry{e}
	for _, name := range inc.TroubledComponents() {
		ce, err := inc.SetComponent(name, ComponentOperational, by, at)
		if err != nil {
			return nil, err
		}
		entries = append(entries, ce)
	}
	return entries, nil
}

// TroubledComponents lists the components this incident gives a state
// other than operational, in the order it first set them.
func (inc *Incident) TroubledComponents() []string {
	states := inc.ComponentStates()
	var names []string
	seen := map[string]bool{}
	for _, c := range inc.ComponentLog {
		if !seen[c.Component] && states[c.Component] != ComponentOperational {
			names = append(names, c.Component)
		}
		seen[c.Component] = true
	}
	return names
}

// NextPublicDue is when the status page is next due a post at sev's
// public_every: one period after the later of the newest public post and
// the last reminder of it. Only an open, non-private incident that has
// published at least once is due anything: publishing is what tells
// muster customers are watching this incident. A time a clock set back
// left in the future counts as now.
func (inc *Incident) NextPublicDue(sev Severity, now time.Time) (time.Time, bool) {
	last, ok := inc.LastPublic()
	if !ok || !inc.Open() || !inc.Publishes() || sev.PublicEvery <= 0 {
		return time.Time{}, false
	}
	base := last.At
	if inc.Reminder.LastPublicNag.After(base) {
		base = inc.Reminder.LastPublicNag
	}
	if base.After(now) {
		base = now
	}
	return base.Add(sev.PublicEvery), true
}
