package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/calendar"
	"github.com/muster-bot/muster/outbox"
)

// After a resolve the leader follows the postmortem through (see
// muster.Postmortem): it proposes the review meeting in the war room with
// an .ics invite, reminds the owner every RemindEvery until the
// postmortem is published, and shares the published one with the share
// channel. An incident with such work left has one outbox item, keyed by
// the incident, whose Next is when its next step is due, so the tick
// reads the outbox rather than every resolved incident. Each step is
// claimed on the incident through the leader's fenced store before it is
// posted, as the reminders are: a replica that lost the lead claims
// nothing, and a step is posted once, or again after a crash, never lost.

const kindPostmortem = "postmortem"

// PostmortemConfig is what the follow-through reads.
type PostmortemConfig struct {
	Window   calendar.Window
	Location *time.Location // the configured timezone; nil means UTC
	// RemindEvery is how often the owner is reminded of a draft; 0 never.
	RemindEvery time.Duration
	// ShareChannel is the room, on the incident's platform, published
	// postmortems are posted to; "" shares nothing.
	ShareChannel string
	// WebURL is web.public_url, for links to the postmortem's page and
	// the invite's UID; "" links nothing.
	WebURL string
	// People names a user, and tells their e-mail when known, for the
	// invite; nil names users by their ids.
	People func(ctx context.Context, user string) calendar.Person
}

// PostmortemStep is one thing the follow-through posts.
type PostmortemStep string

const (
	StepReview PostmortemStep = "review" // the review meeting proposed, with the invite
	StepRemind PostmortemStep = "remind" // the owner reminded of the draft
	StepShare  PostmortemStep = "share"  // the published postmortem shared
)

// PostmortemDue says which steps of its follow-through inc is owed at
// now: a pure function of the stored incident, so a restart or another
// leader decides the same.
func PostmortemDue(inc *muster.Incident, cfg PostmortemConfig, now time.Time) []PostmortemStep {
	pm := inc.Postmortem
	if pm.Status == muster.PostmortemNone || inc.Open() {
		return nil
	}
	var steps []PostmortemStep
	if pm.Status == muster.PostmortemDraft {
		if !pm.ReviewPosted {
			steps = append(steps, StepReview)
		}
		if at, ok := nextPostmortemReminder(inc, cfg); ok && !now.Before(at) {
			steps = append(steps, StepRemind)
		}
	}
	if shares(inc, cfg) && pm.SharedAt.IsZero() {
		steps = append(steps, StepShare)
	}
	return steps
}

// nextPostmortemReminder is when the owner is next reminded of the draft:
// one period after the resolve, then after each reminder.
func nextPostmortemReminder(inc *muster.Incident, cfg PostmortemConfig) (time.Time, bool) {
	if cfg.RemindEvery <= 0 || inc.Postmortem.Status != muster.PostmortemDraft {
		return time.Time{}, false
	}
	last := inc.Postmortem.LastReminder
	if last.IsZero() {
		last = inc.ResolvedAt
	}
	return last.Add(cfg.RemindEvery), true
}

// shares reports whether inc's published postmortem goes to the share
// channel: never a private incident's.
func shares(inc *muster.Incident, cfg PostmortemConfig) bool {
	return inc.Postmortem.Status == muster.PostmortemPublished && cfg.ShareChannel != "" && !inc.Private
}

// postmortemNext is when inc's follow-through next has something to do,
// false when it has nothing left (or is reopened: the next resolve
// schedules it again).
func postmortemNext(inc *muster.Incident, cfg PostmortemConfig, now time.Time) (time.Time, bool) {
	if len(PostmortemDue(inc, cfg, now)) > 0 || inc.Postmortem.Pending != "" {
		return now, true
	}
	if inc.Open() {
		return time.Time{}, false
	}
	return nextPostmortemReminder(inc, cfg)
}

type postmortemPayload struct {
	Incident int `json:"incident"`
}

func postmortemKey(id int) string { return fmt.Sprintf("%s/%020d", kindPostmortem, id) }

