package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/commands"
	"github.com/muster-bot/muster/internal/remote"
	"github.com/muster-bot/muster/outbox"
	"github.com/muster-bot/muster/paging"
)

// Paging: what an incident owes its services' on-calls is recorded on it
// (muster.PageRecord, one per service and provider: queued, then
// triggered, acknowledged, resolving, resolved, or failed), in the same
// transaction that decides it, and each call owed waits in the outbox as
// an item keyed by incident, service, provider and action. So a command
// retried by the platform, or seen by two replicas, queues a page once;
// the declaration never waits for a provider; and the leader's tick sends
// it, retrying with backoff until the provider takes it or pageGiveUp
// passes. A crash between a call and its record repeats the call, which
// the page's key makes harmless at the provider.

const (
	kindPage = "page"
	// pageGiveUp is how long a page is retried: past it, whoever is
	// working the incident pages by hand.
	pageGiveUp = 15 * time.Minute
	// The actions of a page item.
	actionTrigger = "trigger"
	actionResolve = "resolve"
)

// PagerDuty is what the bot calls of PagerDuty (pagerduty.Client).
type PagerDuty interface {
	Trigger(ctx context.Context, routingKey string, p paging.Page) error
	Resolve(ctx context.Context, routingKey, dedupKey string) error
	OnCall(ctx context.Context, escalationPolicy string) ([]paging.OnCall, error)
}

// Opsgenie is what the bot calls of Opsgenie (opsgenie.Client).
type Opsgenie interface {
	Create(ctx context.Context, team string, p paging.Page) (string, error)
	Close(ctx context.Context, alias, note string) (string, error)
	OnCall(ctx context.Context, schedule string) ([]paging.OnCall, error)
}

// RoomURLer is a platform whose rooms have web addresses, which a page
// links to.
type RoomURLer interface {
	RoomURL(room string) string
}

// PeopleFinder is a platform that finds its users by e-mail address, to
// invite the people on call to the war room.
type PeopleFinder interface {
	UsersByEmail(ctx context.Context, email string) ([]muster.Event, error)
}

// Paging is how the bot pages; the zero value pages nobody.
type Paging struct {
	Services  muster.Services
	PagerDuty PagerDuty // nil: services' pagerduty pages are not sent
	Opsgenie  Opsgenie  // nil: services' opsgenie pages are not sent
	// PagerDutyOnCall: look up PagerDuty's on-calls (it needs a REST API
	// token, which the Events API does not).
	PagerDutyOnCall bool
	// IncidentURL is the incident page's address, for the page's links;
	// nil or "" for none.
	IncidentURL func(id int) string
}

type pagePayload struct {
	Incident int    `json:"incident"`
	Service  string `json:"service"`
	Provider string `json:"provider"`
	Action   string `json:"action"`
}

func pageKey(p pagePayload) string {
	return fmt.Sprintf("%s/%020d/%s/%s/%s", kindPage, p.Incident, p.Service, p.Provider, p.Action)
}

func (b *Bot) pages() bool { return b.cfg.Paging.PagerDuty != nil || b.cfg.Paging.Opsgenie != nil }

// queuePages records and queues what inc owes its services' on-calls (see
// muster.Incident.QueuePages), and the pages `page` asked for. Any
// replica may queue; the leader sends.
func (b *Bot) queuePages(ctx context.Context, inc *muster.Incident) {
	if !b.pages() || !b.pagesOwed(inc) {
		return
	}
	ctx = context.WithoutCancel(ctx) // the change that owes them is saved
	var waiting []muster.PageRecord
	stored, _, err := b.store.Update(ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
		sev, _, _ := b.cfg.Severities.Find(i.Severity)
		i.QueuePages(sev, b.cfg.Paging.Services, paging.Key, b.now())
		waiting = waiting[:0]
		for _, p := range i.Pages {
			if p.Waiting() {
				waiting = append(waiting, p)
			}
		}
		return nil, nil
	})
	if err != nil {
		b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("record the pages owed")
		return
	}
	for _, p := range waiting {
		b.addPageItem(ctx, stored, p)
	}
}

