package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot/slack/fakeslack"
)

const testSecret = "s"

// replier is a Handler that answers each command privately with what its
// function says: a slash command's reply is returned, as the bot does,
// and a click's goes through the platform.
type replier struct {
	p  *Platform
	fn func(ev muster.Event) string

	mu      sync.Mutex
	handled []muster.Event
}

func (r *replier) Handle(ctx context.Context, ev muster.Event) error {
	r.mu.Lock()
	r.handled = append(r.handled, ev)
	r.mu.Unlock()
	if ev.Kind != muster.EventCommand && ev.Kind != muster.EventAction {
		return nil
	}
	return r.p.Reply(ctx, ev, muster.Message{Text: r.fn(ev)})
}

func (r *replier) Command(ctx context.Context, ev muster.Event) (*muster.Message, func(context.Context), error) {
	r.mu.Lock()
	r.handled = append(r.handled, ev)
	r.mu.Unlock()
	return &muster.Message{Text: r.fn(ev)}, func(context.Context) {}, nil
}

func (r *replier) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.handled)
}

// slackServer serves p's endpoints on a loopback port.
func slackServer(t *testing.T, p *Platform, h muster.Handler) string {
	t.Helper()
	srv := httptest.NewServer(p.Handler(h))
	t.Cleanup(func() { srv.Close(); p.Drain() })
	return srv.URL
}

// signedPost sends body to url signed with testSecret, as Slack does.
func signedPost(t *testing.T, url, contentType string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", Sign([]byte(testSecret), ts, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func commandForm(team, text, responseURL string) []byte {
	return []byte(url.Values{
		"command": {"/incident"}, "text": {text}, "team_id": {team}, "api_app_id": {fakeslack.AppID},
		"user_id": {"UALICE"}, "channel_id": {"CGENERAL"}, "response_url": {responseURL},
	}.Encode())
}

func newHTTPPlatform(t *testing.T, cfg Config) (*Platform, *fakeslack.Server) {
	t.Helper()
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	fake.AddChannel("CGENERAL", "general", false)
	cfg.APIURL, cfg.BotToken, cfg.SigningSecret = fake.URL(), "xoxb-test", testSecret
	cfg.Wait = func(context.Context, time.Duration) error { return nil }
	p := New(cfg, zerolog.Nop())
	if err := p.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	return p, fake
}

func responseWith(fake *fakeslack.Server, id, text string) bool {
	for _, r := range fake.Responses() {
		if r.ID == id && strings.Contains(string(r.Body), text) {
			return true
		}
	}
	return false
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPanickingCommandIsAnswered: a command whose handling panics after
// the acknowledgement does not end the process; the person who typed it
// is told privately that something went wrong, and the next command works.
func TestPanickingCommandIsAnswered(t *testing.T) {
	p, fake := newHTTPPlatform(t, Config{})
	h := &replier{p: p, fn: func(ev muster.Event) string {
		if ev.Text == "boom" || ev.Kind == muster.EventAction {
			panic("a bug in a command")
		}
		return "fine: " + ev.Text
	}}
	base := slackServer(t, p, h)

	code, ack := signedPost(t, base+"/slack/commands", "application/x-www-form-urlencoded", commandForm("T0001", "boom", fake.ResponseURL("boom")))
	if code != http.StatusOK || !strings.Contains(ack, "Something went wrong") || !strings.Contains(ack, "ephemeral") {
		t.Errorf("a panicking command: HTTP %d %s, want a private \"Something went wrong\"", code, ack)
	}
	if code, ack := signedPost(t, base+"/slack/commands", "application/x-www-form-urlencoded", commandForm("T0001", "help", fake.ResponseURL("help"))); code != http.StatusOK || !strings.Contains(ack, "fine: help") {
		t.Errorf("the command after: HTTP %d %s", code, ack)
	}

	// A button: its answer goes through the response_url.
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": "UBOB"}, "channel": map[string]any{"id": "CGENERAL"},
		"response_url": fake.ResponseURL("click"), "actions": []any{map[string]any{"action_id": "boom", "block_id": "b", "value": "INC-1", "type": "button"}},
	})
	if code, _ := signedPost(t, base+"/slack/interactions", "application/x-www-form-urlencoded", []byte(url.Values{"payload": {string(payload)}}.Encode())); code != http.StatusOK {
		t.Fatalf("click: HTTP %d", code)
	}
	waitFor(t, "the click's panic is answered", func() bool { return responseWith(fake, "click", "Something went wrong") })
}

