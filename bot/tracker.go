package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/remote"
	"github.com/muster-bot/muster/outbox"
	"github.com/muster-bot/muster/tracker"
)

// Action items follow through in the team's tracker (Jira, GitHub
// Issues). An item added by `action` queues one outbox item that files it
// (its key names the incident and the item, so at most one waits per
// item); an item done in muster queues one that closes its issue. The
// leader's tick sends them: the client looks for the item's key label
// before it creates, so a create whose answer was lost is not filed
// twice. The issue is recorded on the item and its link posted in the
// room; a failure is told in the room once, retried with the outbox's
// backoff and given up after trackerGiveUp with a note.
//
// The issue's state comes back by webhook (TrackerEvent) or, for setups
// without one, by the leader polling the open filed items every
// PollEvery: closed there is done here, with a timeline entry and a word
// in the room; a webhook's reopen makes it not done again.
//
// A private incident's items are not filed unless FilePrivate is set, and
// then with the item's own text only: the issue names the incident by its
// reference, never by its title.

const (
	kindTracker = "tracker"
	// trackerGiveUp is how long filing or closing an issue is retried: a
	// day covers an outage of the tracker; after it the room is told to
	// file the item by hand.
	trackerGiveUp = 24 * time.Hour

	opCreate = "create"
	opClose  = "close"
)

// Tracker is the team's issue tracker (tracker/jira, tracker/github).
type Tracker interface {
	Create(ctx context.Context, is tracker.Issue) (tracker.Ref, error)
	State(ctx context.Context, ref tracker.Ref) (tracker.State, error)
	Close(ctx context.Context, ref tracker.Ref) error
}

// EmailFinder tells a chat user's e-mail address, so that an item's owner
// is assigned the issue; a platform without it files items unassigned,
// naming nobody.
type EmailFinder interface {
	UserEmail(ctx context.Context, user string) (string, error)
}

// TrackerConfig is where action items are filed; a nil Tracker files
// nothing.
type TrackerConfig struct {
	Tracker Tracker
	// Name is the tracker as the room is told: "Jira", "GitHub".
	Name string
	// PollEvery is how often the leader reads the state of open filed
	// items, for setups without webhooks; 0 never.
	PollEvery time.Duration
	// FilePrivate files the items of private incidents too.
	FilePrivate bool
	// PublicURL is where the incident pages are (web.public_url); the
	// issue links back to <PublicURL>/incidents/<n> when it is set.
	PublicURL string
}

type trackerPayload struct {
	Incident int    `json:"incident"`
	Item     int    `json:"item"`
	Op       string `json:"op"`
}

func trackerItemKey(p trackerPayload) string {
	return fmt.Sprintf("%s/%020d/%06d/%s", kindTracker, p.Incident, p.Item, p.Op)
}

// Files reports whether inc's action items go to the tracker: the one
// rule the commands mark new items by and the bot files them by. A
// drill's items stay in muster: a rehearsal fills no real backlog.
func (c TrackerConfig) Files(inc *muster.Incident) bool {
	return c.Tracker != nil && inc != nil && !inc.Drill && (!inc.Private || c.FilePrivate)
}

func (b *Bot) files(inc *muster.Incident) bool { return b.cfg.Tracker.Files(inc) }

// queueTracker queues what a command's change of action items asks of the
// tracker: a create for each item added, a close for each filed item
// done. Any replica may queue; the leader sends.
func (b *Bot) queueTracker(ctx context.Context, before, after *muster.Incident) {
	// Items are added and done by commands on an incident; a command
	// without one before (declare) has no items to file.
	if !b.files(after) || before == nil || before.ID != after.ID {
		return
	}
	known := min(len(before.Actions), len(after.Actions))
	for i, a := range after.Actions {
		switch {
		case i >= known && a.Tracker.Wanted:
			b.queueTrackerOp(ctx, trackerPayload{Incident: after.ID, Item: a.Number, Op: opCreate})
		case a.Done && !before.Actions[i].Done && a.Tracker.Filed():
			b.queueTrackerOp(ctx, trackerPayload{Incident: after.ID, Item: a.Number, Op: opClose})
		}
	}
}

func (b *Bot) queueTrackerOp(ctx context.Context, p trackerPayload) {
	payload, err := json.Marshal(p)
	if err == nil {
		now := b.now()
		it := outbox.Item{Key: trackerItemKey(p), Kind: kindTracker, Payload: payload, Queued: now, Next: now}
		// Queued even when the request is cut short: the change is saved.
		_, err = b.store.AddOutbox(context.WithoutCancel(ctx), it)
	}
	if err != nil {
		b.log.Error().Err(err).Str("incident", fmt.Sprintf("INC-%d", p.Incident)).Int("item", p.Item).Str("op", p.Op).Msg("queue a tracker call")
	}
}

