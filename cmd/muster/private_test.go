package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot/console"
	"github.com/muster-bot/muster/bot/slack/fakeslack"
	"github.com/muster-bot/muster/bot/teams/faketeams"
	"github.com/muster-bot/muster/commands"
)

// secret is a word of the private incident's title: it must show nowhere
// but in the incident's own room.
const secret = "Kestrel"

// outsiderTries is every command that acts on an incident, and every
// button of its header, as someone outside a private incident would try
// them from another room, naming it. %s is the incident's reference, %u a
// mention of the outsider, as the platform writes it. "press" lines are
// button presses: the control's action, then its value.
var outsiderTries = []string{
	"show %s", "ic %s", "comms %s", "scribe %s", "ops %s", "role %s scribe", "ic %s %u", "handoff %s %u",
	"severity %s sev1", "sev %s sev4", "status %s mitigated", "status %s resolved", "mitigate %s",
	"update %s All good here", "note %s Just looking", "action %s Rotate the key", "action %s done 1",
	"public %s Payments are delayed", "public %s resolution", "component %s API major", "press public resolution|%s",
	"resolve %s", "resolve %s false-alarm", "reopen %s", "postmortem %s", "postmortem %s owner %u", "postmortem %s publish", "snooze %s 10m", "service %s checkout", "service %s remove checkout", "started %s 10:00", "detected %s 10:00", "page %s checkout Look at this",
	"press role ic|%s", "press role comms|%s", "press status %s|mitigated", "press severity %s|SEV1",
}

// outside is a platform driven from outside a private incident, which
// alice declared with the secret in its title.
type outside interface {
	// try sends line (a command, or a "press" line) as the outsider, from
	// a public room, and returns what the outsider was shown.
	try(t *testing.T, line string) string
	// shownOutside is everything the platform showed outside the
	// incident's own room, and a line starting "LEAK:" for anything else
	// that let an outsider learn of it.
	shownOutside(t *testing.T) string
	// incident is the incident as stored, with its timeline's length.
	incident(t *testing.T) (*muster.Incident, int)
	mention() string
}

// TestPrivateIncidentFromOutside: to someone outside it, a private
// incident does not exist: every command and every button naming it gets
// exactly the answer a missing incident gets, changes nothing, invites
// nobody, and nothing about it shows outside its room — on Slack, Teams
// and the console.
func TestPrivateIncidentFromOutside(t *testing.T) {
	// Every command that acts on an incident is tried: a new one must be
	// added to outsiderTries.
	cmds := commands.New(nil, nil, commands.Config{Roles: muster.DefaultRoles()}, time.Now)
	for _, verb := range cmds.IncidentVerbs() {
		if !slices.ContainsFunc(outsiderTries, func(try string) bool { return strings.HasPrefix(try, verb+" ") }) {
			t.Errorf("outsiderTries does not try %q", verb)
		}
	}
	for name, start := range map[string]func(t *testing.T) outside{
		"slack":   startSlackOutside,
		"teams":   startTeamsOutside,
		"console": startConsoleOutside,
	} {
		t.Run(name, func(t *testing.T) {
			o := start(t)
			before, entries := o.incident(t)
			if !before.Private || before.Room == "" {
				t.Fatalf("the private incident has no room of its own: %+v", before)
			}
			for _, try := range outsiderTries {
				line := strings.ReplaceAll(try, "%u", o.mention())
				got := o.try(t, strings.ReplaceAll(line, "%s", "INC-1"))
				want := o.try(t, strings.ReplaceAll(line, "%s", "INC-99"))
				if got == "" || strings.ReplaceAll(got, "INC-1", "INC-N") != strings.ReplaceAll(want, "INC-99", "INC-N") {
					t.Errorf("%q: the outsider was shown\n%q\nwhere a missing incident gets\n%q", line, got, want)
				}
				after, n := o.incident(t)
				if n != entries || after.Status != before.Status || after.Severity != before.Severity ||
					len(after.Roles) != len(before.Roles) || len(after.Participants) != len(before.Participants) ||
					len(after.Invited) != len(before.Invited) || len(after.Actions) != len(before.Actions) {
					t.Errorf("%q from outside changed the incident:\n%+v\n→ %+v (timeline %d → %d)", line, before, after, entries, n)
				}
			}
			for _, line := range []string{"list", "list all", "stats 30d", "stats 30d drills"} {
				if got := o.try(t, line); strings.Contains(got, secret) || strings.Contains(got, "INC-1") {
					t.Errorf("%q shows the outsider the private incident:\n%s", line, got)
				}
			}
			if shown := o.shownOutside(t); strings.Contains(shown, secret) || strings.Contains(shown, "LEAK:") {
				t.Errorf("the private incident showed outside its room:\n%s", shown)
			}
		})
	}
}

