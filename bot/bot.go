// Package bot routes what platforms deliver to the commands and the
// timeline, delivers what the commands decide to say, and runs the
// reminders. Platform adapters live in its subpackages.
package bot

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/commands"
	"github.com/muster-bot/muster/outbox"
)

// Store is what the bot needs from storage. The bbolt store (store.DB)
// and the etcd store (etcd.DB) satisfy it. The bbolt store runs the fn of
// Update and Revise once; the etcd store runs it again when another
// replica changed the incident meanwhile, each time on what it freshly
// read, so fn must only change what it is given and set variables afresh.
type Store interface {
	Incident(ctx context.Context, id int) (*muster.Incident, error)
	IncidentByRoom(ctx context.Context, platform, room string) (*muster.Incident, error)
	RoomIncident(ctx context.Context, platform, room string) (int, error)
	Update(ctx context.Context, id int, fn func(*muster.Incident) ([]muster.Entry, error)) (*muster.Incident, []muster.Entry, error)
	Incidents(ctx context.Context, openOnly bool) ([]*muster.Incident, error)
	// IncidentsDeclared lists those declared in [from, to), newest
	// first, at most limit (all when limit <= 0).
	IncidentsDeclared(ctx context.Context, from, to time.Time, limit int) ([]*muster.Incident, error)
	// Append is idempotent on key, and never adds a message (MessageID)
	// the incident's timeline already holds.
	Append(ctx context.Context, id int, key string, e muster.Entry) (muster.Entry, bool, error)
	Revise(ctx context.Context, id int, messageID, key string, fn func(*muster.Entry) error) (muster.Entry, bool, error)
	Setting(ctx context.Context, key string) (string, error)
	SwapSetting(ctx context.Context, key, old, value string) (bool, error)
	OutboxStore
}

// OutboxStore keeps the outbox's items (see outbox.go). AddOutbox adds an
// item unless one with its key waits; UpdateOutbox replaces a waiting one;
// both report whether they did. Outbox lists the items in key order.
type OutboxStore interface {
	AddOutbox(ctx context.Context, it outbox.Item) (bool, error)
	UpdateOutbox(ctx context.Context, it outbox.Item) (bool, error)
	Outbox(ctx context.Context) ([]outbox.Item, error)
	DeleteOutbox(ctx context.Context, key string) error
}

// Config is the part of the configuration the bot reads.
type Config struct {
	Severities muster.Severities
	Roles      muster.Roles
	RoomPrefix string // war-room names start with it: inc-42-…
	// RoomPrefixes overrides RoomPrefix per platform name.
	RoomPrefixes map[string]string
	RoomDate     bool          // name war rooms by date instead of number
	Responders   []string      // standing responders invited to every war room
	NoICAfter    time.Duration // nag once when nobody took the IC role by then; 0 never
	ExportDir    string        // postmortem drafts are also written here; "" for none
	// Observer is told what happened to incidents, for metrics; nil
	// tells nobody.
	Observer Observer
	// Wait pauses while another copy of an alert declares its incident;
	// nil waits on a timer. Tests pass one that moves their fake clock.
	Wait func(ctx context.Context, d time.Duration) error
	// Mirror is the Atlassian Statuspage page public posts and component
	// changes are mirrored to; nil mirrors nothing (see mirror.go).
	Mirror StatusPage
	// MirrorComponents maps a status page component's name to its id on
	// the Statuspage page; components without one are not mirrored.
	MirrorComponents map[string]string
	// Tracker is where action items are filed (see tracker.go).
	Tracker TrackerConfig
	// Paging pages services' on-calls (see page.go); the zero value
	// pages nobody.
	Paging Paging
	// Postmortem is the follow-through after resolve (postmortem.go).
	Postmortem PostmortemConfig
}

