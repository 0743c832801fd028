// Package web serves muster's incident pages and its JSON API: what the
// store holds, read through the small Store interface declared here and
// rendered with html/template. It decides nothing about incidents: who may
// see one is muster.Incident.Admits, the postmortem is the templates
// package's, and every change still goes through chat.
package web

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/templates"
)

// Store is what the pages read. *store.DB and the etcd store provide it.
type Store interface {
	Incident(ctx context.Context, id int) (*muster.Incident, error)
	Incidents(ctx context.Context, openOnly bool) ([]*muster.Incident, error)
	// IncidentsDeclared lists those declared in [from, to), newest
	// first, at most limit (0: all).
	IncidentsDeclared(ctx context.Context, from, to time.Time, limit int) ([]*muster.Incident, error)
	EntriesAfter(ctx context.Context, id, after, limit int) ([]muster.Entry, error)
	Timeline(ctx context.Context, id int) ([]muster.Entry, error)
	// Setting reads a saved value: the insights read the alert counts
	// (muster.AlertCountKey) with it.
	Setting(ctx context.Context, key string) (string, error)
}

// Postmortem renders a postmortem draft; *templates.Postmortem does.
type Postmortem interface {
	Render(w io.Writer, d templates.Data) error
}

// Config is what the pages need of muster's configuration.
type Config struct {
	Severities muster.Severities // the ladder, most severe first: colours and filters
	Roles      muster.Roles      // role names for the roles table
	Services   muster.Services   // the service catalog: the list's service filter
	Postmortem Postmortem        // renders postmortem.md
	// Names gives a chat user id's display name; nil, or "", shows the id.
	Names func(id string) string
	// APIToken is MUSTER_API_TOKEN. Empty, the API is not served at all
	// (404, as for any unknown path): a deployment that set no token has
	// no API to probe.
	APIToken string
	// SignIn, when set, signs people in: every page but the public ones
	// (publicPath) wants a session, and a person sees the private
	// incidents People says they are a member of. Nil, nobody is signed
	// in and the pages show only what is not private.
	SignIn SignIn
	// People finds a signed-in person's chat identities; nil, none.
	People People
	// LivePoll is how often a live incident page's stream reads the store
	// (1s when zero); LiveFor how long one stream lasts before the
	// browser reconnects (5m when zero).
	LivePoll, LiveFor time.Duration
}

// SignIn is OpenID Connect sign-in; *signin.Auth is one. It serves the
// sign-in routes (GET /signin?next=, GET /auth/callback, POST /signout)
// and says whose session a request carries.
type SignIn interface {
	http.Handler
	Email(r *http.Request) (string, bool)
}

// People finds the chat users that have an e-mail address: on each
// platform that can tell, the Events' Platform and User. An address
// nobody has is no users and no error.
type People interface {
	UsersByEmail(ctx context.Context, email string) ([]muster.Event, error)
}

// Page sizes: the incident list and the timeline are read a page at a
// time, so a long incident or a long history costs one page to show.
const (
	listPage     = 50
	timelinePage = 100
	apiMaxLimit  = 1000
)

//go:embed html/*.html
var htmlFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Server is the pages and the API, an http.Handler.
type Server struct {
	store Store
	cfg   Config
	now   func() time.Time
	log   zerolog.Logger
	pages map[string]*template.Template
	mux   *http.ServeMux

	livePoll, liveFor time.Duration
	stopping          chan struct{} // closed by Stop: the live streams end
	stopOnce          sync.Once

	cadences muster.CadenceMemo // settled cadences, for /insights
}

// New parses the embedded templates and routes the pages and the API.
func New(store Store, cfg Config, now func() time.Time, log zerolog.Logger) (*Server, error) {
	if cfg.Roles == nil {
		cfg.Roles = muster.DefaultRoles()
	}
	if cfg.Severities == nil {
		cfg.Severities = muster.DefaultSeverities()
	}
	s := &Server{store: store, cfg: cfg, now: now, log: log, pages: map[string]*template.Template{}, mux: http.NewServeMux(),
		livePoll: cmp.Or(cfg.LivePoll, livePoll), liveFor: cmp.Or(cfg.LiveFor, liveFor), stopping: make(chan struct{})}
	for _, name := range []string{"list", "incident", "error", "insights", "postmortem", "status_internal"} {
		t, err := template.New("layout.html").Funcs(s.funcs()).ParseFS(htmlFiles, "html/layout.html", "html/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse web template %s: %w", name, err)
		}
		s.pages[name] = t
	}
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		return nil, fmt.Errorf("open embedded static files: %w", err)
	}
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /{$}", s.list)
	s.mux.HandleFunc("GET /incidents/{n}", s.incident)
	s.mux.HandleFunc("GET /incidents/{n}/postmortem.md", s.postmortemMarkdown)
	s.mux.HandleFunc("GET /incidents/{n}/postmortem", s.postmortemPage)
	s.mux.HandleFunc("GET /incidents/{n}/events", s.events)
	s.mux.HandleFunc("GET /insights", s.insightsPage)
	s.mux.HandleFunc("GET /status/internal", s.statusInternal)
	if cfg.SignIn != nil {
		for _, pattern := range signInRoutes {
			s.mux.Handle(pattern, cfg.SignIn)
		}
	}
	if cfg.APIToken != "" {
		s.mux.Handle("GET /api/v1/incidents", s.authorized(s.apiList))
		s.mux.Handle("GET /api/v1/incidents/{n}", s.authorized(s.apiIncident))
		s.mux.Handle("GET /api/v1/incidents/{n}/timeline", s.authorized(s.apiTimeline))
	}
	return s, nil
}

