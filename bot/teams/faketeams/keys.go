package faketeams

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v4"
)

// Issuer is the iss of Bot Framework tokens, and the issuer in the metadata.
const Issuer = "https://api.botframework.com"

type signingKey struct {
	kid string
	key *rsa.PrivateKey
}

func newSigningKey() signingKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("faketeams: generate RSA key: " + err.Error())
	}
	return signingKey{kid: "fake-" + randomHex(8), key: k}
}

// OpenIDMetadataURL is the address of the OpenID metadata document, the fake
// of https://login.botframework.com/v1/.well-known/openidconfiguration. Its
// jwks_uri is URL()+"/keys".
func (s *Server) OpenIDMetadataURL() string {
	return s.URL() + "/v1/.well-known/openidconfiguration"
}

func (s *Server) handleOpenID(w http.ResponseWriter, _ *http.Request, _ []string) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                Issuer,
		"authorization_endpoint":                "https://invalid.botframework.com",
		"jwks_uri":                              s.URL() + "/keys",
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"private_key_jwt"},
	})
}

// handleKeys serves every signing key ever used (RotateKeys keeps the old).
func (s *Server) handleKeys(w http.ResponseWriter, _ *http.Request, _ []string) {
	s.mu.Lock()
	keys := make([]map[string]any, 0, len(s.keys))
	for _, k := range s.keys {
		keys = append(keys, map[string]any{
			"kty":          "RSA",
			"use":          "sig",
			"kid":          k.kid,
			"x5t":          k.kid,
			"n":            b64(k.key.N.Bytes()),
			"e":            b64(big.NewInt(int64(k.key.E)).Bytes()),
			"endorsements": []string{"msteams"},
		})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// RotateKeys makes a new signing key; the JWKS then serves the old and the
// new, and Token signs with the new.
func (s *Server) RotateKeys() {
	k := newSigningKey()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, k)
}

// TokenOption changes a token minted by Token.
type TokenOption func(*tokenSpec)

type tokenSpec struct {
	claims   jwt.MapClaims
	kid      string
	stranger bool
}

// WithExpiry sets exp. A time in the past makes an expired token (nbf is
// moved before it).
func WithExpiry(t time.Time) TokenOption {
	return func(sp *tokenSpec) { sp.claims["exp"] = t.Unix() }
}

// WithIssuer sets iss.
func WithIssuer(iss string) TokenOption {
	return func(sp *tokenSpec) { sp.claims["iss"] = iss }
}

// WithAudience sets aud.
func WithAudience(aud string) TokenOption {
	return func(sp *tokenSpec) { sp.claims["aud"] = aud }
}

// WithServiceURL sets the serviceurl claim.
func WithServiceURL(u string) TokenOption {
	return func(sp *tokenSpec) { sp.claims["serviceurl"] = u }
}

// WithKeyID sets the kid header, e.g. to one the JWKS does not have. The
// token is still signed with the current key.
func WithKeyID(kid string) TokenOption {
	return func(sp *tokenSpec) { sp.kid = kid }
}

// SignedByStranger signs with an RSA key that is not in the JWKS, under the
// current key's kid (so a validator finds a key and the signature fails).
// Combine with WithKeyID to use another kid.
func SignedByStranger() TokenOption {
	return func(sp *tokenSpec) { sp.stranger = true }
}

// Token mints an RS256 token as the Bot Connector sends in the Authorization
// header of an inbound activity: iss https://api.botframework.com, aud appID,
// serviceurl serviceURL, nbf five minutes ago, exp in an hour, kid of the
// current signing key. Use it as "Bearer " + Token(...).
func (s *Server) Token(appID, serviceURL string, opts ...TokenOption) string {
	now := time.Now()
	sp := &tokenSpec{claims: jwt.MapClaims{
		"iss":        Issuer,
		"aud":        appID,
		"serviceurl": serviceURL,
		"nbf":        now.Add(-5 * time.Minute).Unix(),
		"exp":        now.Add(time.Hour).Unix(),
	}}
	for _, o := range opts {
		o(sp)
	}
	if exp, nbf := sp.claims["exp"].(int64), sp.claims["nbf"].(int64); exp <= nbf {
		sp.claims["nbf"] = exp - int64(time.Hour/time.Second)
	}

	s.mu.Lock()
	key := s.keys[len(s.keys)-1]
	if sp.stranger {
		if s.stranger == nil {
			k := newSigningKey()
			s.stranger = &k
		}
		key = signingKey{kid: key.kid, key: s.stranger.key}
	}
	s.mu.Unlock()
	if sp.kid != "" {
		key.kid = sp.kid
	}

	t := jwt.NewWithClaims(jwt.SigningMethodRS256, sp.claims)
	t.Header["kid"] = key.kid
	t.Header["x5t"] = key.kid
	signed, err := t.SignedString(key.key)
	if err != nil {
		panic("faketeams: sign token: " + err.Error())
	}
	return signed
}
