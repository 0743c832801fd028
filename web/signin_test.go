package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/web"
)

// fakeSignIn takes "Authorization: Person <email>" for a session.
type fakeSignIn struct{}

func (fakeSignIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "sign-in route %s %s", r.Method, r.URL.RequestURI())
}

func (fakeSignIn) Email(r *http.Request) (string, bool) {
	return strings.CutPrefix(r.Header.Get("Authorization"), "Person ")
}

// people knows alice@example.com as the Slack user U_alice.
type people struct{}

func (people) UsersByEmail(_ context.Context, email string) ([]muster.Event, error) {
	if email == "alice@example.com" {
		return []muster.Event{{Platform: "console", User: "alice"}, {User: "U_alice"}}, nil
	}
	return nil, nil
}

// TestSignInGate: with sign-in on, the pages, the live stream and the
// insights send a stranger to sign in, keeping the page asked for; the
// public status paths, the static files and the API (its own token) do
// not; a signed-in member sees the private incident, anyone else the 404
// of a missing one.
func TestSignInGate(t *testing.T) {
	s := newSiteWith(t, web.Config{SignIn: fakeSignIn{}, People: people{}})
	s.declare("Ordinary outage", "SEV2", false, t0)
	secret := s.declare("Leaked credentials in the vault", "SEV1", true, t0.Add(time.Minute))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path, auth string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", s.srv.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode, res.Header.Get("Location")
	}
	for _, path := range []string{"/", "/?q=a+b", "/incidents/1", "/incidents/1/postmortem.md", "/incidents/1/events", "/insights"} {
		code, loc := get(path, "")
		if want := "/signin?next=" + url.QueryEscape(path); code != http.StatusSeeOther || loc != want {
			t.Errorf("GET %s without a session: %d %q, want 303 to %s", path, code, loc, want)
		}
	}
	for _, path := range []string{"/static/muster.css", "/signin?next=/x", "/auth/callback?code=c"} {
		if code, _ := get(path, ""); code != http.StatusOK {
			t.Errorf("GET %s without a session: %d, want it open", path, code)
		}
	}
	if code, _ := get("/api/v1/incidents", "Bearer "+token); code != http.StatusOK {
		t.Errorf("the API with its token: %d", code)
	}
	if code, _ := get("/api/v1/incidents", "Person alice@example.com"); code != http.StatusUnauthorized {
		t.Errorf("the API with a session and no token: %d, want 401", code)
	}
	alice, mallory := "Person alice@example.com", "Person mallory@example.com"
	if code, _, _ := s.get(fmt.Sprintf("/incidents/%d", secret), alice); code != http.StatusOK {
		t.Errorf("the member opens the private incident: %d", code)
	}
	if _, body, _ := s.get("/", alice); !strings.Contains(body, "Leaked credentials") || !strings.Contains(body, "Sign out") {
		t.Errorf("the member's list lacks the private incident or the sign-out button:\n%s", body)
	}
	pcode, pbody, _ := s.get(fmt.Sprintf("/incidents/%d", secret), mallory)
	mcode, mbody, _ := s.get("/incidents/99", mallory)
	if pcode != http.StatusNotFound || mcode != http.StatusNotFound || strings.ReplaceAll(mbody, "99", fmt.Sprint(secret)) != pbody {
		t.Errorf("a stranger: private %d, missing %d; the bodies differ:\n%s\n%s", pcode, mcode, pbody, mbody)
	}
	if _, body, _ := s.get("/", mallory); strings.Contains(body, "Leaked") || !strings.Contains(body, "Ordinary outage") {
		t.Errorf("a stranger's list:\n%s", body)
	}
}

func TestPublicPaths(t *testing.T) {
	for path, public := range map[string]bool{
		"/status": true, "/status.json": true, "/status/feed.atom": true, "/static/live.js": true, "/api/v1/incidents": true,
		"/status/internal": false, "/statusx": false, "/": false, "/insights": false, "/incidents/1/events": false, "/staticx": false,
	} {
		if got := web.PublicPath(path); got != public {
			t.Errorf("PublicPath(%q) = %v, want %v", path, got, public)
		}
	}
}
