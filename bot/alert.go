package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/commands"
	"github.com/muster-bot/muster/internal/pause"
)

// Alert is a notification from alerting (Alertmanager, Grafana, the
// generic JSON alert) about one group of alerts, already authenticated and
// translated by its adapter. Its text is data: the title is never read as
// command words, and mentions in it are shown as text, never sent.
type Alert struct {
	// Source is the adapter's name (muster.SourceGrafana, …); "" is
	// Alertmanager. Groups of different sources never meet.
	Source   string
	GroupKey string   // the same group never declares twice while its incident is open
	Firing   bool     // false: the group resolved
	Severity string   // mapped from the alerts' labels
	Title    string   // what the incident is called if one is declared
	Lines    []string // one per alert, for the room and the timeline
	// StartsAt is when the earliest firing alert began: a declared
	// incident's start of impact and detection. Zero when unknown.
	StartsAt time.Time
	Key      string // idempotency key of this notification (Alertmanager repeats them)
	Platform string // where a new incident is declared…
	Room     string // …and from which channel
	// Services names the affected services the alert labels with, for
	// the declaration; the catalog decides what they match.
	Services []string
	// Drill declares the incident as a drill: set by `muster drill` for
	// the alerts of a scenario, never by an alert hook.
	Drill bool
}

// source is a's source, Alertmanager when unsaid.
func (a Alert) source() string {
	if a.Source == "" {
		return muster.SourceAlertmanager
	}
	return a.Source
}

// sourceNames are how the room names each source.
var sourceNames = map[string]string{
	muster.SourceAlertmanager: "Alertmanager",
	muster.SourceGrafana:      "Grafana",
	muster.SourceAlert:        "Alerting",
	muster.SourcePagerDuty:    "PagerDuty",
}

// inert shows the user mentions an alert's text carries as plain text:
// whoever can send an alert must not be able to ping people through the
// bot. Special mentions (@here, <!channel>) are defused by every
// platform's renderer, for all text the bot posts.
func inert(s string) string {
	return muster.ReplaceMentions(s, func(id string) string { return "@" + id })
}

const (
	// claimPrefix marks an alert group whose incident is being declared.
	claimPrefix = "declaring "
	// claimWait is how long a notification waits for the incident that
	// another copy of it is declaring; after that it fails, and
	// Alertmanager sends it again later.
	claimWait = 15 * time.Second
	// claimStale is the age at which a claim is taken for one left by a
	// process that died declaring: declaring takes seconds.
	claimStale = time.Minute
	// claimPoll is how often a waiting notification looks again.
	claimPoll = 50 * time.Millisecond
)

// Alert declares an incident for a firing group that has no open one,
// records later notifications of the group in that incident's timeline and
// room, and, when the group resolves, says so and suggests resolving: it
// never resolves by itself, people do.
func (b *Bot) Alert(ctx context.Context, a Alert) error {
	p, ok := b.platforms[a.Platform]
	if !ok {
		return fmt.Errorf("alert for unregistered platform %q", a.Platform)
	}
	a.Title = inert(a.Title)
	for i, l := range a.Lines {
		a.Lines[i] = inert(l)
	}
	b.countAlert(ctx, a)
	inc, err := b.alertIncident(ctx, p, a)
	l := b.log.Info().Str("source", a.source()).Str("group", a.GroupKey).Bool("firing", a.Firing).Int("alerts", len(a.Lines))
	if inc != nil {
		l = l.Str("incident", inc.Ref())
	}
	l.Msg("alert received")
	if err != nil || inc == nil {
		return err // nil, nil: resolved before anyone declared, nothing to tell
	}
	name := sourceNames[a.source()]
	text := fmt.Sprintf("🔔 %s: %d alert(s) firing", name, len(a.Lines))
	if !a.Firing {
		text = fmt.Sprintf("✅ %s reports the alerts resolved. Run `resolve` when you agree the incident is over, or `resolve false-alarm` if nothing was wrong.", name)
	}
	body := strings.Join(a.Lines, "\n")
	entry := muster.Entry{Kind: muster.EntryNote, At: b.now(), Text: strings.TrimSpace(text + "\n" + body)}
	_, appended, err := b.store.Append(ctx, inc.ID, a.source()+":"+a.Key, entry)
	if err != nil {
		return fmt.Errorf("record alert in %s: %w", inc.Ref(), err)
	}
	if appended {
		b.try(inc, "post the alerts", func() error {
			_, err := p.Post(ctx, workRoom(inc), muster.Message{Text: text, Footer: body})
			return err
		})
	}
	return nil
}