// pagesOwed reports, from what inc holds, whether queuePages has anything
// to do, so that most commands cost no second write.
func (b *Bot) pagesOwed(inc *muster.Incident) bool {
	for _, p := range inc.Pages {
		if p.Waiting() {
			return true
		}
	}
	sev, _, _ := b.cfg.Severities.Find(inc.Severity)
	return inc.Clone().QueuePages(sev, b.cfg.Paging.Services, paging.Key, b.now())
}

func (b *Bot) addPageItem(ctx context.Context, inc *muster.Incident, p muster.PageRecord) {
	pl := pagePayload{Incident: inc.ID, Service: p.Service, Provider: p.Provider, Action: actionTrigger}
	if p.State == muster.PageResolving {
		pl.Action = actionResolve
	}
	payload, err := json.Marshal(pl)
	if err == nil {
		now := b.now()
		_, err = b.store.AddOutbox(ctx, outbox.Item{Key: pageKey(pl), Kind: kindPage, Payload: payload, Queued: now, Next: now})
	}
	if err != nil {
		b.log.Error().Err(err).Str("incident", inc.Ref()).Str("service", p.Service).Msg("queue a page")
	}
}

// catchUpPages queues the pages inc owes that a process that died after
// saving a change left undone: pages owed but not recorded (it died
// before recording them), and pages recorded as owed whose items are
// missing (it died between the record and the item). have holds the
// keys of the outbox as read before inc, so an item sent and removed
// since has its record moved on already.
func (b *Bot) catchUpPages(ctx context.Context, inc *muster.Incident, have map[string]bool, now time.Time) {
	if !b.pages() {
		return
	}
	sev, _, _ := b.cfg.Severities.Find(inc.Severity)
	if inc.Clone().QueuePages(sev, b.cfg.Paging.Services, paging.Key, now) {
		b.queuePages(ctx, inc) // records them, and queues every waiting one
		return
	}
	for _, p := range inc.Pages {
		pl := pagePayload{Incident: inc.ID, Service: p.Service, Provider: p.Provider, Action: actionTrigger}
		if p.State == muster.PageResolving {
			pl.Action = actionResolve
		}
		if p.Waiting() && !have[pageKey(pl)] {
			b.addPageItem(ctx, inc, p)
		}
	}
}

// sendPageItem makes one page call: a trigger or a resolve.
func (b *Bot) sendPageItem(ctx context.Context, claims Store, it outbox.Item, now time.Time) error {
	var pl pagePayload
	if err := json.Unmarshal(it.Payload, &pl); err != nil {
		b.log.Error().Err(err).Str("key", it.Key).Msg("outbox: a page that cannot be read; dropped")
		return claims.DeleteOutbox(ctx, it.Key)
	}
	inc, err := b.store.Incident(ctx, pl.Incident)
	if muster.ErrorCode(err) == muster.ENOTFOUND {
		return claims.DeleteOutbox(ctx, it.Key)
	}
	if err != nil {
		return fmt.Errorf("paging: read INC-%d: %w", pl.Incident, err)
	}
	rec := inc.PageOf(pl.Service, pl.Provider)
	want := muster.PageQueued
	if pl.Action == actionResolve {
		want = muster.PageResolving
	}
	if rec == nil || rec.State != want || (pl.Action == actionTrigger && !inc.Open()) {
		return claims.DeleteOutbox(ctx, it.Key) // done, or no longer wanted
	}
	log := b.log.With().Str("incident", inc.Ref()).Str("service", pl.Service).Str("provider", pl.Provider).Str("action", pl.Action).Logger()
	if now.Sub(it.Queued) > pageGiveUp {
		log.Error().Int("attempts", it.Attempts).Str("last_error", it.LastError).Msg("paging: gave up after 15 minutes of failures")
		b.pageGaveUp(ctx, inc, pl, "15 minutes", it.LastError)
		return claims.DeleteOutbox(ctx, it.Key)
	}
	if now.Before(it.Next) {
		return nil
	}
	claimed, err := b.claim(ctx, claims, it, now)
	if claimed == nil {
		return err
	}
	invited, err := b.callProvider(ctx, inc, *rec, pl.Action)
	if err == nil {
		log.Info().Int("attempts", claimed.Attempts).Msg("paging: sent")
		b.pageSent(ctx, inc, pl, invited, now)
		return b.store.DeleteOutbox(ctx, it.Key)
	}
	if retry, after := remote.Retry(err); retry {
		log.Warn().Err(err).Int("attempts", claimed.Attempts).Msg("paging: will retry")
		if claimed.Attempts == 1 && pl.Action == actionTrigger {
			b.pageNote(ctx, inc, commands.PageFailing(pl.Service, why(err)), "Paging "+pl.Service+" failed, retrying: "+why(err))
		}
		// The room reads the last error when the page is given up.
		_, uerr := claims.UpdateOutbox(ctx, claimed.Failed(now, errors.New(why(err)), after))
		return uerr
	}
	log.Error().Err(err).Msg("paging: the provider refused; given up")
	b.pageGaveUp(ctx, inc, pl, "", why(err))
	return claims.DeleteOutbox(ctx, it.Key)
}

