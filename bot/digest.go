package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/fence"
)

// The weekly digest is a leader job like the reminders: cron only ticks,
// DigestSlot decides which scheduled time is owed, and the store keeps
// the last one sent (digestKey), claimed before the post through the
// leader's fenced store and confirmed after it through the bot's own. A
// restart or a second replica sends no digest twice; a process that dies
// while posting leaves the claim, and the next leader posts it again (a
// digest may be doubled by a crash, never lost).

// digestKey holds "<slot>" once the digest of that scheduled time was
// sent, "pending <slot> <claimed at>" while it is being sent.
const digestKey = "digest.last"

// digestGrace is how late a digest is still sent: one missed by a longer
// outage is skipped, and the next one comes as scheduled.
const digestGrace = 24 * time.Hour

// Digest is where and when the weekly digest goes.
type Digest struct {
	Schedule cron.Schedule
	Location *time.Location // the schedule's time zone, and the digest's dates'
	Platform string
	Channel  string
}

// DigestStore is what the digest reads and claims through: the leader's
// store, fenced by its lead.
type DigestStore interface {
	IncidentsDeclared(ctx context.Context, from, to time.Time, limit int) ([]*muster.Incident, error)
	Incidents(ctx context.Context, openOnly bool) ([]*muster.Incident, error)
	Setting(ctx context.Context, key string) (string, error)
	SwapSetting(ctx context.Context, key, old, value string) (bool, error)
}

// DigestSlot returns the latest time sched names at or before now, in
// loc, that is after last and at most digestGrace old: the digest owed at
// now, if any.
func DigestSlot(sched cron.Schedule, loc *time.Location, last, now time.Time) (time.Time, bool) {
	from := now.Add(-digestGrace)
	if last.After(from) {
		from = last
	}
	var slot time.Time
	for t := sched.Next(from.In(loc)); !t.After(now); t = sched.Next(t) {
		slot = t
	}
	return slot, !slot.IsZero()
}

// digestMark is what digestKey holds.
type digestMark struct {
	slot      time.Time
	pending   bool
	claimedAt time.Time
}

func parseDigestMark(v string) digestMark {
	var m digestMark
	f := strings.Fields(v)
	if len(f) == 3 && f[0] == "pending" {
		m.pending = true
		if n, err := strconv.ParseInt(f[2], 10, 64); err == nil {
			m.claimedAt = time.Unix(0, n)
		}
		f = f[1:2]
	}
	if len(f) == 1 {
		m.slot, _ = time.Parse(time.RFC3339, f[0])
	}
	return m
}

func (m digestMark) String() string {
	s := m.slot.UTC().Format(time.RFC3339)
	if m.pending {
		s = fmt.Sprintf("pending %s %d", s, m.claimedAt.UnixNano())
	}
	return s
}

// SendDigest posts the digest owed at now, if any, claiming it through
// claims; started is when this process began sending digests, so that a
// claim older than it (a dead process's) is posted again.
func (b *Bot) SendDigest(ctx context.Context, claims DigestStore, d Digest, now, started time.Time) error {
	raw, err := claims.Setting(ctx, digestKey)
	if err != nil {
		return fmt.Errorf("digest: read the last one sent: %w", err)
	}
	mark := parseDigestMark(raw)
	last := mark.slot
	if mark.pending && mark.claimedAt.Before(started) {
		last = last.Add(-time.Nanosecond) // left by a dead process: owed again
	}
	slot, ok := DigestSlot(d.Schedule, d.Location, last, now)
	if !ok {
		return nil
	}
	claim := digestMark{slot: slot, pending: true, claimedAt: now}
	if swapped, err := claims.SwapSetting(ctx, digestKey, raw, claim.String()); err != nil {
		return fmt.Errorf("digest: claim the one of %s: %w", slot.Format(time.RFC3339), err)
	} else if !swapped {
		return nil // another process claimed it meanwhile
	}
	postErr := b.postDigest(ctx, claims, d, slot, now)
	// What lands after the post goes through the bot's own store: the
	// post happened (or did not), whoever leads now.
	final := digestMark{slot: slot}.String()
	if postErr != nil {
		final = raw // give the claim back: the next tick tries again
	}
	if _, err := b.store.SwapSetting(context.WithoutCancel(ctx), digestKey, claim.String(), final); err != nil {
		return errors.Join(postErr, fmt.Errorf("digest: record the one of %s: %w", slot.Format(time.RFC3339), err))
	}
	if postErr == nil {
		b.log.Info().Time("slot", slot).Str("channel", d.Channel).Msg("weekly digest sent")
	}
	return postErr
}

func (b *Bot) postDigest(ctx context.Context, s DigestStore, d Digest, slot, now time.Time) error {
	p, ok := b.platforms[d.Platform]
	if !ok {
		return fmt.Errorf("digest: platform %q is not running", d.Platform)
	}
	msg, err := b.digestMessage(ctx, s, d, slot, now)
	if err != nil {
		return err
	}
	if _, err := p.Post(ctx, d.Channel, msg); err != nil {
		return fmt.Errorf("digest: post to %s: %w", d.Channel, err)
	}
	return nil
}

// StartDigest sends the weekly digest on d's schedule until stop is
// called, claiming through claims (the leader's fenced store). It checks
// once at start, so a digest that came due while no replica led goes out
// late rather than not at all.
func (b *Bot) StartDigest(ctx context.Context, claims DigestStore, d Digest) (stop func(), err error) {
	started := b.now()
	var mu sync.Mutex // the check at start and a cron tick must not overlap
	tick := func() {
		mu.Lock()
		defer mu.Unlock()
		if err := b.SendDigest(ctx, claims, d, b.now(), started); err != nil && ctx.Err() == nil && !errors.Is(err, fence.ErrLost) {
			b.log.Error().Err(err).Msg("weekly digest")
		}
	}
	c := cron.New(cron.WithLocation(d.Location))
	c.Schedule(d.Schedule, cron.FuncJob(tick))
	tick()
	c.Start()
	return func() { <-c.Stop().Done() }, nil
}
