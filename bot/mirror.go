package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/remote"
	"github.com/muster-bot/muster/outbox"
	"github.com/muster-bot/muster/statuspage"
)

// The Statuspage mirror copies an incident's public posts and component
// changes to an Atlassian Statuspage page, through the outbox: a change
// that leaves the mirror behind queues one sync item for the incident
// (at most one waits per incident), and the leader's tick sends it. The
// sync creates the Statuspage incident with the first post, then updates
// it with each newer post, in order, and with the components' states,
// recording on the incident after each call how far it got
// (muster.StatuspageMirror), so a restart or another replica goes on from
// there: a crash between a call and its record repeats that one call.
// A private incident or a drill is never mirrored.

const (
	kindStatuspage = "statuspage"
	// syncGiveUp is how long a sync is retried: after an hour the public
	// page is far behind, and Comms is told to post there by hand.
	syncGiveUp = time.Hour
	// maxNameLen bounds a Statuspage incident's name, drawn from the
	// first post.
	maxNameLen = 80
)

// StatusPage is the Atlassian Statuspage page the bot mirrors to
// (statuspage.Client).
type StatusPage interface {
	CreateIncident(ctx context.Context, inc statuspage.Incident) (string, error)
	UpdateIncident(ctx context.Context, id string, inc statuspage.Incident) error
}

type syncPayload struct {
	Incident int `json:"incident"`
}

func syncKey(id int) string { return fmt.Sprintf("%s/%020d", kindStatuspage, id) }

// mirrorIfBehind queues a sync of inc to Statuspage when its public posts
// or component changes are ahead of what Statuspage has. Any replica may
// queue; the leader sends.
func (b *Bot) mirrorIfBehind(ctx context.Context, inc *muster.Incident) {
	if b.cfg.Mirror == nil || !inc.StatuspageBehind() {
		return
	}
	payload, err := json.Marshal(syncPayload{Incident: inc.ID})
	if err != nil {
		b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("queue a status page sync")
		return
	}
	now := b.now()
	it := outbox.Item{Key: syncKey(inc.ID), Kind: kindStatuspage, Payload: payload, Queued: now, Next: now}
	if _, err := b.store.AddOutbox(context.WithoutCancel(ctx), it); err != nil {
		b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("queue a status page sync")
	}
}

// catchUpMirror queues a sync for every open incident the mirror is
// behind on: a change whose delivery was cut short (a crash right after
// it was saved) is mirrored all the same.
func (b *Bot) catchUpMirror(ctx context.Context) error {
	if b.cfg.Mirror == nil {
		return nil
	}
	open, err := b.store.Incidents(ctx, true)
	if err != nil {
		return fmt.Errorf("status page mirror: list open incidents: %w", err)
	}
	for _, inc := range open {
		b.mirrorIfBehind(ctx, inc)
	}
	return nil
}

// sendSyncItem brings one incident's Statuspage incident up to date.
func (b *Bot) sendSyncItem(ctx context.Context, claims Store, it outbox.Item, now time.Time) error {
	if now.Before(it.Next) && now.Sub(it.Queued) <= syncGiveUp {
		return nil
	}
	var p syncPayload
	if err := json.Unmarshal(it.Payload, &p); err != nil {
		b.log.Error().Err(err).Str("key", it.Key).Msg("outbox: a status page sync that cannot be read; dropped")
		return claims.DeleteOutbox(ctx, it.Key)
	}
	inc, err := b.store.Incident(ctx, p.Incident)
	if muster.ErrorCode(err) == muster.ENOTFOUND {
		return claims.DeleteOutbox(ctx, it.Key)
	}
	if err != nil {
		return fmt.Errorf("status page mirror: read INC-%d: %w", p.Incident, err)
	}
	if b.cfg.Mirror == nil || !inc.Publishes() || !inc.StatuspageBehind() {
		return claims.DeleteOutbox(ctx, it.Key) // nothing to send (or made private meanwhile, or a drill)
	}
	log := b.log.With().Str("incident", inc.Ref()).Logger()
	if now.Sub(it.Queued) > syncGiveUp {
		log.Error().Int("attempts", it.Attempts).Str("last_error", it.LastError).Msg("status page mirror: gave up after an hour of failures")
		b.mirrorFailed(ctx, inc, fmt.Sprintf("Statuspage failed for an hour (%s)", it.LastError))
		return claims.DeleteOutbox(ctx, it.Key)
	}
	claimed, err := b.claim(ctx, claims, it, now)
	if claimed == nil {
		return err
	}
	for inc.StatuspageBehind() {
		if inc, err = b.mirrorStep(ctx, inc); err != nil {
			break
		}
	}
	if err == nil {
		return b.store.DeleteOutbox(ctx, it.Key)
	}
	if retry, after := remote.Retry(err); retry {
		log.Warn().Err(err).Int("attempts", claimed.Attempts).Msg("status page mirror: will retry")
		_, uerr := claims.UpdateOutbox(ctx, claimed.Failed(now, err, after))
		return uerr
	}
	log.Error().Err(err).Msg("status page mirror: Statuspage refused; given up")
	b.mirrorFailed(ctx, inc, err.Error())
	return claims.DeleteOutbox(ctx, it.Key)
}

