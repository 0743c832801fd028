package bot

import (
	"context"
	"fmt"

	"github.com/muster-bot/muster"
)

// countTries bounds the swaps that add one to a day's alert count: each
// lost swap means another notification counted meanwhile, and a count
// that keeps losing is given up (logged) rather than holding the alert.
const countTries = 20

// countAlert counts a's group as received when it starts firing: the
// first time, or again after it resolved. The group's state is kept in a
// setting, swapped so that retries and the copies of a notification that
// arrive together count once. A failure is logged, never returned: the
// count is a report, the alert is the job.
func (b *Bot) countAlert(ctx context.Context, a Alert) {
	started, err := b.groupStarts(ctx, a)
	if err == nil && started {
		err = b.addAlertCount(ctx, a.source())
		b.cfg.Observer.AlertReceived(a.source())
	}
	if err != nil {
		b.log.Warn().Err(err).Str("source", a.source()).Str("group", a.GroupKey).Msg("count the alert group")
	}
}

// groupStarts records whether a's group is firing now, and reports
// whether it was not before.
func (b *Bot) groupStarts(ctx context.Context, a Alert) (bool, error) {
	key := a.source() + ".state." + a.GroupKey
	want := "resolved"
	if a.Firing {
		want = "firing"
	}
	for range countTries {
		v, err := b.store.Setting(ctx, key)
		if err != nil {
			return false, fmt.Errorf("read the state of an alert group: %w", err)
		}
		if v == want {
			return false, nil
		}
		ok, err := b.store.SwapSetting(ctx, key, v, want)
		if err != nil {
			return false, fmt.Errorf("save the state of an alert group: %w", err)
		}
		if ok {
			return a.Firing, nil
		}
	}
	return false, fmt.Errorf("the state of an alert group kept changing")
}

// addAlertCount adds one to today's count of source's alert groups.
func (b *Bot) addAlertCount(ctx context.Context, source string) error {
	key := muster.AlertCountKey(b.now())
	for range countTries {
		v, err := b.store.Setting(ctx, key)
		if err != nil {
			return fmt.Errorf("read the alerts received today: %w", err)
		}
		c := muster.ParseAlertCounts(v)
		c[source]++
		ok, err := b.store.SwapSetting(ctx, key, v, c.String())
		if err != nil {
			return fmt.Errorf("count an alert group received: %w", err)
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("today's alert count kept changing")
}
