package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster/bot/slack/fakeslack"
)

// TestSlackDownPostsLater: Slack answers 503 to every post for a while.
// The update is saved and its sender is told so, truthfully ("posts it
// once the platform takes it", never "Done … posted"); once Slack is back,
// the next tick of the leader posts it, once.
func TestSlackDownPostsLater(t *testing.T) {
	fake := newFakeSlack(t)
	noWait := func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	s, _ := startSlackHTTPApp(t, fake, "slack:\n  announce_channel: CANNOUNCE\n", Options{Wait: noWait}, true)
	s.command("UALICE", "CGENERAL", "declare sev2 Checkout is returning 500s", "declare")
	s.app.slack.Drain()
	inc, _ := storedIncident(t, s.app)
	fake.Fail("chat.postMessage", 1000, fakeslack.Failure{Status: http.StatusServiceUnavailable})
	ack := s.command("UBOB", "CGENERAL", "update INC-1 Rolled back deploy 4512", "update")
	s.app.slack.Drain()
	told := ack.Body
	for _, r := range fake.Responses() {
		if r.ID == "update" {
			told += blocksText(r.Body)
		}
	}
	if strings.Contains(told, "Done") || !strings.Contains(told, "keeps trying") {
		t.Errorf("the sender was told %q, want: saved, posted once Slack takes it", told)
	}
	fake.Heal("chat.postMessage")
	s.clock.Advance(time.Minute)
	for range 3 {
		if err := s.app.bot.Tick(context.Background(), s.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(messagesWith(fake, inc.Room, "Rolled back deploy 4512")); n != 1 {
		t.Errorf("the update was posted %d times in the war room once Slack was back, want once", n)
	}
}