// sendTrackerItem files or closes one item's issue.
func (b *Bot) sendTrackerItem(ctx context.Context, claims Store, it outbox.Item, now time.Time) error {
	if b.cfg.Tracker.Tracker == nil || (now.Before(it.Next) && now.Sub(it.Queued) <= trackerGiveUp) {
		return nil // no tracker now (its configuration was removed): left waiting for one
	}
	var p trackerPayload
	if err := json.Unmarshal(it.Payload, &p); err != nil {
		b.log.Error().Err(err).Str("key", it.Key).Msg("outbox: a tracker call that cannot be read; dropped")
		return claims.DeleteOutbox(ctx, it.Key)
	}
	inc, err := b.store.Incident(ctx, p.Incident)
	if muster.ErrorCode(err) == muster.ENOTFOUND {
		return claims.DeleteOutbox(ctx, it.Key)
	}
	if err != nil {
		return fmt.Errorf("tracker: read INC-%d: %w", p.Incident, err)
	}
	if p.Item < 1 || p.Item > len(inc.Actions) || !b.files(inc) {
		return claims.DeleteOutbox(ctx, it.Key) // no such item, or made private meanwhile
	}
	a := inc.Actions[p.Item-1]
	if (p.Op == opCreate && a.Tracker.Filed()) || (p.Op == opClose && (!a.Tracker.Filed() || !a.Done)) {
		return claims.DeleteOutbox(ctx, it.Key) // nothing left to do
	}
	log := b.log.With().Str("incident", inc.Ref()).Int("item", a.Number).Str("op", p.Op).Logger()
	if now.Sub(it.Queued) > trackerGiveUp {
		log.Error().Int("attempts", it.Attempts).Str("last_error", it.LastError).Msg("tracker: gave up after a day of failures")
		b.trackerNote(ctx, inc, b.trackerFailure(p.Op, a, it.LastError)+"; given up after a day. "+b.byHand(p.Op))
		return b.giveUpTracker(ctx, claims, inc, p, it.Key)
	}
	claimed, err := b.claim(ctx, claims, it, now)
	if claimed == nil {
		return err
	}
	if p.Op == opCreate {
		err = b.fileItem(ctx, inc, a)
	} else {
		err = b.cfg.Tracker.Tracker.Close(ctx, toRef(a.Tracker))
	}
	if err == nil {
		log.Info().Int("attempts", claimed.Attempts).Msg("tracker: sent")
		return b.store.DeleteOutbox(ctx, it.Key)
	}
	if retry, after := remote.Retry(err); retry {
		log.Warn().Err(err).Int("attempts", claimed.Attempts).Msg("tracker: will retry")
		if claimed.Attempts == 1 { // told once, not at every retry
			b.trackerNote(ctx, inc, b.trackerFailure(p.Op, a, err.Error())+", retrying.")
		}
		_, uerr := claims.UpdateOutbox(ctx, claimed.Failed(now, err, after))
		return uerr
	}
	log.Error().Err(err).Msg("tracker: refused; given up")
	b.trackerNote(ctx, inc, b.trackerFailure(p.Op, a, muster.ErrorMessage(err))+"; not retried. "+b.byHand(p.Op))
	return b.giveUpTracker(ctx, claims, inc, p, it.Key)
}

// giveUpTracker drops a tracker call given up on; for a create, the item
// is first marked as no longer wanted there, so that no catch-up files it
// again.
func (b *Bot) giveUpTracker(ctx context.Context, claims Store, inc *muster.Incident, p trackerPayload, key string) error {
	if p.Op == opCreate {
		_, _, err := b.store.Update(context.WithoutCancel(ctx), inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
			if p.Item <= len(i.Actions) {
				i.Actions[p.Item-1].Tracker.Wanted = false
			}
			return nil, nil
		})
		if err != nil {
			return fmt.Errorf("tracker: give up filing %s's action item #%d: %w", inc.Ref(), p.Item, err)
		}
	}
	return claims.DeleteOutbox(ctx, key)
}

// fileItem creates a's issue, records it on the item and posts its link.
// An item done while it waited is closed there at once.
func (b *Bot) fileItem(ctx context.Context, inc *muster.Incident, a muster.ActionItem) error {
	ref, err := b.cfg.Tracker.Tracker.Create(ctx, b.issue(ctx, inc, a))
	if err != nil {
		return err
	}
	// Recorded through the bot's own store, whoever leads now: the issue
	// exists.
	filed := fromRef(ref)
	stored, _, err := b.store.Update(context.WithoutCancel(ctx), inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
		if a.Number <= len(i.Actions) && !i.Actions[a.Number-1].Tracker.Filed() {
			i.Actions[a.Number-1].Tracker = filed // Wanted no more
		}
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("record the issue %s of %s's action item #%d: %w", ref.Key, inc.Ref(), a.Number, err)
	}
	b.trackerNote(ctx, stored, fmt.Sprintf("🎫 Action item #%d → %s %s", a.Number, ref.Key, ref.URL))
	if a.Number <= len(stored.Actions) && stored.Actions[a.Number-1].Done {
		b.queueTrackerOp(ctx, trackerPayload{Incident: inc.ID, Item: a.Number, Op: opClose})
	}
	return nil
}