// blocked is a Handler whose commands finish, and answer, only once the
// test releases them: a slow store. The embedded Handler stands for the
// methods a slash command does not call.
type blocked struct {
	muster.Handler
	release chan struct{}
}

func (b *blocked) Command(ctx context.Context, ev muster.Event) (*muster.Message, func(context.Context), error) {
	<-b.release
	return &muster.Message{Text: "🚨 INC-1 declared"}, func(context.Context) {}, nil
}

// TestSlowCommandAckSaysWorkingOnIt: when the answer is not ready within
// the inline wait, the acknowledgement says the work goes on and claims
// nothing; the answer follows through the response_url once it is done.
func TestSlowCommandAckSaysWorkingOnIt(t *testing.T) {
	p, fake := newHTTPPlatform(t, Config{InlineWait: 20 * time.Millisecond})
	h := &blocked{release: make(chan struct{})}
	base := slackServer(t, p, h)

	code, ack := signedPost(t, base+"/slack/commands", "application/x-www-form-urlencoded", commandForm("T0001", "declare sev1 Down", fake.ResponseURL("slow")))
	close(h.release)
	if code != http.StatusOK || !strings.Contains(ack, "Working on it") || !strings.Contains(ack, "ephemeral") || strings.Contains(ack, "declared") {
		t.Errorf("acknowledgement of a slow command: HTTP %d %s, want a private \"Working on it\" claiming nothing", code, ack)
	}
	waitFor(t, "the answer through the response_url", func() bool { return responseWith(fake, "slow", "INC-1 declared") })
}

