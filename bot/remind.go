package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/fence"
)

// Nag is a reminder the bot owes an incident.
type Nag string

const (
	NagUpdate   Nag = "update"   // no status update for one cadence period
	NagEscalate Nag = "escalate" // the same, after EscalateAfter reminders went unanswered
	NagNoIC     Nag = "no_ic"    // nobody has taken the IC role yet
	NagPublic   Nag = "public"   // the status page is staler than the severity's public_every
)

// Due says which reminders an incident is owed at now. It is a pure
// function of the stored incident, its severity and the time: nothing
// about schedules lives in memory, so a restart rebuilds every schedule by
// calling it, and a reminder that came due while the bot was down is owed
// once, whatever the number of periods missed.
func Due(inc *muster.Incident, sev muster.Severity, noICAfter time.Duration, now time.Time) []Nag {
	if !inc.Open() {
		return nil
	}
	var nags []Nag
	if noICAfter > 0 && !inc.Reminder.NoICNagged && inc.Roles[muster.RoleIC] == "" && !now.Before(inc.DeclaredAt.Add(noICAfter)) {
		nags = append(nags, NagNoIC)
	}
	if at, ok := inc.NextUpdateDue(sev, now); ok && !now.Before(at) {
		if inc.Reminder.Missed >= escalateAfter(sev) {
			nags = append(nags, NagEscalate)
		} else {
			nags = append(nags, NagUpdate)
		}
	}
	if at, ok := inc.NextPublicDue(sev, now); ok && !now.Before(at) {
		nags = append(nags, NagPublic)
	}
	return nags
}

func escalateAfter(sev muster.Severity) int {
	if sev.EscalateAfter < 1 {
		return 2
	}
	return sev.EscalateAfter
}

// Tick sends every reminder due at now. Each is claimed in the store
// before it is sent, so two ticks (or two processes) never send it twice;
// a send that fails gives the claim back, so the next tick tries again.
// Tick claims through the bot's store; the leader's ticks (StartReminders)
// claim through the store fenced by its lead.
func (b *Bot) Tick(ctx context.Context, now time.Time) error {
	return b.tick(ctx, b.store, now)
}