// slackOutside drives the real program over Slack's HTTP endpoints.
type slackOutside struct {
	s    *slackApp
	room string
	n    int
}

func startSlackOutside(t *testing.T) outside {
	fake := newFakeSlack(t)
	fake.AddUser("UMALLORY", "mallory")
	fake.AddChannel("CNOTIFY", "sre", false)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret}
	s := startSlackApp(t, fake, env, "severities:\n  - name: SEV1\n    update_every: 30m\n    notify: [CNOTIFY]\n  - name: SEV2\n  - name: SEV3\n  - name: SEV4\n")
	s.command("UALICE", "CGENERAL", "declare sev1 private "+secret+" signing key leaked", "declare")
	var room fakeslack.Channel
	eventually(t, "the private war room exists", func() (ok bool) {
		room, ok = fake.ChannelByName("inc-1-" + strings.ToLower(secret) + "-signing-key-leaked")
		return ok && len(messagesWith(fake, room.ID, "I'll be IC")) == 1
	})
	s.app.slack.Drain()
	return &slackOutside{s: s, room: room.ID}
}

func (o *slackOutside) mention() string { return "<@UMALLORY>" }

func (o *slackOutside) try(t *testing.T, line string) string {
	t.Helper()
	o.n++
	id := "try-" + strings.Repeat("x", o.n)
	var ack reply
	if rest, ok := strings.CutPrefix(line, "press "); ok {
		action, value, _ := strings.Cut(rest, "|")
		payload := map[string]any{
			"type": "block_actions", "user": map[string]any{"id": "UMALLORY", "username": "mallory", "team_id": "T0001"},
			"team": map[string]any{"id": "T0001"}, "api_app_id": "A0001", "trigger_id": "trig",
			"channel":      map[string]any{"id": "CGENERAL", "name": "general"},
			"container":    map[string]any{"type": "message", "message_ts": "1.1", "channel_id": "CGENERAL"},
			"response_url": o.s.fake.ResponseURL(id),
		}
		act := map[string]any{"action_id": "0:" + action, "block_id": "b", "type": "button", "value": value, "action_ts": "1"}
		if !strings.HasPrefix(action, "role ") {
			act = map[string]any{"action_id": "0:" + action, "block_id": "b", "type": "static_select", "action_ts": "1",
				"selected_option": map[string]any{"value": value, "text": map[string]any{"type": "plain_text", "text": value}}}
		}
		payload["actions"] = []any{act}
		body, _ := json.Marshal(payload)
		ack = o.s.post("/slack/interactions", "application/x-www-form-urlencoded", []byte(url.Values{"payload": {string(body)}}.Encode()), nil)
	} else {
		ack = o.s.command("UMALLORY", "CGENERAL", line, id)
	}
	o.s.app.slack.Drain()
	shown := ack.Body
	for _, r := range o.s.fake.Responses() {
		if r.ID == id {
			shown += "\n" + blocksText(r.Body)
		}
	}
	for _, m := range o.s.fake.Messages("CGENERAL") {
		if m.Ephemeral && m.User == "UMALLORY" {
			shown += "\n" + m.Text + blocksText(m.Blocks)
		}
	}
	return shown
}

