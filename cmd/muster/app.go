package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/user"
	"slices"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
	"github.com/muster-bot/muster/bot/alerthook"
	"github.com/muster-bot/muster/bot/alertmanager"
	"github.com/muster-bot/muster/bot/console"
	"github.com/muster-bot/muster/bot/pagerhook"
	"github.com/muster-bot/muster/bot/slack"
	"github.com/muster-bot/muster/bot/teams"
	"github.com/muster-bot/muster/calendar"
	"github.com/muster-bot/muster/commands"
	"github.com/muster-bot/muster/config"
	"github.com/muster-bot/muster/internal/inbound"
	"github.com/muster-bot/muster/metrics"
	"github.com/muster-bot/muster/templates"
	"github.com/muster-bot/muster/web"
	"github.com/muster-bot/muster/webhooks"
)

var (
	_ muster.Handler  = (*bot.Bot)(nil) // every platform hands its events to the bot
	_ bot.Platform    = (*console.Console)(nil)
	_ bot.RoomCreator = (*console.Console)(nil)
	_ bot.Observer    = (*metrics.Metrics)(nil)

	// Teams cannot open a private room the bot may post in, nor reply to
	// one person: private incidents live in their declaring thread.
	_ bot.ThreadRoomer  = (*teams.Platform)(nil)
	_ bot.PublicReplier = (*teams.Platform)(nil)
	_ bot.RoomCreator   = (*slack.Platform)(nil)
)

// Options are the process's surroundings, given so a test can boot the
// whole program in-process.
type Options struct {
	Console bool // run the console platform on Stdin/Stdout
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Getenv  func(string) string
	Now     func() time.Time // nil: time.Now
	// Listener, when set, serves HTTP on it instead of http.listen (tests
	// pass a listener on 127.0.0.1:0). The console serves its incident
	// pages on it too; without it, on 127.0.0.1 at http.listen's port.
	Listener net.Listener
	// MetricsListener, when set, serves /metrics on it alone instead of
	// on metrics.listen.
	MetricsListener net.Listener
	// Wait sleeps between retries of Slack's calls and of its auth.test;
	// nil sleeps for real.
	Wait func(ctx context.Context, d time.Duration) error
}

// App is the whole program: store, commands, bot, platforms and HTTP.
type App struct {
	cfg      *config.Config
	opts     Options
	log      zerolog.Logger
	db       storage
	elect    elect // runs the reminders and scheduled jobs while this replica leads
	bot      *bot.Bot
	console  *console.Console
	slack    *slack.Platform
	teams    *teams.Platform
	webhooks *webhooks.Deliverer
	clock    *console.Clock
	http     *http.Server
	pages    *web.Server // nil when web.enabled is false
	status   *web.StatusPages
	// bodies bounds the request bodies read at once before a platform has
	// checked who sent them, over every endpoint.
	bodies *inbound.Gate
	// registry holds the metrics served at /metrics: muster's own and the
	// Go runtime's and process's.
	registry *prometheus.Registry
	metrics  *metrics.Metrics
}

