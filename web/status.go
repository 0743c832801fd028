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
