package bot_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
)

// observer records what the bot tells it, one line per call.
type observer struct {
	mu    sync.Mutex
	calls []string
}

func (o *observer) add(format string, args ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, fmt.Sprintf(format, args...))
}

func (o *observer) Declared(inc *muster.Incident) { o.add("declared %s %s", inc.Ref(), inc.Severity) }

func (o *observer) Milestones(before, after *muster.Incident) {
	if before == nil {
		o.add("milestones %s new", after.Ref())
		return
	}
	for _, m := range []struct {
		name          string
		before, after time.Time
	}{
		{"acknowledged", before.AcknowledgedAt, after.AcknowledgedAt},
		{"mitigated", before.MitigatedAt, after.MitigatedAt},
		{"resolved", before.ResolvedAt, after.ResolvedAt},
	} {
		if m.before.IsZero() && !m.after.IsZero() {
			o.add("%s %s after %s", m.name, after.Ref(), m.after.Sub(after.DeclaredAt))
		}
	}
}

func (o *observer) ReminderSent(inc *muster.Incident, nag string) {
	o.add("reminder %s %s", inc.Ref(), nag)
}

func (o *observer) UpdatePosted(inc *muster.Incident, onTime bool) {
	o.add("update %s on time %v", inc.Ref(), onTime)
}

func (o *observer) AlertReceived(source string) { o.add("alert %s", source) }

func (o *observer) got() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.calls)
}

func TestObserverSeesTheIncident(t *testing.T) {
	t.Parallel()
	obs := &observer{}
	h := newHarness(t, func(c *bot.Config) { c.Observer = obs })
	inc := h.declare("sev1 Checkout down") // SEV1: an update every 30m
	h.at(5 * time.Minute)
	h.command("bob", inc.Room, "ic")
	h.command("carol", inc.Room, "comms") // not a milestone
	h.at(20 * time.Minute)
	h.command("carol", inc.Room, "update Rolled back")
	h.mustTick(50 * time.Minute)
	h.at(55 * time.Minute)
	h.command("carol", inc.Room, "update Error rate falling") // 35m after the last: late
	h.at(60 * time.Minute)
	h.command("bob", inc.Room, "status mitigated")
	h.command("bob", inc.Room, "list") // acts on no incident
	h.at(90 * time.Minute)
	h.command("bob", inc.Room, "resolve Bad deploy")
	h.command("bob", inc.Room, "resolve Bad deploy") // refused: nothing new

	want := []string{
		"declared INC-1 SEV1",
		"milestones INC-1 new",
		"acknowledged INC-1 after 5m0s",
		"update INC-1 on time true",
		"reminder INC-1 update",
		"update INC-1 on time false",
		"mitigated INC-1 after 1h0m0s",
		"resolved INC-1 after 1h30m0s",
	}
	if got := obs.got(); !slices.Equal(got, want) {
		t.Errorf("observer saw\n%q\nwant\n%q", got, want)
	}
}

func TestUpdateAtSeverityWithoutCadenceIsOnTime(t *testing.T) {
	t.Parallel()
	obs := &observer{}
	h := newHarness(t, func(c *bot.Config) { c.Observer = obs })
	inc := h.declare("sev4 Typo on the status page") // SEV4 asks for no updates
	h.at(48 * time.Hour)
	h.command("alice", inc.Room, "update Fixed the typo")
	if got := obs.got(); !slices.Contains(got, "update INC-1 on time true") {
		t.Errorf("observer saw %q, want an update on time", got)
	}
}