// Bot connects platforms to the commands and the store.
type Bot struct {
	store     Store
	commands  *commands.Runner
	cfg       Config
	log       zerolog.Logger
	now       func() time.Time
	platforms map[string]Platform
	// started is when this bot began sending reminders (UnixNano): a
	// reminder claimed before it was left by a process that died posting it.
	started atomic.Int64
	// sent is what this process last set as each war room's topic and
	// header, so that what would not change is not sent again.
	sent sent
	// outboxSeq makes the ids of posts queued in one nanosecond unique.
	outboxSeq atomic.Int64
	// oldOutboxMoved is set once the outbox of an older muster, one
	// setting, is moved into items (see moveOldOutbox).
	oldOutboxMoved atomic.Bool
	// trackerPolled is when this process last polled the tracker
	// (pollTrackers), UnixNano; 0 before the first poll.
	trackerPolled atomic.Int64
	// caughtUp is when this process last looked for follow-through a
	// dead process left unqueued (catchUp), UnixNano; 0 before the first.
	caughtUp atomic.Int64
}

// New returns a bot. Register the platforms before events arrive.
func New(store Store, cmds *commands.Runner, cfg Config, log zerolog.Logger, now func() time.Time) *Bot {
	if cfg.Observer == nil {
		cfg.Observer = noObserver{}
	}
	b := &Bot{store: store, commands: cmds, cfg: cfg, log: log, now: now, platforms: map[string]Platform{}}
	b.started.Store(now().UnixNano())
	return b
}

// Register makes a platform known under name, the Event.Platform it uses.
// It must be called before Handle or Tick run.
func (b *Bot) Register(name string, p Platform) { b.platforms[name] = p }

// Handle processes one event. When it returns nil, whatever the event
// recorded is durable, so a platform may acknowledge the event then.
func (b *Bot) Handle(ctx context.Context, ev muster.Event) error {
	if ev.At.IsZero() {
		ev.At = b.now()
	}
	switch ev.Kind {
	case muster.EventCommand, muster.EventAction:
		return b.command(ctx, ev)
	case muster.EventMessage:
		return b.record(ctx, ev)
	case muster.EventMessageEdited, muster.EventMessageDeleted, muster.EventKeyFlag:
		return b.revise(ctx, ev)
	}
	return fmt.Errorf("handle event %q: unknown kind %q", ev.ID, ev.Kind)
}

// record appends a human message said in a war room to its timeline.
// Messages in other rooms are none of the bot's business.
func (b *Bot) record(ctx context.Context, ev muster.Event) error {
	id, err := b.store.RoomIncident(ctx, ev.Platform, ev.Room)
	if muster.ErrorCode(err) == muster.ENOTFOUND && ev.Thread != "" {
		id, err = b.store.RoomIncident(ctx, ev.Platform, ev.Thread)
	}
	if muster.ErrorCode(err) == muster.ENOTFOUND {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find war room %s/%s: %w", ev.Platform, ev.Room, err)
	}
	entry := muster.Entry{Kind: muster.EntryMessage, At: ev.At, Actor: ev.User, Text: ev.Text, MessageID: ev.MessageID, ThreadID: ev.ThreadID}
	// A message the timeline holds is not appended again, so a retried
	// delivery needs no idempotency key: recording one would cost the
	// hottest write path two more index updates.
	key := ""
	if ev.MessageID == "" {
		key = dedupKey(ev)
	}
	if _, _, err := b.store.Append(ctx, id, key, entry); err != nil {
		return fmt.Errorf("record message %s in INC-%d: %w", ev.MessageID, id, err)
	}
	return nil
}

// revise applies an edit, a deletion or a key-event flag to the entry of
// the message it is about. The entry keeps its earlier text.
func (b *Bot) revise(ctx context.Context, ev muster.Event) error {
	inc, err := b.warRoom(ctx, ev)
	if inc == nil || err != nil {
		return err
	}
	_, _, err = b.store.Revise(ctx, inc.ID, ev.MessageID, dedupKey(ev), func(e *muster.Entry) error {
		switch ev.Kind {
		case muster.EventMessageEdited:
			e.Revise(ev.Text, ev.At)
		case muster.EventMessageDeleted:
			e.DeletedAt = ev.At
		case muster.EventKeyFlag:
			e.Key = true
		}
		return nil
	})
	if muster.ErrorCode(err) == muster.ENOTFOUND {
		// An edit of a message said before the room was a war room, or a
		// pin of the bot's own post: nothing to revise, nothing lost.
		b.log.Debug().Str("incident", inc.Ref()).Str("message", ev.MessageID).Str("kind", string(ev.Kind)).Msg("no timeline entry to revise")
		return nil
	}
	if err != nil {
		return fmt.Errorf("revise message %s in %s: %w", ev.MessageID, inc.Ref(), err)
	}
	return nil
}

