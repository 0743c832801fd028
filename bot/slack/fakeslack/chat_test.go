package fakeslack_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func roleButtons() slack.MsgOption {
	return slack.MsgOptionBlocks(
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "INC-1 db down", false, false)),
		slack.NewActionBlock("roles",
			slack.NewButtonBlockElement("role_ic", "INC-1", slack.NewTextBlockObject(slack.PlainTextType, "IC", false, false)),
		),
	)
}

func TestPostUpdateAndThread(t *testing.T) {
	t.Parallel()
	s, api := newFake(t)
	s.AddChannel("C100", "inc-1", false)

	ch, ts, err := api.PostMessage("C100", slack.MsgOptionText("declared", false), roleButtons())
	if err != nil || ch != "C100" {
		t.Fatalf("post = %q %q, %v", ch, ts, err)
	}
	_, ts2, err := api.PostMessage("C100", slack.MsgOptionText("second", false))
	if err != nil || ts2 <= ts || len(ts2) != len("1700000000.000100") {
		t.Errorf("ts %q then %q, %v", ts, ts2, err)
	}
	_, reply, err := api.PostMessage("C100", slack.MsgOptionText("in thread", false), slack.MsgOptionTS(ts))
	if err != nil {
		t.Fatalf("thread reply: %v", err)
	}
	// A reply's ts stands for its parent's thread.
	if _, _, err := api.PostMessage("C100", slack.MsgOptionText("nested", false), slack.MsgOptionTS(reply)); err != nil {
		t.Fatalf("reply to reply: %v", err)
	}
	if _, _, _, err := api.UpdateMessage("C100", ts, slack.MsgOptionText("updated", false)); err != nil {
		t.Fatalf("update: %v", err)
	}

	msgs := s.Messages("C100")
	if len(msgs) != 4 {
		t.Fatalf("messages = %+v", msgs)
	}
	if m := msgs[0]; m.Text != "updated" || m.Updates != 1 || !strings.Contains(string(m.Blocks), `"action_id":"role_ic"`) {
		t.Errorf("first message = %+v (blocks %s)", m, m.Blocks)
	}
	if msgs[2].ThreadTS != ts || msgs[3].ThreadTS != ts {
		t.Errorf("thread_ts = %q, %q, want %q", msgs[2].ThreadTS, msgs[3].ThreadTS, ts)
	}
	// Blocks replaced with an empty list are removed.
	if _, _, _, err := api.UpdateMessage("C100", ts, slack.MsgOptionBlocks()); err != nil {
		t.Fatalf("update blocks: %v", err)
	}
	if m := s.Messages("C100")[0]; m.Blocks != nil || m.Text != "updated" || m.Updates != 2 {
		t.Errorf("after clearing blocks = %+v", m)
	}
}

