package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot/slack/fakeslack"
	"github.com/muster-bot/muster/tracker/github/fakegithub"
	"github.com/muster-bot/muster/tracker/jira/fakejira"
)

const jiraHookSecret = "jira-hook-secret"

// startTrackerApp runs the real app against fake Slack with the trackers
// section given, on the store at path (a second call is a restart) and
// the clock given (kept across a restart).
func startTrackerApp(t *testing.T, fake *fakeslack.Server, clock *fakeClock, path, trackers string, env map[string]string) *slackApp {
	t.Helper()
	yaml := fmt.Sprintf("store:\n  path: %s\nreminders:\n  tick: 24h\nslack:\n  announce_channel: CANNOUNCE\nweb:\n  public_url: https://muster.example.com\ntrackers:\n%s", path, trackers)
	all := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret, "SLACK_API_URL": fake.URL()}
	for k, v := range env {
		all[k] = v
	}
	getenv := func(k string) string { return all[k] }
	return runSlackApp(t, fake, clock, yaml, getenv)
}

// get fetches a page of the app and returns its body.
func (s *slackApp) get(path string) string {
	s.t.Helper()
	resp, err := http.Get(s.url + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
	}
	return string(b)
}

func action(t *testing.T, s *slackApp, id, n int) muster.ActionItem {
	t.Helper()
	inc, err := s.app.db.Incident(context.Background(), id)
	if err != nil || n > len(inc.Actions) {
		t.Fatalf("INC-%d action item #%d: %v", id, n, err)
	}
	return inc.Actions[n-1]
}

// TestTrackerJira, as a runbook: a due date in the past is refused; an
// action item with owner, priority and due date becomes one Jira issue,
// even though Jira lost the answer of the first create (the room is told
// once, and the retry finds the issue instead of filing another); the
// issue closed in Jira (a signed webhook, delivered twice) marks the item
// done once, and the next postmortem shows it done with its link. A
// forged or unsigned delivery is refused with 401, a malformed one with
// 400.
func TestTrackerJira(t *testing.T) {
	fake := newFakeSlack(t)
	fake.SetEmail("UBOB", "bob@example.com")
	clock := &fakeClock{now: t0}
	fj := fakejira.New(t, "bot@example.com", "jira-token", "OPS", clock.Now)
	fj.AddUser(fakejira.User{AccountID: "acc-bob", Email: "bob@example.com", Name: "Bob"})
	trackers := fmt.Sprintf("  jira:\n    url: %s\n    project: OPS\n", fj.URL)
	env := map[string]string{"JIRA_USER": "bot@example.com", "JIRA_API_TOKEN": "jira-token", "JIRA_WEBHOOK_SECRET": jiraHookSecret}
	s := startTrackerApp(t, fake, clock, filepath.Join(t.TempDir(), "muster.db"), trackers, env)

	s.command("UALICE", "CGENERAL", "declare sev1 Checkout returns 500s", "declare")
	room := s.warRoom("inc-1-checkout-returns-500s")
	if r := s.command("UALICE", room.ID, "action Add a canary stage due 2026-11-21", "past"); !strings.Contains(r.Body, "2026-11-21 is in the past") || !strings.Contains(r.Body, "2026-11-22 in UTC") {
		t.Errorf("a due date before today: %q; want it refused naming today", r.Body)
	}
	fj.DropCreateAnswers(1)
	s.command("UALICE", room.ID, "action Add a canary stage to checkout deploys <@UBOB|bob> p1 due 2026-12-01", "add")
	s.app.slack.Drain()
	if got := messagesWith(fake, room.ID, "due 2026-12-01, priority P1"); len(got) != 1 {
		t.Errorf("confirmations %+v; want one echoing the due date and priority", got)
	}

	leaderTick(t, s, time.Minute) // filed, but the answer is lost
	leaderTick(t, s, time.Minute) // the retry finds it
	leaderTick(t, s, time.Minute)
	issues := fj.Issues()
	if len(issues) != 1 {
		t.Fatalf("Jira issues %+v; want exactly one", issues)
	}
	is := issues[0]
	if is.AssigneeID != "acc-bob" || is.Priority != "High" || is.DueDate != "2026-12-01" || !slices.Contains(is.Labels, "muster-INC-1-action-1") ||
		is.Summary != "Add a canary stage to checkout deploys" || !strings.Contains(string(is.Description), "https://muster.example.com/incidents/1") {
		t.Errorf("issue %+v; want Bob assigned, High, due 2026-12-01, muster's label, the text, the link back", is)
	}
	if a := action(t, s, 1, 1); a.Tracker.Key != is.Key || !strings.HasSuffix(a.Tracker.URL, "/browse/"+is.Key) {
		t.Errorf("item's tracker %+v; want %s recorded", a.Tracker, is.Key)
	}
	s.app.slack.Drain()
	if got := messagesWith(fake, room.ID, "🎫 Action item #1 → "+is.Key); len(got) != 1 {
		t.Errorf("room got %d link posts; want 1", len(got))
	}
	if got := messagesWith(fake, room.ID, "creating the Jira issue for action item #1 failed"); len(got) != 1 {
		t.Errorf("room got %d failure notes; want 1 for the lost answer", len(got))
	}

	// Closed in Jira; the webhook arrives twice with one delivery id.
	hook := s.url + "/hooks/jira"
	fj.SetStatus(is.Key, "Done")
	body := fj.WebhookBody(is.Key, "To Do", clock.Now())
	for range 2 {
		if code, err := fakejira.SendWebhook(context.Background(), nil, hook, body, jiraHookSecret, "delivery-1"); err != nil || code/100 != 2 {
			t.Fatalf("webhook: %d %v", code, err)
		}
	}
	if a := action(t, s, 1, 1); !a.Done {
		t.Errorf("item %+v after the issue was closed; want done", a)
	}
	if n := countEntries(t, s.app, "closed in Jira"); n != 1 {
		t.Errorf("%d timeline entries of the close; want 1 (the redelivery is ignored)", n)
	}
	s.app.slack.Drain()
	if got := messagesWith(fake, room.ID, "✅ Action item #1 done"); len(got) != 1 {
		t.Errorf("room told %d times of the done item; want once", len(got))
	}
	pm := s.get("/incidents/1/postmortem.md")
	if !strings.Contains(pm, "Add a canary stage to checkout deploys (["+is.Key+"]("+fj.URL+"/browse/"+is.Key+"))") || !strings.Contains(pm, "| yes, 2026-11-22 |") {
		t.Errorf("postmortem action items:\n%s\nwant the item done with its link", section(pm, "## Action items"))
	}

	for _, tc := range []struct {
		name, secret string
		body         []byte
		want         int
	}{
		{"forged", "not-the-secret", body, http.StatusUnauthorized},
		{"unsigned", "", body, http.StatusUnauthorized},
		{"malformed", jiraHookSecret, []byte(`{"webhookEvent":`), http.StatusBadRequest},
	} {
		if code, err := fakejira.SendWebhook(context.Background(), nil, hook, tc.body, tc.secret, "d-"+tc.name); err != nil || code != tc.want {
			t.Errorf("%s webhook: %d %v; want %d", tc.name, code, err, tc.want)
		}
	}
}

