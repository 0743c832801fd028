// Package slack is muster's Slack platform: it verifies and translates what
// Slack sends (slash commands, button clicks, the declare form, message
// events) into muster events, and turns the bot's messages into Block Kit
// through the Slack Web API. It holds no incident logic.
//
// Requests come in through http.go (each one verified there) or socket.go;
// events.go translates message events, command.go slash commands (and
// carries the bot's reply in their acknowledgement), interact.go clicks
// and the declare form. Out go posts through outbound.go, in the Block
// Kit of render.go and text.go; call.go retries a call, health.go says
// whether Slack can be used.
package slack

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/rs/zerolog"
	goslack "github.com/slack-go/slack"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/inbound"
	"github.com/muster-bot/muster/internal/pause"
)

// Name is the platform name Slack events carry.
const Name = "slack"

// Config configures the Slack platform.
type Config struct {
	APIURL          string            // Web API base URL, ending in "/"
	BotToken        string            // xoxb-…
	SigningSecret   string            // verifies HTTP requests
	AppToken        string            // xapp-…, for Socket Mode
	AnnounceChannel string            // channel id for stakeholder announcements
	Severities      muster.Severities // offered in the declare form
	DefaultSeverity string
	HTTPClient      *http.Client
	Now             func() time.Time
	// Wait sleeps between retries of a rate-limited or failing call; tests
	// pass one that does not sleep. Nil waits for real.
	Wait func(ctx context.Context, d time.Duration) error
	// MaxAttempts bounds the tries of one Web API call (default 5).
	MaxAttempts int
	// AsyncTimeout bounds the work done after a request is acknowledged
	// (default 2 minutes).
	AsyncTimeout time.Duration
	// Observe, when set, is told of every request acknowledged: its kind
	// (command, interaction, event), the HTTP status of the
	// acknowledgement (200 for a Socket Mode ack, 500 for an event left
	// unacknowledged for Slack to retry) and the time from receipt to it.
	Observe func(kind string, code int, d time.Duration)
	// Call, when set, is told of every Web API call attempt: its method
	// and result (ok, rate_limited or error).
	Call func(method, result string)
	// Bodies bounds the request bodies read at once before their
	// signature is checked; nil, no bound.
	Bodies *inbound.Gate
	// InlineWait is how long a slash command's acknowledgement waits for
	// the bot's answer (default InlineWait).
	InlineWait time.Duration
	// TeamID, EnterpriseID and AppID, when set, are the workspace,
	// organisation and app muster is installed in: a signed request from
	// another is refused.
	TeamID, EnterpriseID, AppID string
}

// Platform is the Slack platform. It implements bot.Platform and the
// optional capabilities: rooms, invites, topics, announcements, user
// lookup and room links.
type Platform struct {
	cfg     Config
	api     *goslack.Client
	log     zerolog.Logger
	secret  []byte
	botUser string // the bot's own user id, to ignore its own messages

	mu        sync.Mutex
	connected bool // the Socket Mode socket is up (always true over HTTP)
	health    health
	work      sync.WaitGroup // work still running after an ack
	names     sync.Map       // user id → display name, as users.info gave it
	byEmail   sync.Map       // lowercase e-mail → peopleEntry, as users.lookupByEmail gave it
	// slots bounds that work: when Slack sends faster than the bot can
	// post, acknowledgements wait for a free slot instead of piling up
	// goroutines without end.
	slots chan struct{}
}

// maxAsync is how many acknowledged requests may be worked on at once.
const maxAsync = 256

// SlotWait is how long a request waits for a free worker before it is
// refused as overload, well inside Slack's three seconds.
const SlotWait = time.Second

