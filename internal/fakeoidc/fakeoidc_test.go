package fakeoidc

import (
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestTokenWantsTheVerifier: a code is redeemed only with the PKCE
// verifier of its challenge, and only once.
func TestTokenWantsTheVerifier(t *testing.T) {
	s, err := New("client", "secret", func() time.Time { return time.Unix(1700000000, 0) })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SignInAs(User{Email: "alice@example.com", Verified: true})
	const verifier = "the-verifier-of-this-sign-in-0123456789abcdef"
	sum := sha256.Sum256([]byte(verifier))
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	code := func() string {
		res, err := noRedirect.Get(s.Issuer() + "/authorize?" + url.Values{"client_id": {"client"}, "response_type": {"code"},
			"redirect_uri": {"http://127.0.0.1/cb"}, "state": {"st"}, "code_challenge": {b64(sum[:])}, "code_challenge_method": {"S256"}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		back, _ := url.Parse(res.Header.Get("Location"))
		return back.Query().Get("code")
	}
	redeem := func(code, verifier string) string {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"http://127.0.0.1/cb"},
			"client_id": {"client"}, "client_secret": {"secret"}}
		if verifier != "" {
			form.Set("code_verifier", verifier)
		}
		res, err := http.PostForm(s.Issuer()+"/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(res.Body).Decode(&body)
		if e, ok := body["error"].(string); ok {
			return e
		}
		return "ok"
	}
	if got := redeem(code(), ""); got != "invalid_grant" {
		t.Errorf("no verifier: %s, want invalid_grant", got)
	}
	if got := redeem(code(), strings.ToUpper(verifier)); got != "invalid_grant" {
		t.Errorf("another verifier: %s, want invalid_grant", got)
	}
	c := code()
	if got := redeem(c, verifier); got != "ok" {
		t.Errorf("the verifier: %s, want a token", got)
	}
	if got := redeem(c, verifier); got != "invalid_grant" {
		t.Errorf("the same code again: %s, want invalid_grant", got)
	}
}
