package web

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
)

// StatusStore is what the public status pages read: incident records
// only, never a timeline, so nothing said in a war room can reach them.
type StatusStore interface {
	Incidents(ctx context.Context, openOnly bool) ([]*muster.Incident, error)
	// IncidentsDeclared lists those declared in [from, to), newest
	// first, at most limit (0: all).
	IncidentsDeclared(ctx context.Context, from, to time.Time, limit int) ([]*muster.Incident, error)
}

// StatusConfig is what the public status pages show besides the store.
type StatusConfig struct {
	Title      string // statuspage.title
	Components []StatusComponent
	// CacheFor is how long one read of the store serves the pages; 0
	// reads it for every request.
	CacheFor time.Duration
}

// StatusComponent is a configured component as customers see it.
type StatusComponent struct {
	Name        string
	Description string
}

// historyDays is how many days of history each component shows.
const historyDays = 90

// StatusPages serves the public status pages: /status, /status.json and
// /status/feed.atom. They need no sign-in and are served whatever
// web.enabled says, because they show only what Comms published: the
// public posts and component states of incidents that are not private.
// No incident title, war-room message, status update or person's name is
// ever read into what they render.
type StatusPages struct {
	store StatusStore
	cfg   StatusConfig
	now   func() time.Time
	log   zerolog.Logger
	page  *template.Template
	mux   *http.ServeMux

	cacheMu  sync.Mutex
	cached   statusView
	cachedAt time.Time
}

// NewStatus parses the public page's template and routes its paths.
func NewStatus(store StatusStore, cfg StatusConfig, now func() time.Time, log zerolog.Logger) (*StatusPages, error) {
	cfg.Title = cmp.Or(strings.TrimSpace(cfg.Title), "Status")
	p := &StatusPages{store: store, cfg: cfg, now: now, log: log, mux: http.NewServeMux()}
	t, err := template.New("status.html").Funcs(template.FuncMap{
		"when": func(t time.Time) string { return t.UTC().Format(timeLayout) },
		"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"word": func(s muster.Status) string { return statusWord(string(s)) },
	}).ParseFS(htmlFiles, "html/status.html")
	if err != nil {
		return nil, fmt.Errorf("parse web template status: %w", err)
	}
	p.page = t
	p.mux.HandleFunc("GET /status", p.html)
	p.mux.HandleFunc("GET /status.json", p.json)
	p.mux.HandleFunc("GET /status/feed.atom", p.atom)
	// Its own copies of the assets: /static/ belongs to the incident
	// pages, which may not be served.
	for name, typ := range map[string]string{"status.css": "text/css; charset=utf-8", "favicon.svg": "image/svg+xml"} {
		body, err := fs.ReadFile(staticFiles, "static/"+name)
		if err != nil {
			return nil, fmt.Errorf("read embedded %s: %w", name, err)
		}
		p.mux.HandleFunc("GET /status/"+name, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", typ)
			w.Header().Set("Cache-Control", "public, max-age=300")
			_, _ = w.Write(body)
		})
	}
	return p, nil
}

// Register routes the public paths on mux. It is separate from
// Server.Register because these pages are served where the incident
// pages are not (a non-loopback address without sign-in).
func (p *StatusPages) Register(mux *http.ServeMux) {
	for _, pattern := range []string{"GET /status", "GET /status.json", "GET /status/feed.atom", "GET /status/status.css", "GET /status/favicon.svg"} {
		mux.Handle(pattern, p)
	}
}

func (p *StatusPages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	p.mux.ServeHTTP(w, r)
}

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
	return !inc.Private && (len(inc.Public) > 0 || len(inc.ComponentLog) > 0)
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
		if inc.Private { // published() leaves them out already; this is the rule, said twice on purpose
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
				if c.At.Before(dayEnd) && !until.Before(dayStart) && c.State.Rank() > days[d].State.Rank() {
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

// state reads and builds the public state for a request.
// A page open to the internet may be asked for far more often than it
// changes: within CacheFor of the last read, requests share it, and one
// read at a time goes to the store.
func (p *StatusPages) state(r *http.Request) (statusView, error) {
	p.cacheMu.Lock()
	defer p.cacheMu.Unlock()
	now := p.now()
	if p.cfg.CacheFor > 0 && !p.cachedAt.IsZero() && now.Sub(p.cachedAt) < p.cfg.CacheFor && !now.Before(p.cachedAt) {
		return p.cached, nil
	}
	list, from, err := p.load(r.Context(), now)
	if err != nil {
		return statusView{}, err
	}
	p.cached, p.cachedAt = p.view(list, from, now), now
	return p.cached, nil
}

// html serves GET /status.
func (p *StatusPages) html(w http.ResponseWriter, r *http.Request) {
	v, err := p.state(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := p.page.Execute(&buf, v); err != nil {
		p.fail(w, r, fmt.Errorf("render status page: %w", err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = buf.WriteTo(w)
}

// json serves GET /status.json.
func (p *StatusPages) json(w http.ResponseWriter, r *http.Request) {
	v, err := p.state(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if v.Incidents == nil {
		v.Incidents = []publicIncident{}
	}
	if v.Past == nil {
		v.Past = []publicIncident{}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// fail answers a request the store could not serve: the public pages
// tell nothing of why, the log does.
func (p *StatusPages) fail(w http.ResponseWriter, r *http.Request, err error) {
	p.log.Error().Err(err).Str("path", r.URL.Path).Msg("status page failed")
	http.Error(w, "The status page is unavailable right now; please try again shortly.", http.StatusServiceUnavailable)
}
