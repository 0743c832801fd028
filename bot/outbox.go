package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/muster-bot/muster"
)

// The outbox keeps the room posts the platform did not take (it was down,
// unreachable or rate-limiting past the client's own retries), durably,
// in the store, until it takes them: a later success is still delivered,
// once, and in order, since a room with posts waiting gets its new posts
// queued behind them. The leader sends it on every tick, with the
// reminders. A crash between a post and its removal may double it, never
// lose it.

const (
	// outboxKey is the setting that holds the queue, as JSON: it is
	// empty but for outages, so one value swapped as a whole is simple
	// and small enough.
	outboxKey = "outbox"
	// outboxGiveUp is how long a post is retried: after a day, the room
	// has moved on and the timeline holds what it said.
	outboxGiveUp = 24 * time.Hour
	// outboxMax bounds the queue in a long outage; the oldest go first.
	outboxMax = 2000
)

// Record names where a posted message's id is kept on its incident, so
// that a queued header or announcement works once it is posted.
type record string

const (
	recordNone         record = ""
	recordHeader       record = "header"       // the war room's header, updated in place
	recordAnnouncement record = "announcement" // updates thread under it
)

// queuedPost is one post waiting in the outbox.
type queuedPost struct {
	ID       string         `json:"id"`
	Incident int            `json:"incident"`
	Platform string         `json:"platform"`
	Room     string         `json:"room"`
	Message  muster.Message `json:"message"`
	Record   record         `json:"record,omitempty"`
	// Announced posts are threaded under the incident's announcement,
	// whose id is read when they are sent: it may be queued too.
	Announced bool      `json:"announced,omitempty"`
	Queued    time.Time `json:"queued"`
	Attempts  int       `json:"attempts"`
	Next      time.Time `json:"next"`
	LastError string    `json:"last_error,omitempty"`
}

// post sends msg to room now, or queues it when the room has posts
// waiting or the platform fails for a passing reason. later says it will
// be delivered later; err says why it was not delivered now.
func (b *Bot) post(ctx context.Context, p Platform, inc *muster.Incident, room string, msg muster.Message, rec record, announced bool) (id string, later bool, err error) {
	q := b.newQueued(inc, room, msg, rec, announced)
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
		q.Attempts, q.LastError = 1, err.Error()
		q.Next = q.Queued.Add(outboxBackoff(1))
	} else {
		err = errors.New("posts to this room are waiting in the outbox")
	}
	// Queued even when the request that asked for it is cut short: the
	// change it reports is saved.
	if qerr := b.editOutbox(context.WithoutCancel(ctx), func(list []queuedPost) []queuedPost { return append(list, q) }); qerr != nil {

		return "", false, errors.Join(err, fmt.Errorf("queue the post in the outbox: %w", qerr))
	}
	b.log.Warn().Err(err).Str("incident", inc.Ref()).Str("room", room).Msg("post queued in the outbox")
	return "", true, err
}

func (b *Bot) newQueued(inc *muster.Incident, room string, msg muster.Message, rec record, announced bool) queuedPost {
	now := b.now()
	return queuedPost{
		ID:       inc.Ref() + "-" + strconv.FormatInt(now.UnixNano(), 36) + "-" + strconv.FormatInt(b.outboxSeq.Add(1), 36),
		Incident: inc.ID, Platform: inc.Platform, Room: room, Message: msg, Record: rec, Announced: announced,
		Queued: now, Next: now,
	}
}

// roomWaiting reports whether posts to room wait in the outbox.
func (b *Bot) roomWaiting(ctx context.Context, platform, room string) (bool, error) {
	list, _, err := b.readOutbox(ctx)
	return slices.ContainsFunc(list, func(q queuedPost) bool { return q.Platform == platform && q.Room == room }), err
}

func (b *Bot) readOutbox(ctx context.Context) ([]queuedPost, string, error) {
	v, err := b.store.Setting(ctx, outboxKey)
	if err != nil || v == "" {
		return nil, v, err
	}
	var list []queuedPost
	if err := json.Unmarshal([]byte(v), &list); err != nil {
		return nil, v, fmt.Errorf("decode the outbox: %w", err)
	}
	return list, v, nil
}