// why is a failure as the room reads it: the provider's answer when
// there is one.
func why(err error) string {
	if e, ok := errors.AsType[*remote.Error](err); ok {
		return e.Error()
	}
	return err.Error()
}

// callProvider makes the call a page record asks for, and after a
// trigger finds who is on call and returns them as the platform's users.
func (b *Bot) callProvider(ctx context.Context, inc *muster.Incident, rec muster.PageRecord, action string) ([]string, error) {
	svc, ok := b.cfg.Paging.Services.Find(rec.Service)
	if !ok {
		return nil, muster.Errorf(muster.EINVALID, "%s is no longer in the service catalog", rec.Service)
	}
	pd, og := b.cfg.Paging.PagerDuty, b.cfg.Paging.Opsgenie
	switch {
	case rec.Provider == muster.ProviderPagerDuty && svc.PagerDuty != nil && pd != nil:
		if action == actionResolve {
			return nil, pd.Resolve(ctx, svc.PagerDuty.RoutingKey, rec.Key)
		}
		if err := pd.Trigger(ctx, svc.PagerDuty.RoutingKey, b.page(inc, rec, svc)); err != nil {
			return nil, err
		}
		if !b.cfg.Paging.PagerDutyOnCall || svc.PagerDuty.EscalationPolicy == "" {
			return nil, nil
		}
		return b.onCallUsers(ctx, inc, func(ctx context.Context) ([]paging.OnCall, error) {
			return pd.OnCall(ctx, svc.PagerDuty.EscalationPolicy)
		}), nil
	case rec.Provider == muster.ProviderOpsgenie && svc.Opsgenie != nil && og != nil:
		if action == actionResolve {
			_, err := og.Close(ctx, rec.Key, inc.Ref()+" was resolved in muster")
			return nil, err
		}
		p := b.page(inc, rec, svc)
		p.Severity = opsgeniePriority(b.cfg.Severities, inc.Severity)
		if _, err := og.Create(ctx, svc.Opsgenie.Team, p); err != nil {
			return nil, err
		}
		if svc.Opsgenie.Schedule == "" {
			return nil, nil
		}
		return b.onCallUsers(ctx, inc, func(ctx context.Context) ([]paging.OnCall, error) {
			return og.OnCall(ctx, svc.Opsgenie.Schedule)
		}), nil
	}
	return nil, muster.Errorf(muster.EINVALID, "%s is not paged through %s (any more)", rec.Service, muster.ProviderName(rec.Provider))
}