// New opens the store and wires everything; Run starts it.
func New(cfg *config.Config, opts Options) (*App, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := &App{cfg: cfg, opts: opts, log: newLogger(cfg, opts)}
	a.bodies = inbound.NewGate(cfg.HTTP.MaxPendingBodies, a.log.With().Str("component", "http").Logger())
	a.log.Debug().Interface("config", cfg.Redacted()).Msg("configuration loaded")
	if !opts.Console && !cfg.SlackEnabled() && !cfg.TeamsEnabled() {
		return nil, errors.New("no chat platform is configured (set SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET or SLACK_APP_TOKEN, or TEAMS_APP_ID with TEAMS_APP_PASSWORD); run `muster` without a command for the local console")
	}
	if !opts.Console {
		// The console serves its pages on loopback whatever http.listen says.
		if err := cfg.PagesRefused(a.Addr()); err != nil {
			return nil, err
		}
	}
	pm, err := templates.New(cfg.Templates.Dir)
	if err != nil {
		return nil, fmt.Errorf("load postmortem template: %w", err)
	}
	db, elect, err := openStore(context.Background(), cfg.Store, a.log)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	a.db, a.elect = db, elect
	a.clock = console.NewClock(opts.Now)
	now := a.clock.Now
	if urls := cfg.Webhooks.URLs; len(urls) > 0 {
		a.webhooks = webhooks.New(webhooks.Config{URLs: urls, Secret: cfg.Webhooks.Secret, Names: a.displayName}, now, a.log.With().Str("component", "webhooks").Logger())
	}
	a.registry = prometheus.NewRegistry()
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	services := cfg.ServiceCatalog(opts.Getenv)
	m := metrics.New(a.registry, db, cfg.SeverityLadder().Names(), services.Names())
	a.metrics = m
	if cfg.Web.Enabled {
		auth, err := a.signIn()
		if err == nil {
			a.pages, err = web.New(db, web.Config{
				Severities: cfg.SeverityLadder(), Roles: cfg.RoleList(), Services: services, Postmortem: pm, APIToken: cfg.Web.APIToken,
				Names: a.pageName, SignIn: auth, People: chatPeople{a},
			}, now, a.log.With().Str("component", "web").Logger())
		}
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("load web pages: %w", err)
		}
	}
	if a.status, err = web.NewStatus(db, statusConfig(cfg.StatusPage), now, a.log.With().Str("component", "statuspage").Logger()); err != nil {
		db.Close()
		return nil, fmt.Errorf("load status pages: %w", err)
	}
	tracked, err := trackerConfig(cfg, now)
	if err != nil {
		db.Close()
		return nil, err
	}
	cmds := commands.New(db, pm, commands.Config{
		Severities:      cfg.SeverityLadder(),
		DefaultSeverity: cfg.DefaultSeverity,
		Roles:           cfg.RoleList(),
		Runbooks:        cfg.RunbookList(),
		Permissions:     cfg.PermissionList(),
		Location:        cfg.Location(),
		Components:      componentNames(cfg.StatusPage),
		Services:        services,
		ShareChannel:    cfg.Postmortem.ShareChannel,
		Files:           tracked.Files,
	}, now)
	mirror, mirrored := statuspageMirror(cfg.StatusPage)
	a.bot = bot.New(db, cmds, bot.Config{
		Severities: cfg.SeverityLadder(),
		Roles:      cfg.RoleList(),
		RoomPrefix: cfg.WarRoom.Prefix,
		RoomPrefixes: map[string]string{
			slack.Name: cfg.SlackChannelPrefix(),
		},
		RoomDate:   cfg.WarRoom.Date,
		Responders: cfg.WarRoom.Responders,
		NoICAfter:  cfg.Reminders.NoICAfter.Duration,
		ExportDir:  cfg.Templates.ExportDir,
		Observer:   m,
		Mirror:     mirror, MirrorComponents: mirrored,
		Tracker: tracked,
		Paging:  pagingConfig(cfg, services),
		Postmortem: bot.PostmortemConfig{
			Window: cfg.Postmortem.Window(), Location: cfg.Location(), RemindEvery: cfg.Postmortem.RemindEvery.Duration,
			ShareChannel: cfg.Postmortem.ShareChannel, WebURL: cfg.Web.PublicURL, People: a.reviewPerson,
		},
	}, a.log, now)
	if opts.Console {
		name := cfg.Console.User
		if name == "" {
			name = osUser(opts.Getenv)
		}
		a.console = console.New(opts.Stdout, name, isTerminal(opts.Stdin), a.clock, db, cfg.Reminders.Tick.Duration)
		a.bot.Register(console.Name, a.console)
		return a, nil
	}
	if cfg.TeamsEnabled() {
		a.teams = teams.New(teams.Config{
			AppID: cfg.Teams.AppID, AppPassword: cfg.Teams.AppPassword, TenantID: cfg.Teams.TenantID,
			TeamID: cfg.Teams.TeamID, AnnounceChannelID: cfg.Teams.AnnounceChannelID,
			GraphURL: cfg.Teams.GraphURL, LoginURL: cfg.Teams.LoginURL, OpenIDMetadataURL: cfg.Teams.OpenIDMetadataURL,
			ServiceURL: cfg.Teams.ServiceURL, AllowUnauthenticated: cfg.Teams.AllowUnauthenticated, Now: opts.Now,
			Observe: m.Request(teams.Name), Call: m.Call(teams.Name), Bodies: a.bodies,
		}, db, a.log)
		a.bot.Register(teams.Name, a.teams)
	}
	if !cfg.SlackEnabled() {
		return a, nil
	}
	a.slack = slack.New(slack.Config{
		APIURL:          cfg.Slack.APIURL,
		BotToken:        cfg.Slack.BotToken,
		SigningSecret:   cfg.Slack.SigningSecret,
		AppToken:        cfg.Slack.AppToken,
		AnnounceChannel: cfg.Slack.AnnounceChannel,
		Severities:      cfg.SeverityLadder(),
		DefaultSeverity: cfg.DefaultSeverity,
		Now:             opts.Now,
		Observe:         m.Request(slack.Name),
		Call:            m.Call(slack.Name),
		Bodies:          a.bodies,
		Wait:            opts.Wait,
		TeamID:          cfg.Slack.TeamID,
		EnterpriseID:    cfg.Slack.EnterpriseID,
		AppID:           cfg.Slack.AppID,
	}, a.log)
	a.bot.Register(slack.Name, a.slack)
	return a, nil
}

