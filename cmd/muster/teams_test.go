package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster/bot/teams/faketeams"
	"github.com/muster-bot/muster/config"
)

const (
	teamsAppID    = "00000000-0000-0000-0000-00000000a11d"
	teamsPassword = "app-secret"
	teamsBot      = "28:" + teamsAppID
	teamGroup     = "11111111-2222-3333-4444-555555555555"
	generalCh     = "19:general@thread.tacv2"
	announceCh    = "19:incidents@thread.tacv2"
)

// teamPeople are on the fake team's roster: alice by her e-mail, bob by
// his user principal name alone.
var teamPeople = []faketeams.Member{
	{ID: "29:alice", Name: "Alice", Email: "alice@example.com", UserPrincipalName: "alice@example.com"},
	{ID: "29:bob", Name: "Bob", UserPrincipalName: "bob@example.com"},
	{ID: "29:carol", Name: "Carol", Email: "carol@example.com"},
}

type teamsApp struct {
	*slackApp // the same harness: app, clock, url, shutdown
	tf        *faketeams.Server
}

func startTeamsApp(t *testing.T) *teamsApp {
	t.Helper()
	return startTeamsAppWith(t, teamGroup, "", nil)
}

// startTeamsAppWith starts the app with teams.team_id set to team ("" for
// war rooms as threads, without Graph), more configuration ({base} in it
// is the app's address) and more environment; the fake team has people with e-mail addresses on its
// roster (see teamPeople).
func startTeamsAppWith(t *testing.T, team, moreYAML string, moreEnv map[string]string) *teamsApp {
	t.Helper()
	tf := faketeams.New()
	t.Cleanup(tf.Close)
	tf.SetCredentials(teamsAppID, teamsPassword)
	tf.AddTeam(teamGroup)
	tf.AddChannel(teamGroup, generalCh, "General")
	tf.AddChannel(teamGroup, announceCh, "Incidents")
	for _, m := range teamPeople {
		tf.AddPerson(teamGroup, m)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	moreYAML = strings.ReplaceAll(moreYAML, "{base}", "http://"+ln.Addr().String())
	yaml := fmt.Sprintf("store:\n  path: %s\nreminders:\n  tick: 24h\nteams:\n  team_id: %q\n  announce_channel_id: %q\n  graph_url: %s\n  login_url: %s\n  openid_metadata_url: %s\n  service_url: %s\n",
		filepath.Join(t.TempDir(), "muster.db"), team, announceCh, tf.GraphURL(), tf.LoginURL(), tf.OpenIDMetadataURL(), tf.ServiceURL()) + moreYAML
	env := map[string]string{"TEAMS_APP_ID": teamsAppID, "TEAMS_APP_PASSWORD": teamsPassword, "TEAMS_TENANT_ID": faketeams.TenantID}
	maps.Copy(env, moreEnv)
	cfg, err := config.Parse([]byte(yaml), "teams.yaml", func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	clock := &fakeClock{now: time.Now()}
	app, err := New(cfg, Options{Listener: ln, Now: clock.Now, Stdout: io.Discard, Stderr: testLog{t}, Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatalf("new app: %v", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &slackApp{t: t, app: app, clock: clock, url: "http://" + ln.Addr().String(), done: make(chan error, 1), stop: stop}
	go func() { s.done <- app.Run(ctx) }()
	t.Cleanup(s.shutdown)
	eventually(t, "the app is ready", func() bool {
		resp, err := http.Get(s.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return &teamsApp{slackApp: s, tf: tf}
}

// send posts an activity to /api/messages with the given token.
func (a *teamsApp) send(body []byte, token string) int {
	a.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.url+"/api/messages", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (a *teamsApp) token() string { return a.tf.Token(teamsAppID, a.tf.ServiceURL()) }

func activitiesWith(tf *faketeams.Server, conversation, text string) []faketeams.Posted {
	var out []faketeams.Posted
	for _, p := range tf.Activities(conversation) {
		if strings.Contains(blocksText(p.Activity), text) {
			out = append(out, p)
		}
	}
	return out
}

// TestTeams runs the incident flow through the real /api/messages handler
// against fake Bot Connector, Graph and login servers.
func TestTeams(t *testing.T) {
	a := startTeamsApp(t)
	svc := a.tf.ServiceURL()
	// An old channel has the name already: the war room gets a suffix.
	a.tf.AddChannel(teamGroup, "19:old@thread.tacv2", "inc-1-checkout-is-down")

	// Declare by @mention: a Graph channel, the header card in it.
	declare := faketeams.Mention(teamsBot, "Muster", "29:alice", "Alice", generalCh+";messageid=100", svc, "declare sev1 Checkout is down")
	if code := a.send(declare, a.token()); code != http.StatusOK {
		t.Fatalf("declare: HTTP %d", code)
	}
	var room string
	eventually(t, "the war-room channel has its header card", func() bool {
		for _, ch := range a.tf.Channels(teamGroup) {
			if ch.DisplayName == "inc-1-checkout-is-down-2" {
				room = ch.ID
			}
		}
		return room != "" && len(activitiesWith(a.tf, room, "I'll be IC")) == 1
	})
	header := activitiesWith(a.tf, room, "I'll be IC")[0]

	// A card click: Bob becomes IC; the card is updated in place.
	click := faketeams.Submit("29:bob", room+";messageid="+header.ID, svc, header.ID, map[string]any{"muster": "role ic", "incident": "INC-1"})
	if code := a.send(click, a.token()); code != http.StatusOK {
		t.Fatalf("click: HTTP %d", code)
	}
	eventually(t, "the card shows the IC", func() bool {
		inc, err := a.app.db.Incident(context.Background(), 1)
		h := activitiesWith(a.tf, room, "Incident Commander")
		return err == nil && inc.Roles["ic"] == "29:bob" && len(h) > 0 && h[0].Updates > 0
	})

	// Channel messages land in the timeline before the answer.
	msg := faketeams.Message("29:alice", "Alice", room+";messageid=200", svc, "Error rate is 40% since 02:58", "200")
	if code := a.send(msg, a.token()); code != http.StatusOK {
		t.Fatalf("message: HTTP %d", code)
	}
	if n := countEntries(t, a.app, "Error rate is 40%"); n != 1 {
		t.Fatalf("%d entries hold the message at the answer, want 1", n)
	}

	// A reminder arrives proactively on the fake clock.
	a.clock.Advance(31 * time.Minute)
	if err := a.app.bot.Tick(context.Background(), a.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if n := len(activitiesWith(a.tf, room, "needs a status update")); n != 1 {
		t.Errorf("%d reminders in the war room, want 1", n)
	}

	// Resolve: the postmortem Markdown follows the summary.
	resolve := faketeams.Mention(teamsBot, "Muster", "29:bob", "Bob", room+";messageid=300", svc, "resolve Bad deploy rolled back")
	a.send(resolve, a.token())
	eventually(t, "the postmortem is posted", func() bool {
		return len(activitiesWith(a.tf, room, "Error rate is 40% since 02:58 |")) > 0 && len(activitiesWith(a.tf, room, "resolved after")) == 1
	})

	// A single-tenant bot asks its own tenant for tokens, for both scopes.
	scopes := map[string]bool{}
	for _, r := range a.tf.TokenRequests() {
		if r.Tenant != faketeams.TenantID || r.ClientID != teamsAppID {
			t.Errorf("token request %+v, want the bot's tenant and app id", r)
		}
		scopes[r.Scope] = true
	}
	if !scopes["https://api.botframework.com/.default"] || !scopes["https://graph.microsoft.com/.default"] {
		t.Errorf("token scopes = %v", scopes)
	}

	// Requests without a valid token are refused and change nothing.
	bad := faketeams.Mention(teamsBot, "Muster", "29:eve", "Eve", generalCh+";messageid=400", svc, "declare Forged")
	for name, tok := range map[string]string{
		"missing":          "",
		"not a JWT":        "not-a-token",
		"wrong signer":     a.tf.Token(teamsAppID, svc, faketeams.SignedByStranger()),
		"wrong audience":   a.tf.Token(teamsAppID, svc, faketeams.WithAudience("someone-else")),
		"expired":          a.tf.Token(teamsAppID, svc, faketeams.WithExpiry(time.Now().Add(-time.Hour))),
		"other serviceurl": a.tf.Token(teamsAppID, "https://evil.example/"),
	} {
		if code := a.send(bad, tok); code != http.StatusUnauthorized {
			t.Errorf("%s token: HTTP %d, want 401", name, code)
		}
	}

}

// TestTeamsTokenEndpointDown: with the login endpoint unreachable the
// declaration is recorded, the posts fail and are logged, and the bot
// stays up (msbotbuilder-go's own client panics here).
func TestTeamsTokenEndpointDown(t *testing.T) {
	a := startTeamsApp(t)
	a.tf.Unreachable("token")
	declare := faketeams.Mention(teamsBot, "Muster", "29:alice", "Alice", generalCh+";messageid=500", a.tf.ServiceURL(), "declare sev2 Search slow")
	if code := a.send(declare, a.token()); code != http.StatusOK {
		t.Fatalf("declare: HTTP %d", code)
	}
	a.app.teams.Drain()
	if _, err := a.app.db.Incident(context.Background(), 1); err != nil {
		t.Errorf("the declaration was lost: %v", err)
	}
	resp, err := http.Get(a.url + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the bot is down after the token endpoint failed: %v", err)
	}
	resp.Body.Close()
}

// testLog shows the app's log lines in the test's output, where a failure
// can be read with them.
type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// TestTeamsThreadsWithoutGraph: without teams.team_id, a war room is a
// thread in the incidents channel, and that thread is the timeline.
func TestTeamsThreadsWithoutGraph(t *testing.T) {
	a := startTeamsAppWith(t, "", "", nil)
	svc := a.tf.ServiceURL()
	a.send(faketeams.Mention(teamsBot, "Muster", "29:alice", "Alice", generalCh+";messageid=100", svc, "declare sev2 Search is slow"), a.token())
	var room string
	eventually(t, "the war-room thread exists", func() bool {
		inc, err := a.app.db.Incident(context.Background(), 1)
		if err != nil || inc.Room == "" {
			return false
		}
		room = inc.Room
		return len(activitiesWith(a.tf, announceCh, "I'll be IC")) == 1
	})
	if !strings.HasPrefix(room, announceCh+";messageid=") {
		t.Fatalf("war room = %q, want a thread of the incidents channel", room)
	}
	a.send(faketeams.Message("29:alice", "Alice", room, svc, "p99 is 4s in EU", "900"), a.token())
	a.send(faketeams.Message("29:alice", "Alice", announceCh+";messageid=12345", svc, "unrelated thread", "901"), a.token())
	if n := countEntries(t, a.app, "p99 is 4s"); n != 1 {
		t.Errorf("%d entries from the war-room thread, want 1", n)
	}
	if n := countEntries(t, a.app, "unrelated thread"); n != 0 {
		t.Errorf("another thread of the channel was recorded")
	}
}

// TestTeamsPrivateIncident: a bot cannot post in a private channel, so a
// private incident is worked in the thread it was declared in: its header
// is a reply there (never a new post in the channel), commands and
// messages in the thread act on it, and it is not announced.
func TestTeamsPrivateIncident(t *testing.T) {
	a := startTeamsApp(t)
	thread := generalCh + ";messageid=100"
	a.send(faketeams.Mention(teamsBot, "Muster", "29:alice", "Alice", thread, a.tf.ServiceURL(), "declare sev1 private Leaked signing key"), a.token())
	a.app.teams.Drain()
	inc, err := a.app.db.Incident(context.Background(), 1)
	if err != nil || inc.Room != thread {
		t.Fatalf("incident %+v (%v), want it worked in the declaring thread", inc, err)
	}
	for _, p := range a.tf.Activities(generalCh) {
		if p.Conversation != thread {
			t.Errorf("posted outside the declaring thread, in %s: %s", p.Conversation, blocksText(p.Activity))
		}
	}
	if n := len(activitiesWith(a.tf, generalCh, "I'll be IC")); n != 1 {
		t.Errorf("%d headers in the thread, want 1", n)
	}
	a.send(faketeams.Mention(teamsBot, "Muster", "29:alice", "Alice", thread, a.tf.ServiceURL(), "ic"), a.token())
	a.send(faketeams.Message("29:bob", "Bob", thread, a.tf.ServiceURL(), "Rotating the key now", "101"), a.token())
	a.app.teams.Drain()
	inc, _ = a.app.db.Incident(context.Background(), 1)
	timeline, _ := a.app.db.Timeline(context.Background(), 1)
	if inc.Roles["ic"] != "29:alice" || !strings.Contains(fmt.Sprint(timeline), "Rotating the key now") {
		t.Errorf("in the thread: IC %q, timeline %v; want the command and the message to act on the incident", inc.Roles["ic"], timeline)
	}
	// A member asking from another thread, where everyone would read the
	// answer, is answered in the incident's thread.
	other := generalCh + ";messageid=300"
	a.send(faketeams.Mention(teamsBot, "Muster", "29:alice", "Alice", other, a.tf.ServiceURL(), "show INC-1"), a.token())
	a.app.teams.Drain()
	for _, p := range a.tf.Activities(generalCh) {
		if p.Conversation == other {
			t.Errorf("answered where everyone reads it: %s", blocksText(p.Activity))
		}
	}
	if n := len(activitiesWith(a.tf, generalCh, "Leaked signing key")); n < 2 {
		t.Errorf("the answer to show did not reach the incident's thread")
	}
	if n := len(activitiesWith(a.tf, announceCh, "INC-1")); n != 0 {
		t.Errorf("a private incident was announced")
	}
	if len(a.tf.Channels(teamGroup)) != 2 { // General and Incidents
		t.Errorf("a channel was created for a private incident")
	}
}

// TestTeamsOutsidersIgnored: a valid Bot Framework token from another
// tenant, or from another channel than Teams, acts on nothing.
func TestTeamsOutsidersIgnored(t *testing.T) {
	a := startTeamsApp(t)
	for name, edit := range map[string]func(map[string]any){
		"other tenant": func(m map[string]any) {
			m["channelData"].(map[string]any)["tenant"] = map[string]any{"id": "someone-else"}
		},
		"other channel": func(m map[string]any) { m["channelId"] = "webchat" },
	} {
		var act map[string]any
		must(t, json.Unmarshal(faketeams.Mention(teamsBot, "Muster", "29:mallory", "Mallory", generalCh+";messageid=7", a.tf.ServiceURL(), "declare sev1 Forged"), &act))
		edit(act)
		body, _ := json.Marshal(act)
		if code := a.send(body, a.token()); code != http.StatusOK {
			t.Errorf("%s: HTTP %d", name, code)
		}
	}
	a.app.teams.Drain()
	if _, err := a.app.db.Incident(context.Background(), 1); err == nil {
		t.Error("an outsider declared an incident")
	}
}