// tick is Tick with the reminders claimed (and the reminder times pulled
// back) through claims. What must land once a reminder was posted,
// confirming it or giving a failed one back, goes through the bot's own
// store: the post happened, whoever leads now.
func (b *Bot) tick(ctx context.Context, claims Store, now time.Time) error {
	// What the platforms did not take before goes first, in order.
	outboxErr := b.sendOutbox(ctx, claims, now)
	open, err := b.store.Incidents(ctx, true)
	if err != nil {
		return errors.Join(outboxErr, fmt.Errorf("reminder tick: list open incidents: %w", err))
	}
	errs := []error{outboxErr}
	for _, inc := range open {
		if _, running := b.platforms[inc.Platform]; !running {
			continue // worked on a platform this process does not serve (the console, say)
		}
		if workRoom(inc) == "" {
			continue // a private incident whose room could not be made: nowhere private to remind
		}
		if err := b.pullBack(ctx, claims, inc, now); err != nil {
			errs = append(errs, err)
			continue
		}
		for _, nag := range b.owed(inc, now) {
			if err := b.nag(ctx, claims, inc.ID, nag, now); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// pullBack fixes in the store the reminder times that a clock set back
// left in the future (see muster.Incident.NextUpdateDue), so that the next
// reminder is one cadence from the first tick that noticed, not from a
// time the clock has yet to reach. inc is updated to what was stored.
func (b *Bot) pullBack(ctx context.Context, claims Store, inc *muster.Incident, now time.Time) error {
	sev, _, _ := b.cfg.Severities.Find(inc.Severity)
	if probe := inc.Reminder; !probe.PullBack(sev.UpdateEvery, now) {
		return nil
	}
	stored, _, err := claims.Update(ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
		i.Reminder.PullBack(sev.UpdateEvery, now)
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("pull the reminder times of %s back to %s: %w", inc.Ref(), now.Format(time.RFC3339), err)
	}
	b.log.Warn().Str("incident", inc.Ref()).Time("now", now).Msg("reminder times lay in the future (was the clock set back?); counting from now")
	*inc = *stored
	return nil
}

// owed is what Due says, plus a reminder an earlier process claimed and
// died posting (claimed before this bot started sending reminders).
func (b *Bot) owed(inc *muster.Incident, now time.Time) []Nag {
	sev, _, _ := b.cfg.Severities.Find(inc.Severity)
	nags := Due(inc, sev, b.cfg.NoICAfter, now)
	if p := Nag(inc.Reminder.Pending); p != "" && b.leftBehind(inc.Reminder.PendingAt) && !containsNag(nags, p) && inc.Open() {
		nags = append(nags, p)
	}
	return nags
}

// nag claims a reminder through claims, posts it, then confirms it
// together with its timeline entry through the bot's store. A failed post
// gives the claim back; a crash leaves it pending, and the next process
// posts it again.
func (b *Bot) nag(ctx context.Context, claims Store, id int, nag Nag, now time.Time) error {
	var before muster.ReminderState
	var entry muster.Entry
	inc, _, err := claims.Update(ctx, id, func(inc *muster.Incident) ([]muster.Entry, error) {
		if !containsNag(b.owed(inc, now), nag) {
			return nil, errAlreadySent
		}
		sev, _, _ := b.cfg.Severities.Find(inc.Severity)
		before = inc.Reminder
		if Nag(before.Pending) == nag && b.leftBehind(before.PendingAt) && (nag == NagUpdate || nag == NagEscalate) {
			// Posting again what a dead process claimed: counted already.
			inc.Reminder.Missed = max(inc.Reminder.Missed-1, 0)
			before.Missed = inc.Reminder.Missed
		}
		entry = Claim(inc, sev, nag, now)
		inc.Reminder.Pending, inc.Reminder.PendingAt = string(nag), now
		return nil, nil
	})
	if errors.Is(err, errAlreadySent) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("claim %s reminder of INC-%d: %w", nag, id, err)
	}
	ours := func(r *muster.ReminderState) bool { return r.Pending == string(nag) && r.PendingAt.Equal(now) }
	if err := b.sendNag(ctx, inc, nag, before, now); err != nil {
		// Give back only what the claim took, and only if it still holds:
		// an update or a snooze that came meanwhile must stand.
		if _, _, uerr := b.store.Update(context.WithoutCancel(ctx), id, func(inc *muster.Incident) ([]muster.Entry, error) {
			r := &inc.Reminder
			if !ours(r) {
				return nil, nil
			}
			r.Pending, r.PendingAt = "", time.Time{}
			switch {
			case nag == NagNoIC:
				r.NoICNagged = before.NoICNagged
			case nag == NagPublic:
				if r.LastPublicNag.Equal(now) {
					r.LastPublicNag = before.LastPublicNag
				}
			case r.LastNag.Equal(now):
				r.LastNag, r.Missed = before.LastNag, before.Missed
			}
			return nil, nil
		}); uerr != nil {
			err = errors.Join(err, fmt.Errorf("give back the claim: %w", uerr))
		}
		return fmt.Errorf("send %s reminder of %s: %w", nag, inc.Ref(), err)
	}
	b.cfg.Observer.ReminderSent(inc, string(nag))
	// Confirmed with its timeline entry in one transaction: the timeline
	// records the reminders that reached people. The context may be
	// cancelled by a shutdown, and the lead lost; the post happened, so
	// this must still land: through the bot's store, not claims.
	confirmed, _, err := b.store.Update(context.WithoutCancel(ctx), id, func(inc *muster.Incident) ([]muster.Entry, error) {
		if ours(&inc.Reminder) {
			inc.Reminder.Pending, inc.Reminder.PendingAt = "", time.Time{}
		}
		return []muster.Entry{entry}, nil
	})
	if err != nil {
		return fmt.Errorf("record %s reminder of %s: %w", nag, inc.Ref(), err)
	}
	b.log.Info().Str("incident", inc.Ref()).Str("nag", string(nag)).Msg("reminder sent")
	if nag == NagUpdate || nag == NagEscalate {
		// The reminder moved the next one a cadence on: the header, which
		// names when the next update is due, must say so.
		b.refreshHeader(ctx, b.platforms[inc.Platform], confirmed)
	}
	return nil
}

var errAlreadySent = errors.New("reminder already sent")

// leftBehind reports whether a reminder claimed at claimedAt was left by
// a process that died before posting it: one claimed before this bot began
// sending reminders. With several replicas that is when this one became
// the leader, so a claim of the leader it replaced is posted.
func (b *Bot) leftBehind(claimedAt time.Time) bool {
	return claimedAt.Before(time.Unix(0, b.started.Load()))
}

// Claim marks a reminder sent in the incident's state and returns the
// timeline entry to record once it has been delivered. It is exported for
// `muster simulate`, which replays the same logic on paper.
func Claim(inc *muster.Incident, sev muster.Severity, nag Nag, now time.Time) muster.Entry {
	switch nag {
	case NagNoIC:
		inc.Reminder.NoICNagged = true
		return muster.Entry{Kind: muster.EntryReminder, At: now, Text: fmt.Sprintf("Reminded: no Incident Commander after %s", muster.FormatDuration(now.Sub(inc.DeclaredAt)))}
	case NagPublic:
		since := "a while"
		if last, ok := inc.LastPublic(); ok {
			since = muster.FormatDuration(now.Sub(last.At))
		}
		inc.Reminder.LastPublicNag = now
		return muster.Entry{Kind: muster.EntryReminder, At: now, Text: fmt.Sprintf("Reminded: no public post for %s (every %s)", since, muster.FormatDuration(sev.PublicEvery))}
	}
	inc.Reminder.Missed++
	inc.Reminder.LastNag = now
	since := muster.FormatDuration(now.Sub(inc.Reminder.LastUpdate))
	if nag == NagEscalate {
		return muster.Entry{Kind: muster.EntryEscalation, At: now, Text: fmt.Sprintf("Escalated: no status update for %s (%d reminders)", since, inc.Reminder.Missed)}
	}
	return muster.Entry{Kind: muster.EntryReminder, At: now, Text: fmt.Sprintf("Reminded: no status update for %s (cadence %s)", since, muster.FormatDuration(sev.UpdateEvery))}
}

func (b *Bot) sendNag(ctx context.Context, inc *muster.Incident, nag Nag, before muster.ReminderState, now time.Time) error {
	p, ok := b.platforms[inc.Platform]
	if !ok {
		return fmt.Errorf("platform %q of %s is not running", inc.Platform, inc.Ref())
	}
	room := workRoom(inc)
	if room == "" {
		return fmt.Errorf("%s has no room to remind", inc.Ref())
	}
	sev, _, _ := b.cfg.Severities.Find(inc.Severity)
	ic, comms := inc.Roles[muster.RoleIC], inc.Holder("comms")
	if comms == "" {
		comms = inc.Declarer // nobody holds a role yet: the declarer is who we have
	}
	var text string
	switch nag {
	case NagNoIC:
		text = fmt.Sprintf("👤 %s %s has had no Incident Commander for %s. Press “I'll be IC” above or type `ic`.",
			muster.Mention(inc.Declarer), inc.Ref(), muster.FormatDuration(now.Sub(inc.DeclaredAt)))
	case NagUpdate:
		text = fmt.Sprintf("⏰ %s %s needs a status update: the last one was %s ago and %s asks for one every %s. Post it with `update <text>`, or `snooze <duration>`.",
			muster.Mention(comms), inc.Ref(), muster.FormatDuration(now.Sub(before.LastUpdate)), sev.Name, muster.FormatDuration(sev.UpdateEvery))
	case NagPublic:
		last, _ := inc.LastPublic()
		text = fmt.Sprintf("📣 %s %s's status page was last updated %s ago and %s asks for a public post every %s while customers are watching. Post where things stand with `public <text>`.",
			muster.Mention(comms), inc.Ref(), muster.FormatDuration(now.Sub(last.At)), sev.Name, muster.FormatDuration(sev.PublicEvery))
	case NagEscalate:
		who := muster.Mention(comms)
		if ic != "" && ic != comms {
			who = muster.Mention(ic) + " " + who
		}
		text = fmt.Sprintf("🚨 %s %s has gone %s without a status update; %d reminders went unanswered and %s asks for one every %s. Post it now with `update <text>`.",
			who, inc.Ref(), muster.FormatDuration(now.Sub(before.LastUpdate)), before.Missed, sev.Name, muster.FormatDuration(sev.UpdateEvery))
	}
	if _, err := p.Post(ctx, room, muster.Message{Text: text}); err != nil {
		return fmt.Errorf("post reminder: %w", err)
	}
	if nag == NagEscalate {
		// After the room post, so a retried escalation is announced once.
		b.announce(ctx, p, inc, muster.Message{Text: fmt.Sprintf("⚠️ %s (%s) is overdue for a status update: the last one was %s ago.", inc.Ref(), inc.Severity, muster.FormatDuration(now.Sub(before.LastUpdate)))})
	}
	return nil
}

func containsNag(nags []Nag, nag Nag) bool {
	for _, n := range nags {
		if n == nag {
			return true
		}
	}
	return false
}

// StartReminders ticks every interval until the returned stop is called,
// claiming the reminders through claims: the store as the leader may
// write it (fenced by its lead, with etcd), so that a replica that lost
// the lead without noticing yet claims nothing the new leader owns.
// cron only ticks; Due decides, so tests call Tick with the time they want.
// The first tick runs at once, which sends what came due while the bot was
// down, and what a process (or the previous leader) claimed and died
// posting.
func (b *Bot) StartReminders(ctx context.Context, claims Store, every time.Duration) (stop func(), err error) {
	b.started.Store(b.now().UnixNano())
	c := cron.New()
	tick := func() {
		// A tick cut short because the reminders are stopping (a
		// shutdown, or another replica taking the lead) is no error: what
		// it did not send stays owed.
		if err := b.tick(ctx, claims, b.now()); err != nil && ctx.Err() == nil && !errors.Is(err, fence.ErrLost) {
			b.log.Error().Err(err).Msg("reminder tick")
		}
	}
	if _, err := c.AddFunc(fmt.Sprintf("@every %s", every), tick); err != nil {
		return nil, fmt.Errorf("schedule reminder tick every %s: %w", every, err)
	}
	tick()
	c.Start()
	return func() { <-c.Stop().Done() }, nil
}