// Stop ends the live incident streams, now and any opened later. An
// http.Server shutting down waits for its requests to end, and a stream
// would hold it for the whole of its lifetime; the browsers reconnect to
// whichever muster serves next. Call it when the server starts shutting
// down (http.Server.RegisterOnShutdown); calling it again does nothing.
func (s *Server) Stop() { s.stopOnce.Do(func() { close(s.stopping) }) }

// Register routes the paths of the pages and the API on mux, to s. Each
// is a GET pattern of its own, so that mux's other routes keep their
// answers to other methods and paths (405, 404).
func (s *Server) Register(mux *http.ServeMux) {
	for _, pattern := range []string{"GET /{$}", "GET /incidents/", "GET /insights", "GET /status/internal", "GET /static/", "GET /api/v1/"} {
		mux.Handle(pattern, s)
	}
	if s.cfg.SignIn != nil {
		for _, pattern := range signInRoutes {
			mux.Handle(pattern, s)
		}
	}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The pages load nothing but their own stylesheet and script, and the
	// script connects only to the page's own event stream: the policy says
	// so, so that a title or message that slipped past the escaping still
	// could not run (no inline script) or phone home.
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "same-origin")
	if s.cfg.SignIn != nil && !publicPath(r.URL.Path) {
		if _, ok := s.cfg.SignIn.Email(r); !ok {
			h.Set("Cache-Control", "no-store")
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// lookup returns incident n of the request's path if whoever asks may see
// it. A private incident answers exactly as a missing one.
func (s *Server) lookup(r *http.Request) (*muster.Incident, int, error) {
	n, ok := muster.ParseRef(r.PathValue("n"))
	if !ok {
		return nil, 0, muster.Errorf(muster.EINVALID, "%q is not an incident number; use a number such as 42 or INC-42.", r.PathValue("n"))
	}
	inc, err := s.store.Incident(r.Context(), n)
	if err != nil {
		return nil, n, err
	}
	if !inc.AdmitsAnyOf(s.viewer(r)) {
		return nil, n, muster.NoIncident(n)
	}
	return inc, n, nil
}

// viewer is who asks: the chat identities of the person signed in, found
// by their e-mail. Nobody (none) without sign-in, for the API's scripts,
// and when the lookup fails (logged): the pages then show only what is
// not private, which is never more than the person may see.
func (s *Server) viewer(r *http.Request) []muster.Event {
	if s.cfg.SignIn == nil || s.cfg.People == nil {
		return nil
	}
	email, ok := s.cfg.SignIn.Email(r)
	if !ok {
		return nil
	}
	who, err := s.cfg.People.UsersByEmail(r.Context(), email)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			s.log.Warn().Err(err).Str("email", email).Msg("find the chat users of a signed-in person; showing only incidents that are not private")
		}
		return nil
	}
	return who
}

// visible keeps the incidents the request's viewer may see.
func (s *Server) visible(r *http.Request, list []*muster.Incident) []*muster.Incident {
	return muster.VisibleToAnyOf(list, s.viewer(r))
}

// status is the HTTP status of an error: a domain code, or 500 for
// anything else (which is logged, and not shown).
func status(err error) int {
	switch muster.ErrorCode(err) {
	case muster.ENOTFOUND:
		return http.StatusNotFound
	case muster.EINVALID:
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// message is what a person is told of err: the domain's sentence, or a
// plain apology for an internal error, whose chain goes to the log.
func (s *Server) message(r *http.Request, err error) string {
	if status(err) == http.StatusInternalServerError {
		if !errors.Is(err, context.Canceled) {
			s.log.Error().Err(err).Str("path", r.URL.Path).Msg("web request failed")
		}
		return "Something went wrong reading the store; the error is logged."
	}
	return muster.ErrorMessage(err)
}

// intParam reads a non-negative integer query parameter, def when absent.
func intParam(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, muster.Errorf(muster.EINVALID, "%s=%q is not a number; give a whole number of 0 or more.", name, v)
	}
	return n, nil
}

// signInRoutes are sign-in's own routes, served by Config.SignIn.
var signInRoutes = []string{"GET /signin", "GET /auth/callback", "POST /signout"}

// publicPaths are open to anyone when sign-in is on: the public status
// page and its feeds, safe to expose by design. Prefixes end in "/".
// /static/ holds only the stylesheet, script and icon; /api/v1/ has its
// bearer token instead of a session (scripts do not sign in).
var publicPaths = []string{"/status", "/status.json", "/status/feed.atom", "/static/", "/api/v1/", "/signin", "/auth/callback", "/signout"}

// publicPath reports whether path is served without a session. Anything
// not listed wants one, so that a page added later is behind sign-in
// unless it is listed here.
func publicPath(path string) bool {
	for _, p := range publicPaths {
		if path == p || (strings.HasSuffix(p, "/") && strings.HasPrefix(path, p)) {
			return true
		}
	}
	return false
}
