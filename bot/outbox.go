package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/outbox"
)

// The outbox keeps what an outside system did not take yet, durably, in
// the store, one item each (see package outbox): room posts the platform
// did not take (it was down, unreachable or rate-limiting past the
// client's own retries), and status page syncs (mirror.go). The leader
// sends it on every tick, with the reminders. Before each try it claims
// the item through its fenced store, so that a replica that lost the lead
// sends nothing; a crash between a send and the item's removal may repeat
// that send, never lose it.
//
// Room posts are delivered once and in order: a room with posts waiting
// gets its new posts queued behind them, and the keys (kind, then the
// time queued) list them in the order they were queued.

const (
	kindPost = "post"
	// postGiveUp is how long a post is retried: after a day, the room
	// has moved on and the timeline holds what it said.
	postGiveUp = 24 * time.Hour
	// outboxMax bounds the posts waiting in a long outage; the oldest go
	// first.
	outboxMax = 2000
	// oldOutboxKey is the setting that held the whole queue, as one JSON
	// list, before the outbox had items; moved into items once.
	oldOutboxKey = "outbox"
)

// Record names where a posted message's id is kept on its incident, so
// that a queued header or announcement works once it is posted.
type record string

const (
	recordNone         record = ""
	recordHeader       record = "header"       // the war room's header, updated in place
	recordAnnouncement record = "announcement" // updates thread under it
)

// queuedPost is what a post item carries.
type queuedPost struct {
	ID       string         `json:"id"`
	Incident int            `json:"incident"`
	Platform string         `json:"platform"`
	Room     string         `json:"room"`
	Message  muster.Message `json:"message"`
	Record   record         `json:"record,omitempty"`
	// Announced posts are threaded under the incident's announcement,
	// whose id is read when they are sent: it may be queued too.
	Announced bool `json:"announced,omitempty"`
}

// postKey orders posts by the time they were queued; the id, unique,
// breaks ties.
func postKey(queued time.Time, id string) string {
	return fmt.Sprintf("%s/%020d/%s", kindPost, queued.UnixNano(), id)
}

// post sends msg to room now, or queues it when the room has posts
// waiting or the platform fails for a passing reason. later says it will
// be delivered later; err says why it was not delivered now.
func (b *Bot) post(ctx context.Context, p Platform, inc *muster.Incident, room string, msg muster.Message, rec record, announced bool) (id string, later bool, err error) {
	q := b.newQueued(inc, room, msg, rec, announced)
	now := b.now()
	it := outbox.Item{Kind: kindPost, Key: postKey(now, q.ID), Queued: now, Next: now}
	waiting, werr := b.roomWaiting(ctx, q.Platform, room)
	if werr != nil {
		b.log.Warn().Err(werr).Str("incident", inc.Ref()).Msg("read the outbox; posting directly")
	}
	if !waiting {
		if id, err = p.Post(ctx, room, msg); err == nil {
			return id, false, nil
		}
		if muster.ErrorCode(err) != muster.EINTERNAL {
			return "", false, err // refused for good (no such channel, say): retrying changes nothing
		}
		it = it.Claim(now).Failed(now, err, 0)
	} else {
		err = errors.New("posts to this room are waiting in the outbox")
	}
	// Queued even when the request that asked for it is cut short: the
	// change it reports is saved.
	if qerr := b.queuePost(context.WithoutCancel(ctx), it, q); qerr != nil {
		return "", false, errors.Join(err, fmt.Errorf("queue the post in the outbox: %w", qerr))
	}
	b.log.Warn().Err(err).Str("incident", inc.Ref()).Str("room", room).Msg("post queued in the outbox")
	return "", true, err
}

func (b *Bot) newQueued(inc *muster.Incident, room string, msg muster.Message, rec record, announced bool) queuedPost {
	return queuedPost{
		ID:       inc.Ref() + "-" + strconv.FormatInt(b.outboxSeq.Add(1), 36),
		Incident: inc.ID, Platform: inc.Platform, Room: room, Message: msg, Record: rec, Announced: announced,
	}
}

// queuePost adds a post to the outbox, and drops the oldest posts when
// more than outboxMax wait.
func (b *Bot) queuePost(ctx context.Context, it outbox.Item, q queuedPost) error {
	payload, err := json.Marshal(q)
	if err != nil {
		return fmt.Errorf("encode the post: %w", err)
	}
	it.Payload = payload
	if _, err := b.store.AddOutbox(ctx, it); err != nil {
		return err
	}
	posts, err := b.waitingPosts(ctx)
	if err != nil || len(posts) <= outboxMax {
		return err
	}
	over := len(posts) - outboxMax
	b.log.Error().Int("dropped", over).Msg("outbox full: the oldest posts are dropped")
	for _, p := range posts[:over] {
		if err := b.store.DeleteOutbox(ctx, p.item.Key); err != nil {
			return err
		}
	}
	return nil
}

