package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
)

// TestAlertTitleIsNeverCommandWords: an alert's summary is the title as it
// is, with the severity its label maps to, whatever words it starts with.
func TestAlertTitleIsNeverCommandWords(t *testing.T) {
	for i, title := range []string{"Seven pods crashlooping", "Private registry unreachable", "SEV1 replica lag", "p9 DB down", "declare sev1 x"} {
		t.Run(title, func(t *testing.T) {
			h := newHarness(t)
			err := h.bot.Alert(h.ctx, bot.Alert{
				GroupKey: "group", Firing: true, Severity: "SEV2", Title: title,
				Lines: []string{"• [firing] " + title}, Key: "k", Platform: platformName, Room: lobby,
			})
			if err != nil {
				t.Fatalf("Alert(%d): %v", i, err)
			}
			inc := h.incident(1)
			if inc.Title != title || inc.Severity != "SEV2" || inc.Private || inc.Declarer != "" {
				t.Errorf("declared %s %q private=%v by %q; want SEV2 %q, not private, by nobody", inc.Severity, inc.Title, inc.Private, inc.Declarer, title)
			}
			if inc.Room == "" {
				t.Error("no war room was opened")
			}
		})
	}
}

// TestDeclareEventFromFields: an event that carries a declaration (Slack's
// declare form) declares it as it is.
func TestDeclareEventFromFields(t *testing.T) {
	h := newHarness(t)
	h.handle(muster.Event{Kind: muster.EventCommand, User: "alice", Room: lobby, Text: "declare",
		Declare: &muster.Declaration{Title: "private sev1 thing", Severity: "SEV2", Description: "since 03:00"}})
	inc := h.incident(1)
	if inc.Title != "private sev1 thing" || inc.Severity != "SEV2" || inc.Private || inc.Declarer != "alice" || inc.Description != "since 03:00" {
		t.Errorf("declared %+v", inc)
	}
}

// claimedHarness is a harness whose alert group "group" is being declared
// by another copy of the notification since claimedAt, and whose waits
// move the fake clock instead of sleeping; onWait runs after each wait.
func claimedHarness(t *testing.T, claimedAt time.Time, onWait func(h *harness, n int)) (h *harness, waits *int) {
	t.Helper()
	waits = new(int)
	h = newHarness(t, func(c *bot.Config) {
		c.Wait = func(ctx context.Context, d time.Duration) error {
			*waits++
			h.clock.Set(h.clock.Now().Add(d))
			if onWait != nil {
				onWait(h, *waits)
			}
			return ctx.Err()
		}
	})
	claim := fmt.Sprintf("declaring %d", claimedAt.UnixNano())
	if err := h.db.SetSetting(h.ctx, "alertmanager.group.group", claim); err != nil {
		t.Fatal(err)
	}
	return h, waits
}

func firingAlert() bot.Alert {
	return bot.Alert{GroupKey: "group", Firing: true, Severity: "SEV2", Title: "Checkout down",
		Lines: []string{"• [firing] Checkout down"}, Key: "k", Platform: platformName, Room: lobby}
}

// TestAlertClaimWaitGivesUp: a notification whose group another copy is
// declaring waits for that incident by the bot's clock, and gives up after
// claimWait (15s) without declaring a second one.
func TestAlertClaimWaitGivesUp(t *testing.T) {
	h, waits := claimedHarness(t, t0, nil)
	err := h.bot.Alert(h.ctx, firingAlert())
	if err == nil || !strings.Contains(err.Error(), "still being declared after 15s") {
		t.Fatalf("Alert = %v, want it to give up waiting after 15s", err)
	}
	if waited := h.clock.Now().Sub(t0); waited <= 15*time.Second || waited > 16*time.Second {
		t.Errorf("waited %s by the clock (%d pauses), want just over 15s", waited, *waits)
	}
	if all, _ := h.db.Incidents(h.ctx, false); len(all) != 0 {
		t.Errorf("%d incidents declared while another copy held the claim", len(all))
	}
}

// TestAlertClaimGivenBack: when the copy that claimed the group gives the
// claim back (its declaration failed), the waiting one declares.
func TestAlertClaimGivenBack(t *testing.T) {
	h, waits := claimedHarness(t, t0, func(h *harness, n int) {
		if n == 3 {
			if err := h.db.SetSetting(h.ctx, "alertmanager.group.group", ""); err != nil {
				t.Error(err)
			}
		}
	})
	if err := h.bot.Alert(h.ctx, firingAlert()); err != nil {
		t.Fatalf("Alert: %v", err)
	}
	if *waits != 3 {
		t.Errorf("%d pauses, want 3", *waits)
	}
	if inc := h.incident(1); inc.Title != "Checkout down" {
		t.Errorf("declared %q, want Checkout down", inc.Title)
	}
}

// TestAlertStaleClaimTakenOver: a claim older than a minute by the bot's
// clock was left by a process that died declaring; it is taken over at
// once.
func TestAlertStaleClaimTakenOver(t *testing.T) {
	h, waits := claimedHarness(t, t0.Add(-2*time.Minute), nil)
	if err := h.bot.Alert(h.ctx, firingAlert()); err != nil {
		t.Fatalf("Alert: %v", err)
	}
	if *waits != 0 {
		t.Errorf("%d pauses before taking over a stale claim, want 0", *waits)
	}
	if inc := h.incident(1); inc.Title != "Checkout down" {
		t.Errorf("declared %q, want Checkout down", inc.Title)
	}
}

// TestAlertSetsStartedAndDetected: an incident an alert declares started
// and was detected when its alerts began, never later than its
// declaration (an alerting clock ahead of muster's is taken for it).
func TestAlertSetsStartedAndDetected(t *testing.T) {
	for _, tc := range []struct {
		name   string
		starts time.Time
		want   time.Time
	}{
		{"before the declaration", t0.Add(-12 * time.Minute), t0.Add(-12 * time.Minute)},
		{"after the declaration", t0.Add(2 * time.Second), t0},
		{"unknown", time.Time{}, t0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			err := h.bot.Alert(h.ctx, bot.Alert{
				GroupKey: "group", Firing: true, Severity: "SEV2", Title: "Checkout 5xx", StartsAt: tc.starts,
				Lines: []string{"• [firing] Checkout5xx"}, Key: "k", Platform: platformName, Room: lobby,
			})
			if err != nil {
				t.Fatal(err)
			}
			inc := h.incident(1)
			if !inc.Started().Equal(tc.want) || !inc.Detected().Equal(tc.want) {
				t.Errorf("started %v, detected %v; want both %v", inc.Started(), inc.Detected(), tc.want)
			}
		})
	}
}
