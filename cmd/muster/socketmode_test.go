package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster/bot/slack/fakeslack"
)

// envelope is a Socket Mode frame as Slack sends it.
func envelope(id, typ string, payload any) map[string]any {
	return map[string]any{"envelope_id": id, "type": typ, "accepts_response_payload": typ != "events_api", "payload": payload}
}

func socketMessage(eventID, user, channel, ts, text string) map[string]any {
	return map[string]any{
		"type": "event_callback", "team_id": "T0001", "api_app_id": "A0001", "event_id": eventID, "event_time": 1700000000,
		"event": map[string]any{"type": "message", "user": user, "channel": channel, "text": text, "ts": ts, "event_ts": ts, "channel_type": "channel"},
	}
}

// TestSlackSocketMode runs the flow over Socket Mode: no public URL, every
// envelope acknowledged, events only once they are durable.
func TestSlackSocketMode(t *testing.T) {
	fake := newFakeSlack(t)
	fake.SetAppToken("xapp-test")
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test"}
	s := startSlackApp(t, fake, env, "")
	wait := func(id string) fakeslack.Ack {
		t.Helper()
		ack, err := fake.WaitAck(id, 10*time.Second)
		if err != nil {
			t.Fatalf("envelope %s not acknowledged: %v", id, err)
		}
		return ack
	}

	// A slash command: acknowledged at once, the war room follows.
	must(t, fake.Send(envelope("e-declare", "slash_commands", map[string]any{
		"command": "/incident", "text": "declare sev1 Search is down", "user_id": "UALICE", "user_name": "alice",
		"channel_id": "CGENERAL", "team_id": "T0001", "response_url": fake.ResponseURL("declare"), "trigger_id": "t1",
	})))
	wait("e-declare")
	var room fakeslack.Channel
	eventually(t, "the war room exists", func() (ok bool) {
		room, ok = fake.ChannelByName("inc-1-search-is-down")
		return ok && len(messagesWith(fake, room.ID, "I'll be IC")) == 1
	})

	// Message events: the ack follows the durable write; a retry of the
	// same event_id is acknowledged and not recorded twice.
	must(t, fake.Send(envelope("e-msg", "events_api", socketMessage("EvS1", "UALICE", room.ID, "1700000100.000100", "Index shard 3 is red"))))
	wait("e-msg")
	if n := countEntries(t, s.app, "Index shard 3 is red"); n != 1 {
		t.Fatalf("at the ack, %d entries hold the message, want 1", n)
	}
	retry := envelope("e-msg-retry", "events_api", socketMessage("EvS1", "UALICE", room.ID, "1700000100.000100", "Index shard 3 is red"))
	retry["retry_attempt"], retry["retry_reason"] = 1, "timeout"
	must(t, fake.Send(retry))
	wait("e-msg-retry")
	if n := countEntries(t, s.app, "Index shard 3 is red"); n != 1 {
		t.Errorf("after a redelivery, %d entries, want 1", n)
	}

	// An event type slack-go cannot parse is still acknowledged.
	must(t, fake.Send(envelope("e-unknown", "events_api", map[string]any{"type": "event_callback", "event_id": "EvS2", "event": map[string]any{"type": "brand_new_event"}})))
	wait("e-unknown")

	// A button click.
	actionID, value, ts := s.button(room.ID, "I'll be IC")
	must(t, fake.Send(envelope("e-click", "interactive", map[string]any{
		"type": "block_actions", "user": map[string]any{"id": "UBOB", "username": "bob"}, "channel": map[string]any{"id": room.ID},
		"container": map[string]any{"type": "message", "message_ts": ts, "channel_id": room.ID}, "response_url": fake.ResponseURL("click"),
		"actions": []any{map[string]any{"action_id": actionID, "block_id": "b", "value": value, "type": "button"}},
	})))
	wait("e-click")
	eventually(t, "Bob is IC", func() bool {
		inc, err := s.app.db.Incident(context.Background(), 1)
		return err == nil && inc.Roles["ic"] == "UBOB"
	})

	// The declare form without a title stays open with an error.
	must(t, fake.Send(envelope("e-form", "interactive", map[string]any{
		"type": "view_submission", "user": map[string]any{"id": "UBOB"},
		"view": map[string]any{"callback_id": "muster_declare", "private_metadata": "CGENERAL", "state": map[string]any{"values": map[string]any{
			"title": map[string]any{"title": map[string]any{"type": "plain_text_input", "value": "  "}},
		}}},
	})))
	ack := wait("e-form")
	var resp struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(ack.Payload, &resp); err != nil || resp.ResponseAction != "errors" || !strings.Contains(resp.Errors["title"], "title") {
		t.Errorf("an empty title: ack payload %s, want response_action errors on the title", ack.Payload)
	}

	// A quick answer rides in the acknowledgement.
	must(t, fake.Send(envelope("e-help", "slash_commands", map[string]any{
		"command": "/incident", "text": "help", "user_id": "UBOB", "channel_id": "CGENERAL", "response_url": fake.ResponseURL("help"),
	})))
	if help := wait("e-help"); !strings.Contains(string(help.Payload), "muster commands") || !strings.Contains(string(help.Payload), "ephemeral") {
		t.Errorf("help ack payload = %s", help.Payload)
	}

	// Slack asks to reconnect; the bot comes back and keeps recording.
	must(t, fake.Disconnect("refresh_requested"))
	eventually(t, "the bot reconnects", func() bool { return fake.Connected() >= 2 })
	must(t, fake.Send(envelope("e-msg2", "events_api", socketMessage("EvS3", "UBOB", room.ID, "1700000200.000100", "Shard 3 recovered"))))
	wait("e-msg2")
	if n := countEntries(t, s.app, "Shard 3 recovered"); n != 1 {
		t.Errorf("after reconnecting, %d entries, want 1", n)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