// alertIncident returns the open incident of a's group, declaring one for
// a firing group that has none. The declaration is claimed first, by a
// swap of the group's setting, so that copies of one notification that
// arrive together (each Alertmanager of a cluster sends its own, to any
// muster replica) declare one incident: the others wait for it. It
// returns nil, nil for a resolved group with no open incident. Claims
// carry the time of b.now, and the waits go by it too.
func (b *Bot) alertIncident(ctx context.Context, p Platform, a Alert) (*muster.Incident, error) {
	key := a.source() + ".group." + a.GroupKey
	give := b.now().Add(claimWait)
	for {
		v, err := b.store.Setting(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("read the incident of an alert group: %w", err)
		}
		if claimed, at := parseClaim(v); claimed && b.now().Sub(at) < claimStale {
			if b.now().After(give) {
				return nil, fmt.Errorf("alert group %s: its incident is still being declared after %s", a.GroupKey, claimWait)
			}
			if err := b.claimPause(ctx); err != nil {
				return nil, err
			}
			continue
		}
		inc, err := b.groupIncident(ctx, v)
		if err != nil || inc != nil || !a.Firing {
			return inc, err
		}
		claim := fmt.Sprintf("%s%d", claimPrefix, b.now().UnixNano())
		won, err := b.store.SwapSetting(ctx, key, v, claim)
		if err != nil {
			return nil, fmt.Errorf("claim the declaration of an alert group: %w", err)
		}
		if !won {
			// Another copy claimed it first: wait a moment for its incident.
			if err := b.claimPause(ctx); err != nil {
				return nil, err
			}
			continue
		}
		// The incident is remembered as soon as it exists, before its war
		// room is made (which can take long), so that the claim neither
		// goes stale nor outlives a request cut short. context.WithoutCancel:
		// once declared, the incident must be remembered.
		remember := func(inc *muster.Incident) error {
			ok, err := b.store.SwapSetting(context.WithoutCancel(ctx), key, claim, strconv.Itoa(inc.ID))
			if err == nil && !ok {
				b.log.Warn().Str("group", a.GroupKey).Str("incident", inc.Ref()).Msg("alert group claim was taken over while declaring; the group may have two incidents")
			}
			return err
		}
		inc, err = b.declareFromAlert(ctx, p, a, remember)
		if err != nil {
			// Nothing was declared: give the claim back, so the next
			// notification declares.
			_, _ = b.store.SwapSetting(context.WithoutCancel(ctx), key, claim, v)
			return nil, err
		}
		return inc, nil
	}
}

// claimPause waits claimPoll before a notification looks again at a group
// another copy of it is declaring.
func (b *Bot) claimPause(ctx context.Context) error {
	wait := b.cfg.Wait
	if wait == nil {
		wait = pause.For
	}
	if err := wait(ctx, claimPoll); err != nil {
		return fmt.Errorf("wait for the incident of an alert group: %w", err)
	}
	return nil
}

// parseClaim reads a claim on an alert group's declaration and its time.
func parseClaim(v string) (bool, time.Time) {
	n, ok := strings.CutPrefix(v, claimPrefix)
	if !ok {
		return false, time.Time{}
	}
	ns, err := strconv.ParseInt(n, 10, 64)
	if err != nil {
		return false, time.Time{} // unreadable: treat as stale
	}
	return true, time.Unix(0, ns)
}

// groupIncident is the open incident a group's setting names, if any.
func (b *Bot) groupIncident(ctx context.Context, v string) (*muster.Incident, error) {
	id, err := strconv.Atoi(v)
	if v == "" || err != nil {
		return nil, nil // none, a stale claim, or not ours to interpret: declare afresh
	}
	inc, err := b.store.Incident(ctx, id)
	if muster.ErrorCode(err) == muster.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load the incident of an alert group: %w", err)
	}
	if !inc.Open() {
		return nil, nil // a new firing after resolution is a new incident
	}
	return inc, nil
}

// declareFromAlert declares the incident of a firing group, calls
// remember as soon as it is stored, then opens its war room. The alert's
// title and severity go to the commands as fields: a summary such as
// "Private registry unreachable" or "SEV1 replica lag" is a title, never
// command words.
func (b *Bot) declareFromAlert(ctx context.Context, p Platform, a Alert, remember func(*muster.Incident) error) (*muster.Incident, error) {
	d := muster.Declaration{Title: a.Title, Severity: a.Severity, Since: a.StartsAt, Services: a.Services, Source: a.source(), Drill: a.Drill}
	ev := muster.Event{Platform: a.Platform, Kind: muster.EventCommand, Room: a.Room, At: b.now(), Text: "declare", Declare: &d}
	out, err := b.commands.Declare(ctx, d, "")
	if err != nil {
		return nil, fmt.Errorf("declare from an alert: %w", err)
	}
	if err := remember(out.Incident); err != nil {
		// The incident exists: its war room is opened all the same.
		b.log.Error().Err(err).Str("group", a.GroupKey).Str("incident", out.Incident.Ref()).Msg("remember the incident of an alert group")
	}
	b.observe(nil, out)
	req := &commands.Request{Event: ev, Call: commands.Call{Verb: "declare"}, Incident: out.Incident}
	b.settle(ctx, p, ev, out) // opens the war room; the reply is for nobody
	b.deliver(ctx, p, ev, req, out)
	return out.Incident, nil
}