// schedulePostmortem makes inc's outbox item due when its follow-through
// next has something to do. Any replica may schedule; the leader sends.
func (b *Bot) schedulePostmortem(ctx context.Context, inc *muster.Incident, now time.Time) {
	next, ok := postmortemNext(inc, b.cfg.Postmortem, now)
	if !ok {
		return
	}
	payload, err := json.Marshal(postmortemPayload{Incident: inc.ID})
	if err != nil {
		b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("schedule the postmortem follow-through")
		return
	}
	it := outbox.Item{Key: postmortemKey(inc.ID), Kind: kindPostmortem, Payload: payload, Queued: now, Next: next}
	ctx = context.WithoutCancel(ctx) // the change that asked for it is saved
	added, err := b.store.AddOutbox(ctx, it)
	if err == nil && !added {
		// One waits already, perhaps until the next reminder: a publish
		// must not wait that long to be shared.
		_, err = b.store.UpdateOutbox(ctx, it)
	}
	if err != nil {
		b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("schedule the postmortem follow-through")
	}
}

// sendPostmortemItem posts what one incident's follow-through owes now,
// then makes its item due at the next step, or removes it.
func (b *Bot) sendPostmortemItem(ctx context.Context, claims Store, it outbox.Item, now time.Time) error {
	if now.Before(it.Next) {
		return nil
	}
	var q postmortemPayload
	if err := json.Unmarshal(it.Payload, &q); err != nil {
		b.log.Error().Err(err).Str("key", it.Key).Msg("outbox: a postmortem item that cannot be read; dropped")
		return claims.DeleteOutbox(ctx, it.Key)
	}
	inc, err := b.store.Incident(ctx, q.Incident)
	if muster.ErrorCode(err) == muster.ENOTFOUND {
		return claims.DeleteOutbox(ctx, it.Key)
	}
	if err != nil {
		return fmt.Errorf("postmortem follow-through: read INC-%d: %w", q.Incident, err)
	}
	p, running := b.platforms[inc.Platform]
	if !running {
		return nil // its platform is served by another process
	}
	claimed, err := b.claim(ctx, claims, it, now)
	if claimed == nil {
		return err
	}
	var errs []error
	for _, step := range b.postmortemOwed(inc, now) {
		if err := b.postmortemStep(ctx, claims, p, inc.ID, step, now); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		_, uerr := claims.UpdateOutbox(ctx, claimed.Failed(now, err, 0))
		return errors.Join(err, uerr)
	}
	return b.reschedulePostmortem(ctx, *claimed, q.Incident, now)
}

// reschedulePostmortem makes the item due at the incident's next step, as
// stored now, or removes it when there is none. A publish that lands
// right after the removal finds no item and adds one; one that lands
// between the read and the removal is caught by reading again.
func (b *Bot) reschedulePostmortem(ctx context.Context, it outbox.Item, id int, now time.Time) error {
	ctx = context.WithoutCancel(ctx) // the steps were posted; their record must land
	inc, err := b.store.Incident(ctx, id)
	if err != nil {
		return fmt.Errorf("postmortem follow-through: read INC-%d: %w", id, err)
	}
	if next, ok := postmortemNext(inc, b.cfg.Postmortem, now); ok {
		it.Next, it.Attempts, it.LastError = next, 0, ""
		_, err := b.store.UpdateOutbox(ctx, it)
		return err
	}
	if err := b.store.DeleteOutbox(ctx, it.Key); err != nil {
		return err
	}
	if inc, err = b.store.Incident(ctx, id); err == nil {
		b.schedulePostmortem(ctx, inc, now)
	}
	return nil
}

// postmortemOwed is what PostmortemDue says, plus a step an earlier
// process claimed and died posting.
func (b *Bot) postmortemOwed(inc *muster.Incident, now time.Time) []PostmortemStep {
	steps := PostmortemDue(inc, b.cfg.Postmortem, now)
	pm := inc.Postmortem
	if s := PostmortemStep(pm.Pending); s != "" && b.leftBehind(pm.PendingAt) && !slices.Contains(steps, s) && !inc.Open() {
		steps = append(steps, s)
	}
	return steps
}

