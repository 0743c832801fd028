package fakeslack_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/muster-bot/muster/bot/slack/fakeslack"
)

const appToken = "xapp-1-A0001-1-test"

// runSocketMode runs a socketmode client against s until the test ends. It
// acks every request, with {"text":"ack"} when a payload is accepted, and
// reports the envelope ids it saw.
func runSocketMode(t *testing.T, s *fakeslack.Server, token string, opts ...socketmode.Option) (seen <-chan string, runErr <-chan error) {
	t.Helper()
	api := slack.New("xoxb-test", slack.OptionAPIURL(s.URL()), slack.OptionAppLevelToken(token))
	client := socketmode.New(api, opts...)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	ids := make(chan string, 10)
	go func() { errc <- client.RunContext(ctx) }()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-client.Events:
				if evt.Request == nil || evt.Request.EnvelopeID == "" {
					continue
				}
				ids <- evt.Request.EnvelopeID
				if evt.Request.AcceptsResponsePayload {
					_ = client.Ack(*evt.Request, map[string]string{"text": "ack"})
				} else {
					_ = client.Ack(*evt.Request)
				}
			}
		}
	}()
	t.Cleanup(cancel)
	return ids, errc
}

func TestSocketModeEventsAndReconnect(t *testing.T) {
	t.Parallel()
	s := fakeslack.New()
	t.Cleanup(s.Close)
	s.SetAppToken(appToken)
	seen, _ := runSocketMode(t, s, appToken)

	envelope, err := os.ReadFile("testdata/socketmode-events-api-envelope.json")
	if err != nil {
		t.Fatal(err)
	}
	const id = "c67a03d0-4094-4744-90ca-d286e00a3ab1"
	if err := s.Send(json.RawMessage(envelope)); err != nil {
		t.Fatalf("send: %v", err)
	}
	ack, err := s.WaitAck(id, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if ack.Payload != nil {
		t.Errorf("events_api ack payload = %s, want none", ack.Payload)
	}
	if got := <-seen; got != id {
		t.Errorf("client saw %q", got)
	}
	if got := s.CallsTo("apps.connections.open"); len(got) != 1 || got[0].Error != "" {
		t.Errorf("apps.connections.open calls = %+v", got)
	}

	if err := s.Disconnect("warning"); err != nil {
		t.Fatalf("disconnect: %v", err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for s.Connected() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("client did not reconnect: Connected() = %d", s.Connected())
		}
		time.Sleep(10 * time.Millisecond)
	}

	// The new connection carries a slash command; its ack carries a payload.
	err = s.Send(map[string]any{
		"envelope_id":              "env-2",
		"type":                     "slash_commands",
		"accepts_response_payload": true,
		"payload": map[string]any{
			"command": "/incident", "text": "declare sev1 db down", "user_id": "U1",
			"channel_id": "C100", "response_url": s.ResponseURL("r1"), "trigger_id": "t1",
		},
	})
	if err != nil {
		t.Fatalf("send on new connection: %v", err)
	}
	ack, err = s.WaitAck("env-2", 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if string(ack.Payload) != `{"text":"ack"}` {
		t.Errorf("ack payload = %s", ack.Payload)
	}
	if n := len(s.Acks()); n != 2 {
		t.Errorf("%d acks, want 2", n)
	}
}

// The server pings often enough that a client expecting pings every 100 ms
// keeps its one connection.
func TestSocketModePings(t *testing.T) {
	t.Parallel()
	s := fakeslack.New()
	t.Cleanup(s.Close)
	s.SetPingInterval(20 * time.Millisecond)
	runSocketMode(t, s, appToken, socketmode.OptionPingInterval(100*time.Millisecond))

	if err := s.Send(map[string]any{"envelope_id": "e1", "type": "events_api", "payload": map[string]any{
		"type": "event_callback", "event_id": "Ev1", "event": map[string]any{"type": "app_mention", "text": "hi"},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitAck("e1", 3*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := s.Connected(); n != 1 {
		t.Errorf("Connected() = %d, want 1 (no ping timeouts)", n)
	}
}

func TestSocketModeInvalidAppToken(t *testing.T) {
	t.Parallel()
	s := fakeslack.New()
	t.Cleanup(s.Close)
	s.SetAppToken(appToken)
	_, runErr := runSocketMode(t, s, "xapp-1-A0001-1-wrong")

	select {
	case err := <-runErr:
		if err == nil || !strings.Contains(err.Error(), "invalid_auth") {
			t.Errorf("run error = %v, want invalid_auth", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("client kept running with a wrong app token")
	}
	if s.Connected() != 0 {
		t.Errorf("Connected() = %d", s.Connected())
	}
}

func TestSocketModeSendWithoutConnection(t *testing.T) {
	t.Parallel()
	s := fakeslack.New()
	t.Cleanup(s.Close)
	s.SetConnectWait(20 * time.Millisecond)

	if err := s.Send(map[string]string{"type": "events_api"}); err == nil {
		t.Error("send without a connection succeeded")
	}
	if err := s.Disconnect("warning"); err == nil {
		t.Error("disconnect without a connection succeeded")
	}
	if _, err := s.WaitAck("nope", 20*time.Millisecond); err == nil {
		t.Error("WaitAck found an ack that was never sent")
	}
}
