package signin_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster/internal/fakeoidc"
	"github.com/muster-bot/muster/web/signin"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// site is a page behind sign-in, the fake provider and a browser-like
// client (a cookie jar, redirects followed) on 127.0.0.1.
type site struct {
	t        *testing.T
	provider *fakeoidc.Server
	clock    *clock
	url      string
	client   *http.Client
}

func newSite(t *testing.T, domains ...string) *site {
	t.Helper()
	c := &clock{now: t0}
	p, err := fakeoidc.New("muster-client", "client-secret", c.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	p.SignInAs(fakeoidc.User{Email: "Alice@Example.com", Name: "Alice", Verified: true})
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	auth, err := signin.New(signin.Config{Issuer: p.Issuer(), ClientID: "muster-client", ClientSecret: "client-secret",
		PublicURL: srv.URL, AllowedDomains: domains, Now: c.Now}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	for _, route := range []string{"GET /signin", "GET /auth/callback", "POST /signout"} {
		mux.Handle(route, auth)
	}
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		email, ok := auth.Email(r)
		if !ok {
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		fmt.Fprintf(w, "page %s for %s", r.URL.RequestURI(), email)
	})
	return &site{t: t, provider: p, clock: c, url: srv.URL, client: newClient(t)}
}

func newClient(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

func (s *site) get(c *http.Client, u string) (int, string, *url.URL) {
	s.t.Helper()
	res, err := c.Get(u)
	if err != nil {
		s.t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), res.Request.URL
}

// noFollow is a client of the same jar that stops at the first redirect.
func noFollow(c *http.Client) *http.Client {
	return &http.Client{Jar: c.Jar, Timeout: c.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestSignInFlow(t *testing.T) {
	s := newSite(t)
	code, body, at := s.get(s.client, s.url+"/incidents/4?x=1")
	if code != http.StatusOK || body != "page /incidents/4?x=1 for alice@example.com" || at.Path != "/incidents/4" {
		t.Fatalf("after sign-in: %d %q at %s", code, body, at)
	}
	// The session holds: no second trip to the provider.
	tokens := s.provider.Tokens()
	if code, body, _ := s.get(s.client, s.url+"/"); code != http.StatusOK || !strings.Contains(body, "alice@example.com") || s.provider.Tokens() != tokens {
		t.Errorf("second page: %d %q, tokens %d → %d", code, body, tokens, s.provider.Tokens())
	}
	// Cookies: HttpOnly, SameSite=Lax, for the site (Secure only over https).
	res, err := noFollow(newClient(t)).Get(s.url + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for _, c := range res.Cookies() {
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
			t.Errorf("cookie %s: HttpOnly %v SameSite %v Path %q Secure %v", c.Name, c.HttpOnly, c.SameSite, c.Path, c.Secure)
		}
	}
	loc, _ := url.Parse(res.Header.Get("Location"))
	if q := loc.Query(); q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
		t.Errorf("authorization request %s lacks PKCE, nonce or state", loc)
	}
	// Sign out ends the session.
	out, err := s.client.Post(s.url+"/signout", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	if code, _, _ := s.get(noFollow(s.client), s.url+"/"); code != http.StatusSeeOther {
		t.Errorf("after sign-out: %d, want 303 to /signin", code)
	}
}

func TestSessionExpires(t *testing.T) {
	s := newSite(t)
	s.get(s.client, s.url+"/")
	s.clock.Advance(signin.DefaultSession - time.Minute)
	if code, _, _ := s.get(noFollow(s.client), s.url+"/"); code != http.StatusOK {
		t.Errorf("before expiry: %d", code)
	}
	s.clock.Advance(2 * time.Minute)
	code, _, _ := s.get(noFollow(s.client), s.url+"/")
	if code != http.StatusSeeOther {
		t.Errorf("after expiry: %d, want 303", code)
	}
}

func TestTamperedSessionRefused(t *testing.T) {
	s := newSite(t)
	s.get(s.client, s.url+"/")
	u, _ := url.Parse(s.url)
	var session *http.Cookie
	for _, c := range s.client.Jar.Cookies(u) {
		if c.Name == "muster_session" {
			session = c
		}
	}
	if session == nil {
		t.Fatal("no session cookie")
	}
	body, sig, _ := strings.Cut(session.Value, ".")
	forged := base64.RawURLEncoding.EncodeToString([]byte(`{"e":"mallory@example.com","x":4102444800}`)) + "." + sig
	other := &http.Cookie{Name: "muster_signin", Value: session.Value} // a session passed off as the other cookie
	for _, value := range []string{forged, body + "." + sig[:len(sig)-2] + "AA", "garbage", ""} {
		c := newClient(t)
		c.Jar.SetCookies(u, []*http.Cookie{{Name: "muster_session", Value: value}, other})
		if code, _, _ := s.get(noFollow(c), s.url+"/"); code != http.StatusSeeOther {
			t.Errorf("session cookie %q: %d, want 303 to sign-in", value, code)
		}
	}
}

// callback runs a sign-in up to the provider's redirect back and returns
// the callback URL, without following it.
func (s *site) callback(c *http.Client) *url.URL {
	s.t.Helper()
	nf := noFollow(c)
	res, err := nf.Get(s.url + "/signin")
	if err != nil {
		s.t.Fatal(err)
	}
	res.Body.Close()
	res, err = nf.Get(res.Header.Get("Location"))
	if err != nil {
		s.t.Fatal(err)
	}
	res.Body.Close()
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil || back.Query().Get("code") == "" {
		s.t.Fatalf("the provider sent back %q", res.Header.Get("Location"))
	}
	return back
}

func TestCallbackRefusals(t *testing.T) {
	s := newSite(t)
	t.Run("wrong state", func(t *testing.T) {
		c := newClient(t)
		back := s.callback(c)
		q := back.Query()
		q.Set("state", "forged")
		back.RawQuery = q.Encode()
		if code, body, _ := s.get(c, back.String()); code != http.StatusBadRequest || !strings.Contains(body, "does not match") {
			t.Errorf("wrong state: %d %q", code, body)
		}
	})
	t.Run("no sign-in cookie", func(t *testing.T) {
		back := s.callback(newClient(t))
		if code, body, _ := s.get(newClient(t), back.String()); code != http.StatusBadRequest || !strings.Contains(body, "expired") {
			t.Errorf("callback in another browser: %d %q", code, body)
		}
	})
	t.Run("sign-in expired", func(t *testing.T) {
		c := newClient(t)
		back := s.callback(c)
		s.clock.Advance(11 * time.Minute)
		if code, body, _ := s.get(c, back.String()); code != http.StatusBadRequest || !strings.Contains(body, "expired") {
			t.Errorf("late callback: %d %q", code, body)
		}
	})
	t.Run("stolen code, other verifier", func(t *testing.T) {
		// The code of one sign-in, brought to the callback of another:
		// the state matches the attacker's own, but the PKCE verifier
		// is not the one the code was issued for.
		victim := s.callback(newClient(t))
		attacker := newClient(t)
		own := s.callback(attacker)
		q := own.Query()
		q.Set("code", victim.Query().Get("code"))
		own.RawQuery = q.Encode()
		if code, body, _ := s.get(attacker, own.String()); code != http.StatusForbidden || !strings.Contains(body, "invalid_grant") {
			t.Errorf("stolen code: %d %q", code, body)
		}
	})
	t.Run("replayed callback", func(t *testing.T) {
		c := newClient(t)
		back := s.callback(c)
		s.get(c, back.String())
		c.Jar.SetCookies(back, []*http.Cookie{{Name: "muster_session", Value: "x", MaxAge: -1}})
		if code, _, _ := s.get(c, back.String()); code != http.StatusBadRequest {
			t.Errorf("second use of a callback: %d, want 400", code)
		}
	})
	for _, tc := range []struct {
		name   string
		tamper func(map[string]any)
		want   string
	}{
		{"wrong nonce", func(c map[string]any) { c["nonce"] = "another" }, "not issued for this sign-in"},
		{"wrong audience", func(c map[string]any) { c["aud"] = "another-client" }, "could not be verified"},
		{"expired token", func(c map[string]any) { c["exp"] = t0.Add(-time.Hour).Unix() }, "could not be verified"},
		{"unverified e-mail", func(c map[string]any) { c["email_verified"] = false }, "is not verified"},
		{"no e-mail", func(c map[string]any) { delete(c, "email") }, "no e-mail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.provider.Tamper(tc.tamper)
			defer s.provider.Tamper(nil)
			code, body, _ := s.get(newClient(t), s.url+"/")
			if code != http.StatusForbidden || !strings.Contains(body, tc.want) {
				t.Errorf("%d %q, want 403 saying %q", code, body, tc.want)
			}
		})
	}
	t.Run("Entra's xms_edov", func(t *testing.T) {
		s.provider.Tamper(func(c map[string]any) { delete(c, "email_verified"); c["xms_edov"] = true })
		defer s.provider.Tamper(nil)
		if code, body, _ := s.get(newClient(t), s.url+"/"); code != http.StatusOK {
			t.Errorf("%d %q, want signed in", code, body)
		}
	})
}

func TestAllowedDomains(t *testing.T) {
	s := newSite(t, "example.com")
	if code, _, _ := s.get(s.client, s.url+"/"); code != http.StatusOK {
		t.Errorf("alice@example.com: %d", code)
	}
	for _, email := range []string{"mallory@evil.com", "mallory@example.com.evil.com", "mallory@sub.example.com"} {
		s.provider.SignInAs(fakeoidc.User{Email: email, Verified: true})
		code, body, _ := s.get(newClient(t), s.url+"/")
		if code != http.StatusForbidden || !strings.Contains(body, "accepts e-mail addresses at example.com") {
			t.Errorf("%s: %d %q", email, code, body)
		}
	}
}

func TestOpenRedirectRefused(t *testing.T) {
	s := newSite(t)
	for _, next := range []string{"https://evil.example", "//evil.example", "/\\evil.example", "evil", "http:/evil", "/\r\nLocation: https://evil"} {
		code, body, at := s.get(newClient(t), s.url+"/signin?next="+url.QueryEscape(next))
		if at.Host != strings.TrimPrefix(s.url, "http://") || code == http.StatusOK && !strings.Contains(body, "not a page") {
			t.Errorf("next=%q: ended at %s with %d %q", next, at, code, body)
		}
	}
	for next, want := range map[string]string{"": "/", "/incidents/3": "/incidents/3", "/?q=a%20b": "/?q=a%20b", "/signin?next=/x": "/"} {
		if got, ok := signin.SafeNext(next); !ok || got != want {
			t.Errorf("SafeNext(%q) = %q, %v; want %q", next, got, ok, want)
		}
	}
}

// TestProviderDownAtFirstSignIn: discovery waits for the first sign-in,
// a provider that is down then gets a 502 page, and the next sign-in
// tries again.
func TestProviderDownAtFirstSignIn(t *testing.T) {
	s := newSite(t)
	if n := s.provider.Discoveries(); n != 0 {
		t.Errorf("discovery asked %d times before any sign-in", n)
	}
	s.provider.SetDown(true)
	code, body, _ := s.get(s.client, s.url+"/")
	if code != http.StatusBadGateway || !strings.Contains(body, "cannot be reached") {
		t.Errorf("provider down: %d %q", code, body)
	}
	s.provider.SetDown(false)
	if code, _, _ := s.get(s.client, s.url+"/"); code != http.StatusOK {
		t.Errorf("provider back: %d", code)
	}
	if n := s.provider.Discoveries(); n != 2 {
		t.Errorf("discovery asked %d times, want 2 (the failure, then once for good)", n)
	}
}