// editOutbox changes the queue with fn, swapped in whole so that two
// writers (a command queueing, the leader sending) never lose each
// other's change.
func (b *Bot) editOutbox(ctx context.Context, fn func([]queuedPost) []queuedPost) error {
	for range 50 {
		list, old, err := b.readOutbox(ctx)
		if err != nil {
			return err
		}
		list = fn(list)
		if over := len(list) - outboxMax; over > 0 {
			b.log.Error().Int("dropped", over).Msg("outbox full: the oldest posts are dropped")
			list = list[over:]
		}
		v := ""
		if len(list) > 0 {
			data, err := json.Marshal(list)
			if err != nil {
				return fmt.Errorf("encode the outbox: %w", err)
			}
			v = string(data)
		}
		ok, err := b.store.SwapSetting(ctx, outboxKey, old, v)
		if err != nil {
			return fmt.Errorf("write the outbox: %w", err)
		}
		if ok {
			return nil
		}
	}
	return errors.New("write the outbox: it kept changing under us")
}

// SendOutbox sends the posts waiting in the outbox that are due at now,
// in order per room: once one fails, the room's later ones wait for the
// next round.
func (b *Bot) SendOutbox(ctx context.Context, now time.Time) error {
	list, _, err := b.readOutbox(ctx)
	if err != nil || len(list) == 0 {
		return err
	}
	blocked := map[string]bool{} // platform+room
	var errs []error
	for _, q := range list {
		where := q.Platform + "\x00" + q.Room
		if blocked[where] {
			continue
		}
		p, running := b.platforms[q.Platform]
		if !running {
			continue
		}
		if now.Sub(q.Queued) > outboxGiveUp {
			b.log.Error().Str("incident", fmt.Sprintf("INC-%d", q.Incident)).Str("room", q.Room).Int("attempts", q.Attempts).
				Str("last_error", q.LastError).Msg("outbox: gave up a post after a day of failures; the timeline holds what it said")
			errs = append(errs, b.dropQueued(ctx, q.ID))
			continue
		}
		if now.Before(q.Next) {
			blocked[where] = true
			continue
		}
		if err := b.sendQueued(ctx, p, q); err != nil {
			blocked[where] = true
			if muster.ErrorCode(err) != muster.EINTERNAL {
				b.log.Error().Err(err).Str("incident", fmt.Sprintf("INC-%d", q.Incident)).Msg("outbox: the platform refused a post for good; dropped")
				errs = append(errs, b.dropQueued(ctx, q.ID))
				continue
			}
			errs = append(errs, b.editOutbox(ctx, func(list []queuedPost) []queuedPost {
				for i := range list {
					if list[i].ID == q.ID {
						list[i].Attempts++
						list[i].Next = now.Add(outboxBackoff(list[i].Attempts))
						list[i].LastError = err.Error()
					}
				}
				return list
			}))
		}
	}
	return errors.Join(errs...)
}

// sendQueued posts one queued message and, once posted, removes it and
// keeps its id where the incident needs it.
func (b *Bot) sendQueued(ctx context.Context, p Platform, q queuedPost) error {
	msg := q.Message
	if q.Announced || q.Record != recordNone {
		inc, err := b.store.Incident(ctx, q.Incident)
		if err != nil {
			return fmt.Errorf("outbox: read INC-%d: %w", q.Incident, err)
		}
		if q.Announced {
			if inc.Announcement == "" {
				return fmt.Errorf("outbox: INC-%d's announcement is not posted yet", q.Incident)
			}
			msg.Thread = inc.Announcement
		}
	}
	id, err := p.Post(ctx, q.Room, msg)
	if err != nil {
		return err
	}
	if err := b.dropQueued(ctx, q.ID); err != nil {
		return err
	}
	b.log.Info().Str("incident", fmt.Sprintf("INC-%d", q.Incident)).Int("attempts", q.Attempts+1).Msg("outbox: post delivered")
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

func (b *Bot) dropQueued(ctx context.Context, id string) error {
	return b.editOutbox(ctx, func(list []queuedPost) []queuedPost {
		return slices.DeleteFunc(list, func(q queuedPost) bool { return q.ID == id })
	})
}

// outboxBackoff grows from 10 s to 5 min between tries.
func outboxBackoff(attempts int) time.Duration {
	return min(10*time.Second<<min(attempts-1, 5), 5*time.Minute)
}