// Run serves until ctx is done or, on the console, until input ends.
func (a *App) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if a.console != nil {
		if err := a.rememberRooms(ctx); err != nil {
			return err
		}
		fmt.Fprintf(a.opts.Stdout, "· No chat platform selected: starting the local console. Store: %s\n", a.cfg.Store.Path)
	}
	stopJobs, err := a.lead(ctx)
	if err != nil {
		return err
	}
	defer stopJobs() // before the store closes
	if a.console != nil {
		stopPages := a.consolePages()
		defer stopPages()
		return a.console.Run(ctx, a.opts.Stdin, a.bot, a.bot)
	}
	return a.serve(ctx)
}

// serve runs the HTTP listener (and Slack's socket, in Socket Mode) until
// ctx is done, then stops taking requests and finishes the work in flight.
func (a *App) serve(ctx context.Context) error {
	if a.teams != nil {
		if err := a.teams.Connect(ctx); err != nil {
			return err
		}
	}
	servers, err := a.listen()
	if err != nil {
		return err
	}
	errc := make(chan error, 1+len(servers))
	slackCtx, stopSlack := context.WithCancel(ctx)
	defer stopSlack()
	slackDone := a.startSlack(slackCtx, errc)
	for _, s := range servers {
		go func() {
			if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("serve http on %s: %w", s.ln.Addr(), err)
			}
		}()
	}
	a.log.Info().Str("addr", servers[0].ln.Addr().String()).Bool("slack_http", a.slack != nil && a.cfg.Slack.SigningSecret != "").
		Bool("slack_socket_mode", a.slack != nil && a.cfg.Slack.AppToken != "").Bool("teams", a.teams != nil).
		Bool("separate_metrics", len(servers) > 1).Bool("pages", a.pages != nil).Msg("serving")
	switch {
	case a.pages != nil && a.cfg.Web.SignIn():
		a.log.Info().Str("addr", servers[0].ln.Addr().String()).Str("issuer", a.cfg.Web.OIDC.Issuer).
			Msg("incident pages served with sign-in; the provider is asked for its keys at the first sign-in")
	case a.pages != nil:
		a.log.Info().Str("addr", servers[0].ln.Addr().String()).
			Msg("incident pages served without sign-in, so on this loopback address only (web.enabled: false turns them off)")
	}
	select {
	case err = <-errc:
		a.log.Error().Err(err).Msg("shutting down after a failure")
	case <-ctx.Done():
		a.log.Info().Msg("shutting down: no new requests; finishing the work in flight")
	}
	stopSlack()
	shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, s := range servers {
		if serr := s.srv.Shutdown(shutdown); serr != nil {
			err = errors.Join(err, fmt.Errorf("shut down http on %s: %w", s.ln.Addr(), serr))
		}
	}
	// The socket loop must stop starting work before the work is waited
	// for, and the work must end before the store is closed.
	select {
	case <-slackDone:
	case <-shutdown.Done():
		err = errors.Join(err, errors.New("slack socket mode did not stop in time"))
	}
	if a.slack != nil {
		a.slack.Drain()
	}
	if a.teams != nil {
		a.teams.Drain()
	}
	a.log.Info().Msg("stopped: work in flight finished")
	return err
}

// startSlack checks Slack's token, retrying auth.test until it answers
// (an outage of Slack or of the network at start-up makes muster not
// ready, not a crash loop), and runs Socket Mode when configured, until
// ctx is done. The channel returned is closed once both have stopped.
func (a *App) startSlack(ctx context.Context, errc chan<- error) <-chan struct{} {
	done := make(chan struct{})
	if a.slack == nil {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		socketDone := make(chan struct{})
		go func() {
			defer close(socketDone)
			if a.cfg.Slack.AppToken == "" {
				return
			}
			if err := a.slack.RunSocketMode(ctx, a.bot); err != nil {
				errc <- err
			}
		}()
		a.slack.Authenticate(ctx)
		<-socketDone
	}()
	return done
}