// waitingPost is a post item and what it carries.
type waitingPost struct {
	item outbox.Item
	post queuedPost
}

// waitingPosts returns the posts in the outbox, oldest first.
func (b *Bot) waitingPosts(ctx context.Context) ([]waitingPost, error) {
	items, err := b.store.Outbox(ctx)
	if err != nil {
		return nil, err
	}
	var posts []waitingPost
	for _, it := range items {
		if it.Kind != kindPost {
			continue
		}
		var q queuedPost
		if err := json.Unmarshal(it.Payload, &q); err != nil {
			return nil, fmt.Errorf("decode outbox item %s: %w", it.Key, err)
		}
		posts = append(posts, waitingPost{it, q})
	}
	return posts, nil
}

// roomWaiting reports whether posts to room wait in the outbox.
func (b *Bot) roomWaiting(ctx context.Context, platform, room string) (bool, error) {
	posts, err := b.waitingPosts(ctx)
	for _, p := range posts {
		if p.post.Platform == platform && p.post.Room == room {
			return true, nil
		}
	}
	return false, err
}

// SendOutbox sends what waits in the outbox and is due at now, claiming
// each item through the bot's own store; the leader's ticks claim through
// the store fenced by its lead (see StartReminders).
func (b *Bot) SendOutbox(ctx context.Context, now time.Time) error {
	return b.sendOutbox(ctx, b.store, now)
}

// sendOutbox sends the outbox, claiming, retrying and giving up items
// through claims. What must land once an item was sent (its removal, the
// progress it made) goes through the bot's own store: the send happened,
// whoever leads now.
func (b *Bot) sendOutbox(ctx context.Context, claims Store, now time.Time) error {
	var errs []error
	if !b.oldOutboxMoved.Load() {
		moved, err := b.moveOldOutbox(ctx)
		errs = append(errs, err)
		b.oldOutboxMoved.Store(moved)
	}
	errs = append(errs, b.catchUpMirror(ctx), b.pollTrackers(ctx, now))
	items, err := b.store.Outbox(ctx)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	errs = append(errs, b.catchUp(ctx, items, now))
	blocked := map[string]bool{} // platform NUL room: an earlier post waits
	for _, it := range items {
		switch it.Kind {
		case kindPost:
			errs = append(errs, b.sendPostItem(ctx, claims, it, now, blocked))
		case kindStatuspage:
			errs = append(errs, b.sendSyncItem(ctx, claims, it, now))
		case kindTracker:
			errs = append(errs, b.sendTrackerItem(ctx, claims, it, now))
		case kindPage:
			errs = append(errs, b.sendPageItem(ctx, claims, it, now))
		case kindPostmortem:
			errs = append(errs, b.sendPostmortemItem(ctx, claims, it, now))
		default:
			// Queued by a newer muster; it sends it once it runs again.
			b.log.Warn().Str("key", it.Key).Str("kind", it.Kind).Msg("outbox: an item of a kind this muster does not know; left waiting")
		}
	}
	return errors.Join(errs...)
}

// sendPostItem tries one post, in order per room: once one is not sent,
// the room's later ones wait for the next round.
func (b *Bot) sendPostItem(ctx context.Context, claims Store, it outbox.Item, now time.Time, blocked map[string]bool) error {
	var q queuedPost
	if err := json.Unmarshal(it.Payload, &q); err != nil {
		b.log.Error().Err(err).Str("key", it.Key).Msg("outbox: a post that cannot be read; dropped")
		return claims.DeleteOutbox(ctx, it.Key)
	}
	where := q.Platform + "\x00" + q.Room
	if blocked[where] {
		return nil
	}
	p, running := b.platforms[q.Platform]
	if !running {
		return nil
	}
	ref := fmt.Sprintf("INC-%d", q.Incident)
	if now.Sub(it.Queued) > postGiveUp {
		b.log.Error().Str("incident", ref).Str("room", q.Room).Int("attempts", it.Attempts).
			Str("last_error", it.LastError).Msg("outbox: gave up a post after a day of failures; the timeline holds what it said")
		return claims.DeleteOutbox(ctx, it.Key)
	}
	blocked[where] = true // unless it is sent, below
	if now.Before(it.Next) {
		return nil
	}
	claimed, err := b.claim(ctx, claims, it, now)
	if claimed == nil {
		return err
	}
	if err := b.sendQueued(ctx, p, it, q); err != nil {
		if muster.ErrorCode(err) != muster.EINTERNAL {
			b.log.Error().Err(err).Str("incident", ref).Msg("outbox: the platform refused a post for good; dropped")
			return claims.DeleteOutbox(ctx, it.Key)
		}
		_, uerr := claims.UpdateOutbox(ctx, claimed.Failed(now, err, 0))
		return uerr
	}
	blocked[where] = false
	return nil
}