// TestForeignWorkspaceRefused: with slack.team_id and slack.app_id set, a
// well-signed request from another workspace or app is refused with 403
// and reaches no handler; a bad signature is still a 401 first.
func TestForeignWorkspaceRefused(t *testing.T) {
	p, fake := newHTTPPlatform(t, Config{TeamID: fakeslack.TeamID, AppID: fakeslack.AppID})
	h := &replier{p: p, fn: func(ev muster.Event) string { return "ok" }}
	base := slackServer(t, p, h)
	form := "application/x-www-form-urlencoded"
	interaction := func(team, app string) []byte {
		payload, _ := json.Marshal(map[string]any{
			"type": "block_actions", "team": map[string]any{"id": team}, "api_app_id": app, "user": map[string]any{"id": "UBOB"},
			"channel": map[string]any{"id": "CGENERAL"}, "response_url": fake.ResponseURL("click"),
			"actions": []any{map[string]any{"action_id": "ic", "block_id": "b", "value": "INC-1", "type": "button"}},
		})
		return []byte(url.Values{"payload": {string(payload)}}.Encode())
	}
	event := func(team, app string) []byte {
		b, _ := json.Marshal(map[string]any{"type": "event_callback", "team_id": team, "api_app_id": app, "event_id": "Ev" + team,
			"event": map[string]any{"type": "message", "user": "UALICE", "channel": "CGENERAL", "text": "hi", "ts": "1700000000.000100"}})
		return b
	}
	for _, tt := range []struct {
		name, path, contentType string
		body                    []byte
		want                    int
	}{
		{"a command from another workspace", "/slack/commands", form, commandForm("T0BAD", "help", fake.ResponseURL("c1")), http.StatusForbidden},
		{"a command without a workspace", "/slack/commands", form, commandForm("", "help", fake.ResponseURL("c2")), http.StatusForbidden},
		{"a click from another workspace", "/slack/interactions", form, interaction("T0BAD", fakeslack.AppID), http.StatusForbidden},
		{"a click for another app", "/slack/interactions", form, interaction(fakeslack.TeamID, "A0BAD"), http.StatusForbidden},
		{"an event from another workspace", "/slack/events", "application/json", event("T0BAD", fakeslack.AppID), http.StatusForbidden},
		{"an event for another app", "/slack/events", "application/json", event(fakeslack.TeamID, "A0BAD"), http.StatusForbidden},
	} {
		if code, _ := signedPost(t, base+tt.path, tt.contentType, tt.body); code != tt.want {
			t.Errorf("%s: HTTP %d, want %d", tt.name, code, tt.want)
		}
	}
	if n := h.count(); n != 0 {
		t.Errorf("%d refused requests reached the handler", n)
	}
	// Unsigned, from another workspace: the signature is checked first.
	resp, err := http.Post(base+"/slack/commands", form, bytes.NewReader(commandForm("T0BAD", "help", "")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an unsigned request from another workspace: HTTP %d, want 401", resp.StatusCode)
	}
	// The installed workspace is served, and Slack's URL check passes.
	if code, ack := signedPost(t, base+"/slack/commands", form, commandForm(fakeslack.TeamID, "help", fake.ResponseURL("ok"))); code != http.StatusOK || !strings.Contains(ack, "ok") {
		t.Errorf("a command from the installed workspace: HTTP %d %s", code, ack)
	}
	if code, _ := signedPost(t, base+"/slack/events", "application/json", event(fakeslack.TeamID, fakeslack.AppID)); code != http.StatusOK {
		t.Errorf("an event from the installed workspace: HTTP %d", code)
	}
	if code, body := signedPost(t, base+"/slack/events", "application/json", []byte(`{"type":"url_verification","challenge":"c"}`)); code != http.StatusOK || body != "c" {
		t.Errorf("url_verification: HTTP %d %q", code, body)
	}
}

// delivering is a Handler whose commands reply with their text (none for
// "quiet") and then post "delivered: <text>" in the channel.
type delivering struct {
	muster.Handler
	p *Platform
}

func (d delivering) Command(ctx context.Context, ev muster.Event) (*muster.Message, func(context.Context), error) {
	deliver := func(ctx context.Context) { d.p.Post(ctx, ev.Room, muster.Message{Text: "delivered: " + ev.Text}) }
	if ev.Text == "quiet" {
		return nil, deliver, nil
	}
	return &muster.Message{Text: "reply: " + ev.Text}, deliver, nil
}

// TestCommandReplyInAckThenDelivered: a slash command's reply is the body
// of its acknowledgement and goes nowhere else; a command without one is
// acknowledged empty; the deliveries run either way.
func TestCommandReplyInAckThenDelivered(t *testing.T) {
	p, fake := newHTTPPlatform(t, Config{})
	base := slackServer(t, p, delivering{p: p})
	form := "application/x-www-form-urlencoded"

	code, ack := signedPost(t, base+"/slack/commands", form, commandForm("T0001", "show", fake.ResponseURL("show")))
	if code != http.StatusOK || !strings.Contains(ack, "reply: show") || !strings.Contains(ack, `"response_type":"ephemeral"`) {
		t.Errorf("acknowledgement: HTTP %d %s, want the private reply", code, ack)
	}
	code, ack = signedPost(t, base+"/slack/commands", form, commandForm("T0001", "quiet", fake.ResponseURL("quiet")))
	if code != http.StatusOK || ack != "" {
		t.Errorf("acknowledgement of a command with no reply: HTTP %d %q, want an empty 200", code, ack)
	}
	p.Drain()
	for _, text := range []string{"delivered: show", "delivered: quiet"} {
		found := false
		for _, m := range fake.Messages("CGENERAL") {
			found = found || m.Text == text
		}
		if !found {
			t.Errorf("%q was not posted", text)
		}
	}
	if n := len(fake.Responses()); n != 0 {
		t.Errorf("%d answers went through the response_url too, want none", n)
	}
}
