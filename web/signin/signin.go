// Package signin signs people in to muster's pages with OpenID Connect:
// the authorization code flow with PKCE, state and nonce, the ID token
// verified with go-oidc, and a session kept in a signed cookie. It knows
// nothing of incidents; the pages ask it who is signed in.
package signin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/rs/zerolog"
	"golang.org/x/oauth2"
)

// Config is the provider muster signs people in with.
type Config struct {
	Issuer, ClientID, ClientSecret string
	// PublicURL is where people reach the pages, without a trailing
	// slash; the provider redirects back to PublicURL/auth/callback.
	PublicURL string
	// AllowedDomains are the lowercase e-mail domains that may sign in;
	// empty, any e-mail the issuer says is verified.
	AllowedDomains []string
	// Session is how long a sign-in lasts (12h when zero).
	Session time.Duration
	// Timeout bounds each call to the provider (10s when zero).
	Timeout time.Duration
	// HTTPClient calls the provider; nil, a client with Timeout.
	HTTPClient *http.Client
	// Now is the clock of sessions and of the ID tokens' expiry.
	Now func() time.Time
}

// Defaults of Config.
const (
	DefaultSession = 12 * time.Hour
	defaultTimeout = 10 * time.Second
	// flowFor is how long a person has at the provider before the
	// sign-in under way expires.
	flowFor = 10 * time.Minute
)