// section returns the part of md from the heading to the next one.
func section(md, heading string) string {
	_, rest, _ := strings.Cut(md, heading)
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	return heading + rest
}

// TestTrackerGitHub, as a runbook without webhooks: GitHub is down when
// the item is added (the room is told once), muster restarts with the
// filing waiting, and the restarted leader files it once GitHub is back;
// `action done` here closes the issue there; an issue closed there is
// found by the poll and marks its item done; a private incident's items
// are not filed.
func TestTrackerGitHub(t *testing.T) {
	fake := newFakeSlack(t)
	clock := &fakeClock{now: t0}
	fg := fakegithub.New(t, "ghp-token", "acme/web", clock.Now)
	trackers := fmt.Sprintf("  github:\n    repo: acme/web\n    api_url: %s\n", fg.URL)
	env := map[string]string{"GITHUB_TOKEN": "ghp-token"}
	path := filepath.Join(t.TempDir(), "muster.db")
	s := startTrackerApp(t, fake, clock, path, trackers, env)

	s.command("UALICE", "CGENERAL", "declare sev1 Checkout returns 500s", "declare")
	room := s.warRoom("inc-1-checkout-returns-500s")
	fg.Down(http.StatusServiceUnavailable)
	s.command("UALICE", room.ID, "action Alert on checkout 5xx p0", "a1")
	s.app.slack.Drain()
	leaderTick(t, s, time.Minute)
	leaderTick(t, s, time.Minute)
	s.app.slack.Drain()
	if got := messagesWith(fake, room.ID, "creating the GitHub issue for action item #1 failed"); len(got) != 1 {
		t.Errorf("room got %d failure notes; want 1 however many retries", len(got))
	}

	s.shutdown()
	s = startTrackerApp(t, fake, clock, path, trackers, env)
	fg.Down(0)
	leaderTick(t, s, 5*time.Minute)
	issues := fg.Issues()
	if len(issues) != 1 || !slices.Contains(issues[0].Labels, "priority: P0") || !strings.Contains(issues[0].Body, "https://muster.example.com/incidents/1") {
		t.Fatalf("GitHub issues after the restart %+v; want one, labelled priority: P0, linking back", issues)
	}

	s.command("UALICE", room.ID, "action Add a runbook for 5xx spikes", "a2")
	s.app.slack.Drain()
	leaderTick(t, s, time.Minute)
	s.command("UALICE", room.ID, "action done 2", "d2")
	s.app.slack.Drain()
	leaderTick(t, s, time.Minute)
	if got := fg.Issues(); len(got) != 2 || got[1].State != "closed" || got[0].State != "open" {
		t.Fatalf("issues %+v; want #2 closed by `action done 2`, #1 open", got)
	}

	fg.SetState(issues[0].Number, "closed")
	leaderTick(t, s, 16*time.Minute) // the poll
	if a := action(t, s, 1, 1); !a.Done {
		t.Errorf("item %+v after its issue was closed and polled; want done", a)
	}
	s.app.slack.Drain()
	if got := messagesWith(fake, room.ID, "✅ Action item #1 done"); len(got) != 1 {
		t.Errorf("room told %d times of the polled done item; want once", len(got))
	}

	s.command("UALICE", "CGENERAL", "declare private sev2 Suspected credential leak", "declare2")
	s.app.slack.Drain()
	inc, err := s.app.db.Incident(context.Background(), 2)
	if err != nil || inc.Room == "" {
		t.Fatalf("private incident: %+v %v", inc, err)
	}
	s.command("UALICE", inc.Room, "action Rotate the leaked deploy keys", "a3")
	s.app.slack.Drain()
	leaderTick(t, s, time.Minute)
	if got := fg.Issues(); len(got) != 2 {
		t.Errorf("issues %+v; a private incident's item was filed", got)
	}
}