// warRoom returns the incident whose war room the event happened in, or
// nil when the room is not a war room.
func (b *Bot) warRoom(ctx context.Context, ev muster.Event) (*muster.Incident, error) {
	inc, err := b.store.IncidentByRoom(ctx, ev.Platform, ev.Room)
	if muster.ErrorCode(err) == muster.ENOTFOUND && ev.Thread != "" {
		// A thread that is a war room of its own (a private incident on Teams).
		inc, err = b.store.IncidentByRoom(ctx, ev.Platform, ev.Thread)
	}
	if muster.ErrorCode(err) == muster.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find war room %s/%s: %w", ev.Platform, ev.Room, err)
	}
	return inc, nil
}

// dedupKey makes a retried delivery of the same event a no-op. Platforms
// without delivery ids fall back to the message id plus the event kind.
func dedupKey(ev muster.Event) string {
	if ev.ID != "" {
		return ev.Platform + ":" + ev.ID
	}
	if ev.MessageID == "" || ev.Kind == muster.EventMessageEdited {
		return "" // edits of one message share its id; each must count
	}
	return ev.Platform + ":" + string(ev.Kind) + ":" + ev.Room + ":" + ev.MessageID
}

// command runs a command or a button press, answers its sender, and
// delivers the rest.
func (b *Bot) command(ctx context.Context, ev muster.Event) error {
	reply, deliver, err := b.Command(ctx, ev)
	if reply != nil {
		if rerr := b.platforms[ev.Platform].Reply(ctx, ev, *reply); rerr != nil {
			err = errors.Join(err, fmt.Errorf("reply to %s: %w", ev.User, rerr))
		}
	}
	deliver(ctx)
	return err
}

// Command runs a command or a button press (see muster.Handler). It
// returns once the change is durable, and for a declaration once its war
// room is open, so that the reply can say where it is. User mistakes and
// refusals are the reply, not errors of the bot.
func (b *Bot) Command(ctx context.Context, ev muster.Event) (reply *muster.Message, deliver func(context.Context), err error) {
	if ev.At.IsZero() {
		ev.At = b.now()
	}
	p, ok := b.platforms[ev.Platform]
	if !ok {
		return nil, nothing, fmt.Errorf("command from unregistered platform %q", ev.Platform)
	}
	req, err := b.request(ctx, ev)
	if err == nil {
		before := req.Incident // Run replaces it with the incident after the change
		var out *commands.Outcome
		out, err = b.commands.Run(ctx, req)
		if err == nil {
			b.logDone(req, before, out)
			b.observe(before, out)
			b.queueTracker(ctx, before, out.Incident)
			msg := b.settle(ctx, p, ev, out) // may change out.Incident: read it after
			reply, deliver = b.answer(p, ev, out.Incident, msg, func(ctx context.Context) { b.deliver(ctx, p, ev, req, out) })
			return reply, deliver, nil
		}
	}
	if muster.ErrorCode(err) == muster.EINTERNAL {
		b.log.Error().Err(err).Str("platform", ev.Platform).Str("user", ev.User).Msg("command failed")
	} else {
		// A refusal or a mistake: operators see what and why, as the
		// person was told (never a private incident's title: refusals
		// name incidents by reference only).
		l := b.log.Info().Str("platform", ev.Platform).Str("user", ev.User).Str("code", muster.ErrorCode(err)).Str("reason", muster.ErrorMessage(err))
		if req != nil {
			l = l.Str("command", req.Call.Verb)
			if req.Incident != nil {
				l = l.Str("incident", req.Incident.Ref())
			}
		}
		l.Msg("command refused")
	}
	if ev.User == "" { // raised by alerting, not a person: nobody to answer
		return nil, nothing, err
	}
	var about *muster.Incident
	if req != nil {
		about = req.Incident
	}
	reply, deliver = b.answer(p, ev, about, &muster.Message{Text: "⚠️ " + muster.ErrorMessage(err)}, nothing)
	if muster.ErrorCode(err) == muster.EINTERNAL {
		return reply, deliver, err
	}
	return reply, deliver, nil
}

