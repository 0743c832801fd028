package faketeams_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/muster-bot/muster/bot/teams/faketeams"
)

func TestGraphCreateChannel(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.AddTeam(teamID)
	tok := accessToken(t, s, faketeams.GraphScope)
	u := s.GraphURL() + "/teams/" + teamID + "/channels"
	create := func(name string) (int, []byte) {
		return do(t, "POST", u, tok, map[string]any{"displayName": name, "description": "incident", "membershipType": "standard"})
	}

	status, body := create("inc-1-db-down")
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	var ch faketeams.Channel
	decode(t, body, &ch)
	if !strings.HasPrefix(ch.ID, "19:") || !strings.HasSuffix(ch.ID, "@thread.tacv2") || ch.DisplayName != "inc-1-db-down" {
		t.Fatalf("channel = %+v", ch)
	}
	if got := s.Channels(teamID); len(got) != 1 || got[0] != ch {
		t.Fatalf("Channels = %+v, want [%+v]", got, ch)
	}

	tests := []struct {
		name, displayName string
		status            int
		code              string
	}{
		{"50 characters", strings.Repeat("x", 50), http.StatusCreated, ""},
		{"51 characters", strings.Repeat("y", 51), http.StatusBadRequest, "BadRequest"},
		{"duplicate", "inc-1-db-down", http.StatusBadRequest, "NameAlreadyExists"},
		{"duplicate other case", "INC-1-DB-DOWN", http.StatusBadRequest, "NameAlreadyExists"},
	}
	for _, tt := range tests {
		status, body := create(tt.displayName)
		var e struct{ Error struct{ Code string } }
		decode(t, body, &e)
		if status != tt.status || e.Error.Code != tt.code {
			t.Errorf("%s: %d %s, want %d %q", tt.name, status, body, tt.status, tt.code)
		}
	}

	if status, _ := do(t, "POST", s.GraphURL()+"/teams/no-such-team/channels", tok, map[string]any{"displayName": "x"}); status != http.StatusNotFound {
		t.Errorf("unknown team: %d, want 404", status)
	}
	connTok := accessToken(t, s, faketeams.ConnectorScope)
	if status, _ := do(t, "POST", u, connTok, map[string]any{"displayName": "y"}); status != http.StatusUnauthorized {
		t.Errorf("connector token on Graph: %d, want 401", status)
	}

	// The new channel is known to the connector.
	status, body = do(t, "POST", s.ServiceURL()+"v3/conversations", connTok, map[string]any{
		"isGroup":     true,
		"activity":    map[string]any{"type": "message", "text": "INC-1"},
		"channelData": map[string]any{"channel": map[string]any{"id": ch.ID}},
	})
	if status != http.StatusCreated {
		t.Errorf("conversation in the new channel: %d %s", status, body)
	}
}