// New returns the Slack platform; Connect checks the token.
func New(cfg Config, log zerolog.Logger) *Platform {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Wait == nil {
		cfg.Wait = pause.For
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.AsyncTimeout <= 0 {
		cfg.AsyncTimeout = 2 * time.Minute
	}
	if cfg.InlineWait <= 0 {
		cfg.InlineWait = InlineWait
	}
	if cfg.Observe == nil {
		cfg.Observe = func(string, int, time.Duration) {}
	}
	if cfg.Call == nil {
		cfg.Call = func(string, string) {}
	}
	if cfg.HTTPClient == nil {
		// Keep as many idle connections to Slack as requests may be worked
		// on at once; Go's default of two per host would open a new TLS
		// connection for almost every post under load.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns, t.MaxIdleConnsPerHost = maxAsync, maxAsync
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second, Transport: t}
	}
	opts := []goslack.Option{goslack.OptionAPIURL(cfg.APIURL), goslack.OptionHTTPClient(cfg.HTTPClient)}
	if cfg.AppToken != "" {
		opts = append(opts, goslack.OptionAppLevelToken(cfg.AppToken))
	}
	return &Platform{
		cfg: cfg, api: goslack.New(cfg.BotToken, opts...), log: log.With().Str("platform", Name).Logger(),
		secret: []byte(cfg.SigningSecret), slots: make(chan struct{}, maxAsync),
		connected: cfg.AppToken == "", // Socket Mode is connected once its socket is
		health:    health{down: errNotChecked},
	}
}

func (p *Platform) setConnected(c bool) {
	p.mu.Lock()
	p.connected = c
	p.mu.Unlock()
}

// Drain waits for the work started after acknowledgements to finish, so
// a shutdown does not cut a declaration in half.
func (p *Platform) Drain() { p.work.Wait() }

// async runs the slow part of a request (creating channels, inviting,
// posting) after Slack got its acknowledgement within three seconds. It
// returns false, having run nothing, when every worker stayed busy for
// SlotWait: Slack gives up on an acknowledgement after three seconds, and
// a person who sees a timeout types the command again, so better to say
// at once that the bot is overloaded than to ack late.
func (p *Platform) async(ev muster.Event, work func(ctx context.Context)) bool {
	wait := time.NewTimer(SlotWait)
	defer wait.Stop()
	select {
	case p.slots <- struct{}{}:
	case <-wait.C:
		p.log.Error().Str("kind", string(ev.Kind)).Str("user", ev.User).Msg("overloaded: every worker is busy; request refused")
		return false
	}
	p.work.Add(1)
	go func() {
		defer func() { <-p.slots; p.work.Done() }()
		ctx, cancel := context.WithTimeout(context.Background(), p.cfg.AsyncTimeout)
		defer cancel()
		work(ctx)
	}()
	return true
}

// handleLater hands ev to the bot after the acknowledgement: a click or a
// submitted form, whose answers go through the response_url.
// An overloaded bot drops it (logged by async): Slack shows the person
// that the click did nothing, and they click again.
func (p *Platform) handleLater(h muster.Handler, ev muster.Event) {
	p.async(ev, func(ctx context.Context) {
		defer p.rescue(ctx, ev, p.tell)
		if err := h.Handle(ctx, ev); err != nil {
			p.log.Error().Err(err).Str("kind", string(ev.Kind)).Str("user", ev.User).Str("channel", ev.Room).Msg("handle slack request")
		}
	})
}

// rescue, deferred by the goroutines that handle requests, recovers a
// panic: one bad request must not end the process and every request in
// flight with it. The panic is logged with its stack, and the person who
// asked is told, through tell, that it failed.
func (p *Platform) rescue(ctx context.Context, ev muster.Event, tell func(context.Context, muster.Event, muster.Message)) {
	v := recover()
	if v == nil {
		return
	}
	p.log.Error().Str("panic", fmt.Sprint(v)).Str("stack", string(debug.Stack())).Str("kind", string(ev.Kind)).
		Str("user", ev.User).Str("channel", ev.Room).Msg("handling a slack request panicked")
	if ev.User == "" || (ev.Kind != muster.EventCommand && ev.Kind != muster.EventAction) {
		return // a message event: nobody asked for an answer, and Slack retries it
	}
	tell(ctx, ev, muster.Message{Text: "⚠️ " + muster.ErrorMessage(fmt.Errorf("panic: %v", v))})
}

// tell is Reply for an answer nobody waits on: a failure is logged.
func (p *Platform) tell(ctx context.Context, ev muster.Event, msg muster.Message) {
	if err := p.Reply(ctx, ev, msg); err != nil {
		p.log.Error().Err(err).Str("user", ev.User).Msg("answer privately")
	}
}