func TestPostErrors(t *testing.T) {
	t.Parallel()
	s, api := newFake(t)
	s.AddChannel("C100", "inc-1", false)
	s.AddUser("U1", "alice")
	userTS := s.AddMessage("C100", "U1", "hello")

	tooMany := make([]slack.Block, 51)
	for i := range tooMany {
		tooMany[i] = slack.NewDividerBlock()
	}
	longHeader := slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("h", 151), false, false))
	for _, tc := range []struct {
		name    string
		channel string
		opts    []slack.MsgOption
		want    string
	}{
		{"unknown channel", "C404", []slack.MsgOption{slack.MsgOptionText("x", false)}, "channel_not_found"},
		{"unknown thread", "C100", []slack.MsgOption{slack.MsgOptionText("x", false), slack.MsgOptionTS("1.000001")}, "thread_not_found"},
		{"51 blocks", "C100", []slack.MsgOption{slack.MsgOptionBlocks(tooMany...)}, "invalid_blocks"},
		{"header too long", "C100", []slack.MsgOption{slack.MsgOptionBlocks(longHeader)}, "invalid_blocks"},
		{"no text", "C100", nil, "no_text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := api.PostMessage(tc.channel, tc.opts...)
			if got := slackCode(err); got != tc.want {
				t.Errorf("error = %v (code %q), want %q", err, got, tc.want)
			}
		})
	}
	// An unknown block type, sent raw.
	if _, _, err := api.PostMessage("C100", slack.MsgOptionBlocks(&slack.UnknownBlock{Type: "carousel-x"})); slackCode(err) != "invalid_blocks" {
		t.Errorf("unknown block type: %v", err)
	}
	if _, _, _, err := api.UpdateMessage("C100", userTS, slack.MsgOptionText("x", false)); slackCode(err) != "cant_update_message" {
		t.Errorf("update user's message: %v", err)
	}
	if _, _, _, err := api.UpdateMessage("C100", "1.000001", slack.MsgOptionText("x", false)); slackCode(err) != "message_not_found" {
		t.Errorf("update unknown message: %v", err)
	}
	// Threads may start under a user's message.
	if _, _, err := api.PostMessage("C100", slack.MsgOptionText("x", false), slack.MsgOptionTS(userTS)); err != nil {
		t.Errorf("reply to user's message: %v", err)
	}
	if got := len(s.Messages("C100")); got != 2 {
		t.Errorf("%d messages, want 2 (failed posts leave nothing)", got)
	}
}

func TestDirectMessage(t *testing.T) {
	t.Parallel()
	s, api := newFake(t)
	s.AddUser("U1", "alice")

	ch, _, err := api.PostMessage("U1", slack.MsgOptionText("you are IC", false))
	if err != nil || !strings.HasPrefix(ch, "D") {
		t.Fatalf("post to user = %q, %v", ch, err)
	}
	if m := s.Messages("U1"); len(m) != 1 || m[0].Channel != ch || m[0].Text != "you are IC" {
		t.Errorf("messages by user id = %+v", m)
	}
	if m := s.Messages(ch); len(m) != 1 {
		t.Errorf("messages by DM id = %+v", m)
	}
	if _, _, err := api.PostMessage("U404", slack.MsgOptionText("x", false)); slackCode(err) != "channel_not_found" {
		t.Errorf("unknown user: %v", err)
	}
}

func TestPostEphemeral(t *testing.T) {
	t.Parallel()
	s, api := newFake(t)
	s.AddChannel("C100", "inc-1", false)
	s.AddUser("U1", "alice")
	s.AddUser("U2", "bob")
	s.JoinChannel("C100", "U1")

	ts, err := api.PostEphemeral("C100", "U1", slack.MsgOptionText("only you", false))
	if err != nil || ts == "" {
		t.Fatalf("ephemeral = %q, %v", ts, err)
	}
	if m := s.Messages("C100"); len(m) != 1 || !m[0].Ephemeral || m[0].User != "U1" || m[0].TS != ts {
		t.Errorf("messages = %+v", m)
	}
	if _, err := api.PostEphemeral("C100", "U2", slack.MsgOptionText("x", false)); slackCode(err) != "user_not_in_channel" {
		t.Errorf("non-member: %v", err)
	}
	if _, err := api.PostEphemeral("C404", "U1", slack.MsgOptionText("x", false)); slackCode(err) != "channel_not_found" {
		t.Errorf("unknown channel: %v", err)
	}
	// Ephemeral messages cannot be updated or replied to.
	if _, _, _, err := api.UpdateMessage("C100", ts, slack.MsgOptionText("x", false)); slackCode(err) != "message_not_found" {
		t.Errorf("update ephemeral: %v", err)
	}
}

func TestPin(t *testing.T) {
	t.Parallel()
	s, api := newFake(t)
	s.AddChannel("C100", "inc-1", false)
	_, ts, _ := api.PostMessage("C100", slack.MsgOptionText("x", false))

	if err := api.AddPin("C100", slack.NewRefToMessage("C100", ts)); err != nil {
		t.Fatalf("pin: %v", err)
	}
	if !s.Messages("C100")[0].Pinned {
		t.Error("message not pinned")
	}
	if err := api.AddPin("C100", slack.NewRefToMessage("C100", ts)); slackCode(err) != "already_pinned" {
		t.Errorf("pin twice: %v", err)
	}
}

