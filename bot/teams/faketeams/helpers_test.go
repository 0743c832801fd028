package faketeams_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster/bot/teams/faketeams"
)

const (
	appID    = "00000000-aaaa-bbbb-cccc-000000000001"
	password = "s3cret"
)

func newServer(t testing.TB) *faketeams.Server {
	t.Helper()
	s := faketeams.New()
	t.Cleanup(s.Close)
	if u, _ := url.Parse(s.URL()); u.Hostname() != "127.0.0.1" && u.Hostname() != "::1" {
		t.Fatalf("server is not on loopback: %s", s.URL())
	}
	s.SetCredentials(appID, password)
	return s
}

// httpClient has a timeout so no test can hang.
func httpClient() *http.Client { return &http.Client{Timeout: 5 * time.Second} }

// do sends a request and returns the status and body; body may be nil, a
// []byte, url.Values (form) or anything JSON-marshalable.
func do(t testing.TB, method, u, token string, body any) (int, []byte) {
	t.Helper()
	resp, err := send(t, method, u, token, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, b
}

func send(t testing.TB, method, u, token string, body any) (*http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	var r io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	case url.Values:
		r = strings.NewReader(b.Encode())
		ctype = "application/x-www-form-urlencoded"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return httpClient().Do(req)
}

func tokenForm(id, secret, scope string) url.Values {
	return url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {id},
		"client_secret": {secret},
		"scope":         {scope},
	}
}

// accessToken gets a token for scope from the login role.
func accessToken(t testing.TB, s *faketeams.Server, scope string) string {
	t.Helper()
	status, body := do(t, "POST", s.LoginURL()+"/botframework.com/oauth2/v2.0/token", "", tokenForm(appID, password, scope))
	if status != http.StatusOK {
		t.Fatalf("token: %d %s", status, body)
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	decode(t, body, &out)
	return out.AccessToken
}

func decode(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}
