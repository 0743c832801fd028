package slack

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot/slack/fakeslack"
)

// TestAuthenticateRetries: auth.test failing at start-up is retried with
// waits doubling from a second, the platform not ready until it answers
// and Health naming why.
func TestAuthenticateRetries(t *testing.T) {
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	fake.Fail("auth.test", 8, fakeslack.Failure{Error: "fatal_error"})
	var waits []time.Duration
	var p *Platform
	p = New(Config{
		APIURL: fake.URL(), BotToken: "xoxb-test", SigningSecret: "s",
		Wait: func(ctx context.Context, d time.Duration) error {
			if err := p.Health(); err == nil || !strings.Contains(err.Error(), "auth.test") || !strings.Contains(err.Error(), "fatal_error") {
				t.Errorf("while auth.test fails, Health = %v, want the reason", err)
			}
			waits = append(waits, d)
			return nil
		},
	}, zerolog.Nop())
	if err := p.Health(); err == nil {
		t.Error("ready before auth.test answered")
	}
	p.Authenticate(context.Background())
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, time.Minute, time.Minute}
	if len(waits) != len(want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", waits, want)
		}
	}
	if err := p.Health(); err != nil || !p.isBot(fakeslack.BotUserID) {
		t.Errorf("after auth.test answered: Health = %v, bot user known %v", err, p.isBot(fakeslack.BotUserID))
	}
}

// TestHealthFollowsCalls: calls that keep failing make the platform not
// ready, with the failure named; one success makes it ready again. Errors
// that are Slack's answer to a wrong request do not count.
func TestHealthFollowsCalls(t *testing.T) {
	p, fake, _ := newTestPlatform(t)
	fake.AddChannel("C1", "general", false)
	post := func() error { _, err := p.Post(context.Background(), "C1", muster.Message{Text: "hello"}); return err }

	fake.Fail("chat.postMessage", 10, fakeslack.Failure{Error: "channel_not_found"})
	for range 10 {
		post()
	}
	if err := p.Health(); err != nil {
		t.Errorf("after Slack answered channel_not_found: Health = %v, want nil", err)
	}
	fake.Fail("chat.postMessage", FailuresToUnready-1, fakeslack.Failure{Error: "fatal_error"})
	for range FailuresToUnready - 1 {
		post()
	}
	if err := p.Health(); err != nil {
		t.Errorf("after %d failures: Health = %v, want nil still", FailuresToUnready-1, err)
	}
	fake.Fail("chat.postMessage", 1, fakeslack.Failure{Status: http.StatusBadRequest})
	post()
	if err := p.Health(); err == nil || !strings.Contains(err.Error(), "chat.postMessage") {
		t.Errorf("after %d failures in a row: Health = %v, want the failing call named", FailuresToUnready, err)
	}
	if err := post(); err != nil {
		t.Fatal(err)
	}
	if err := p.Health(); err != nil {
		t.Errorf("after a success: Health = %v, want nil", err)
	}
}
