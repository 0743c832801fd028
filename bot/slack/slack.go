// Package slack is muster's Slack platform: it verifies and translates what
// Slack sends (slash commands, button clicks, the declare form, message
// events) into muster events, and turns the bot's messages into Block Kit
// through the Slack Web API. It holds no incident logic.
package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"
	goslack "github.com/slack-go/slack"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/body"
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
	Bodies *body.Gate
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

// Post sends msg to a channel and returns its ts. A message with a file
// (the postmortem draft) is followed by the file, uploaded into the
// message's thread.
func (p *Platform) Post(ctx context.Context, room string, msg muster.Message) (string, error) {
	fallback, blocks := render(msg)
	opts := []goslack.MsgOption{goslack.MsgOptionText(fallback, false), goslack.MsgOptionBlocks(blocks...)}
	if msg.Thread != "" {
		opts = append(opts, goslack.MsgOptionTS(msg.Thread))
	}
	var ts string
	err := p.call(ctx, "chat.postMessage", func(ctx context.Context) (err error) {
		_, ts, err = p.api.PostMessageContext(ctx, room, opts...)
		return err
	})
	if err != nil {
		return "", err
	}
	if msg.File != nil {
		if err := p.upload(ctx, room, ts, msg.File); err != nil {
			return ts, err
		}
	}
	return ts, nil
}

func (p *Platform) upload(ctx context.Context, room, thread string, f *muster.File) error {
	return p.call(ctx, "files.upload", func(ctx context.Context) error {
		_, err := p.api.UploadFileContext(ctx, goslack.UploadFileParameters{
			Channel: room, ThreadTimestamp: thread, Filename: f.Name, Title: defuse(f.Title),
			Content: string(f.Content), FileSize: len(f.Content),
		})
		return err
	})
}

// Update replaces a message the bot posted (the war-room header).
func (p *Platform) Update(ctx context.Context, room, id string, msg muster.Message) error {
	fallback, blocks := render(msg)
	return p.call(ctx, "chat.update", func(ctx context.Context) error {
		_, _, _, err := p.api.UpdateMessageContext(ctx, room, id, goslack.MsgOptionText(fallback, false), goslack.MsgOptionBlocks(blocks...))
		return err
	})
}

// Reply answers the sender of ev alone (a slash command's first answer
// rides in its acknowledgement instead: see runCommand): through the
// response_url of a slash command or a click when there is one (it works
// in any channel, even one the bot is not in), else as an ephemeral
// message, else, when the bot cannot post in that channel, as a direct
// message.
func (p *Platform) Reply(ctx context.Context, ev muster.Event, msg muster.Message) error {
	if ev.ReplyTo != "" {
		err := p.call(ctx, "response_url", func(ctx context.Context) error {
			return goslack.PostWebhookCustomHTTPContext(ctx, ev.ReplyTo, p.cfg.HTTPClient, ephemeral(msg))
		})
		if err == nil {
			return nil
		}
		p.log.Warn().Err(err).Msg("reply through response_url failed; trying an ephemeral message")
	}
	fallback, blocks := render(msg)
	err := p.call(ctx, "chat.postEphemeral", func(ctx context.Context) error {
		_, err := p.api.PostEphemeralContext(ctx, ev.Room, ev.User, goslack.MsgOptionText(fallback, false), goslack.MsgOptionBlocks(blocks...))
		return err
	})
	if err == nil || ev.Room == ev.User {
		return err
	}
	_, derr := p.Post(ctx, ev.User, msg) // a DM from the app
	if derr != nil {
		return errors.Join(err, derr)
	}
	return nil
}

// CreateRoom creates a channel. A taken name is a conflict, so the bot
// tries the next suffix.
func (p *Platform) CreateRoom(ctx context.Context, name string, private bool) (string, error) {
	var ch *goslack.Channel
	err := p.call(ctx, "conversations.create", func(ctx context.Context) (err error) {
		ch, err = p.api.CreateConversationContext(ctx, goslack.CreateConversationParams{ChannelName: name, IsPrivate: private})
		return err
	})
	if err != nil {
		return "", err
	}
	return ch.ID, nil
}

