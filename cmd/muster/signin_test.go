package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/muster-bot/muster/bot/teams/faketeams"
	"github.com/muster-bot/muster/config"
	"github.com/muster-bot/muster/internal/fakeoidc"
)

const (
	oidcClient = "muster-web"
	oidcSecret = "test-oidc-client-secret"
)

// signInApp is the whole program serving Slack, with its pages behind
// sign-in through a fake OpenID Connect provider, on 127.0.0.1. In the
// fake Slack alice@example.com is UALICE and bob@example.com UBOB.
type signInApp struct {
	*slackApp
	provider *fakeoidc.Server
	logs     *syncBuffer
}

func startSignInApp(t *testing.T) *signInApp {
	t.Helper()
	fake := newFakeSlack(t)
	fake.SetEmail("UALICE", "alice@example.com")
	fake.SetEmail("UBOB", "bob@example.com")
	clock := &fakeClock{now: t0}
	provider, err := fakeoidc.New(oidcClient, oidcSecret, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(provider.Close)
	provider.SignInAs(fakeoidc.User{Email: "alice@example.com", Name: "Alice", Verified: true})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	yaml := fmt.Sprintf("store:\n  path: %s\nreminders:\n  tick: 24h\nslack:\n  announce_channel: CANNOUNCE\n"+
		"web:\n  public_url: %s\n  oidc:\n    issuer: %s\n    client_id: %s\n    allowed_domains: [example.com]\n",
		filepath.Join(t.TempDir(), "muster.db"), base, provider.Issuer(), oidcClient)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret, "SLACK_API_URL": fake.URL(),
		"MUSTER_OIDC_CLIENT_SECRET": oidcSecret}
	getenv := func(k string) string { return env[k] }
	cfg, err := config.Parse([]byte(yaml), "test.yaml", getenv)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	logs := &syncBuffer{}
	app, err := New(cfg, Options{Listener: ln, Now: clock.Now, Stdout: io.Discard, Stderr: logs, Getenv: getenv})
	if err != nil {
		t.Fatalf("new app: %v", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &slackApp{t: t, app: app, fake: fake, clock: clock, url: base, done: make(chan error, 1), stop: stop}
	go func() { s.done <- app.Run(ctx) }()
	t.Cleanup(func() {
		s.shutdown()
		if t.Failed() {
			t.Logf("log:\n%s", logs)
		}
	})
	eventually(t, "the app is ready", func() bool {
		resp, err := http.Get(s.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return &signInApp{slackApp: s, provider: provider, logs: logs}
}

// visitor is a browser-like client: a cookie jar, redirects followed.
func visitor(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

// stay is c stopping at the first redirect.
func stay(c *http.Client) *http.Client {
	return &http.Client{Jar: c.Jar, Timeout: c.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// open GETs path with c and returns the status, body and where it ended.
func (s *signInApp) open(c *http.Client, path string) (int, string, *url.URL) {
	s.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = s.url + path
	}
	res, err := c.Get(u)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), res.Request.URL
}

// TestSignInShowsMembersTheirPrivateIncidents runs sign-in through the
// real program: a stranger is sent to the provider and back to the page
// asked for; signed in by e-mail as a Slack user, alice sees the private
// incident she declared and gets the 404 of a missing incident for one she
// has no part in; bob sees neither; the session ends after 12 hours; the
// public paths never ask for a session.
func TestSignInShowsMembersTheirPrivateIncidents(t *testing.T) {
	s := startSignInApp(t)
	s.command("UALICE", "CGENERAL", "declare sev1 private Signing key leaked", "d1")
	s.command("UCAROL", "CGENERAL", "declare sev1 private Payroll export exposed", "d2")
	s.command("UCAROL", "CGENERAL", "declare sev3 Search is slow", "d3")
	eventually(t, "three incidents are stored", func() bool {
		_, err := s.app.db.Incident(context.Background(), 3)
		return err == nil
	})
	if !strings.Contains(s.logs.String(), "incident pages served with sign-in") {
		t.Errorf("the start-up log does not say the pages are served with sign-in:\n%s", s.logs)
	}
	for _, path := range []string{"/", "/incidents/3", "/incidents/1/events", "/insights", "/incidents/1/postmortem.md"} {
		code, _, _ := s.open(stay(visitor(t)), path)
		if code != http.StatusSeeOther {
			t.Errorf("GET %s without a session: %d, want 303 to sign-in", path, code)
		}
	}
	for _, path := range []string{"/static/muster.css", "/status", "/status.json", "/status/feed.atom", "/api/v1/incidents", "/healthz"} {
		if code, _, _ := s.open(stay(visitor(t)), path); code == http.StatusSeeOther {
			t.Errorf("GET %s without a session sends to sign-in; it must stay open", path)
		}
	}

	alice := visitor(t)
	code, body, at := s.open(alice, "/incidents/1")
	if code != http.StatusOK || at.Path != "/incidents/1" || !strings.Contains(body, "Signing key leaked") {
		t.Fatalf("alice after sign-in: %d at %s:\n%s", code, at, body)
	}
	pcode, pbody, _ := s.open(alice, "/incidents/2")
	mcode, mbody, _ := s.open(alice, "/incidents/99")
	if pcode != http.StatusNotFound || mcode != http.StatusNotFound || strings.ReplaceAll(mbody, "99", "2") != pbody {
		t.Errorf("alice opens another's private incident: %d, a missing one: %d; they must read the same", pcode, mcode)
	}
	_, list, _ := s.open(alice, "/")
	if !strings.Contains(list, "Signing key leaked") || !strings.Contains(list, "Search is slow") || strings.Contains(list, "Payroll") {
		t.Errorf("alice's list shows the wrong incidents:\n%s", list)
	}

	s.provider.SignInAs(fakeoidc.User{Email: "bob@example.com", Verified: true})
	bob := visitor(t)
	if code, body, _ := s.open(bob, "/incidents/1"); code != http.StatusNotFound || strings.Contains(body, "Signing key") {
		t.Errorf("bob opens alice's private incident: %d", code)
	}

	s.clock.Advance(12*time.Hour + time.Minute)
	code, _, _ = s.open(stay(alice), "/incidents/1")
	if code != http.StatusSeeOther {
		t.Errorf("alice after 12 hours: %d, want 303 to sign in again", code)
	}
}

// TestSignInRefusals: what sign-in refuses, through the real program.
func TestSignInRefusals(t *testing.T) {
	s := startSignInApp(t)
	// startAt runs a sign-in to the provider's redirect back.
	startAt := func(c *http.Client) *url.URL {
		t.Helper()
		res, err := stay(c).Get(s.url + "/signin?next=/insights")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		res, err = stay(c).Get(res.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		back, err := url.Parse(res.Header.Get("Location"))
		if err != nil || back.Query().Get("code") == "" {
			t.Fatalf("the provider sent back %q", res.Header.Get("Location"))
		}
		return back
	}
	t.Run("tampered session cookie", func(t *testing.T) {
		c := visitor(t)
		s.open(c, "/")
		u, _ := url.Parse(s.url)
		found := false
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name == "muster_session" {
				found = true
				c.Jar.SetCookies(u, []*http.Cookie{{Name: ck.Name, Value: "eyJlIjoiYm9iQGV4YW1wbGUuY29tIiwieCI6NDEwMjQ0NDgwMH0" + ck.Value[strings.Index(ck.Value, "."):], Path: "/"}})
			}
		}
		if !found {
			t.Fatal("no session cookie after sign-in")
		}
		if code, _, _ := s.open(stay(c), "/"); code != http.StatusSeeOther {
			t.Errorf("a forged session: %d, want 303 to sign-in", code)
		}
	})
	t.Run("wrong state", func(t *testing.T) {
		c := visitor(t)
		back := startAt(c)
		q := back.Query()
		q.Set("state", "guessed")
		back.RawQuery = q.Encode()
		if code, _, _ := s.open(c, back.String()); code != http.StatusBadRequest {
			t.Errorf("wrong state: %d, want 400", code)
		}
	})
	t.Run("stolen code without its PKCE verifier", func(t *testing.T) {
		victim := startAt(visitor(t))
		attacker := visitor(t)
		own := startAt(attacker)
		q := own.Query()
		q.Set("code", victim.Query().Get("code"))
		own.RawQuery = q.Encode()
		if code, body, _ := s.open(attacker, own.String()); code != http.StatusForbidden || !strings.Contains(body, "invalid_grant") {
			t.Errorf("a code redeemed with another verifier: %d %q", code, body)
		}
	})
	for _, tc := range []struct {
		name   string
		user   fakeoidc.User
		tamper func(map[string]any)
		want   string
	}{
		{"wrong nonce", fakeoidc.User{Email: "alice@example.com", Verified: true}, func(c map[string]any) { c["nonce"] = "replayed" }, "not issued for this sign-in"},
		{"wrong domain", fakeoidc.User{Email: "mallory@evil.example", Verified: true}, nil, "accepts e-mail addresses at example.com"},
		{"unverified e-mail", fakeoidc.User{Email: "alice@example.com"}, nil, "is not verified"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.provider.SignInAs(tc.user)
			s.provider.Tamper(tc.tamper)
			defer s.provider.Tamper(nil)
			c := visitor(t)
			code, body, _ := s.open(c, "/")
			if code != http.StatusForbidden || !strings.Contains(body, tc.want) {
				t.Errorf("%d, want 403 saying %q:\n%s", code, tc.want, body)
			}
			if code, _, _ := s.open(stay(c), "/"); code != http.StatusSeeOther {
				t.Errorf("after the refusal: %d, want no session (303)", code)
			}
		})
	}
	t.Run("open redirect", func(t *testing.T) {
		s.provider.SignInAs(fakeoidc.User{Email: "alice@example.com", Verified: true})
		for _, next := range []string{"https://evil.example/", "//evil.example", "/\\evil.example"} {
			code, _, at := s.open(visitor(t), "/signin?next="+url.QueryEscape(next))
			if code != http.StatusBadRequest || at.Host != strings.TrimPrefix(s.url, "http://") {
				t.Errorf("next=%s: %d at %s, want 400 here", next, code, at)
			}
		}
	})
}

// TestBrowserSignIn: a real browser opening the list is sent to the
// provider and back, signed in, and sees the list, with no request
// leaving 127.0.0.1 and no page error.
func TestBrowserSignIn(t *testing.T) {
	b := newBrowser(t)
	s := startSignInApp(t)
	s.command("UALICE", "CGENERAL", "declare sev1 private Signing key leaked", "d1")
	eventually(t, "the incident is stored", func() bool {
		_, err := s.app.db.Incident(context.Background(), 1)
		return err == nil
	})
	b.run(t, 15*time.Second, "open the list through sign-in",
		chromedp.Navigate(s.url+"/"),
		chromedp.WaitVisible(chromedp.CSS("table")),
	)
	b.waitText(t, "main", "Signing key leaked", 5*time.Second)
	if !b.eval(t, `location.pathname === "/" && location.host === `+fmt.Sprintf("%q", strings.TrimPrefix(s.url, "http://"))) {
		t.Error("the browser did not come back to the list")
	}
	if !b.eval(t, `document.cookie === ""`) {
		t.Error("a script can read the session cookie; it must be HttpOnly")
	}
	b.checkLoopbackOnly(t)
}

// TestTeamsSignInShowsMembersTheirPrivateIncidents: on Teams, a person
// signed in through the provider is matched to their Teams id by the
// team's roster (e-mail, or user principal name when the roster gives no
// e-mail): alice sees the private incident she declared, bob the one he
// took a note in, carol neither, and for her each is the 404 of a missing one.
func TestTeamsSignInShowsMembersTheirPrivateIncidents(t *testing.T) {
	provider, err := fakeoidc.New(oidcClient, oidcSecret, time.Now) // the Teams app's clock starts now
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(provider.Close)
	yaml := fmt.Sprintf("web:\n  public_url: {base}\n  oidc:\n    issuer: %s\n    client_id: %s\n    allowed_domains: [example.com]\n", provider.Issuer(), oidcClient)
	a := startTeamsAppWith(t, teamGroup, yaml, map[string]string{"MUSTER_OIDC_CLIENT_SECRET": oidcSecret})
	s := &signInApp{slackApp: a.slackApp, provider: provider}
	thread := generalCh + ";messageid=100"
	a.send(faketeams.Mention(teamsBot, "Muster", "29:alice", "Alice", thread, a.tf.ServiceURL(), "declare sev1 private Leaked signing key"), a.token())
	a.app.teams.Drain()
	a.send(faketeams.Mention(teamsBot, "Muster", "29:bob", "Bob", thread, a.tf.ServiceURL(), "note Rotating the key now"), a.token())
	a.app.teams.Drain()
	eventually(t, "bob's note is recorded", func() bool {
		inc, err := a.app.db.Incident(context.Background(), 1)
		return err == nil && slices.Contains(inc.Participants, "29:bob")
	})

	for _, who := range []struct {
		email string
		sees  bool
	}{{"alice@example.com", true}, {"BOB@example.com", true}, {"carol@example.com", false}} {
		provider.SignInAs(fakeoidc.User{Email: who.email, Verified: true})
		c := visitor(t)
		code, body, _ := s.open(c, "/incidents/1")
		switch {
		case who.sees && (code != http.StatusOK || !strings.Contains(body, "Leaked signing key")):
			t.Errorf("%s opens the private incident they are a member of: %d", who.email, code)
		case !who.sees && (code != http.StatusNotFound || strings.Contains(body, "Leaked")):
			t.Errorf("%s opens a private incident they have no part in: %d", who.email, code)
		}
	}
}
