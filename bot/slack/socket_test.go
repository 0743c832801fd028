package slack

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot/slack/fakeslack"
)

// logBuffer is a log a test can read while goroutines write it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func slashEnvelope(id, team, text string) map[string]any {
	return map[string]any{"envelope_id": id, "type": "slash_commands", "accepts_response_payload": true, "payload": map[string]any{
		"command": "/incident", "text": text, "user_id": "UALICE", "channel_id": "CGENERAL", "team_id": team,
		"api_app_id": fakeslack.AppID, "response_url": "http://127.0.0.1:1/response/" + id,
	}}
}

// TestSocketModeForeignAndPanics: over Socket Mode, a request from
// another workspace is acknowledged, logged at info and not handled; a
// command that panics is answered "something went wrong" in its
// acknowledgement, and the socket goes on serving.
func TestSocketModeForeignAndPanics(t *testing.T) {
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	fake.SetAppToken("xapp-test")
	var logs logBuffer
	p := New(Config{
		APIURL: fake.URL(), BotToken: "xoxb-test", AppToken: "xapp-test", TeamID: fakeslack.TeamID,
		Wait: func(context.Context, time.Duration) error { return nil },
	}, zerolog.New(&logs))
	h := &replier{p: p, fn: func(ev muster.Event) string {
		if ev.Text == "boom" {
			panic("a bug in a command")
		}
		return "fine: " + ev.Text
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.RunSocketMode(ctx, h) }()
	t.Cleanup(func() { cancel(); <-done; p.Drain() })
	wait := func(id string) fakeslack.Ack {
		t.Helper()
		ack, err := fake.WaitAck(id, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return ack
	}

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(fake.Send(slashEnvelope("e-foreign", "T0BAD", "help")))
	if ack := wait("e-foreign"); strings.Contains(string(ack.Payload), "fine") {
		t.Errorf("a command from another workspace was answered: %s", ack.Payload)
	}
	must(fake.Send(map[string]any{"envelope_id": "e-event", "type": "events_api", "payload": map[string]any{
		"type": "event_callback", "team_id": "T0BAD", "api_app_id": fakeslack.AppID, "event_id": "Ev1",
		"event": map[string]any{"type": "message", "user": "UALICE", "channel": "CGENERAL", "text": "hi", "ts": "1700000000.000100"},
	}}))
	wait("e-event")
	if n := h.count(); n != 0 {
		t.Errorf("%d requests from another workspace reached the handler", n)
	}
	if got := logs.String(); strings.Count(got, "ignored a slack request from another workspace") != 2 || !strings.Contains(got, `"level":"info"`) {
		t.Errorf("log = %s, want two info lines for the foreign requests", got)
	}

	must(fake.Send(slashEnvelope("e-boom", fakeslack.TeamID, "boom")))
	if ack := wait("e-boom"); !strings.Contains(string(ack.Payload), "Something went wrong") {
		t.Errorf("a panicking command's ack = %s, want \"Something went wrong\"", ack.Payload)
	}
	if !strings.Contains(logs.String(), `"stack"`) {
		t.Error("the panic was not logged with its stack")
	}
	must(fake.Send(slashEnvelope("e-help", fakeslack.TeamID, "help")))
	if ack := wait("e-help"); !strings.Contains(string(ack.Payload), "fine: help") {
		t.Errorf("the command after the panic: ack %s", ack.Payload)
	}
}