// Auth serves the sign-in routes (GET /signin, GET /auth/callback, POST
// /signout) and tells who is signed in.
type Auth struct {
	cfg    Config
	key    []byte
	secure bool
	log    zerolog.Logger
	mux    *http.ServeMux
	page   *template.Template

	mu       sync.Mutex // held while discovering, so one request asks at a time
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// New returns the sign-in of cfg. It does not reach the provider: that
// happens at the first sign-in (and again at the next, until it worked),
// so that a provider down when muster starts costs sign-ins, not the
// start.
func New(cfg Config, log zerolog.Logger) (*Auth, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.ClientSecret == "" || cfg.PublicURL == "" {
		return nil, errors.New("sign-in needs an issuer, a client id, a client secret and the public URL")
	}
	if cfg.Session <= 0 {
		cfg.Session = DefaultSession
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: cfg.Timeout}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	key, err := sessionKey(cfg.ClientSecret)
	if err != nil {
		return nil, err
	}
	a := &Auth{cfg: cfg, key: key, secure: strings.HasPrefix(cfg.PublicURL, "https://"),
		log: log, mux: http.NewServeMux(), page: template.Must(template.New("page").Parse(pageHTML))}
	a.mux.HandleFunc("GET /signin", a.start)
	a.mux.HandleFunc("GET /auth/callback", a.callback)
	a.mux.HandleFunc("POST /signout", a.signOut)
	return a, nil
}

// ServeHTTP serves the sign-in routes.
func (a *Auth) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// session is what the session cookie holds.
type session struct {
	Email   string `json:"e"`
	Name    string `json:"n,omitempty"`
	Expires int64  `json:"x"` // Unix seconds
}

// flow is what the sign-in cookie holds between /signin and the callback.
type flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"p"`
	Expires  int64  `json:"x"`
}

// Email is the e-mail of the person signed in on r, if any: a session
// cookie signed by muster and not expired.
func (a *Auth) Email(r *http.Request) (string, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", false
	}
	var s session
	if !unseal(a.key, sessionCookie, c.Value, &s) || s.Email == "" || !a.cfg.Now().Before(time.Unix(s.Expires, 0)) {
		return "", false
	}
	return s.Email, true
}

// start serves GET /signin?next=/page: it sends the browser to the
// provider, remembering in the sign-in cookie what the callback checks.
func (a *Auth) start(w http.ResponseWriter, r *http.Request) {
	next, ok := SafeNext(r.URL.Query().Get("next"))
	if !ok {
		a.refuse(w, http.StatusBadRequest, "Not a page of this site",
			fmt.Sprintf("next=%q is not a page of this site; give a path on it, such as /incidents/42.", r.URL.Query().Get("next")))
		return
	}
	conf, _, err := a.discover(r.Context())
	if err != nil {
		a.unreachable(w, err)
		return
	}
	f := flow{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(), Next: next,
		Expires: a.cfg.Now().Add(flowFor).Unix()}
	value, err := seal(a.key, flowCookie, f)
	if err != nil {
		a.log.Error().Err(err).Msg("start sign-in")
		http.Error(w, "Sign-in could not start; the error is logged.", http.StatusInternalServerError)
		return
	}
	a.setCookie(w, flowCookie, value, flowFor)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, conf.AuthCodeURL(f.State, oauth2.S256ChallengeOption(f.Verifier), oidc.Nonce(f.Nonce)), http.StatusSeeOther)
}

// callback serves GET /auth/callback, where the provider sends the
// browser back with a code: the state must be this browser's, the code
// is redeemed with the PKCE verifier, the ID token must be the provider's,
// for muster, with this sign-in's nonce, naming a verified e-mail of an
// allowed domain. Then the session starts.
func (a *Auth) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f flow
	c, err := r.Cookie(flowCookie)
	if err != nil || !unseal(a.key, flowCookie, c.Value, &f) || !a.cfg.Now().Before(time.Unix(f.Expires, 0)) {
		a.refuse(w, http.StatusBadRequest, "Sign-in expired",
			"This sign-in expired or was started in another browser. Sign in again.")
		return
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		a.log.Warn().Msg("sign-in refused: the state does not match this browser's sign-in")
		a.refuse(w, http.StatusBadRequest, "Sign-in expired",
			"This sign-in does not match the one this browser started. Sign in again.")
		return
	}
	a.setCookie(w, flowCookie, "", 0) // one use
	if e := q.Get("error"); e != "" {
		a.refuse(w, http.StatusForbidden, "Sign-in refused", fmt.Sprintf("The provider did not sign you in (%s).", e))
		return
	}
	conf, verifier, err := a.discover(r.Context())
	if err != nil {
		a.unreachable(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.cfg.Timeout)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, a.cfg.HTTPClient)
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			a.log.Warn().Str("error", re.ErrorCode).Msg("sign-in refused: the provider did not redeem the code")
			a.refuse(w, http.StatusForbidden, "Sign-in refused", fmt.Sprintf("The provider did not accept this sign-in (%s). Sign in again.", cmpOr(re.ErrorCode, "no reason given")))
			return
		}
		a.unreachable(w, fmt.Errorf("redeem the sign-in code: %w", err))
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		a.refuse(w, http.StatusForbidden, "Sign-in refused", "The provider sent no ID token; check that the client asks for the openid scope.")
		return
	}
	id, err := verifier.Verify(ctx, raw)
	if err != nil {
		a.log.Warn().Err(err).Msg("sign-in refused: the ID token does not verify")
		a.refuse(w, http.StatusForbidden, "Sign-in refused", "The provider's ID token could not be verified. Sign in again.")
		return
	}
	if subtle.ConstantTimeCompare([]byte(id.Nonce), []byte(f.Nonce)) != 1 {
		a.log.Warn().Msg("sign-in refused: the ID token's nonce is not this sign-in's")
		a.refuse(w, http.StatusForbidden, "Sign-in refused", "The provider's ID token was not issued for this sign-in. Sign in again.")
		return
	}
	var claims claims
	if err := id.Claims(&claims); err != nil {
		a.refuse(w, http.StatusForbidden, "Sign-in refused", "The provider's ID token could not be read.")
		return
	}
	if msg := a.admit(claims); msg != "" {
		a.log.Info().Str("email", claims.Email).Str("reason", msg).Msg("sign-in refused")
		a.refuse(w, http.StatusForbidden, "Sign-in refused", msg)
		return
	}
	s := session{Email: strings.ToLower(claims.Email), Name: claims.Name, Expires: a.cfg.Now().Add(a.cfg.Session).Unix()}
	value, err := seal(a.key, sessionCookie, s)
	if err != nil {
		a.log.Error().Err(err).Msg("start session")
		http.Error(w, "The session could not start; the error is logged.", http.StatusInternalServerError)
		return
	}
	a.setCookie(w, sessionCookie, value, a.cfg.Session)
	a.log.Info().Str("email", s.Email).Msg("signed in")
	http.Redirect(w, r, f.Next, http.StatusSeeOther)
}

// signOut serves POST /signout: the session cookie goes.
func (a *Auth) signOut(w http.ResponseWriter, r *http.Request) {
	a.setCookie(w, sessionCookie, "", 0)
	a.show(w, http.StatusOK, "Signed out", "You are signed out of muster.")
}

// unreachable answers a sign-in the provider could not be asked about.
func (a *Auth) unreachable(w http.ResponseWriter, err error) {
	a.log.Warn().Err(err).Str("issuer", a.cfg.Issuer).Msg("the sign-in provider cannot be reached; the next sign-in tries again")
	a.refuse(w, http.StatusBadGateway, "Sign-in unavailable",
		fmt.Sprintf("The sign-in provider %s cannot be reached just now. Try again in a minute.", a.cfg.Issuer))
}

// discover asks the provider for its endpoints and keys once it answers:
// the first sign-in does, bounded by the timeout, and a failure is tried
// again by the next.
func (a *Auth) discover(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.oauth != nil {
		return a.oauth, a.verifier, nil
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, a.cfg.HTTPClient), a.cfg.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("discover the sign-in provider %s: %w", a.cfg.Issuer, err)
	}
	a.oauth = &oauth2.Config{
		ClientID: a.cfg.ClientID, ClientSecret: a.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: a.cfg.PublicURL + "/auth/callback", Scopes: []string{oidc.ScopeOpenID, "email", "profile"},
	}
	a.verifier = p.Verifier(&oidc.Config{ClientID: a.cfg.ClientID, Now: a.cfg.Now})
	a.log.Info().Str("issuer", a.cfg.Issuer).Msg("sign-in provider discovered")
	return a.oauth, a.verifier, nil
}

// random is 32 bytes from crypto/rand, URL-safe.
func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// SafeNext returns next as the page to go to after signing in, if it is a
// path on this site ("/" when empty): an absolute URL, a
// scheme-relative //host, or a backslash that browsers read as a slash
// would send the person elsewhere.
func SafeNext(next string) (string, bool) {
	if next == "" {
		return "/", true
	}
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\x00\r\n\t") {
		return "", false
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "", false
	}
	if u.Path == "/signin" || strings.HasPrefix(u.Path, "/auth/") {
		return "/", true // not back into sign-in
	}
	return next, true
}

// refuse shows a short page saying why.
func (a *Auth) refuse(w http.ResponseWriter, code int, title, msg string) {
	a.show(w, code, title, msg)
}

func (a *Auth) show(w http.ResponseWriter, code int, title, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = a.page.Execute(w, struct{ Title, Message string }{title, msg})
}

const pageHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{{.Title}} · muster</title>
<link rel="stylesheet" href="/static/muster.css">
</head>
<body>
<header class="site"><a href="/" class="brand">muster</a></header>
<main>
<h1>{{.Title}}</h1>
<p class="notice">{{.Message}}</p>
<p><a href="/signin">Sign in</a></p>
</main>
</body>
</html>
`