// page is what the on-call's phone shows. A private incident's title
// never leaves muster: its page says "private incident" instead.
func (b *Bot) page(inc *muster.Incident, rec muster.PageRecord, svc muster.Service) paging.Page {
	sev, _, _ := b.cfg.Severities.Find(inc.Severity)
	title := inc.Title
	if inc.Private {
		title = "private incident"
	}
	p := paging.Page{
		Key:      rec.Key,
		Summary:  fmt.Sprintf("%s %s: %s", inc.Ref(), inc.Severity, title),
		Severity: cmpOr(sev.PagerDutySeverity, "critical"),
		Details:  map[string]string{"incident": inc.Ref(), "severity": inc.Severity, "service": svc.Name},
	}
	if rec.Message != "" {
		p.Description = rec.Message
	}
	if u, ok := b.platforms[inc.Platform].(RoomURLer); ok && inc.Room != "" {
		if href := u.RoomURL(inc.Room); href != "" {
			p.Links = append(p.Links, paging.Link{Href: href, Text: "War room"})
		}
	}
	if f := b.cfg.Paging.IncidentURL; f != nil {
		if href := f(inc.ID); href != "" {
			p.Links = append(p.Links, paging.Link{Href: href, Text: inc.Ref()})
		}
	}
	return p
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// opsgeniePriority maps a severity's rank to Opsgenie's P1…P5: the most
// severe is P1, and everything from the fifth down is P5.
func opsgeniePriority(sevs muster.Severities, name string) string {
	_, rank, ok := sevs.Find(name)
	if !ok {
		rank = 2
	}
	return fmt.Sprintf("P%d", min(rank+1, 5))
}

// onCallUsers finds who is on call and their chat users on the incident's
// platform. It is best effort: the page went out, which is what matters;
// a failed lookup is logged.
func (b *Bot) onCallUsers(ctx context.Context, inc *muster.Incident, list func(context.Context) ([]paging.OnCall, error)) []string {
	finder, ok := b.platforms[inc.Platform].(PeopleFinder)
	if !ok {
		return nil // the platform cannot map e-mails to users
	}
	oncalls, err := list(ctx)
	if err != nil {
		b.log.Warn().Err(err).Str("incident", inc.Ref()).Msg("paging: find who is on call")
		return nil
	}
	var users []string
	for _, oc := range oncalls {
		found, err := finder.UsersByEmail(ctx, oc.Email)
		if err != nil {
			b.log.Warn().Err(err).Str("incident", inc.Ref()).Msg("paging: find the chat user of an on-call")
			continue
		}
		for _, u := range found {
			if u.Platform == inc.Platform && u.User != "" {
				users = append(users, u.User)
			}
		}
	}
	return users
}

// pageSent records a page call that succeeded, tells the room of a
// trigger, and invites the on-call found.
func (b *Bot) pageSent(ctx context.Context, inc *muster.Incident, pl pagePayload, invited []string, now time.Time) {
	ctx = context.WithoutCancel(ctx) // the call happened: record it
	provider := muster.ProviderName(pl.Provider)
	stored, _, err := b.store.Update(ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
		rec := i.PageOf(pl.Service, pl.Provider)
		if rec == nil {
			return nil, nil
		}
		e := muster.Entry{Kind: muster.EntryPage, At: now}
		switch {
		case pl.Action == actionResolve && rec.State == muster.PageResolving:
			rec.State, rec.At = muster.PageResolved, now
			e.Text = fmt.Sprintf("Resolved the page of %s's on-call (%s)", pl.Service, provider)
		case pl.Action == actionTrigger && rec.State == muster.PageQueued:
			rec.State, rec.At = muster.PageTriggered, now
			e.Text = fmt.Sprintf("Paged %s's on-call (%s)", pl.Service, provider)
			e.Key = true
			if i.Room != "" {
				i.Invite(invited...)
			}
		default:
			return nil, nil // moved on meanwhile
		}
		return []muster.Entry{e}, nil
	})
	if err != nil {
		b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("paging: record a page sent")
		return
	}
	if pl.Action != actionTrigger {
		return
	}
	p, running := b.platforms[stored.Platform]
	room := workRoom(stored)
	if !running || room == "" {
		return
	}
	b.try(stored, "tell the room of a page", func() error {
		_, _, err := b.post(ctx, p, stored, room, muster.Message{Text: commands.PageSent(pl.Service, pl.Provider, invited)}, recordNone, false)
		return err
	})
	if len(invited) > 0 {
		b.invite(ctx, p, stored, invited)
	}
}

