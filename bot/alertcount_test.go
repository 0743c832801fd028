package bot_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
)

// TestAlertGroupsCounted: a group counts once when it starts firing —
// not for its repeats, retries or copies — and again when it fires after
// resolving; the count is kept per UTC day, by source, and told to the
// observer.
func TestAlertGroupsCounted(t *testing.T) {
	obs := &observer{}
	h := newHarness(t, func(c *bot.Config) { c.Observer = obs })
	send := func(a bot.Alert) {
		t.Helper()
		if err := h.bot.Alert(h.ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	grafana := func(group string, firing bool, key string) bot.Alert {
		a := firingAlert()
		a.Source, a.GroupKey, a.Firing, a.Key = muster.SourceGrafana, group, firing, key
		return a
	}
	// Copies of one notification arriving together count once.
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.bot.Alert(h.ctx, grafana("g1", true, "k1")); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	send(grafana("g1", true, "k2")) // a later notification of the firing group
	send(grafana("g2", true, "k3")) // another group
	send(grafana("g1", false, "k4"))
	send(grafana("g1", true, "k5")) // firing again after resolving: counts again
	send(firingAlert())             // Alertmanager's

	day := func(at time.Time) muster.AlertCounts {
		v, err := h.db.Setting(h.ctx, muster.AlertCountKey(at))
		if err != nil {
			t.Fatal(err)
		}
		return muster.ParseAlertCounts(v)
	}
	if got := day(t0); got[muster.SourceGrafana] != 3 || got[muster.SourceAlertmanager] != 1 || got.Total() != 4 {
		t.Errorf("today's counts %v, want grafana 3, alertmanager 1", got)
	}
	h.at(24 * time.Hour)
	send(grafana("g3", true, "k6"))
	if got := day(t0.Add(24 * time.Hour)); got.Total() != 1 {
		t.Errorf("the next day's counts %v, want 1", got)
	}
	var received []string
	for _, c := range obs.got() {
		if c == "alert grafana" || c == "alert alertmanager" {
			received = append(received, c)
		}
	}
	if want := []string{"alert grafana", "alert grafana", "alert grafana", "alert alertmanager", "alert grafana"}; !slices.Equal(received, want) {
		t.Errorf("observer told %q, want %q", received, want)
	}
}

// TestAlertSourcesKeepTheirGroups: the same group key from two sources
// is two groups, and the incident remembers its source and services.
func TestAlertSourcesKeepTheirGroups(t *testing.T) {
	h := newHarness(t)
	for _, src := range []string{"", muster.SourceAlert} {
		a := firingAlert()
		a.Source, a.Services = src, []string{"checkout"}
		if err := h.bot.Alert(h.ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if inc := h.incident(1); inc.Source != muster.SourceAlertmanager {
		t.Errorf("INC-1 source %q, want alertmanager", inc.Source)
	}
	if inc := h.incident(2); inc.Source != muster.SourceAlert {
		t.Errorf("INC-2 source %q, want alert", inc.Source)
	}
}

// TestAlertMentionsAreText: a mention in an alert's title or lines is
// shown as text, in the incident and in the room.
func TestAlertMentionsAreText(t *testing.T) {
	h := newHarness(t)
	a := firingAlert()
	a.Title, a.Lines = "<@bob> Checkout down", []string{"• [firing] ask <@carol|carol>"}
	if err := h.bot.Alert(h.ctx, a); err != nil {
		t.Fatal(err)
	}
	inc := h.incident(1)
	if inc.Title != "@bob Checkout down" {
		t.Errorf("title %q", inc.Title)
	}
	tl, err := h.db.Timeline(h.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	notes := 0
	for _, e := range tl {
		if e.Kind == muster.EntryNote {
			notes++
			if e.Text != "🔔 Alertmanager: 1 alert(s) firing\n• [firing] ask @carol" {
				t.Errorf("note %q", e.Text)
			}
		}
	}
	if notes != 1 {
		t.Errorf("%d notes, want 1", notes)
	}
}
