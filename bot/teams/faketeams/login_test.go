package faketeams_test

import (
	"net/http"
	"testing"

	"github.com/muster-bot/muster/bot/teams/faketeams"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tests := []struct {
		name, tenant, id, secret, scope string
		status                          int
		errCode                         string
	}{
		{"connector token", "botframework.com", appID, password, faketeams.ConnectorScope, http.StatusOK, ""},
		{"graph token in own tenant", "tenant-1", appID, password, faketeams.GraphScope, http.StatusOK, ""},
		{"wrong secret", "botframework.com", appID, "nope", faketeams.ConnectorScope, http.StatusUnauthorized, "invalid_client"},
		{"wrong client id", "botframework.com", "other-app", password, faketeams.ConnectorScope, http.StatusUnauthorized, "invalid_client"},
		{"no scope", "botframework.com", appID, password, "", http.StatusBadRequest, "invalid_request"},
	}
	for _, tt := range tests {
		status, body := do(t, "POST", s.LoginURL()+"/"+tt.tenant+"/oauth2/v2.0/token", "", tokenForm(tt.id, tt.secret, tt.scope))
		if status != tt.status {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, status, tt.status, body)
			continue
		}
		var out struct {
			TokenType   string `json:"token_type"`
			ExpiresIn   int    `json:"expires_in"`
			AccessToken string `json:"access_token"`
			Error       string `json:"error"`
		}
		decode(t, body, &out)
		if tt.errCode != "" {
			if out.Error != tt.errCode || out.AccessToken != "" {
				t.Errorf("%s: body %s, want error %s", tt.name, body, tt.errCode)
			}
			continue
		}
		if out.TokenType != "Bearer" || out.ExpiresIn != 3600 || out.AccessToken == "" {
			t.Errorf("%s: body %s", tt.name, body)
		}
	}

	got := s.TokenRequests()
	if len(got) != len(tests) {
		t.Fatalf("recorded %d token requests, want %d", len(got), len(tests))
	}
	want := faketeams.TokenRequest{Tenant: "tenant-1", Scope: faketeams.GraphScope, ClientID: appID, Granted: true}
	if got[1] != want {
		t.Errorf("second request = %+v, want %+v", got[1], want)
	}
	if got[2].Granted || got[2].Tenant != "botframework.com" {
		t.Errorf("wrong-secret request = %+v", got[2])
	}
}

func TestLoginRefusesEveryoneBeforeSetCredentials(t *testing.T) {
	t.Parallel()
	s := faketeams.New()
	defer s.Close()
	status, _ := do(t, "POST", s.LoginURL()+"/botframework.com/oauth2/v2.0/token", "", tokenForm("", "", faketeams.ConnectorScope))
	if status != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", status)
	}
}

func TestLoginSingleTenant(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.SetTenant("tenant-1")
	status, body := do(t, "POST", s.LoginURL()+"/botframework.com/oauth2/v2.0/token", "", tokenForm(appID, password, faketeams.ConnectorScope))
	if status != http.StatusBadRequest {
		t.Fatalf("botframework.com tenant: %d %s, want 400 unauthorized_client", status, body)
	}
	status, _ = do(t, "POST", s.LoginURL()+"/tenant-1/oauth2/v2.0/token", "", tokenForm(appID, password, faketeams.ConnectorScope))
	if status != http.StatusOK {
		t.Fatalf("own tenant: %d", status)
	}
}
