package signin

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Cookie names: the session, and the sign-in under way (state, nonce,
// PKCE verifier and the page asked for, between /signin and the callback).
const (
	sessionCookie = "muster_session"
	flowCookie    = "muster_signin"
)

// sessionKey derives the key that signs the cookies from the client
// secret. Every replica has that secret already, so every replica accepts
// the sessions of every other without a key of its own to configure and
// keep equal; and rotating the secret at the provider signs everyone out,
// which is what rotating it is for. HKDF with a label of its own keeps the
// derived key unrelated to the secret as the provider uses it.
func sessionKey(clientSecret string) ([]byte, error) {
	key, err := hkdf.Key(sha256.New, []byte(clientSecret), nil, "muster web session cookies v1", 32)
	if err != nil {
		return nil, fmt.Errorf("derive the session key: %w", err)
	}
	return key, nil
}

// seal is a cookie value: v as JSON, and an HMAC-SHA256 over the cookie's
// name and that JSON, so that one cookie's value cannot stand for another.
func seal(key []byte, name string, v any) (string, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode cookie %s: %w", name, err)
	}
	enc := base64.RawURLEncoding.EncodeToString(body)
	return enc + "." + base64.RawURLEncoding.EncodeToString(mac(key, name, enc)), nil
}

// unseal reads a value written by seal into v, reporting whether the
// signature holds.
func unseal(key []byte, name, value string, v any) bool {
	enc, sig, ok := strings.Cut(value, ".")
	if !ok {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(key, name, enc)) {
		return false
	}
	body, err := base64.RawURLEncoding.DecodeString(enc)
	return err == nil && json.Unmarshal(body, v) == nil
}

func mac(key []byte, name, enc string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(name + "\x00" + enc))
	return h.Sum(nil)
}

// setCookie writes a cookie muster's pages all share: HttpOnly (no script
// reads it), Secure when the pages are served over https, SameSite=Lax
// (sent on the provider's redirect back, a top-level GET, and on links
// followed from elsewhere; not on other sites' POSTs), for the whole site.
// The browser keeps it for lasts (Max-Age, relative, so that a clock
// apart from the browser's cannot shorten it); the expiry signed inside
// is what muster checks. An empty value deletes the cookie.
func (a *Auth) setCookie(w http.ResponseWriter, name, value string, lasts time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode,
		MaxAge: int(lasts / time.Second)}
	if value == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}
