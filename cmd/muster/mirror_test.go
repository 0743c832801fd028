package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot/slack/fakeslack"
	"github.com/muster-bot/muster/statuspage/fakestatuspage"
)

// startMirrorApp runs the real app against fake Slack, mirroring to the
// fake Statuspage page sp, on the store at path (so that a second call
// is a restart).
func startMirrorApp(t *testing.T, fake *fakeslack.Server, sp *fakestatuspage.Server, path string) *slackApp {
	t.Helper()
	yaml := fmt.Sprintf(`store:
  path: %s
reminders:
  tick: 24h
slack:
  announce_channel: CANNOUNCE
statuspage:
  components:
    - name: Checkout
      atlassian_id: cmp1
    - name: Search
  atlassian:
    page_id: %s
    api_url: %s
`, path, sp.PageID, sp.URL)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret, "SLACK_API_URL": fake.URL(), "STATUSPAGE_API_KEY": sp.APIKey}
	getenv := func(k string) string { return env[k] }
	clock := &fakeClock{now: t0}
	return runSlackApp(t, fake, clock, yaml, getenv)
}

// publishAs adds a public post and component changes to an incident
// through the app's store, as `/incident public` and `/incident
// component` do.
func publishAs(t *testing.T, s *slackApp, id int, status muster.Status, text string, changes ...muster.ComponentChange) {
	t.Helper()
	_, _, err := s.app.db.Update(context.Background(), id, func(inc *muster.Incident) ([]muster.Entry, error) {
		inc.Status = status
		inc.Public = append(inc.Public, muster.PublicPost{At: s.clock.Now(), Text: text, Status: status})
		for _, c := range changes {
			c.At = s.clock.Now()
			inc.ComponentLog = append(inc.ComponentLog, c)
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// leaderTick advances the clock by d and runs the leader's tick.
func leaderTick(t *testing.T, s *slackApp, d time.Duration) {
	t.Helper()
	s.clock.Advance(d)
	if err := s.app.bot.Tick(context.Background(), s.clock.Now()); err != nil {
		t.Fatalf("tick: %v", err)
	}
}

// TestStatuspageMirror, as a runbook: Comms publishes the first post
// (Statuspage answers 500 once, so it goes out on the retry), muster is
// restarted with a newer post waiting in the outbox after a 503, and the restarted leader updates
// the same Statuspage incident; a private incident is never mirrored,
// and every post is one call.
func TestStatuspageMirror(t *testing.T) {
	fake := newFakeSlack(t)
	sp := fakestatuspage.New(t, "pg1", "sp-key")
	sp.Components("cmp1")
	path := filepath.Join(t.TempDir(), "muster.db")
	s := startMirrorApp(t, fake, sp, path)
	s.command("UALICE", "CGENERAL", "declare sev1 Primary DB OOM after deploy 4512", "declare")
	s.command("UALICE", "CGENERAL", "declare private sev2 Suspected credential leak", "declare2")
	s.app.slack.Drain()

	sp.Fail(http.StatusInternalServerError, 0)
	publishAs(t, s, 1, muster.StatusInvestigating, "Checkout is failing for some customers",
		muster.ComponentChange{Component: "Checkout", State: muster.ComponentMajor})
	publishAs(t, s, 2, muster.StatusInvestigating, "This must never be public")
	leaderTick(t, s, time.Minute)
	if got := sp.Incidents(); len(got) != 0 {
		t.Fatalf("created despite the 500: %+v", got)
	}
	leaderTick(t, s, 15*time.Second)
	got := sp.Incidents()
	if len(got) != 1 || got[0].Name != "Checkout is failing for some customers" || sp.ComponentState("cmp1") != "major_outage" {
		t.Fatalf("after the retry: %+v, cmp1 %q; want one incident named from the post, cmp1 major_outage", got, sp.ComponentState("cmp1"))
	}

	// A newer post fails once and waits in the outbox when muster
	// restarts: the restarted leader sends it to the same incident.
	publishAs(t, s, 1, muster.StatusMitigated, "A fix is rolling out.",
		muster.ComponentChange{Component: "Checkout", State: muster.ComponentDegraded})
	sp.Fail(http.StatusServiceUnavailable, 0)
	leaderTick(t, s, time.Minute)
	s.shutdown()
	s = startMirrorApp(t, fake, sp, path)
	if items, err := s.app.db.Outbox(context.Background()); err != nil || len(items) != 1 || items[0].Attempts != 1 {
		t.Fatalf("outbox after the restart: %+v, %v; want the sync that failed once", items, err)
	}
	leaderTick(t, s, 2*time.Minute)
	leaderTick(t, s, 3*time.Minute)
	got = sp.Incidents()
	if len(got) != 1 || len(got[0].Updates) != 2 || got[0].Status != "monitoring" || sp.ComponentState("cmp1") != "degraded_performance" {
		t.Fatalf("after the restart: %+v, cmp1 %q; want the same incident, 2 updates, monitoring, degraded_performance", got, sp.ComponentState("cmp1"))
	}
	for _, inc := range got {
		for _, u := range inc.Updates {
			if u.Body == "This must never be public" {
				t.Errorf("a private incident's post reached Statuspage")
			}
		}
	}
	var ok int
	for _, c := range sp.Calls() {
		if c.Code/100 == 2 {
			ok++
		}
	}
	if ok != 2 || len(sp.Calls()) != 4 {
		t.Errorf("calls %+v; want one successful call per post, after a 500 and a 503", sp.Calls())
	}
}

// TestStatuspageMirrorFromCommands, as Comms works it: `public` and
// `component` in the war room, then resolve and one click on "Publish the
// resolution": Statuspage gets the incident, its update and its
// resolution, with the component back to operational.
func TestStatuspageMirrorFromCommands(t *testing.T) {
	fake := newFakeSlack(t)
	sp := fakestatuspage.New(t, "pg1", "sp-key")
	sp.Components("cmp1")
	s := startMirrorApp(t, fake, sp, filepath.Join(t.TempDir(), "muster.db"))
	s.command("UALICE", "CGENERAL", "declare sev1 Primary DB OOM after deploy 4512", "declare")
	room := s.warRoom("inc-1-primary-db-oom-after-deploy-4512")
	s.command("UALICE", room.ID, "ic", "ic")
	s.command("UALICE", room.ID, "public Some customers cannot check out. We are on it.", "public1")
	s.command("UALICE", room.ID, "component checkout major", "component")
	s.app.slack.Drain()
	leaderTick(t, s, time.Minute)
	got := sp.Incidents()
	if len(got) != 1 || got[0].Status != "investigating" || sp.ComponentState("cmp1") != "major_outage" {
		t.Fatalf("after public and component: %+v, cmp1 %q; want one investigating incident, cmp1 major_outage", got, sp.ComponentState("cmp1"))
	}
	if strings.Contains(got[0].Name, "Primary DB") {
		t.Errorf("Statuspage incident named %q: the internal title went public", got[0].Name)
	}

	s.command("UALICE", room.ID, "resolve Rolled back deploy 4512", "resolve")
	s.app.slack.Drain()
	s.click("UALICE", room.ID, "Publish the resolution")
	s.app.slack.Drain()
	leaderTick(t, s, time.Minute)
	got = sp.Incidents()
	if len(got) != 1 || got[0].Status != "resolved" || sp.ComponentState("cmp1") != "operational" {
		t.Fatalf("after the resolution: %+v, cmp1 %q; want the same incident resolved, cmp1 operational", got, sp.ComponentState("cmp1"))
	}
	for _, u := range got[0].Updates {
		if strings.Contains(u.Body, "4512") || strings.Contains(u.Body, "UALICE") {
			t.Errorf("update %q carries war-room text", u.Body)
		}
	}
}