// consolePages serves the incident pages (and /healthz, /metrics) while
// the console runs, on 127.0.0.1 so that nobody else reaches them, and
// prints where. A port already taken costs the pages, not the console.
// The returned func stops the server.
func (a *App) consolePages() (stop func()) {
	if a.pages == nil {
		return func() {}
	}
	addr := consoleAddr(a.cfg.HTTP.Listen)
	ln, err := listenOn(a.opts.Listener, addr)
	if err != nil {
		a.log.Warn().Err(err).Msg("the incident pages are not served; set http.listen to a free port (e.g. 127.0.0.1:8081)")
		return func() {}
	}
	srv := a.server(a.routes())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			a.log.Warn().Err(err).Msg("the incident pages stopped")
		}
	}()
	fmt.Fprintf(a.opts.Stdout, "· Incident pages: http://%s/\n", ln.Addr())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}
}

// consoleAddr is where the console serves its pages: http.listen when
// that is a loopback address, else 127.0.0.1 at its port.
func consoleAddr(listen string) string {
	if config.Loopback(listen) {
		return listen
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		port = "8080"
	}
	return net.JoinHostPort("127.0.0.1", port)
}

// listening is an HTTP server and the listener it is to serve.
type listening struct {
	srv *http.Server
	ln  net.Listener
}

// listen opens http.listen and, when /metrics has a listener of its own,
// metrics.listen; tests give listeners on port 0 instead.
func (a *App) listen() ([]listening, error) {
	ln, err := listenOn(a.opts.Listener, a.cfg.HTTP.Listen)
	if err != nil {
		return nil, err
	}
	a.http = a.server(a.routes())
	servers := []listening{{a.http, ln}}
	if !a.separateMetrics() {
		return servers, nil
	}
	mln, err := listenOn(a.opts.MetricsListener, a.cfg.Metrics.Listen)
	if err != nil {
		ln.Close()
		return nil, err
	}
	return append(servers, listening{a.server(a.metricsRoutes()), mln}), nil
}

// listenOn returns ln when a test gave one, else a listener on addr.
func listenOn(ln net.Listener, addr string) (net.Listener, error) {
	if ln != nil {
		return ln, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// server is an HTTP server for the public endpoints. The headers must
// arrive within the read timeout and an unused keep-alive connection is
// closed after the idle timeout. There is no server-wide write timeout:
// each request gets its read and write deadlines from withDeadlines, so
// that an endpoint that streams (server-sent events) can lift its own.
func (a *App) server(h http.Handler) *http.Server {
	t := a.cfg.HTTP
	srv := &http.Server{
		Handler:           withDeadlines(t.ReadTimeout.Duration, t.WriteTimeout.Duration, h),
		ReadHeaderTimeout: t.ReadTimeout.Duration,
		IdleTimeout:       t.IdleTimeout.Duration,
		ErrorLog:          log.New(httpLog{a.log}, "", 0),
	}
	if a.pages != nil {
		// Shutdown waits for every request; the pages' live streams end
		// as it starts, or they would hold it for minutes.
		srv.RegisterOnShutdown(a.pages.Stop)
	}
	return srv
}

// withDeadlines gives every request read to read its body and write to
// answer, from when its headers have arrived. A client that sends its body
// slowly is cut off at the read deadline (the platforms' body gate logs
// it); one that does not read the answer at the write deadline. The
// deadlines are on the real clock, which the network keeps.
func withDeadlines(read, write time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		now := time.Now()
		// The server's own writers support deadlines; an error here would
		// mean a writer that cannot have them, and the request goes on.
		_ = rc.SetReadDeadline(now.Add(read))
		_ = rc.SetWriteDeadline(now.Add(write))
		next.ServeHTTP(w, r)
	})
}

// httpLog writes net/http's own complaints to the log: a panicking
// handler (recovered by net/http, the connection closed) as an error, the
// rest (a TLS handshake from a port scanner, a broken connection) as info.
type httpLog struct{ log zerolog.Logger }

func (l httpLog) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	e := l.log.Info()
	if strings.Contains(msg, "panic serving") {
		e = l.log.Error()
	}
	e.Str("component", "http").Msg(msg)
	return len(p), nil
}

// separateMetrics reports whether /metrics has a listener of its own.
func (a *App) separateMetrics() bool {
	return a.cfg.Metrics.Listen != "" || a.opts.MetricsListener != nil
}