// claim writes the claim of it through claims before a try, and returns
// the claimed item; nil when it is gone (sent by another leader, say) or
// the claim failed.
func (b *Bot) claim(ctx context.Context, claims Store, it outbox.Item, now time.Time) (*outbox.Item, error) {
	c := it.Claim(now)
	ok, err := claims.UpdateOutbox(ctx, c)
	if err != nil || !ok {
		return nil, err
	}
	return &c, nil
}

// sendQueued posts one queued message and, once posted, removes it and
// keeps its id where the incident needs it.
func (b *Bot) sendQueued(ctx context.Context, p Platform, it outbox.Item, q queuedPost) error {
	msg := q.Message
	if q.Announced {
		inc, err := b.store.Incident(ctx, q.Incident)
		if err != nil {
			return fmt.Errorf("outbox: read INC-%d: %w", q.Incident, err)
		}
		if inc.Announcement == "" {
			return fmt.Errorf("outbox: INC-%d's announcement is not posted yet", q.Incident)
		}
		msg.Thread = inc.Announcement
	}
	id, err := p.Post(ctx, q.Room, msg)
	if err != nil {
		return err
	}
	if err := b.store.DeleteOutbox(ctx, it.Key); err != nil {
		return err
	}
	b.log.Info().Str("incident", fmt.Sprintf("INC-%d", q.Incident)).Int("attempts", it.Attempts).Msg("outbox: post delivered")
	if q.Record == recordNone {
		return nil
	}
	inc, _, err := b.store.Update(ctx, q.Incident, func(i *muster.Incident) ([]muster.Entry, error) {
		switch q.Record {
		case recordHeader:
			i.Header = id
		case recordAnnouncement:
			i.Announcement = id
		}
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("outbox: record the %s of INC-%d: %w", q.Record, q.Incident, err)
	}
	if q.Record == recordHeader {
		b.refreshHeader(ctx, p, inc) // it was drawn when queued; the incident may have moved on
	}
	return nil
}

// oldPost is a post as the single-setting outbox kept it.
type oldPost struct {
	queuedPost
	Queued    time.Time `json:"queued"`
	Attempts  int       `json:"attempts"`
	Next      time.Time `json:"next"`
	LastError string    `json:"last_error,omitempty"`
}

// moveOldOutbox moves the posts an older muster kept in one setting into
// items, in their order, and then clears the setting. Each item's key is
// made of the post's own time and id, so two replicas moving at once, or a
// move cut short and done again, add each post once. It reports whether
// the setting is empty now; an older muster still running beside this one
// may have queued more meanwhile, which the next tick moves.
func (b *Bot) moveOldOutbox(ctx context.Context) (bool, error) {
	v, err := b.store.Setting(ctx, oldOutboxKey)
	if err != nil || v == "" {
		return err == nil, err
	}
	var list []oldPost
	if err := json.Unmarshal([]byte(v), &list); err != nil {
		return false, fmt.Errorf("move the old outbox: decode it: %w", err)
	}
	for _, p := range list {
		payload, err := json.Marshal(p.queuedPost)
		if err != nil {
			return false, fmt.Errorf("move the old outbox: encode a post: %w", err)
		}
		it := outbox.Item{
			Key: postKey(p.Queued, p.ID), Kind: kindPost, Payload: payload,
			Queued: p.Queued, Next: p.Next, Attempts: p.Attempts, LastError: p.LastError,
		}
		if _, err := b.store.AddOutbox(ctx, it); err != nil {
			return false, fmt.Errorf("move the old outbox: %w", err)
		}
	}
	cleared, err := b.store.SwapSetting(ctx, oldOutboxKey, v, "")
	if err != nil {
		return false, fmt.Errorf("move the old outbox: clear the setting: %w", err)
	}
	b.log.Info().Int("posts", len(list)).Msg("moved the outbox of an older muster into outbox items")
	return cleared, nil
}