// postmortemStep claims one step through claims, posts it, then confirms
// it with its timeline entry through the bot's store; a failed post gives
// the claim back.
func (b *Bot) postmortemStep(ctx context.Context, claims Store, p Platform, id int, step PostmortemStep, now time.Time) error {
	var before muster.Postmortem
	inc, _, err := claims.Update(ctx, id, func(inc *muster.Incident) ([]muster.Entry, error) {
		if !slices.Contains(b.postmortemOwed(inc, now), step) {
			return nil, errAlreadySent
		}
		pm := &inc.Postmortem
		before = *pm
		switch step {
		case StepReview:
			pm.ReviewPosted = true
			pm.Review, _ = b.proposeReview(inc, now)
		case StepRemind:
			pm.LastReminder = now
			pm.Reminders++
		case StepShare:
			pm.SharedAt = now
		}
		pm.Pending, pm.PendingAt = string(step), now
		return nil, nil
	})
	if errors.Is(err, errAlreadySent) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("claim the postmortem %s of INC-%d: %w", step, id, err)
	}
	ours := func(pm *muster.Postmortem) bool { return pm.Pending == string(step) && pm.PendingAt.Equal(now) }
	entry, err := b.sendPostmortemStep(ctx, p, inc, step, now)
	if err != nil {
		if _, _, uerr := b.store.Update(context.WithoutCancel(ctx), id, func(inc *muster.Incident) ([]muster.Entry, error) {
			pm := &inc.Postmortem
			if !ours(pm) {
				return nil, nil
			}
			pm.Pending, pm.PendingAt = "", time.Time{}
			switch step {
			case StepReview:
				pm.ReviewPosted, pm.Review = before.ReviewPosted, before.Review
			case StepRemind:
				pm.LastReminder, pm.Reminders = before.LastReminder, before.Reminders
			case StepShare:
				pm.SharedAt = before.SharedAt
			}
			return nil, nil
		}); uerr != nil {
			err = errors.Join(err, fmt.Errorf("give back the claim: %w", uerr))
		}
		return fmt.Errorf("post the postmortem %s of %s: %w", step, inc.Ref(), err)
	}
	if _, _, err := b.store.Update(context.WithoutCancel(ctx), id, func(inc *muster.Incident) ([]muster.Entry, error) {
		if ours(&inc.Postmortem) {
			inc.Postmortem.Pending, inc.Postmortem.PendingAt = "", time.Time{}
		}
		return []muster.Entry{entry}, nil
	}); err != nil {
		return fmt.Errorf("record the postmortem %s of %s: %w", step, inc.Ref(), err)
	}
	b.log.Info().Str("incident", inc.Ref()).Str("step", string(step)).Msg("postmortem follow-through posted")
	return nil
}

// sendPostmortemStep posts one step and returns its timeline entry.
func (b *Bot) sendPostmortemStep(ctx context.Context, p Platform, inc *muster.Incident, step PostmortemStep, now time.Time) (muster.Entry, error) {
	var (
		room = workRoom(inc)
		msg  muster.Message
		text string
		err  error
	)
	switch step {
	case StepReview:
		msg, err = b.reviewMessage(ctx, inc, now)
		text = "Review proposed for " + inc.Postmortem.Review.UTC().Format("2006-01-02 15:04 UTC") + ", invite posted"
	case StepRemind:
		msg = b.reminderMessage(inc, now)
		text = "Reminded " + muster.Mention(inc.Postmortem.Owner) + " of the postmortem draft"
	case StepShare:
		room = b.cfg.Postmortem.ShareChannel
		msg, err = b.shareMessage(ctx, inc)
		text = "Postmortem shared in " + room
	}
	if err != nil {
		return muster.Entry{}, err
	}
	if room == "" {
		return muster.Entry{}, fmt.Errorf("%s has no room to post the postmortem %s in", inc.Ref(), step)
	}
	if inc.Drill {
		msg = drillMarked(msg) // a drill's postmortem in the share channel is not taken for an outage's
	}
	if _, err := p.Post(ctx, room, msg); err != nil {
		return muster.Entry{}, err
	}
	return muster.Entry{Kind: muster.EntryPostmortem, At: now, Text: text}, nil
}

