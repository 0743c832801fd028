package fakeslack_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/muster-bot/muster/bot/slack/fakeslack"
)

func TestFailRateLimited(t *testing.T) {
	t.Parallel()
	s, api := newFake(t)
	s.AddChannel("C100", "inc-1", false)
	s.Fail("chat.postMessage", 1, fakeslack.Failure{Status: http.StatusTooManyRequests, RetryAfter: 2})

	_, _, err := api.PostMessage("C100", slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Fatalf("error = %#v, want RateLimitedError after 2s", err)
	}
	if c := s.CallsTo("chat.postMessage"); len(c) != 1 || c[0].Status != 429 || c[0].Error != "ratelimited" {
		t.Errorf("calls = %+v", c)
	}
	// Only the next call failed.
	if _, _, err := api.PostMessage("C100", slack.MsgOptionText("x", false)); err != nil {
		t.Errorf("second post: %v", err)
	}
	if n := len(s.Messages("C100")); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
}

func TestFailServerError(t *testing.T) {
	t.Parallel()
	s, api := newFake(t)
	s.Fail("conversations.create", 2, fakeslack.Failure{Status: http.StatusInternalServerError})

	for range 2 {
		_, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: "inc-1"})
		var sc slack.StatusCodeError
		if !errors.As(err, &sc) || sc.Code != 500 {
			t.Fatalf("error = %#v, want StatusCodeError 500", err)
		}
	}
	if _, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: "inc-1"}); err != nil {
		t.Errorf("third create: %v", err)
	}
}

func TestFailSlackError(t *testing.T) {
	t.Parallel()
	s, api := newFake(t)
	s.Fail("conversations.create", 1, fakeslack.Failure{Error: "restricted_action"})

	_, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: "inc-1"})
	if slackCode(err) != "restricted_action" {
		t.Errorf("error = %v", err)
	}
	if _, ok := s.ChannelByName("inc-1"); ok {
		t.Error("failed create made a channel")
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	s := fakeslack.New()
	t.Cleanup(s.Close)

	for _, tc := range []struct {
		token, want string
	}{
		{"", "not_authed"},
		{"garbage", "invalid_auth"},
		{"xapp-1-A1-1-x", "not_allowed_token_type"},
	} {
		api := slack.New(tc.token, slack.OptionAPIURL(s.URL()))
		if _, err := api.AuthTest(); slackCode(err) != tc.want {
			t.Errorf("token %q: error = %v, want %s", tc.token, err, tc.want)
		}
	}
}

func TestUnknownMethod(t *testing.T) {
	t.Parallel()
	s, api := newFake(t)

	_, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "C100"})
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != http.StatusNotFound {
		t.Errorf("error = %#v, want StatusCodeError 404", err)
	}
	if c := s.CallsTo("conversations.history"); len(c) != 1 || c[0].Status != 404 || c[0].Error != "unknown_method" {
		t.Errorf("calls = %+v", c)
	}
}