// answer returns the reply a platform may show its sender as it is, and
// the deliveries to run after it. A reply that must go elsewhere (see
// reply) is sent first thing by deliver instead; one to nobody (an event
// raised by alerting) is dropped.
func (b *Bot) answer(p Platform, ev muster.Event, about *muster.Incident, msg *muster.Message, rest func(context.Context)) (*muster.Message, func(context.Context)) {
	if msg == nil || ev.User == "" {
		return nil, rest
	}
	if !publicReply(p, ev, about) {
		return msg, rest
	}
	return nil, func(ctx context.Context) {
		b.try(about, "reply privately", func() error { return b.reply(ctx, p, ev, about, *msg) })
		rest(ctx)
	}
}

// nothing is the delivery of a command with nothing to post.
func nothing(context.Context) {}

// logDone tells operators what a command did, at info level: who ran
// which command on which incident, and the milestones reached. A private
// incident's title never goes to the log.
func (b *Bot) logDone(req *commands.Request, before *muster.Incident, out *commands.Outcome) {
	inc := out.Incident
	l := b.log.Info().Str("platform", req.Event.Platform).Str("user", req.Event.User).Str("command", req.Call.Verb)
	if inc == nil {
		l.Msg("command")
		return
	}
	l = l.Str("incident", inc.Ref()).Str("severity", inc.Severity).Str("status", string(inc.Status))
	switch {
	case out.Happened == commands.Declared:
		l = l.Bool("private", inc.Private)
		if !inc.Private {
			l = l.Str("title", inc.Title)
		}
		l.Msg("incident declared")
	case before != nil && before.Open() && !inc.Open():
		l.Dur("after", inc.TimeToResolve()).Msg("incident resolved")
	case before != nil && !before.Open() && inc.Open():
		l.Msg("incident reopened")
	default:
		l.Msg("command")
	}
}

// request parses the event into a command request and finds the incident
// it acts on: the one named, or the war room it was typed in.
func (b *Bot) request(ctx context.Context, ev muster.Event) (*commands.Request, error) {
	text, ref := ev.Text, 0
	if ev.Kind == muster.EventAction {
		// A button carries its incident in Value; a menu carries the
		// choice, which is the command's argument.
		text = ev.Action
		if id, ok := muster.ParseRef(ev.Value); ok {
			ref = id
		} else {
			text += " " + ev.Value
		}
	}
	call, err := commands.Parse(text, false)
	if err != nil {
		return nil, err
	}
	req := &commands.Request{Event: ev, Call: call}
	if d, ok := b.platforms[ev.Platform].(Directory); ok {
		req.Users = d.LookupUser
	}
	if !b.commands.NeedsIncident(call.Verb) {
		return req, nil // help, list, declare: where it was typed does not matter
	}
	war, err := b.warRoom(ctx, ev)
	if err != nil {
		return nil, err
	}
	if war != nil {
		// In a war room a bare number is no reference (`update 42 hosts
		// are down`): read the words again as the room's.
		if req.Call, err = commands.Parse(text, true); err != nil {
			return nil, err
		}
	}
	if ref != 0 {
		req.Call.Ref = ref
	}
	req.Incident = war
	// A button in a war room names the room's own incident: no second read.
	if r := req.Call.Ref; r != 0 && (war == nil || war.ID != r) {
		if req.Incident, err = b.store.Incident(ctx, r); err != nil {
			return nil, err
		}
	}
	return req, nil
}