// Invite brings people into a channel. User ids are invited one by one, so
// that one deactivated account does not keep the others out; a user group
// (S…) is expanded to its members; a channel (C…) is told where the war
// room is. Everyone who could not be reached is named in the error.
func (p *Platform) Invite(ctx context.Context, room string, ids []string) error {
	var failed []string
	var users []string
	for _, id := range ids {
		switch {
		case strings.HasPrefix(id, "S"):
			var members []string
			err := p.call(ctx, "usergroups.users.list", func(ctx context.Context) (err error) {
				members, err = p.api.GetUserGroupMembersContext(ctx, id)
				return err
			})
			if err != nil {
				failed = append(failed, fmt.Sprintf("<!subteam^%s> (%s)", id, slackError(err)))
			}
			users = append(users, members...)
		case strings.HasPrefix(id, "C") || strings.HasPrefix(id, "G"):
			// A private war room is not named in another channel: that
			// would tell its members that a private incident exists.
			private, err := p.isPrivate(ctx, room)
			if err != nil || private {
				if err != nil {
					failed = append(failed, fmt.Sprintf("<#%s> (not told: %s)", id, slackError(err)))
				}
				continue
			}
			if _, err := p.Post(ctx, id, muster.Message{Text: fmt.Sprintf("🚨 Responders wanted in <#%s>.", room)}); err != nil {
				failed = append(failed, fmt.Sprintf("<#%s> (%s)", id, slackError(err)))
			}
		default:
			users = append(users, id)
		}
	}
	for _, u := range users {
		err := p.call(ctx, "conversations.invite", func(ctx context.Context) error {
			_, err := p.api.InviteUsersToConversationContext(ctx, room, u)
			return err
		})
		switch code := slackError(err); {
		case err == nil, code == "already_in_channel", code == "cant_invite_self":
		default:
			failed = append(failed, fmt.Sprintf("%s (%s)", muster.Mention(u), code))
		}
	}
	if len(failed) > 0 {
		return muster.Errorf(muster.EINVALID, "could not invite %s.", strings.Join(failed, ", "))
	}
	return nil
}

// isPrivate asks Slack whether a channel is private.
func (p *Platform) isPrivate(ctx context.Context, room string) (bool, error) {
	var ch *goslack.Channel
	err := p.call(ctx, "conversations.info", func(ctx context.Context) (err error) {
		ch, err = p.api.GetConversationInfoContext(ctx, &goslack.GetConversationInfoInput{ChannelID: room})
		return err
	})
	if err != nil {
		return false, err
	}
	return ch.IsPrivate, nil
}

// SetTopic sets a channel's topic, cut to Slack's 250 characters. The
// topic holds the title, so its special mentions are defused.
func (p *Platform) SetTopic(ctx context.Context, room, topic string) error {
	topic = truncateRunes(defuse(topic), 250)
	return p.call(ctx, "conversations.setTopic", func(ctx context.Context) error {
		_, err := p.api.SetTopicOfConversationContext(ctx, room, topic)
		return err
	})
}

// DirectMessage writes to one person: posting to a user id opens the
// conversation between the app and them.
func (p *Platform) DirectMessage(ctx context.Context, user string, msg muster.Message) error {
	_, err := p.Post(ctx, user, msg)
	return err
}

// AnnounceRoom is the stakeholders' channel.
func (p *Platform) AnnounceRoom() string { return p.cfg.AnnounceChannel }

// RoomLink is Slack's channel mention, which renders as a link.
func (p *Platform) RoomLink(room, name string) string { return "<#" + room + ">" }

// LookupUser checks a mentioned user. The /incident command is registered
// with escaping on, so Slack sends mentions as user ids; a bare name means
// the person typed it without picking them from Slack's list.
func (p *Platform) LookupUser(ctx context.Context, ref string) (string, error) {
	if !looksLikeUserID(ref) {
		return "", muster.Errorf(muster.EINVALID, "Slack did not recognise @%s as a person: type @ and pick them from the list.", ref)
	}
	var u *goslack.User
	err := p.call(ctx, "users.info", func(ctx context.Context) (err error) {
		u, err = p.api.GetUserInfoContext(ctx, ref)
		return err
	})
	if slackError(err) == "user_not_found" {
		return "", muster.Errorf(muster.EINVALID, "%s is not a member of this workspace.", muster.Mention(ref))
	}
	if err != nil {
		return "", err
	}
	if u.Deleted {
		return "", muster.Errorf(muster.EINVALID, "%s's account is deactivated; pick someone else.", muster.Mention(ref))
	}
	return u.ID, nil
}

// DisplayName is how a person is called in the workspace (display name,
// else real name), for readers outside Slack such as webhook receivers;
// "" when Slack does not say. Names are kept once learned: people rename
// themselves rarely, and a stale name is harmless where an id is useless.
func (p *Platform) DisplayName(ctx context.Context, id string) string {
	if !looksLikeUserID(id) {
		return ""
	}
	if v, ok := p.names.Load(id); ok {
		return v.(string)
	}
	var u *goslack.User
	err := p.call(ctx, "users.info", func(ctx context.Context) (err error) {
		u, err = p.api.GetUserInfoContext(ctx, id)
		return err
	})
	if err != nil {
		return ""
	}
	name := u.Profile.DisplayName
	if name == "" {
		name = u.RealName
	}
	if name == "" {
		name = u.Name
	}
	p.names.Store(id, name)
	return name
}

func looksLikeUserID(s string) bool {
	if len(s) < 3 || (s[0] != 'U' && s[0] != 'W') {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
