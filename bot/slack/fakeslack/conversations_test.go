package fakeslack_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/muster-bot/muster/bot/slack/fakeslack"
)

// newFake starts a fake Slack and a slack-go client pointed at it.
func newFake(t testing.TB) (*fakeslack.Server, *slack.Client) {
	t.Helper()
	s := fakeslack.New()
	t.Cleanup(s.Close)
	return s, slack.New("xoxb-test", slack.OptionAPIURL(s.URL()))
}

// slackCode returns the Slack error code in err, or "" if there is none.
func slackCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

func TestCreateConversation(t *testing.T) {
	t.Parallel()
	s, api := newFake(t)

	ch, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: "inc-42-db-down", IsPrivate: true})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if ch.ID != "C0001" || ch.Name != "inc-42-db-down" || !ch.IsPrivate || !ch.IsMember {
		t.Errorf("channel = %+v", ch)
	}
	got, ok := s.ChannelByName("inc-42-db-down")
	if !ok || got.ID != "C0001" || !got.Private || !slices.Equal(got.Members, []string{fakeslack.BotUserID}) {
		t.Errorf("stored channel = %+v, %v", got, ok)
	}
	ch2, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: "inc-43"})
	if err != nil || ch2.ID != "C0002" || ch2.IsPrivate {
		t.Errorf("second channel = %+v, %v", ch2, err)
	}
}

func TestCreateConversationErrors(t *testing.T) {
	t.Parallel()
	s, api := newFake(t)
	s.AddChannel("C9999", "incidents", false)

	for _, tc := range []struct {
		name, channel, want string
	}{
		{"taken by an added channel", "incidents", "name_taken"},
		{"upper case", "Inc-42", "invalid_name_specials"},
		{"space", "inc 42", "invalid_name_specials"},
		{"too long", strings.Repeat("a", 81), "invalid_name_maxlength"},
		{"empty", "", "invalid_name_required"},
		{"only punctuation", "--_", "invalid_name_punctuation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: tc.channel})
			if got := slackCode(err); got != tc.want {
				t.Errorf("error = %v (code %q), want %q", err, got, tc.want)
			}
		})
	}
	if _, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: strings.Repeat("a", 80)}); err != nil {
		t.Errorf("80-character name: %v", err)
	}
}

func TestInvite(t *testing.T) {
	t.Parallel()
	s, api := newFake(t)
	s.AddChannel("C100", "inc-1", false)
	s.AddUser("U1", "alice")
	s.AddUser("U2", "bob")
	s.AddUser("U3", "carol")
	s.DeactivateUser("U3")

	ch, err := api.InviteUsersToConversation("C100", "U1")
	if err != nil || ch.ID != "C100" {
		t.Fatalf("invite = %+v, %v", ch, err)
	}

	for _, tc := range []struct {
		name    string
		channel string
		users   []string
		want    string
	}{
		{"unknown channel", "C404", []string{"U2"}, "channel_not_found"},
		{"unknown user", "C100", []string{"U404"}, "user_not_found"},
		{"deactivated user", "C100", []string{"U3"}, "user_is_deactivated"},
		{"already a member", "C100", []string{"U1"}, "already_in_channel"},
		{"the bot itself", "C100", []string{fakeslack.BotUserID}, "cant_invite_self"},
		{"first error of several", "C100", []string{"U2", "U404", "U3"}, "user_not_found"},
		{"no users", "C100", nil, "no_user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := api.InviteUsersToConversation(tc.channel, tc.users...)
			if got := slackCode(err); got != tc.want {
				t.Errorf("error = %v (code %q), want %q", err, got, tc.want)
			}
		})
	}
	// A failed call invites nobody, not even the valid U2.
	if got, _ := s.Channel("C100"); !slices.Equal(got.Members, []string{fakeslack.BotUserID, "U1"}) {
		t.Errorf("members after failures = %v", got.Members)
	}
	// The failures are listed per user.
	_, err = api.InviteUsersToConversation("C100", "U2", "U404", "U3")
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || len(se.Errors) != 2 ||
		se.Errors[1].ConversationsInviteResponseError == nil ||
		se.Errors[1].ConversationsInviteResponseError.User != "U3" ||
		se.Errors[1].ConversationsInviteResponseError.Error != "user_is_deactivated" {
		t.Errorf("per-user errors = %+v", se.Errors)
	}
	// force=true invites the valid users and ignores the others.
	if _, err := api.ForceInviteUsersToConversation("C100", "U2", "U404"); err != nil {
		t.Fatalf("force invite: %v", err)
	}
	if got, _ := s.Channel("C100"); !slices.Equal(got.Members, []string{fakeslack.BotUserID, "U1", "U2"}) {
		t.Errorf("members after force = %v", got.Members)
	}
}

func TestTopicAndPurpose(t *testing.T) {
	t.Parallel()
	s, api := newFake(t)
	s.AddChannel("C100", "inc-1", false)

	ch, err := api.SetTopicOfConversation("C100", "SEV1: db down")
	if err != nil || ch.Topic.Value != "SEV1: db down" {
		t.Fatalf("set topic = %+v, %v", ch, err)
	}
	if _, err := api.SetPurposeOfConversation("C100", "Incident INC-1"); err != nil {
		t.Fatalf("set purpose: %v", err)
	}
	if got, _ := s.Channel("C100"); got.Topic != "SEV1: db down" || got.Purpose != "Incident INC-1" {
		t.Errorf("channel = %+v", got)
	}
	if _, err := api.SetTopicOfConversation("C100", strings.Repeat("x", 251)); slackCode(err) != "too_long" {
		t.Errorf("long topic: %v", err)
	}
	if _, err := api.SetPurposeOfConversation("C100", strings.Repeat("x", 251)); slackCode(err) != "too_long" {
		t.Errorf("long purpose: %v", err)
	}
	if _, err := api.SetTopicOfConversation("C404", "x"); slackCode(err) != "channel_not_found" {
		t.Errorf("unknown channel: %v", err)
	}
}

func TestUsersInfoAndAuthTest(t *testing.T) {
	t.Parallel()
	s, api := newFake(t)
	s.AddUser("U1", "alice")
	s.AddUser("U2", "bob")
	s.DeactivateUser("U2")

	u, err := api.GetUserInfo("U1")
	if err != nil || u.ID != "U1" || u.Name != "alice" || u.RealName != "alice" || u.Deleted {
		t.Errorf("U1 = %+v, %v", u, err)
	}
	if u, err := api.GetUserInfo("U2"); err != nil || !u.Deleted {
		t.Errorf("U2 = %+v, %v", u, err)
	}
	if _, err := api.GetUserInfo("U404"); slackCode(err) != "user_not_found" {
		t.Errorf("unknown user: %v", err)
	}
	at, err := api.AuthTest()
	if err != nil || at.UserID != fakeslack.BotUserID || at.BotID != fakeslack.BotID || at.TeamID != fakeslack.TeamID {
		t.Errorf("auth.test = %+v, %v", at, err)
	}
}