func (o *slackOutside) shownOutside(t *testing.T) string {
	var b strings.Builder
	for _, ch := range []string{"CGENERAL", "CANNOUNCE", "CNOTIFY"} {
		for _, m := range o.s.fake.Messages(ch) {
			b.WriteString(m.Text + blocksText(m.Blocks) + "\n")
		}
	}
	for _, c := range o.s.fake.CallsTo("chat.postMessage") {
		if c.Params["channel"] == "CNOTIFY" {
			b.WriteString("LEAK: the severity's notify channel was told of the private room\n")
		}
	}
	if room, ok := o.s.fake.Channel(o.room); ok && contains(room.Members, "UMALLORY") {
		b.WriteString("LEAK: UMALLORY was invited into the private room\n")
	}
	return b.String()
}

func (o *slackOutside) incident(t *testing.T) (*muster.Incident, int) {
	return storedIncident(t, o.s.app)
}

// teamsOutside drives the real program over /api/messages; the private
// incident lives in the thread it was declared in.
type teamsOutside struct {
	a *teamsApp
}

const (
	privateThread  = generalCh + ";messageid=100"
	outsiderThread = generalCh + ";messageid=200"
)

func startTeamsOutside(t *testing.T) outside {
	a := startTeamsApp(t)
	a.send(faketeams.Mention(teamsBot, "Muster", "29:alice", "Alice", privateThread, a.tf.ServiceURL(), "declare sev2 private "+secret+" signing key leaked"), a.token())
	a.app.teams.Drain()
	return &teamsOutside{a: a}
}

func (o *teamsOutside) mention() string { return "@29:mallory" }

func (o *teamsOutside) try(t *testing.T, line string) string {
	t.Helper()
	before := len(o.a.tf.Activities(generalCh))
	if rest, ok := strings.CutPrefix(line, "press "); ok {
		action, value, _ := strings.Cut(rest, "|")
		data := map[string]any{"muster": action, "incident": value}
		if !strings.HasPrefix(action, "role ") {
			data = map[string]any{"muster": action, "input": "choice-1", "choice-1": value}
		}
		o.a.send(faketeams.Submit("29:mallory", outsiderThread, o.a.tf.ServiceURL(), "200", data), o.a.token())
	} else {
		o.a.send(faketeams.Mention(teamsBot, "Muster", "29:mallory", "Mallory", outsiderThread, o.a.tf.ServiceURL(), line), o.a.token())
	}
	o.a.app.teams.Drain()
	var shown strings.Builder
	for _, p := range o.a.tf.Activities(generalCh)[before:] {
		if p.Conversation != privateThread {
			shown.WriteString(blocksText(p.Activity) + "\n")
		}
	}
	return shown.String()
}

func (o *teamsOutside) shownOutside(t *testing.T) string {
	var b strings.Builder
	for _, p := range append(o.a.tf.Activities(generalCh), o.a.tf.Activities(announceCh)...) {
		if p.Conversation != privateThread {
			b.WriteString(blocksText(p.Activity) + "\n")
		}
	}
	return b.String()
}

func (o *teamsOutside) incident(t *testing.T) (*muster.Incident, int) {
	return storedIncident(t, o.a.app)
}

// consoleOutside drives the console: the outsider speaks in the lobby.
// Buttons on the console are pressed in the room that shows them, so a
// press from outside is the event such a press makes, sent from the lobby.
type consoleOutside struct {
	app *App
	out *syncBuffer // what the console printed
}

