package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot/slack"
	"github.com/muster-bot/muster/bot/slack/fakeslack"
	"github.com/muster-bot/muster/config"
	"github.com/muster-bot/muster/webhooks"
)

const signingSecret = "test-signing-secret"

// fakeClock is a clock the test moves; the app reads it for everything.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// slackApp is the whole program serving Slack on a loopback port, talking
// to a fake Slack.
type slackApp struct {
	t     testing.TB
	app   *App
	fake  *fakeslack.Server
	clock *fakeClock
	url   string
	done  chan error
	stop  context.CancelFunc
}

func startSlackApp(t testing.TB, fake *fakeslack.Server, env map[string]string, extraYAML string) *slackApp {
	t.Helper()
	dir := t.TempDir()
	yaml := fmt.Sprintf("store:\n  path: %s\nreminders:\n  tick: 24h\nslack:\n  announce_channel: CANNOUNCE\n%s", filepath.Join(dir, "muster.db"), extraYAML)
	getenv := func(k string) string {
		if k == "SLACK_API_URL" {
			return fake.URL()
		}
		return env[k]
	}
	clock := &fakeClock{now: t0}
	return runSlackApp(t, fake, clock, yaml, getenv)
}

// runSlackApp starts the whole program on yaml and getenv, talking to
// fake Slack, on 127.0.0.1, and waits until it is ready; it is shut down
// when the test ends.
func runSlackApp(t testing.TB, fake *fakeslack.Server, clock *fakeClock, yaml string, getenv func(string) string) *slackApp {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), "test.yaml", getenv)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	app, err := New(cfg, Options{Listener: ln, Now: clock.Now, Stdout: io.Discard, Stderr: io.Discard, Getenv: getenv})
	if err != nil {
		t.Fatalf("new app: %v", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &slackApp{t: t, app: app, fake: fake, clock: clock, url: "http://" + ln.Addr().String(), done: make(chan error, 1), stop: stop}
	go func() { s.done <- app.Run(ctx) }()
	t.Cleanup(func() { s.shutdown() })
	eventually(t, "the app is ready", func() bool {
		resp, err := http.Get(s.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return s
}

// shutdown stops the app as SIGTERM would and checks it ends cleanly.
func (s *slackApp) shutdown() {
	if s.stop == nil {
		return
	}
	s.stop()
	s.stop = nil
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Errorf("app ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		s.t.Fatal("app did not stop within 10s")
	}
	if err := s.app.Close(); err != nil {
		s.t.Errorf("close: %v", err)
	}
}

// post sends a request signed as Slack would, at the real time (the
// signature window is checked against the app's clock, which starts at
// t0, so the timestamp is taken from it).
// reply is Slack's view of an acknowledgement: its status and body (the
// private answer, when it came in time to ride in the acknowledgement).
type reply struct {
	StatusCode int
	Body       string
}

func (s *slackApp) post(path, contentType string, body []byte, header http.Header) reply {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	ts := strconv.FormatInt(s.clock.Now().Unix(), 10)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slack.Sign([]byte(signingSecret), ts, body))
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return reply{resp.StatusCode, string(b)}
}

func (s *slackApp) command(user, channel, text, responseID string) reply {
	s.t.Helper()
	form := url.Values{
		"command": {"/incident"}, "text": {text}, "user_id": {user}, "user_name": {strings.ToLower(user)},
		"channel_id": {channel}, "team_id": {"T0001"}, "response_url": {s.fake.ResponseURL(responseID)}, "trigger_id": {"trig-" + responseID},
	}
	return s.post("/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
}

// message sends a message event built from Slack's documented sample.
func (s *slackApp) message(eventID, user, channel, ts, text string, retry int) reply {
	s.t.Helper()
	var envelope map[string]any
	readJSON(s.t, "../../bot/slack/testdata/payloads/slack-event-callback-message-channels.json", &envelope)
	ev := envelope["event"].(map[string]any)
	ev["user"], ev["channel"], ev["ts"], ev["event_ts"], ev["text"] = user, channel, ts, ts, text
	envelope["event_id"] = eventID
	body, _ := json.Marshal(envelope)
	h := http.Header{}
	if retry > 0 {
		h.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
		h.Set("X-Slack-Retry-Reason", "http_timeout")
	}
	return s.post("/slack/events", "application/json", body, h)
}

// click presses a button of a message the bot posted, as Slack's
// block_actions payload (the documented sample, with our button in it).
func (s *slackApp) click(user, channel, label string) reply {
	s.t.Helper()
	actionID, value, ts := s.button(channel, label)
	var payload map[string]any
	readJSON(s.t, "../../bot/slack/testdata/payloads/slack-block-actions.json", &payload)
	payload["user"] = map[string]any{"id": user, "username": strings.ToLower(user), "team_id": "T0001"}
	payload["channel"] = map[string]any{"id": channel, "name": "war-room"}
	payload["container"] = map[string]any{"type": "message", "message_ts": ts, "channel_id": channel}
	payload["response_url"] = s.fake.ResponseURL("click-" + label)
	payload["actions"] = []any{map[string]any{"action_id": actionID, "block_id": "b", "value": value, "type": "button", "action_ts": "1"}}
	body, _ := json.Marshal(payload)
	form := url.Values{"payload": {string(body)}}
	return s.post("/slack/interactions", "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
}

// button finds a button by its label in the messages posted in channel.
func (s *slackApp) button(channel, label string) (actionID, value, ts string) {
	s.t.Helper()
	for _, m := range s.fake.Messages(channel) {
		var blocks []struct {
			Type     string `json:"type"`
			Elements []struct {
				Type     string `json:"type"`
				ActionID string `json:"action_id"`
				Value    string `json:"value"`
				Text     struct {
					Text string `json:"text"`
				} `json:"text"`
			} `json:"elements"`
		}
		json.Unmarshal(m.Blocks, &blocks)
		for _, b := range blocks {
			for _, e := range b.Elements {
				if e.Type == "button" && e.Text.Text == label {
					return e.ActionID, e.Value, m.TS
				}
			}
		}
	}
	s.t.Fatalf("no button %q in %s", label, channel)
	return "", "", ""
}

// warRoom waits for the war room named name to exist in the fake Slack.
func (s *slackApp) warRoom(name string) fakeslack.Channel {
	s.t.Helper()
	var room fakeslack.Channel
	eventually(s.t, "the war room "+name+" exists", func() (ok bool) {
		room, ok = s.fake.ChannelByName(name)
		return ok
	})
	return room
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond every 10 ms for up to 10 s: the work after an
// acknowledgement runs on its own goroutine.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func messagesWith(fake *fakeslack.Server, channel, text string) []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range fake.Messages(channel) {
		if strings.Contains(m.Text, text) || strings.Contains(blocksText(m.Blocks), text) {
			out = append(out, m)
		}
	}
	return out
}

// blocksText is the blocks' JSON with Go's HTML-safe escapes undone, so
// that a test can look for "<@UBOB>".
func blocksText(b json.RawMessage) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
}

func responsesWith(fake *fakeslack.Server, text string) int {
	n := 0
	for _, r := range fake.Responses() {
		if strings.Contains(blocksText(r.Body), text) {
			n++
		}
	}
	return n
}

func newFakeSlack(t testing.TB) *fakeslack.Server {
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	for _, u := range []string{"UALICE", "UBOB", "UCAROL"} {
		fake.AddUser(u, strings.ToLower(u[1:]))
	}
	fake.AddChannel("CANNOUNCE", "incidents", false)
	fake.AddChannel("CGENERAL", "general", false)
	return fake
}

// TestSlackHTTP runs the whole flow through Slack's HTTP endpoints.
func TestSlackHTTP(t *testing.T) {
	fake := newFakeSlack(t)
	// A channel from an earlier incident already has the name, so the war
	// room gets a suffix.
	fake.AddChannel("COLD", "inc-1-checkout-is-returning-500s", false)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret}
	s := startSlackApp(t, fake, env, "severities:\n  - name: SEV1\n    update_every: 30m\n    notify: [UCAROL, UNOBODY]\n  - name: SEV2\n    update_every: 1h\ndefault_severity: SEV2\n")

	// Declare: acknowledged at once; the channel, invites, header and
	// announcement follow.
	// The declarer's answer rides in the acknowledgement when the war room
	// is ready in time (it is, against the fake), else in the response_url.
	declared := s.command("UALICE", "CGENERAL", "declare sev1 Checkout is returning 500s", "declare")
	if declared.StatusCode != http.StatusOK {
		t.Fatalf("declare: HTTP %d", declared.StatusCode)
	}
	var room fakeslack.Channel
	eventually(t, "the war room exists", func() (ok bool) {
		room, ok = fake.ChannelByName("inc-1-checkout-is-returning-500s-2")
		return ok && len(messagesWith(fake, room.ID, "I'll be IC")) == 1
	})
	if !strings.Contains(declared.Body, `"response_type":"ephemeral"`) || !strings.Contains(declared.Body, "INC-1 declared") {
		t.Errorf("declare acknowledgement = %s, want the private answer in it", declared.Body)
	}
	if !strings.Contains(room.Topic, "INC-1") {
		t.Errorf("topic = %q", room.Topic)
	}
	for _, u := range []string{"UALICE", "UCAROL"} {
		if !contains(room.Members, u) {
			t.Errorf("%s not invited; members %v", u, room.Members)
		}
	}
	eventually(t, "the failed invite is reported in the room", func() bool {
		return len(messagesWith(fake, room.ID, "user_not_found")) == 1
	})
	if n := len(messagesWith(fake, "CANNOUNCE", "INC-1")); n != 1 {
		t.Errorf("%d announcements, want 1", n)
	}

	// Button: Bob takes the IC role; the header is updated in place.
	if resp := s.click("UBOB", room.ID, "I'll be IC"); resp.StatusCode != http.StatusOK {
		t.Fatalf("click: HTTP %d", resp.StatusCode)
	}
	defer func() {
		if t.Failed() {
			for _, m := range fake.Messages(room.ID) {
				t.Logf("room message %s updates=%d text=%q blocks=%s", m.TS, m.Updates, m.Text, m.Blocks)
			}
			for _, c := range fake.Calls() {
				t.Logf("call %s %v %d %s", c.Method, c.Params["channel"], c.Status, c.Error)
			}
		}
	}()
	eventually(t, "the header shows the IC", func() bool {
		h := messagesWith(fake, room.ID, "Incident Commander")
		return len(h) > 0 && h[0].Updates > 0 && strings.Contains(blocksText(h[0].Blocks), "<@UBOB>")
	})
	inc, err := s.app.db.Incident(context.Background(), 1)
	if err != nil || inc.Roles["ic"] != "UBOB" || inc.Room != room.ID {
		t.Fatalf("incident after click: %+v, %v", inc, err)
	}

	// Messages: recorded before the ack; Slack's retry is not a second entry.
	if resp := s.message("Ev1", "UALICE", room.ID, "1700000100.000100", "Error rate is 40% since 02:58", 0); resp.StatusCode != http.StatusOK {
		t.Fatalf("event: HTTP %d", resp.StatusCode)
	}
	if n := countEntries(t, s.app, "Error rate is 40%"); n != 1 {
		t.Fatalf("after the ack, %d entries hold the message, want 1 (the ack must follow the write)", n)
	}
	s.message("Ev1", "UALICE", room.ID, "1700000100.000100", "Error rate is 40% since 02:58", 1)
	if n := countEntries(t, s.app, "Error rate is 40%"); n != 1 {
		t.Errorf("after Slack's retry, %d entries, want 1", n)
	}
	s.message("Ev2", "UALICE", "CGENERAL", "1700000101.000100", "lunch?", 0)
	if n := countEntries(t, s.app, "lunch?"); n != 0 {
		t.Errorf("a message outside the war room was recorded")
	}

	// Reminder on the fake clock: 31 minutes without an update.
	s.clock.Advance(31 * time.Minute)
	if err := s.app.bot.Tick(context.Background(), s.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if n := len(messagesWith(fake, room.ID, "needs a status update")); n != 1 {
		t.Errorf("%d reminders in the war room, want 1", n)
	}
	if m := messagesWith(fake, room.ID, "needs a status update"); len(m) == 1 && !strings.Contains(m[0].Text+blocksText(m[0].Blocks), "<@UBOB>") {
		t.Errorf("reminder does not mention the IC: %s", m[0].Blocks)
	}

	// Update, through a rate limit: posted in the room and threaded under
	// the announcement.
	fake.Fail("chat.postMessage", 1, fakeslack.Failure{Status: http.StatusTooManyRequests, RetryAfter: 1, Error: "ratelimited"})
	s.command("UBOB", room.ID, "update Rolled back deploy 4512; error rate falling", "update")
	announcement := messagesWith(fake, "CANNOUNCE", "INC-1")[0]
	eventually(t, "the update reaches room and announcement thread", func() bool {
		threaded := false
		for _, m := range messagesWith(fake, "CANNOUNCE", "Rolled back deploy 4512") {
			threaded = threaded || m.ThreadTS == announcement.TS
		}
		return threaded && len(messagesWith(fake, room.ID, "Rolled back deploy 4512")) == 1
	})

	// Bad input: a private answer naming the choices; nothing recorded.
	before := countEntries(t, s.app, "")
	if bad := s.command("UBOB", room.ID, "severity sev9", "bad"); !strings.Contains(bad.Body, `\"sev9\" is not a severity. Choose one of: SEV1, SEV2`) {
		t.Errorf("a bad severity is answered with %s", bad.Body)
	}
	if after := countEntries(t, s.app, ""); after != before {
		t.Errorf("a bad command changed the timeline: %d → %d entries", before, after)
	}

	// Resolve: the postmortem as a message and a Markdown file.
	s.command("UBOB", room.ID, "resolve Bad deploy rolled back", "resolve")
	eventually(t, "the postmortem file is uploaded", func() bool {
		for _, f := range fake.Files() {
			if f.Name == "INC-1-postmortem.md" && f.Completed && f.Channel == room.ID && strings.Contains(string(f.Content), "Error rate is 40% since 02:58") {
				return true
			}
		}
		return false
	})
	if n := len(messagesWith(fake, room.ID, "resolved after")); n != 1 {
		t.Errorf("%d resolve messages, want 1", n)
	}

	// Forged, stale, unsigned and oversized requests.
	body := []byte(url.Values{"command": {"/incident"}, "text": {"declare Forged"}, "user_id": {"UEVE"}, "channel_id": {"CGENERAL"}}.Encode())
	for name, h := range map[string]http.Header{
		"forged": {"X-Slack-Request-Timestamp": {strconv.FormatInt(s.clock.Now().Unix(), 10)}, "X-Slack-Signature": {slack.Sign([]byte("not-the-secret"), strconv.FormatInt(s.clock.Now().Unix(), 10), body)}},
		"stale":  {"X-Slack-Request-Timestamp": {strconv.FormatInt(s.clock.Now().Add(-6*time.Minute).Unix(), 10)}, "X-Slack-Signature": {slack.Sign([]byte(signingSecret), strconv.FormatInt(s.clock.Now().Add(-6*time.Minute).Unix(), 10), body)}},
	} {
		if resp := s.post("/slack/commands", "application/x-www-form-urlencoded", body, h); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s request: HTTP %d, want 401", name, resp.StatusCode)
		}
	}
	resp, err := http.Post(s.url+"/slack/events", "application/json", strings.NewReader(`{"type":"url_verification","challenge":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned request: HTTP %d, want 401", resp.StatusCode)
	}
	if resp := s.post("/slack/events", "application/json", bytes.Repeat([]byte("x"), slack.MaxBody+1), nil); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized request: HTTP %d, want 413", resp.StatusCode)
	}
	if _, err := s.app.db.Incident(context.Background(), 2); muster.ErrorCode(err) != muster.ENOTFOUND {
		t.Errorf("a rejected request declared an incident")
	}
}

func countEntries(t testing.TB, app *App, text string) int {
	t.Helper()
	tl, err := app.db.Timeline(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range tl {
		if strings.Contains(e.Text, text) {
			n++
		}
	}
	return n
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestSlackDeclareForm: `/incident` alone opens the declare form; its
// submission declares the incident with the description.
func TestSlackDeclareForm(t *testing.T) {
	fake := newFakeSlack(t)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret}
	s := startSlackApp(t, fake, env, "")
	s.command("UALICE", "CGENERAL", "", "form")
	eventually(t, "the form opens", func() bool { return len(fake.Views()) == 1 })
	if v := string(fake.Views()[0]); !strings.Contains(v, "muster_declare") || !strings.Contains(v, "SEV1") {
		t.Fatalf("view = %s", v)
	}
	submit := func(title string) reply {
		payload, _ := json.Marshal(map[string]any{
			"type": "view_submission", "user": map[string]any{"id": "UALICE", "username": "alice"},
			"view": map[string]any{"id": "V1", "callback_id": "muster_declare", "private_metadata": "CGENERAL", "state": map[string]any{"values": map[string]any{
				"title":       map[string]any{"title": map[string]any{"type": "plain_text_input", "value": title}},
				"severity":    map[string]any{"severity": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "SEV2", "text": map[string]any{"type": "plain_text", "text": "SEV2"}}}},
				"description": map[string]any{"description": map[string]any{"type": "plain_text_input", "value": "p99 at 4s since 02:40\nEU only"}},
				"private":     map[string]any{"private": map[string]any{"type": "checkboxes", "selected_options": []any{}}},
			}}},
		})
		return s.post("/slack/interactions", "application/x-www-form-urlencoded", []byte(url.Values{"payload": {string(payload)}}.Encode()), nil)
	}
	if resp := submit("Search is slow"); resp.StatusCode != http.StatusOK {
		t.Fatalf("submit: HTTP %d", resp.StatusCode)
	}
	eventually(t, "the incident is declared", func() bool {
		inc, err := s.app.db.Incident(context.Background(), 1)
		return err == nil && inc.Title == "Search is slow" && inc.Severity == "SEV2" && inc.Description == "p99 at 4s since 02:40\nEU only" && inc.Room != ""
	})
}

// TestSlackBadAppToken: a rejected app token stops the bot with a clear
// message instead of retrying forever.
func TestSlackBadAppToken(t *testing.T) {
	fake := newFakeSlack(t)
	fake.SetAppToken("xapp-right")
	cfg, err := config.Parse([]byte("store:\n  path: "+filepath.Join(t.TempDir(), "m.db")+"\n"), "t.yaml", func(k string) string {
		return map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-wrong", "SLACK_API_URL": fake.URL()}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	app, err := New(cfg, Options{Listener: ln, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	done := make(chan error, 1)
	go func() { done <- app.Run(context.Background()) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "SLACK_APP_TOKEN") {
			t.Errorf("Run = %v, want an error naming SLACK_APP_TOKEN", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the bot kept running with a rejected app token")
	}
}

// TestSlackActionReminderDM: on Slack an owner's overdue items come as a
// direct message.
func TestSlackActionReminderDM(t *testing.T) {
	fake := newFakeSlack(t)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret}
	s := startSlackApp(t, fake, env, "")
	s.command("UALICE", "CGENERAL", "declare sev2 Search slow", "d")
	eventually(t, "the war room", func() bool {
		inc, err := s.app.db.Incident(context.Background(), 1)
		return err == nil && inc.Room != ""
	})
	inc, _ := s.app.db.Incident(context.Background(), 1)
	s.command("UALICE", inc.Room, "action Add a shard alert <@UCAROL|carol> due 2026-11-22", "a") // today
	s.app.slack.Drain()
	if err := s.app.bot.RemindActions(context.Background(), t0.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := messagesWith(fake, "UCAROL", "Add a shard alert"); len(got) != 1 || !strings.Contains(blocksText(got[0].Blocks), "<#"+inc.Room+">") {
		t.Errorf("direct messages to the owner: %+v, want 1 with a link to the war room", got)
	}
}

// TestWebhooksOut: a configured URL receives the signed state changes,
// naming people as the workspace calls them.
func TestWebhooksOut(t *testing.T) {
	var mu sync.Mutex
	var got []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get(webhooks.SignatureHeader) != webhooks.Sign([]byte("hook-secret"), r.Header.Get(webhooks.TimestampHeader), body) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var ev webhooks.Event
		json.Unmarshal(body, &ev)
		mu.Lock()
		who := ""
		if ev.Actor != nil {
			who = " by " + ev.Actor.Name
		}
		got = append(got, ev.Incident.Ref+" "+ev.Event+who)
		mu.Unlock()
	}))
	defer recv.Close()
	fake := newFakeSlack(t)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret, "WEBHOOK_SECRET": "hook-secret"}
	s := startSlackApp(t, fake, env, "webhooks:\n  urls: ["+recv.URL+"]\n")
	s.command("UALICE", "CGENERAL", "declare sev1 Checkout down", "d")
	eventually(t, "the declaration reaches the webhook", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) > 0 && got[0] == "INC-1 declared by alice" // the name, not a Slack id
	})
}