func TestResponseURL(t *testing.T) {
	t.Parallel()
	s, api := newFake(t)

	_, _, err := api.PostMessage("", slack.MsgOptionResponseURL(s.ResponseURL("r1"), slack.ResponseTypeEphemeral),
		slack.MsgOptionText("declared", false), slack.MsgOptionReplaceOriginal(s.ResponseURL("r1")))
	if err != nil {
		t.Fatalf("post to response_url: %v", err)
	}
	if err := slack.PostWebhook(s.ResponseURL("r2"), &slack.WebhookMessage{Text: "hook", ResponseType: slack.ResponseTypeInChannel}); err != nil {
		t.Fatalf("webhook: %v", err)
	}
	got := s.Responses()
	if len(got) != 2 || got[0].ID != "r1" || got[1].ID != "r2" {
		t.Fatalf("responses = %+v", got)
	}
	var body struct {
		Text            string `json:"text"`
		ResponseType    string `json:"response_type"`
		ReplaceOriginal bool   `json:"replace_original"`
	}
	if err := json.Unmarshal(got[0].Body, &body); err != nil || body.Text != "declared" || !body.ReplaceOriginal {
		t.Errorf("r1 body = %s (%v)", got[0].Body, err)
	}
	if len(s.Calls()) != 0 {
		t.Errorf("response URLs are not Web API calls: %+v", s.Calls())
	}
}

func TestViewsOpen(t *testing.T) {
	t.Parallel()
	s, api := newFake(t)

	view := slack.ModalViewRequest{
		Type:       slack.VTModal,
		Title:      slack.NewTextBlockObject(slack.PlainTextType, "Declare", false, false),
		CallbackID: "declare",
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("title", slack.NewTextBlockObject(slack.PlainTextType, "Title", false, false), nil,
				slack.NewPlainTextInputBlockElement(nil, "title")),
		}},
	}
	resp, err := api.OpenView("trigger-1", view)
	if err != nil || resp.ID != "V0001" || resp.CallbackID != "declare" {
		t.Fatalf("open view = %+v, %v", resp, err)
	}
	views := s.Views()
	if len(views) != 1 || !strings.Contains(string(views[0]), `"callback_id":"declare"`) {
		t.Errorf("views = %s", views)
	}
	if _, err := api.OpenView("trigger-2", slack.ModalViewRequest{Type: slack.VTHomeTab}); slackCode(err) != "invalid_arguments" {
		t.Errorf("home tab in views.open: %v", err)
	}
}

func TestCallsAreRecorded(t *testing.T) {
	t.Parallel()
	s, api := newFake(t)
	s.AddChannel("C100", "inc-1", false)

	_, _, _ = api.PostMessage("C100", slack.MsgOptionText("hi", false))
	_, _, _ = api.PostMessage("C404", slack.MsgOptionText("lost", false))
	_, _ = api.AuthTest()

	calls := s.CallsTo("chat.postMessage")
	if len(calls) != 2 {
		t.Fatalf("calls = %+v", calls)
	}
	if c := calls[0]; c.Params["channel"] != "C100" || c.Params["text"] != "hi" || c.Status != 200 || c.Error != "" {
		t.Errorf("first call = %+v", c)
	}
	if _, ok := calls[0].Params["token"]; ok {
		t.Error("token recorded in params")
	}
	if c := calls[1]; c.Error != "channel_not_found" {
		t.Errorf("second call = %+v", c)
	}
	var methods []string
	for _, c := range s.Calls() {
		methods = append(methods, c.Method)
	}
	if got := fmt.Sprint(methods); got != "[chat.postMessage chat.postMessage auth.test]" {
		t.Errorf("methods = %s", got)
	}
}
