package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/muster-bot/muster"
)

// Alert is a notification from alerting (Alertmanager) about one group of
// alerts, already authenticated and translated by its adapter.
type Alert struct {
	GroupKey string   // the same group never declares twice while its incident is open
	Firing   bool     // false: the group resolved
	Severity string   // mapped from the alerts' labels
	Title    string   // what the incident is called if one is declared
	Lines    []string // one per alert, for the room and the timeline
	Key      string   // idempotency key of this notification (Alertmanager repeats them)
	Platform string   // where a new incident is declared…
	Room     string   // …and from which channel
}

// Settings keeps small values in the store; *store.DB satisfies it.
type Settings interface {
	Setting(ctx context.Context, key string) (string, error)
	SetSetting(ctx context.Context, key, value string) error
}

// Alert declares an incident for a firing group that has no open one,
// records later notifications of the group in that incident's timeline and
// room, and, when the group resolves, says so and suggests resolving: it
// never resolves by itself, people do.
func (b *Bot) Alert(ctx context.Context, settings Settings, a Alert) error {
	p, ok := b.platforms[a.Platform]
	if !ok {
		return fmt.Errorf("alert for unregistered platform %q", a.Platform)
	}
	groupSetting := "alertmanager.group." + a.GroupKey
	inc, err := b.alertIncident(ctx, settings, groupSetting)
	if err != nil {
		return err
	}
	if inc == nil {
		if !a.Firing {
			return nil // resolved before anyone declared: nothing to tell
		}
		inc, err = b.declareFromAlert(ctx, p, a)
		if err != nil {
			return err
		}
		if err := settings.SetSetting(ctx, groupSetting, strconv.Itoa(inc.ID)); err != nil {
			return fmt.Errorf("remember the incident of alert group: %w", err)
		}
	}
	text := fmt.Sprintf("🔔 Alertmanager: %d alert(s) firing", len(a.Lines))
	if !a.Firing {
		text = "✅ Alertmanager reports the alerts resolved. Run `resolve` when you agree the incident is over."
	}
	body := strings.Join(a.Lines, "\n")
	entry := muster.Entry{Kind: muster.EntryNote, At: b.now(), Text: strings.TrimSpace(text + "\n" + body)}
	_, appended, err := b.store.Append(ctx, inc.ID, "alertmanager:"+a.Key, entry)
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

// alertIncident is the open incident an alert group declared, if any.
func (b *Bot) alertIncident(ctx context.Context, settings Settings, key string) (*muster.Incident, error) {
	v, err := settings.Setting(ctx, key)
	if err != nil || v == "" {
		return nil, err
	}
	id, err := strconv.Atoi(v)
	if err != nil {
		return nil, nil // not ours to interpret: declare afresh
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

func (b *Bot) declareFromAlert(ctx context.Context, p Platform, a Alert) (*muster.Incident, error) {
	ev := muster.Event{Platform: a.Platform, Kind: muster.EventCommand, Room: a.Room, At: b.now(),
		Text: fmt.Sprintf("declare %s %s", a.Severity, a.Title)}
	req, err := b.request(ctx, ev)
	if err != nil {
		return nil, fmt.Errorf("declare from an alert: %w", err)
	}
	out, err := b.commands.Run(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("declare from an alert: %w", err)
	}
	b.observe(nil, out)
	b.deliver(ctx, p, ev, req, out)
	return out.Incident, nil
}
