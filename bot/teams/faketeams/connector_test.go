package faketeams_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/muster-bot/muster/bot/teams/faketeams"
)

const (
	teamID    = "5f1b2c3d-0000-4000-8000-00000000aaaa"
	channelID = "19:incident-1@thread.tacv2"
)

func TestConnectorAuth(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.AddChannel(teamID, channelID, "General")
	u := s.ServiceURL() + "v3/conversations/" + channelID + "/activities"
	msg := map[string]any{"type": "message", "text": "hi"}
	graphToken := accessToken(t, s, faketeams.GraphScope)
	for name, tok := range map[string]string{"none": "", "graph scope": graphToken, "made up": "abc"} {
		if status, body := do(t, "POST", u, tok, msg); status != http.StatusUnauthorized {
			t.Errorf("%s: %d %s, want 401", name, status, body)
		}
	}
	tok := accessToken(t, s, faketeams.ConnectorScope)
	if status, body := do(t, "POST", u, tok, msg); status != http.StatusOK {
		t.Fatalf("with a connector token: %d %s", status, body)
	}
	s.RevokeTokens()
	if status, _ := do(t, "POST", u, tok, msg); status != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d, want 401", status)
	}
}

func TestConversationRoundTrip(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.AddChannel(teamID, channelID, "General")
	s.AddMember(teamID, "29:alice", "Alice")
	tok := accessToken(t, s, faketeams.ConnectorScope)

	// Start a thread in the channel.
	params := schema.ConversationParameters{
		IsGroup:     true,
		Bot:         schema.ChannelAccount{ID: "28:" + appID, Name: "muster"},
		TenantID:    faketeams.TenantID,
		Activity:    schema.Activity{Type: "message", Text: "INC-1 declared"},
		ChannelData: map[string]any{"channel": map[string]any{"id": channelID}, "tenant": map[string]any{"id": faketeams.TenantID}},
	}
	status, body := do(t, "POST", s.ServiceURL()+"v3/conversations", tok, params)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	var created struct{ ID, ActivityID string }
	decode(t, body, &created)
	if created.ID != channelID+";messageid="+created.ActivityID || created.ActivityID == "" {
		t.Fatalf("create answered %s", body)
	}

	// Reply in the thread; the doubled slash is what serviceUrl + "/v3" gives.
	status, body = do(t, "POST", strings.TrimSuffix(s.ServiceURL(), "/")+"//v3/conversations/"+created.ID+"/activities", tok,
		map[string]any{"type": "message", "text": "IC is Alice"})
	if status != http.StatusOK {
		t.Fatalf("post: %d %s", status, body)
	}
	var posted struct{ ID string }
	decode(t, body, &posted)

	// Update the first message.
	u := s.ServiceURL() + "v3/conversations/" + created.ID + "/activities/" + created.ActivityID
	if status, body = do(t, "PUT", u, tok, map[string]any{"type": "message", "text": "INC-1 resolved"}); status != http.StatusOK {
		t.Fatalf("put: %d %s", status, body)
	}
	if status, _ = do(t, "PUT", s.ServiceURL()+"v3/conversations/"+created.ID+"/activities/404", tok, map[string]any{"type": "message"}); status != http.StatusNotFound {
		t.Fatalf("put unknown: %d, want 404", status)
	}

	got := s.Activities(channelID)
	if len(got) != 2 {
		t.Fatalf("activities = %+v", got)
	}
	var first, second schema.Activity
	decode(t, got[0].Activity, &first)
	decode(t, got[1].Activity, &second)
	if got[0].ID != created.ActivityID || got[0].Updates != 1 || first.Text != "INC-1 resolved" {
		t.Errorf("first = %+v %s", got[0], got[0].Activity)
	}
	if got[1].ID != posted.ID || got[1].Conversation != created.ID || second.Text != "IC is Alice" {
		t.Errorf("second = %+v %s", got[1], got[1].Activity)
	}
	if len(s.Activities(created.ID)) != 2 {
		t.Error("Activities by conversation id should match on the channel part")
	}

	status, body = do(t, "GET", s.ServiceURL()+"v3/conversations/"+created.ID+"/members", tok, nil)
	var members []faketeams.Member
	decode(t, body, &members)
	if status != http.StatusOK || len(members) != 1 || members[0].Name != "Alice" {
		t.Errorf("members: %d %s", status, body)
	}
}

func TestCreateConversationUnknownChannel(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tok := accessToken(t, s, faketeams.ConnectorScope)
	params := map[string]any{
		"isGroup":     true,
		"activity":    map[string]any{"type": "message", "text": "x"},
		"channelData": map[string]any{"channel": map[string]any{"id": "19:nobody@thread.tacv2"}},
	}
	if status, body := do(t, "POST", s.ServiceURL()+"v3/conversations", tok, params); status != http.StatusNotFound {
		t.Fatalf("%d %s, want 404", status, body)
	}
	delete(params, "channelData")
	if status, _ := do(t, "POST", s.ServiceURL()+"v3/conversations", tok, params); status != http.StatusBadRequest {
		t.Fatalf("no channel: %d, want 400", status)
	}
}

func TestBuilders(t *testing.T) {
	t.Parallel()
	conv := channelID + ";messageid=1700000000123"
	svc := "https://smba.trafficmanager.net/amer/"

	var m map[string]any
	decode(t, faketeams.Mention("28:bot", "muster", "29:alice", "Alice", conv, svc, "declare sev1 db down"), &m)
	ent := m["entities"].([]any)[0].(map[string]any)
	mentioned := ent["mentioned"].(map[string]any)
	if m["text"] != "<at>muster</at> declare sev1 db down" || ent["type"] != "mention" || mentioned["id"] != "28:bot" ||
		m["id"] != "1700000000123" || m["conversation"].(map[string]any)["conversationType"] != "channel" {
		t.Errorf("mention = %v", m)
	}
	cd := m["channelData"].(map[string]any)
	if cd["channel"].(map[string]any)["id"] != channelID || cd["tenant"].(map[string]any)["id"] != faketeams.TenantID {
		t.Errorf("channelData = %v", cd)
	}

	var a schema.Activity
	decode(t, faketeams.Message("29:alice", "Alice", conv, svc, "db is back", "1700000000200"), &a)
	if a.Type != "message" || a.Text != "db is back" || a.ID != "1700000000200" || a.ServiceURL != svc || a.Conversation.ID != conv {
		t.Errorf("message = %+v", a)
	}

	raw := faketeams.Submit("29:alice", conv, svc, "1700000000123", map[string]any{"action": "role", "role": "IC"})
	decode(t, raw, &a)
	if a.Text != "" || a.ReplyToID != "1700000000123" || a.Value["role"] != "IC" {
		t.Errorf("submit = %+v", a)
	}
	if !json.Valid(raw) || !strings.Contains(string(raw), `"text":""`) {
		t.Errorf("submit JSON = %s", raw)
	}
}