// Addr is where HTTP is served, once Run has started it (tests listen on
// port 0).
func (a *App) Addr() string {
	if a.opts.Listener != nil {
		return a.opts.Listener.Addr().String()
	}
	return a.cfg.HTTP.Listen
}

func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	if !a.separateMetrics() {
		mux.Handle("GET /metrics", a.metricsHandler())
	}
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := a.db.Ping(r.Context()); err != nil {
			a.log.Warn().Err(err).Msg("not ready")
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		if a.slack != nil {
			if err := a.slack.Health(); err != nil {
				http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		fmt.Fprintln(w, "ready")
	})
	if a.slack != nil && a.cfg.Slack.SigningSecret != "" {
		mux.Handle("/slack/", a.slack.Handler(a.bot))
	}
	if a.teams != nil {
		mux.Handle("/api/messages", a.teams.Handler(a.bot))
	}
	if a.pages != nil {
		a.pages.Register(mux)
	}
	a.status.Register(mux) // public, whatever web.enabled says
	a.trackerRoutes(mux)
	am := a.cfg.Alertmanager
	sevs := map[string]string{}
	for _, m := range am.Severities {
		sevs[strings.ToLower(m.Label)] = m.Severity
	}
	if am.Token != "" {
		mux.Handle("/hooks/alertmanager", alertmanager.Handler(alertmanager.Config{
			Token: am.Token, Platform: am.Platform, Room: am.Room, SeverityLabel: am.SeverityLabel,
			Severities: sevs, DefaultSeverity: a.cfg.DefaultSeverity,
		}, a.bot, a.log))
	}
	if am.AlertToken != "" {
		// Grafana and the generic alert land where Alertmanager's do.
		hc := alerthook.Config{Token: am.AlertToken, Platform: am.Platform, Room: am.Room, SeverityLabel: am.SeverityLabel,
			Severities: sevs, Ladder: a.cfg.SeverityLadder(), DefaultSeverity: a.cfg.DefaultSeverity}
		mux.Handle("POST /hooks/grafana", alerthook.Grafana(hc, a.bot, a.log))
		mux.Handle("POST /hooks/alert", alerthook.Generic(hc, a.bot, a.log))
	}
	if a.cfg.PagerDuty.WebhookSecret != "" {
		services := a.cfg.ServiceCatalog(a.opts.Getenv)
		mux.Handle("POST /hooks/pagerduty", pagerhook.Handler(pagerHook(a.cfg, services), a.bot, a.log.With().Str("component", "pagerduty").Logger()))
	}
	return mux
}

// metricsHandler serves the registry. A store too slow for
// muster_incidents_open leaves that metric out of the scrape, logged,
// rather than failing the whole scrape.
func (a *App) metricsHandler() http.Handler {
	return promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{
		ErrorLog: promLog{a.log}, ErrorHandling: promhttp.ContinueOnError,
	})
}

// metricsRoutes are the routes of metrics.listen: /metrics alone.
func (a *App) metricsRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.metricsHandler())
	return mux
}

// lead runs the jobs only one replica may run (reminders, action-item
// reminders, webhook delivery, key pruning) whenever this one leads, with
// the store elect hands them, and returns a stop that ends them and waits
// for them. With one process
// (bbolt) it leads from the start: the first reminder tick runs before
// lead returns, so what came due while the bot was down goes out first.
func (a *App) lead(ctx context.Context) (stop func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	started := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		first := true
		a.elect(ctx, func(ctx context.Context, jobs storage) {
			stopJobs, err := a.startJobs(ctx, jobs)
			if first {
				started <- err
				first = false
			}
			if err != nil {
				a.log.Error().Err(err).Msg("start scheduled jobs")
				return
			}
			a.metrics.Leading(true)
			<-ctx.Done()
			stopJobs()
			a.metrics.Leading(false)
		})
		if first {
			started <- nil // never led: another replica does
		}
	}()
	stop = func() { cancel(); <-done }
	if a.cfg.Store.Backend == "etcd" {
		return stop, nil // leadership comes when it comes
	}
	if err := <-started; err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