// issue is what a is filed as. A private incident is named by its
// reference alone.
func (b *Bot) issue(ctx context.Context, inc *muster.Incident, a muster.ActionItem) tracker.Issue {
	is := tracker.Issue{
		Key: tracker.Key(inc.ID, a.Number), Title: a.Text, Due: a.Due, Priority: a.Priority,
		Assignee: b.ownerEmail(ctx, inc, a),
	}
	about := fmt.Sprintf("%s (%s): %s", inc.Ref(), inc.Severity, inc.Title)
	if inc.Private {
		about = "private incident " + inc.Ref()
	}
	is.Body = fmt.Sprintf("Action item #%d of %s.\n\nClosing this issue marks the item done in muster.", a.Number, about)
	if b.cfg.Tracker.PublicURL != "" {
		is.Link = tracker.Link{URL: b.cfg.Tracker.PublicURL + "/incidents/" + strconv.Itoa(inc.ID), Text: about}
	}
	return is
}

// ownerEmail is the e-mail of a's owner as the platform tells it, "" when
// it cannot: the issue is then filed unassigned.
func (b *Bot) ownerEmail(ctx context.Context, inc *muster.Incident, a muster.ActionItem) string {
	return b.userEmail(ctx, inc, a.Owner, "tracker: no e-mail for the owner; filed unassigned")
}

// userEmail is user's e-mail as inc's platform tells it; "" when it
// cannot (a platform without e-mails, a user without one), and a failed
// lookup is logged with why it matters.
func (b *Bot) userEmail(ctx context.Context, inc *muster.Incident, user, why string) string {
	f, ok := b.platforms[inc.Platform].(EmailFinder)
	if !ok || user == "" {
		return ""
	}
	email, err := f.UserEmail(ctx, user)
	if err != nil {
		b.log.Warn().Err(err).Str("incident", inc.Ref()).Str("user", user).Msg(why)
		return ""
	}
	return email
}

func (b *Bot) trackerFailure(op string, a muster.ActionItem, why string) string {
	if op == opCreate {
		return fmt.Sprintf("⚠️ creating the %s issue for action item #%d failed: %s", b.cfg.Tracker.Name, a.Number, why)
	}
	return fmt.Sprintf("⚠️ closing %s for action item #%d failed: %s", a.Tracker.Key, a.Number, why)
}

func (b *Bot) byHand(op string) string {
	if op == opCreate {
		return "File it in " + b.cfg.Tracker.Name + " by hand."
	}
	return "Close it in " + b.cfg.Tracker.Name + " by hand."
}

// trackerNote tells inc's room what happened in the tracker.
func (b *Bot) trackerNote(ctx context.Context, inc *muster.Incident, text string) {
	p, running := b.platforms[inc.Platform]
	room := workRoom(inc)
	if !running || room == "" {
		return
	}
	if _, _, err := b.post(ctx, p, inc, room, muster.Message{Text: text}, recordNone, false); err != nil && !errors.Is(err, context.Canceled) {
		b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("tell the room about the tracker")
	}
}

// TrackerEvent applies what a tracker's webhook says of an issue muster
// filed: closed there is done here, reopened there is not done here. An
// issue muster did not file, or a delivery already applied (the same
// delivery id), changes nothing.
func (b *Bot) TrackerEvent(ctx context.Context, ev tracker.Event) error {
	id, n, ok := tracker.ParseKey(ev.Key)
	if !ok {
		return nil
	}
	inc, err := b.store.Incident(ctx, id)
	if muster.ErrorCode(err) == muster.ENOTFOUND {
		return nil
	}
	if err != nil {
		return fmt.Errorf("tracker webhook: read INC-%d: %w", id, err)
	}
	if n > len(inc.Actions) || !sameIssue(inc.Actions[n-1].Tracker, ev.Ref) {
		// A label copied onto another issue, or an issue whose filing is
		// not recorded yet (the poll catches up on it).
		b.log.Info().Str("incident", inc.Ref()).Int("item", n).Str("issue", ev.Ref.Key).Msg("tracker webhook about an issue not recorded on the item; ignored")
		return nil
	}
	key := ""
	if ev.Delivery != "" {
		key = "tracker:" + b.cfg.Tracker.Name + ":" + ev.Delivery
	}
	a := inc.Actions[n-1]
	switch {
	case ev.State.Done && !a.Done:
		return b.doneInTracker(ctx, inc, a, ev.State.ClosedAt, key)
	case !ev.State.Done && a.Done && ev.Changed:
		return b.reopenedInTracker(ctx, inc, a, key)
	}
	return nil
}

