// Package teams is muster's Microsoft Teams platform: it authenticates and
// translates what the Bot Framework sends (@mentions, card clicks, channel
// messages) into muster events, and posts the bot's messages as Adaptive
// Cards through the Bot Connector, with war rooms made as channels through
// Microsoft Graph. It holds no incident logic.
package teams

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/inbound"
	"github.com/muster-bot/muster/internal/pause"
)

// Name is the platform name Teams events carry.
const Name = "teams"

// Defaults for the service addresses; tests point them at fakes.
const (
	DefaultGraphURL       = "https://graph.microsoft.com/v1.0"
	DefaultLoginURL       = "https://login.microsoftonline.com"
	DefaultOpenIDMetadata = "https://login.botframework.com/v1/.well-known/openidconfiguration"
	DefaultServiceURL     = "https://smba.trafficmanager.net/teams/"
)

// settingServiceURL is where the last Bot Connector address Teams used is
// kept, so proactive messages (reminders) reach it after a restart.
const settingServiceURL = "teams.service_url"

// Settings keeps small values across restarts; *store.DB satisfies it.
type Settings interface {
	Setting(ctx context.Context, key string) (string, error)
	SetSetting(ctx context.Context, key, value string) error
}

// Config configures the Teams platform.
type Config struct {
	AppID, AppPassword, TenantID string
	// TeamID is the team's Microsoft 365 group id. With it, war rooms are
	// channels made through Graph; without it, threads in
	// AnnounceChannelID.
	TeamID               string
	AnnounceChannelID    string
	GraphURL             string
	LoginURL             string
	OpenIDMetadataURL    string
	ServiceURL           string // Bot Connector address until Teams tells us its own
	AllowUnauthenticated bool   // local emulator only
	HTTPClient           *http.Client
	Now                  func() time.Time
	Wait                 func(ctx context.Context, d time.Duration) error
	// Observe, when set, is told of every activity acknowledged (kind
	// "activity"): the HTTP status and the time from receipt to it.
	Observe func(kind string, code int, d time.Duration)
	// Call, when set, is told of every call attempt to the Bot Connector
	// ("connector"), Graph ("graph") or the login endpoint ("token") and
	// its result: ok, rate_limited or error.
	Call func(method, result string)
	// Bodies bounds the request bodies read at once before their token is
	// checked; nil, no bound.
	Bodies *inbound.Gate
}

// Platform is the Teams platform. It implements bot.Platform and the
// room, announcement, user lookup and room link capabilities.
type Platform struct {
	cfg       Config
	log       zerolog.Logger
	validator *validator
	api       *api
	settings  Settings

	mu         sync.Mutex
	serviceURL string
	names      map[string]string // user id → display name, for mentions
	work       sync.WaitGroup

	// roster is the team's members by lowercased e-mail and user
	// principal name, read at rosterAt (see UsersByEmail); one read at a
	// time.
	rosterMu sync.Mutex
	roster   *roster
	rosterAt time.Time
}

// New returns the Teams platform.
func New(cfg Config, settings Settings, log zerolog.Logger) *Platform {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Wait == nil {
		cfg.Wait = pause.For
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Observe == nil {
		cfg.Observe = func(string, int, time.Duration) {}
	}
	if cfg.Call == nil {
		cfg.Call = func(string, string) {}
	}
	for _, d := range []struct {
		v   *string
		def string
	}{
		{&cfg.GraphURL, DefaultGraphURL}, {&cfg.LoginURL, DefaultLoginURL},
		{&cfg.OpenIDMetadataURL, DefaultOpenIDMetadata}, {&cfg.ServiceURL, DefaultServiceURL},
	} {
		if *d.v == "" {
			*d.v = d.def
		}
	}
	tenant := cfg.TenantID
	if tenant == "" {
		tenant = "botframework.com" // multi-tenant bots, created before mid-2025
	}
	p := &Platform{cfg: cfg, log: log.With().Str("platform", Name).Logger(), settings: settings, serviceURL: cfg.ServiceURL, names: map[string]string{}}
	p.api = &api{
		tokens: &tokens{loginURL: cfg.LoginURL, tenant: tenant, appID: cfg.AppID, password: cfg.AppPassword, client: cfg.HTTPClient, now: cfg.Now, called: cfg.Call},
		client: cfg.HTTPClient, wait: cfg.Wait, called: cfg.Call,
	}
	p.validator = &validator{appID: cfg.AppID, metadataURL: cfg.OpenIDMetadataURL, client: cfg.HTTPClient, now: cfg.Now}
	if cfg.AllowUnauthenticated {
		p.log.Warn().Msg("TEAMS AUTHENTICATION IS OFF (teams.allow_unauthenticated): anyone who can reach /api/messages can act as any user. Use this only with a local emulator.")
	}
	return p
}

// Connect restores the Bot Connector address saved by an earlier run.
func (p *Platform) Connect(ctx context.Context) error {
	if p.settings == nil {
		return nil
	}
	saved, err := p.settings.Setting(ctx, settingServiceURL)
	if err != nil {
		return err
	}
	if saved != "" {
		p.mu.Lock()
		p.serviceURL = saved
		p.mu.Unlock()
	}
	return nil
}

// Ready reports whether Teams can reach the bot; it always can once the
// HTTP endpoint is up.
func (p *Platform) Ready() bool { return true }

// Drain waits for the work started after acknowledgements.
func (p *Platform) Drain() { p.work.Wait() }

// rescue, deferred by the goroutine that handles a command, recovers a
// panic: one bad command must not end the process and every request in
// flight with it. The panic is logged with its stack, and the person who
// asked is answered in the conversation (Teams has no private reply).
func (p *Platform) rescue(ctx context.Context, ev muster.Event) {
	v := recover()
	if v == nil {
		return
	}
	p.log.Error().Str("panic", fmt.Sprint(v)).Str("stack", string(debug.Stack())).Str("kind", string(ev.Kind)).
		Str("user", ev.User).Msg("handling a teams activity panicked")
	msg := muster.Message{Text: "⚠️ " + muster.ErrorMessage(fmt.Errorf("panic: %v", v))}
	if err := p.Reply(ctx, ev, msg); err != nil {
		p.log.Error().Err(err).Str("user", ev.User).Msg("tell the user their request failed")
	}
}

func (p *Platform) service() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.TrimSuffix(p.serviceURL, "/") + "/"
}

// learn remembers the Bot Connector address and the names Teams sent.
func (p *Platform) learn(ctx context.Context, serviceURL string, names map[string]string) {
	p.mu.Lock()
	changed := serviceURL != "" && serviceURL != p.serviceURL
	if changed {
		p.serviceURL = serviceURL
	}
	for id, name := range names {
		if id != "" && name != "" {
			p.names[id] = name
		}
	}
	p.mu.Unlock()
	if changed && p.settings != nil {
		if err := p.settings.SetSetting(ctx, settingServiceURL, serviceURL); err != nil {
			p.log.Warn().Err(err).Msg("save the Bot Connector address")
		}
	}
}

// DisplayName is the name Teams gave with the person's activities or
// mentions, for readers outside Teams such as webhook receivers; "" when
// none came yet.
func (p *Platform) DisplayName(ctx context.Context, id string) string { return p.name(id) }

func (p *Platform) name(id string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.names[id]
}