func startConsoleOutside(t *testing.T) outside {
	cfg := testConfig(t, t.TempDir())
	out := &syncBuffer{}
	app, err := New(cfg, Options{Console: true, Stdin: strings.NewReader(""), Stdout: out, Stderr: testLog{t},
		Getenv: func(string) string { return "" }, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	o := &consoleOutside{app: app, out: out}
	o.line(t, "/incident declare sev2 private "+secret+" signing key leaked")
	o.line(t, ":as mallory")
	o.line(t, ":lobby")
	return o
}

func (o *consoleOutside) mention() string { return "@mallory" }

func (o *consoleOutside) line(t *testing.T, line string) string {
	t.Helper()
	before := len(o.out.String())
	o.app.console.Line(context.Background(), line, o.app.bot, o.app.bot)
	return o.out.String()[before:]
}

func (o *consoleOutside) try(t *testing.T, line string) string {
	t.Helper()
	if rest, ok := strings.CutPrefix(line, "press "); ok {
		action, value, _ := strings.Cut(rest, "|")
		before := len(o.out.String())
		ev := muster.Event{Platform: console.Name, Kind: muster.EventAction, User: "mallory", Room: "lobby", Action: action, Value: value, At: t0}
		if err := o.app.bot.Handle(context.Background(), ev); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		return o.out.String()[before:]
	}
	return o.line(t, "/incident "+line)
}

func (o *consoleOutside) shownOutside(t *testing.T) string {
	var b strings.Builder
	for _, l := range strings.Split(o.out.String(), "\n") {
		// The declarer's own typing, and the private room's lines.
		if !strings.HasPrefix(l, "alice@") && !strings.Contains(l, "#inc-1-") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func (o *consoleOutside) incident(t *testing.T) (*muster.Incident, int) {
	return storedIncident(t, o.app)
}

func storedIncident(t *testing.T, app *App) (*muster.Incident, int) {
	t.Helper()
	inc, err := app.db.Incident(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	timeline, err := app.db.Timeline(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	return inc, len(timeline)
}

// TestPrivateRoomFailsClosed: when Slack will not create the private
// channel, nothing about the incident goes to the channel it was declared
// in; the declarer alone is told, and its commands are answered to them
// alone.
func TestPrivateRoomFailsClosed(t *testing.T) {
	fake := newFakeSlack(t)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret}
	s := startSlackApp(t, fake, env, "")
	fake.Fail("conversations.create", 1, fakeslack.Failure{Error: "restricted_action"})
	ack := s.command("UALICE", "CGENERAL", "declare sev2 private "+secret+" signing key leaked", "declare")
	s.app.slack.Drain()
	s.command("UALICE", "CGENERAL", "note INC-1 Key rotated", "note")
	s.app.slack.Drain()
	for _, m := range append(fake.Messages("CGENERAL"), fake.Messages("CANNOUNCE")...) {
		if !m.Ephemeral {
			t.Errorf("posted in %s: %s %s", m.Channel, m.Text, blocksText(m.Blocks))
		}
	}
	told := ack.Body
	for _, r := range fake.Responses() {
		told += blocksText(r.Body)
	}
	if !strings.Contains(told, "private room could not be created") || !strings.Contains(told, "Nothing about it was posted anywhere") {
		t.Errorf("the declarer was not told: %s", told)
	}
	inc, n := storedIncident(t, s.app)
	if inc.Room != "" || n != 2 {
		t.Errorf("incident room %q with %d timeline entries; want no room, and the note recorded", inc.Room, n)
	}
}

// TestPagesNamePeople: the incident pages name people as the workspace
// calls them, not by their chat ids.
func TestPagesNamePeople(t *testing.T) {
	fake := newFakeSlack(t)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret}
	s := startSlackApp(t, fake, env, "")
	s.command("UALICE", "CGENERAL", "declare sev2 Checkout is returning 500s", "declare")
	s.app.slack.Drain()
	resp, err := http.Get(s.url + "/incidents/1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "@alice") || strings.Contains(string(body), "UALICE") {
		t.Errorf("incident page (HTTP %d) does not name alice by name:\n%s", resp.StatusCode, body)
	}
}