func sameIssue(filed muster.TrackerIssue, ref tracker.Ref) bool {
	if !filed.Filed() {
		return false
	}
	if filed.ID != "" && ref.ID != "" {
		return filed.ID == ref.ID
	}
	return filed.Key == ref.Key
}

// doneInTracker marks a done as `action done` would: a timeline entry
// (appended once per key), the item done, the room told.
func (b *Bot) doneInTracker(ctx context.Context, inc *muster.Incident, a muster.ActionItem, closedAt time.Time, key string) error {
	now := b.now()
	if closedAt.IsZero() {
		closedAt = now
	}
	text := fmt.Sprintf("Action item #%d done: %s (%s closed in %s)", a.Number, a.Text, a.Tracker.Key, b.cfg.Tracker.Name)
	return b.applyTracker(ctx, inc, a.Number, key, muster.Entry{Kind: muster.EntryActionDone, At: now, Text: text}, "✅ "+text,
		func(i *muster.ActionItem) {
			if !i.Done {
				i.Done, i.DoneAt = true, closedAt
			}
		})
}

func (b *Bot) reopenedInTracker(ctx context.Context, inc *muster.Incident, a muster.ActionItem, key string) error {
	text := fmt.Sprintf("Action item #%d is open again: %s was reopened in %s", a.Number, a.Tracker.Key, b.cfg.Tracker.Name)
	return b.applyTracker(ctx, inc, a.Number, key, muster.Entry{Kind: muster.EntryAction, At: b.now(), Text: text}, "↩️ "+text,
		func(i *muster.ActionItem) { i.Done, i.DoneAt = false, time.Time{} })
}

// applyTracker appends e under key (a delivery seen before appends
// nothing and changes nothing), then changes item n and tells the room.
func (b *Bot) applyTracker(ctx context.Context, inc *muster.Incident, n int, key string, e muster.Entry, say string, change func(*muster.ActionItem)) error {
	if _, appended, err := b.store.Append(ctx, inc.ID, key, e); err != nil || !appended {
		return err
	}
	stored, _, err := b.store.Update(ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
		if n <= len(i.Actions) {
			change(&i.Actions[n-1])
		}
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("record the tracker's state of %s's action item #%d: %w", inc.Ref(), n, err)
	}
	b.trackerNote(ctx, stored, say)
	return nil
}

// pollTrackers reads, every PollEvery, the state of each filed item not
// done, and marks done those closed in the tracker. A failed read is
// logged and left for the next poll.
func (b *Bot) pollTrackers(ctx context.Context, now time.Time) error {
	every := b.cfg.Tracker.PollEvery
	if b.cfg.Tracker.Tracker == nil || every <= 0 {
		return nil
	}
	if last := b.trackerPolled.Load(); last != 0 && now.Sub(time.Unix(0, last)) < every {
		return nil
	}
	b.trackerPolled.Store(now.UnixNano())
	all, err := b.store.Incidents(ctx, false)
	if err != nil {
		return fmt.Errorf("tracker poll: list incidents: %w", err)
	}
	for _, inc := range all {
		if !b.files(inc) {
			continue
		}
		for _, a := range inc.Actions {
			if a.Done || !a.Tracker.Filed() {
				continue
			}
			st, err := b.cfg.Tracker.Tracker.State(ctx, toRef(a.Tracker))
			if err != nil {
				b.log.Warn().Err(err).Str("incident", inc.Ref()).Int("item", a.Number).Msg("tracker poll: read the issue's state")
				continue
			}
			if st.Done {
				if err := b.doneInTracker(ctx, inc, a, st.ClosedAt, ""); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// catchUpFilings queues the filing of each of inc's items still wanted in
// the tracker whose filing is not waiting: its queueing was lost with a
// process that died after saving the item.
func (b *Bot) catchUpFilings(ctx context.Context, inc *muster.Incident, have map[string]bool) {
	if !b.files(inc) {
		return
	}
	for _, a := range inc.Actions {
		p := trackerPayload{Incident: inc.ID, Item: a.Number, Op: opCreate}
		if a.Tracker.Wanted && !a.Tracker.Filed() && !have[trackerItemKey(p)] {
			b.queueTrackerOp(ctx, p)
		}
	}
}

func toRef(t muster.TrackerIssue) tracker.Ref {
	return tracker.Ref{ID: t.ID, Key: t.Key, Number: t.Number, URL: t.URL}
}

func fromRef(r tracker.Ref) muster.TrackerIssue {
	return muster.TrackerIssue{ID: r.ID, Key: r.Key, Number: r.Number, URL: r.URL}
}
