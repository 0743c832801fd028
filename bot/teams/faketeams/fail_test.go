package faketeams_test

import (
	"net/http"
	"testing"

	"github.com/muster-bot/muster/bot/teams/faketeams"
)

func TestFail(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.Fail(faketeams.RouteToken, 2, http.StatusTooManyRequests, 7)
	s.Fail(faketeams.RouteToken, 1, http.StatusInternalServerError, 0)
	u := s.LoginURL() + "/botframework.com/oauth2/v2.0/token"
	form := tokenForm(appID, password, faketeams.ConnectorScope)
	for i, want := range []int{429, 429, 500, 200} {
		resp, err := send(t, "POST", u, "", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("request %d: %d, want %d", i, resp.StatusCode, want)
		}
		if ra := resp.Header.Get("Retry-After"); (want == 429) != (ra == "7") {
			t.Errorf("request %d: Retry-After %q", i, ra)
		}
	}
	if n := len(s.TokenRequests()); n != 1 {
		t.Errorf("TokenRequests = %d, want only the served one", n)
	}
	reqs := s.Requests()
	if len(reqs) != 4 || reqs[0].Status != 429 || reqs[0].Route != faketeams.RouteToken || reqs[3].Status != 200 {
		t.Errorf("Requests = %+v", reqs)
	}
}

func TestFailConnectorAndGraph(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.AddChannel(teamID, channelID, "General")
	s.Fail(faketeams.RouteActivitiesPost, 1, http.StatusServiceUnavailable, 1)
	s.Fail(faketeams.RouteGraphChannels, 1, http.StatusTooManyRequests, 3)
	ct := accessToken(t, s, faketeams.ConnectorScope)
	gt := accessToken(t, s, faketeams.GraphScope)
	post := s.ServiceURL() + "v3/conversations/" + channelID + "/activities"
	msg := map[string]any{"type": "message", "text": "x"}
	if status, _ := do(t, "POST", post, ct, msg); status != 503 {
		t.Errorf("first post: %d, want 503", status)
	}
	if status, _ := do(t, "POST", post, ct, msg); status != 200 {
		t.Errorf("second post: %d, want 200", status)
	}
	ch := s.GraphURL() + "/teams/" + teamID + "/channels"
	if status, _ := do(t, "POST", ch, gt, map[string]any{"displayName": "a"}); status != 429 {
		t.Errorf("first create: %d, want 429", status)
	}
	if status, _ := do(t, "POST", ch, gt, map[string]any{"displayName": "a"}); status != 201 {
		t.Errorf("second create: %d, want 201", status)
	}
	if n := len(s.Activities(channelID)); n != 1 {
		t.Errorf("%d activities recorded, want 1", n)
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.Unreachable(faketeams.RouteToken)
	u := s.LoginURL() + "/botframework.com/oauth2/v2.0/token"
	resp, err := send(t, "POST", u, "", tokenForm(appID, password, faketeams.ConnectorScope))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got a response (%d), want a transport error", resp.StatusCode)
	}
	reqs := s.Requests()
	if len(reqs) == 0 || reqs[0].Status != 0 || reqs[0].Route != faketeams.RouteToken {
		t.Errorf("Requests = %+v", reqs)
	}
	s.Restore(faketeams.RouteToken)
	if tok := accessToken(t, s, faketeams.ConnectorScope); tok == "" {
		t.Error("no token after Restore")
	}
}

func TestUnknownRoutePanics(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	defer func() {
		if recover() == nil {
			t.Error("Fail with an unknown route did not panic")
		}
	}()
	s.Fail("tokens", 1, 500, 0)
}