// mirrorStep makes one call to Statuspage, the next one inc needs, and
// records it on the incident; it returns the incident as recorded.
func (b *Bot) mirrorStep(ctx context.Context, inc *muster.Incident) (*muster.Incident, error) {
	m := inc.Statuspage
	components, ids := b.mirroredComponents(inc)
	var call statuspage.Incident
	switch {
	case m.ID == "":
		first := inc.Public[0]
		call = statuspage.Incident{Name: statuspageName(inc), Status: statuspage.Status(first.Status), Body: first.Text}
		m.Posts = 1
	case m.Posts < len(inc.Public):
		post := inc.Public[m.Posts]
		call = statuspage.Incident{Status: statuspage.Status(post.Status), Body: post.Text}
		m.Posts++
	}
	call.Components, call.ComponentIDs = components, ids
	m.Components = len(inc.ComponentLog)
	var err error
	switch {
	case m.ID != "" && call.Body == "" && call.Components == nil:
		// Changes of components Statuspage does not know: nothing to send.
	case m.ID == "":
		m.ID, err = b.cfg.Mirror.CreateIncident(ctx, call)
	default:
		err = b.cfg.Mirror.UpdateIncident(ctx, m.ID, call)
	}
	if err != nil {
		return inc, err
	}
	// Recorded through the bot's own store, whoever leads now: the call
	// happened. Progress only moves forward.
	stored, _, err := b.store.Update(context.WithoutCancel(ctx), inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
		if i.Statuspage.ID == "" {
			i.Statuspage.ID = m.ID
		}
		i.Statuspage.Posts = max(i.Statuspage.Posts, m.Posts)
		i.Statuspage.Components = max(i.Statuspage.Components, m.Components)
		return nil, nil
	})
	if err != nil {
		return inc, fmt.Errorf("record the status page mirror of %s: %w", inc.Ref(), err)
	}
	b.log.Info().Str("incident", inc.Ref()).Str("statuspage", m.ID).Int("posts", m.Posts).Msg("status page mirror: sent")
	return stored, nil
}

// mirroredComponents returns the states this incident gives the
// components that have a Statuspage id, by id, and those ids, sorted. A
// resolved incident's components are operational again: the public page
// counts only open incidents.
func (b *Bot) mirroredComponents(inc *muster.Incident) (map[string]string, []string) {
	states := map[string]string{}
	for name, state := range inc.ComponentStates() {
		id := b.cfg.MirrorComponents[name]
		if id == "" {
			continue
		}
		if !inc.Open() {
			state = muster.ComponentOperational
		}
		states[id] = statuspage.ComponentState(state)
	}
	if len(states) == 0 {
		return nil, nil
	}
	ids := make([]string, 0, len(states))
	for id := range states {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return states, ids
}

// statuspageName names the Statuspage incident: the first line of the
// first public post, which Comms wrote for the public, cut to maxNameLen
// characters. Never the incident's title, which was written for the war
// room and may say what customers should not read.
func statuspageName(inc *muster.Incident) string {
	name, _, _ := strings.Cut(strings.TrimSpace(inc.Public[0].Text), "\n")
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > maxNameLen {
		r := []rune(name)[:maxNameLen-1]
		cut := string(r)
		if i := strings.LastIndexByte(cut, ' '); i > maxNameLen/2 {
			cut = cut[:i]
		}
		name = strings.TrimRight(cut, " ,;:.-") + "…"
	}
	if name == "" {
		name = "Incident " + inc.Ref()
	}
	return name
}

// mirrorFailed records that the mirror gave up on what inc holds now, so
// that only a newer post or component change tries again, and tells the
// war room.
func (b *Bot) mirrorFailed(ctx context.Context, inc *muster.Incident, why string) {
	_, _, err := b.store.Update(context.WithoutCancel(ctx), inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
		i.Statuspage.GaveUpAt = max(i.Statuspage.GaveUpAt, len(inc.Public)+len(inc.ComponentLog))
		return nil, nil
	})
	if err != nil {
		b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("record that the status page mirror gave up")
	}
	p, running := b.platforms[inc.Platform]
	room := workRoom(inc)
	if !running || room == "" {
		return
	}
	msg := muster.Message{Text: fmt.Sprintf("⚠️ status page mirror failed: %s. Post this incident's updates on Statuspage by hand; the next public post tries again.", why)}
	if _, _, err := b.post(ctx, p, inc, room, msg, recordNone, false); err != nil && !errors.Is(err, context.Canceled) {
		b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("tell the war room the status page mirror failed")
	}
}