// proposeReview is the review's start for inc, inside the review window
// after its resolve when that is still ahead of now; a step that comes
// late (the platform was down, no replica led) proposes the first slot
// that is still ahead, never one already past, and says it is not in the
// window.
func (b *Bot) proposeReview(inc *muster.Incident, now time.Time) (time.Time, bool) {
	cfg := b.cfg.Postmortem
	start, inWindow := calendar.ProposeReview(inc.ResolvedAt, cfg.Location, cfg.Window)
	if start.Before(now) {
		from := cfg.Window.From
		if from <= 0 {
			from = calendar.DefaultFrom
		}
		start, _ = calendar.ProposeReview(now.Add(-from), cfg.Location, cfg.Window)
		inWindow = false
	}
	return start, inWindow
}

// reviewMessage proposes the review with its invite attached: the
// platforms post files (Slack uploads it; the console prints it).
func (b *Bot) reviewMessage(ctx context.Context, inc *muster.Incident, now time.Time) (muster.Message, error) {
	cfg := b.cfg.Postmortem
	loc := cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	start, inWindow := b.proposeReview(inc, now)
	length := cfg.Window.Length
	if length <= 0 {
		length = calendar.DefaultLength
	}
	end := start.Add(length)
	ics, invited, err := b.reviewInvite(ctx, inc, start, end, now)
	if err != nil {
		return muster.Message{}, err
	}
	window := reviewWindow(cfg.Window)
	where := "inside the " + window + " review window"
	if !inWindow {
		where = "the first working slot after the " + window + " review window, which held none"
	}
	return muster.Message{
		Title: fmt.Sprintf("📅 Postmortem review of %s: %s–%s %s (%s)", inc.Ref(),
			start.In(loc).Format("Mon 2006-01-02 15:04"), end.In(loc).Format("15:04"), start.In(loc).Format("MST"), loc),
		Text: fmt.Sprintf("Proposed %s. Owner: %s. Invited: %s. The invite is attached as an .ics file: add it to your calendar, or agree on another time here. `postmortem` posts the draft; `postmortem publish` shares the final text.",
			where, muster.Mention(inc.Postmortem.Owner), strings.Join(invited, ", ")),
		File: &muster.File{Name: inc.Ref() + "-review.ics", Title: "Review invite: " + inc.Ref(), Content: ics},
	}, nil
}

func reviewWindow(w calendar.Window) string {
	from, to := w.From, w.To
	if from == 0 && to == 0 {
		from, to = calendar.DefaultFrom, calendar.DefaultTo
	}
	return hours(from) + "–" + hours(to)
}

// hours writes a window bound the way the config does, 48h rather than 2d.
func hours(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return muster.FormatDuration(d)
}