// startJobs starts the leader's jobs, writing through jobs, and returns
// what stops them. The action-item reminders only read and post.
func (a *App) startJobs(ctx context.Context, jobs storage) (stop func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	var stops []func()
	stop = func() {
		cancel()
		for _, s := range slices.Backward(stops) {
			s()
		}
	}
	stopReminders, err := a.bot.StartReminders(ctx, jobs, a.cfg.Reminders.Tick.Duration)
	if err != nil {
		cancel()
		return nil, err
	}
	stops = append(stops, stopReminders)
	if spec := a.cfg.Reminders.Actions; spec != "" && a.console == nil {
		stopActions, err := a.bot.StartActionReminders(ctx, spec)
		if err != nil {
			stop()
			return nil, err
		}
		stops = append(stops, stopActions)
	}
	if a.cfg.Digest.Channel != "" {
		stopDigest, err := a.bot.StartDigest(ctx, jobs, a.digest())
		if err != nil {
			stop()
			return nil, err
		}
		stops = append(stops, stopDigest)
	}
	for _, job := range []func(context.Context, storage){a.pruneKeys, a.deliverWebhooks} {
		done := make(chan struct{})
		go func() { defer close(done); job(ctx, jobs) }()
		stops = append(stops, func() { <-done })
	}
	return stop, nil
}

func (a *App) deliverWebhooks(ctx context.Context, jobs storage) {
	if a.webhooks != nil {
		a.webhooks.Run(ctx, jobs)
	}
}

// pruneKeys forgets old idempotency keys every six hours while the bot
// runs; Slack retries within an hour, the keys are kept a week.
func (a *App) pruneKeys(ctx context.Context, jobs storage) {
	t := time.NewTicker(6 * time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := jobs.PruneKeys(ctx); err != nil {
				a.log.Warn().Err(err).Msg("prune idempotency keys")
			} else {
				a.log.Debug().Int("keys", n).Msg("pruned idempotency keys")
			}
		}
	}
}

// rememberRooms makes the console's war rooms from before a restart
// enterable again, and starts the console clock no earlier than the
// latest time in the store.
func (a *App) rememberRooms(ctx context.Context) error {
	open, err := a.db.Incidents(ctx, false)
	if err != nil {
		return fmt.Errorf("list incidents: %w", err)
	}
	for _, inc := range open {
		if inc.Platform == console.Name && inc.Room != "" {
			a.console.Remember(inc.Room)
		}
		timeline, err := a.db.Timeline(ctx, inc.ID)
		if err != nil {
			return fmt.Errorf("read the timeline of %s: %w", inc.Ref(), err)
		}
		a.clock.NotBefore(console.Latest(inc, timeline))
	}
	return nil
}

// Close releases the store. It is safe after a failed Run.
func (a *App) Close() error {
	if a.db == nil {
		return nil
	}
	if err := a.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// promLog writes promhttp's errors to the log.
type promLog struct{ log zerolog.Logger }

func (l promLog) Println(v ...any) { l.log.Warn().Msg(fmt.Sprint(v...)) }

func newLogger(cfg *config.Config, opts Options) zerolog.Logger {
	var w io.Writer = opts.Stderr
	if cfg.Log.Format == "console" {
		// Colour codes only where a terminal shows them as colours: in a
		// file or a log collector they are noise around every field.
		w = zerolog.ConsoleWriter{Out: opts.Stderr, TimeFormat: time.TimeOnly, NoColor: !isTerminal(opts.Stderr)}
	}
	level, err := zerolog.ParseLevel(cfg.Log.Level)
	if err != nil || cfg.Log.Level == "" {
		level = zerolog.InfoLevel
	}
	if opts.Console && level < zerolog.WarnLevel {
		level = zerolog.WarnLevel // the console is a conversation; routine logs would drown it
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger()
}

func osUser(getenv func(string) string) string {
	if u := getenv("USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "you"
}

// isTerminal reports whether f, the process's input or an output, is a
// terminal.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && isatty.IsTerminal(file.Fd())
}

// pageName is displayName for the pages, whose templates name people as
// they render: a name not yet known is asked for once, briefly (platforms
// keep what they learn), and an answer that is late shows the id.
func (a *App) pageName(id string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return a.displayName(ctx, id)
}

// reviewPerson names a participant of a review invite. No platform tells
// a user's e-mail yet, so the invite names them in its description.
func (a *App) reviewPerson(ctx context.Context, id string) calendar.Person {
	return calendar.Person{Name: a.displayName(ctx, id)}
}

// displayName asks the platforms in turn what a user id is called (the
// ids of one platform mean nothing to another), for webhook receivers.
func (a *App) displayName(ctx context.Context, id string) string {
	name := ""
	if a.slack != nil {
		name = a.slack.DisplayName(ctx, id)
	}
	if name == "" && a.teams != nil {
		name = a.teams.DisplayName(ctx, id)
	}
	if name == "" && a.console != nil {
		name = a.console.DisplayName(ctx, id)
	}
	return name
}
