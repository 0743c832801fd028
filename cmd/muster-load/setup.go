package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/muster-bot/muster/bot/slack/fakeslack"
)

func numCPU() int { return runtime.NumCPU() }

// declare declares o.incidents incidents one after the other, each once
// the war room of the one before exists, so that incident i has number i
// and its room a name known in advance; it returns the rooms with the
// "I'll be IC" button of each header.
func declare(ctx context.Context, o options, target string, fake *fakeslack.Server) ([]*room, error) {
	client := &http.Client{Timeout: 10 * time.Second, Transport: loopbackTransport(1)}
	defer client.CloseIdleConnections()
	l := &load{opts: o, fake: fake}
	rooms := make([]*room, 0, o.incidents)
	for i := 1; i <= o.incidents; i++ {
		body := []byte(url.Values{
			"command": {"/incident"}, "text": {fmt.Sprintf("declare sev2 Load incident %d", i)}, "user_id": {"UALICE"}, "user_name": {"alice"},
			"channel_id": {"CGENERAL"}, "team_id": {"T0001"}, "trigger_id": {"trig-load"}, "response_url": {fake.ResponseURL(fmt.Sprint("declare-", i))},
		}.Encode())
		if s := l.post(ctx, client, target, kindCommand, "/slack/commands", "application/x-www-form-urlencoded", body, nil); s.status != http.StatusOK {
			return nil, fmt.Errorf("declare incident %d: HTTP %d", i, s.status)
		}
		name := fmt.Sprintf("inc-%d-load-incident-%d", i, i)
		deadline := time.Now().Add(15 * time.Second)
		for {
			if r, ok := warRoom(fake, name); ok {
				r.incident = i
				rooms = append(rooms, r)
				break
			}
			if time.Now().After(deadline) {
				var calls []string
				for _, c := range fake.Calls() {
					calls = append(calls, fmt.Sprintf("%s %v %s", c.Method, c.Params["name"], c.Error))
				}
				return nil, fmt.Errorf("the war room %s of incident %d did not appear with its header within 15s; calls to the fake Slack: %s", name, i, strings.Join(calls, "; "))
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return rooms, nil
}

// warRoom finds the channel called name and the "I'll be IC" button in it.
func warRoom(fake *fakeslack.Server, name string) (*room, bool) {
	c, ok := fake.ChannelByName(name)
	if !ok {
		return nil, false
	}
	for _, m := range fake.Messages(c.ID) {
		var blocks []struct {
			Elements []struct {
				Type     string `json:"type"`
				ActionID string `json:"action_id"`
				Value    string `json:"value"`
				Text     struct {
					Text string `json:"text"`
				} `json:"text"`
			} `json:"elements"`
		}
		// Other blocks' elements have other shapes, which make Unmarshal
		// report an error; the buttons are decoded all the same.
		_ = json.Unmarshal(m.Blocks, &blocks)
		for _, b := range blocks {
			for _, e := range b.Elements {
				if e.Type == "button" && e.Text.Text == "I'll be IC" {
					return &room{channel: c.ID, actionID: e.ActionID, value: e.Value, messageTS: m.TS}, true
				}
			}
		}
	}
	return nil, false
}