// reviewInvite writes the review's .ics for the owner and the incident's
// participants (who took a role or ran a command), and returns them as
// mentions for the post.
func (b *Bot) reviewInvite(ctx context.Context, inc *muster.Incident, start, end, now time.Time) ([]byte, []string, error) {
	person := func(id string) calendar.Person {
		p := calendar.Person{Name: id}
		if b.cfg.Postmortem.People != nil {
			if named := b.cfg.Postmortem.People(ctx, id); named.Name != "" || named.Email != "" {
				p = named
			}
		}
		if p.Email == "" {
			p.Email = b.userEmail(ctx, inc, id, "postmortem review: no e-mail for a participant; named in the invite's description")
		}
		return p
	}
	owner := inc.Postmortem.Owner
	var people []calendar.Person
	var mentions []string
	for _, id := range append([]string{owner}, inc.Participants...) {
		if id == "" || slices.Contains(mentions, muster.Mention(id)) {
			continue
		}
		mentions = append(mentions, muster.Mention(id))
		people = append(people, person(id))
	}
	desc := fmt.Sprintf("Blameless review of %s: %s.\nAgenda: the timeline, what went well and what went poorly, contributing factors, action items.", inc.Ref(), inc.Title)
	link := b.postmortemURL(inc)
	if link != "" {
		desc += "\nThe draft: " + link
	}
	ics, err := calendar.Invite{
		UID:   fmt.Sprintf("muster-%s-review@%s", inc.Ref(), b.inviteHost()),
		Start: start, End: end,
		Summary:      fmt.Sprintf("Review of %s: %s", inc.Ref(), inc.Title),
		Description:  desc,
		URL:          link,
		Organizer:    person(owner),
		Participants: people,
		Stamp:        now,
	}.ICS()
	if err != nil {
		return nil, nil, fmt.Errorf("write the review invite of %s: %w", inc.Ref(), err)
	}
	return ics, mentions, nil
}

// inviteHost is the domain part of the invite's UID: muster's web host,
// so two musters' invites never share a UID.
func (b *Bot) inviteHost() string {
	if u, err := url.Parse(b.cfg.Postmortem.WebURL); err == nil && u.Host != "" {
		return u.Host
	}
	return "muster.invalid"
}

// postmortemURL is the postmortem's web page, "" without a public URL.
func (b *Bot) postmortemURL(inc *muster.Incident) string {
	if b.cfg.Postmortem.WebURL == "" {
		return ""
	}
	return fmt.Sprintf("%s/incidents/%d/postmortem", strings.TrimRight(b.cfg.Postmortem.WebURL, "/"), inc.ID)
}

// reminderMessage reminds the owner, in the war room: a private incident
// is spoken of nowhere else, and the room is where the team finds it.
func (b *Bot) reminderMessage(inc *muster.Incident, now time.Time) muster.Message {
	text := fmt.Sprintf("📝 %s the postmortem of %s is still a draft, %s after the resolve.", muster.Mention(inc.Postmortem.Owner), inc.Ref(), muster.FormatDuration(now.Sub(inc.ResolvedAt)))
	if r := inc.Postmortem.Review; !r.IsZero() {
		loc := b.cfg.Postmortem.Location
		if loc == nil {
			loc = time.UTC
		}
		text += " Review: " + r.In(loc).Format("Mon 2006-01-02 15:04 MST") + "."
	}
	text += " `postmortem` posts the draft; `postmortem publish` shares the final text; `postmortem owner @user` hands it on."
	return muster.Message{Text: text}
}

// shareMessage is the published postmortem as the share channel gets it:
// a summary that fits any chat message, with the whole Markdown attached
// and a link to its page, since a postmortem outgrows a message.
func (b *Bot) shareMessage(ctx context.Context, inc *muster.Incident) (muster.Message, error) {
	file, err := b.commands.PostmortemFile(ctx, inc)
	if err != nil {
		return muster.Message{}, err
	}
	fields := []muster.Field{
		{Label: "Severity", Value: inc.Severity},
		{Label: "Impact", Value: muster.FormatDuration(inc.TimeToMitigate())},
		{Label: "Owner", Value: muster.Mention(inc.Postmortem.Owner)},
	}
	if len(inc.Services) > 0 {
		fields = append(fields, muster.Field{Label: "Services", Value: strings.Join(inc.Services, ", ")})
	}
	text := inc.Summary
	if text == "" {
		text = "No summary was given at resolve."
	}
	if link := b.postmortemURL(inc); link != "" {
		text += "\nRead it: " + link
	}
	return muster.Message{
		Title:  fmt.Sprintf("📘 Postmortem: %s · %s", inc.Ref(), inc.Title),
		Fields: fields,
		Text:   text + "\nThe full postmortem is attached.",
		File:   file,
	}, nil
}