// pageGaveUp records a page given up and tells the room; after names how
// long it was tried ("" when the provider refused it outright).
func (b *Bot) pageGaveUp(ctx context.Context, inc *muster.Incident, pl pagePayload, after, reason string) {
	ctx = context.WithoutCancel(ctx)
	_, _, err := b.store.Update(ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
		if rec := i.PageOf(pl.Service, pl.Provider); rec != nil && rec.Waiting() {
			rec.State, rec.At = muster.PageFailed, b.now()
		}
		return nil, nil
	})
	if err != nil {
		b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("paging: record a page given up")
	}
	text := commands.PageGaveUp(pl.Service, after, reason)
	entry := "Gave up paging " + pl.Service + " (" + muster.ProviderName(pl.Provider) + "): " + reason
	if pl.Action == actionResolve {
		text = commands.PageResolveFailed(pl.Service, pl.Provider, reason)
		entry = "Could not resolve the page of " + pl.Service + " (" + muster.ProviderName(pl.Provider) + "): " + reason
	}
	b.pageNote(ctx, inc, text, entry)
}

// pageNote records a paging event in the timeline and says it in the
// war room.
func (b *Bot) pageNote(ctx context.Context, inc *muster.Incident, text, entry string) {
	ctx = context.WithoutCancel(ctx)
	e := muster.Entry{Kind: muster.EntryPage, At: b.now(), Text: entry, Key: true}
	if _, _, err := b.store.Append(ctx, inc.ID, "", e); err != nil {
		b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("paging: record in the timeline")
	}
	p, running := b.platforms[inc.Platform]
	room := workRoom(inc)
	if !running || room == "" {
		return
	}
	if _, _, err := b.post(ctx, p, inc, room, muster.Message{Text: text}, recordNone, false); err != nil && !errors.Is(err, context.Canceled) {
		b.log.Error().Err(err).Str("incident", inc.Ref()).Msg("paging: tell the war room")
	}
}

// PageChange is what a provider reports of a page muster sent: the
// on-call acknowledged it, or it was resolved there.
type PageChange struct {
	Incident int
	Service  string
	Provider string
	Key      string
	State    muster.PageState // PageAcknowledged or PageResolved
	By       string           // who, as the provider names them; "" for the provider itself
	At       time.Time
}

// PageChanged records what a provider reports of a page: a timeline
// entry and a line in the room, once (a report delivered again changes
// nothing). A report of a page muster does not know is ignored.
func (b *Bot) PageChanged(ctx context.Context, c PageChange) error {
	inc, err := b.store.Incident(ctx, c.Incident)
	if muster.ErrorCode(err) == muster.ENOTFOUND {
		return nil
	}
	if err != nil {
		return fmt.Errorf("paging: read INC-%d: %w", c.Incident, err)
	}
	if c.At.IsZero() {
		c.At = b.now()
	}
	changed := false
	stored, _, err := b.store.Update(ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
		changed = false
		rec := i.PageOf(c.Service, c.Provider)
		if rec == nil || rec.Key != c.Key || rec.State == c.State || rec.State == muster.PageResolved ||
			(c.State == muster.PageAcknowledged && rec.State == muster.PageResolving) {
			return nil, nil
		}
		rec.State, rec.At = c.State, c.At
		changed = true
		text := fmt.Sprintf("%s's page %s in %s", c.Service, c.State, muster.ProviderName(c.Provider))
		if c.By != "" {
			text += " by " + c.By
		}
		return []muster.Entry{{Kind: muster.EntryPage, At: c.At, Text: text, Key: c.State == muster.PageAcknowledged}}, nil
	})
	if err != nil {
		return fmt.Errorf("paging: record a page %s in %s: %w", c.State, inc.Ref(), err)
	}
	if !changed {
		return nil
	}
	b.log.Info().Str("incident", inc.Ref()).Str("service", c.Service).Str("state", string(c.State)).Msg("paging: the provider reports")
	p, running := b.platforms[stored.Platform]
	if room := workRoom(stored); running && room != "" && stored.Open() {
		b.try(stored, "tell the room of a page's state", func() error {
			_, _, err := b.post(ctx, p, stored, room, muster.Message{Text: commands.PageChanged(c.Service, c.Provider, c.State, inert(c.By))}, recordNone, false)
			return err
		})
	}
	return nil
}
