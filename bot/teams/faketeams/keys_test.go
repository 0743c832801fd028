package faketeams_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/jwk"
	"github.com/lestrrat-go/jwx/jwt"

	"github.com/muster-bot/muster/bot/teams/faketeams"
)

// fetchKeys follows the OpenID metadata to the JWKS, as a bot does.
func fetchKeys(t *testing.T, s *faketeams.Server) jwk.Set {
	t.Helper()
	status, body := do(t, "GET", s.OpenIDMetadataURL(), "", nil)
	if status != http.StatusOK {
		t.Fatalf("metadata: %d", status)
	}
	var meta struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	decode(t, body, &meta)
	if meta.Issuer != "https://api.botframework.com" || meta.JWKSURI != s.URL()+"/keys" || len(meta.Algs) != 1 || meta.Algs[0] != "RS256" {
		t.Fatalf("metadata = %+v", meta)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	set, err := jwk.Fetch(ctx, meta.JWKSURI, jwk.WithHTTPClient(httpClient()))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func validate(set jwk.Set, token, aud, serviceURL string) error {
	_, err := jwt.ParseString(token,
		jwt.WithKeySet(set),
		jwt.InferAlgorithmFromKey(true), // the Bot Framework JWKS has no "alg"
		jwt.WithValidate(true),
		jwt.WithIssuer("https://api.botframework.com"),
		jwt.WithAudience(aud),
		jwt.WithClaimValue("serviceurl", serviceURL),
	)
	return err
}

func TestTokenAgainstJWKS(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	set := fetchKeys(t, s)
	svc := s.ServiceURL()
	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"valid", s.Token(appID, svc), true},
		{"signed by a stranger", s.Token(appID, svc, faketeams.SignedByStranger()), false},
		{"expired", s.Token(appID, svc, faketeams.WithExpiry(time.Now().Add(-time.Hour))), false},
		{"other audience", s.Token(appID, svc, faketeams.WithAudience("someone-else")), false},
		{"other issuer", s.Token(appID, svc, faketeams.WithIssuer("https://sts.windows.net/x/")), false},
		{"other serviceurl", s.Token(appID, svc, faketeams.WithServiceURL("https://evil.example/")), false},
		{"unknown kid", s.Token(appID, svc, faketeams.WithKeyID("nobody")), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validate(set, tt.token, appID, svc)
			if tt.ok && err != nil {
				t.Fatalf("want valid, got %v", err)
			}
			if !tt.ok && err == nil {
				t.Fatal("want invalid, got valid")
			}
		})
	}
}

func TestJWKSShape(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, body := do(t, "GET", s.URL()+"/keys", "", nil)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	decode(t, body, &set)
	if len(set.Keys) != 1 {
		t.Fatalf("keys = %d", len(set.Keys))
	}
	k := set.Keys[0]
	for _, f := range []string{"kid", "kty", "n", "e", "use"} {
		if k[f] == nil || k[f] == "" {
			t.Errorf("key lacks %s: %v", f, k)
		}
	}
	if e, _ := json.Marshal(k["endorsements"]); string(e) != `["msteams"]` {
		t.Errorf("endorsements = %s", e)
	}
}

func TestRotateKeys(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	old := s.Token(appID, s.ServiceURL())
	s.RotateKeys()
	fresh := s.Token(appID, s.ServiceURL())
	set := fetchKeys(t, s)
	if set.Len() != 2 {
		t.Fatalf("JWKS has %d keys after rotation, want 2", set.Len())
	}
	for name, tok := range map[string]string{"old": old, "new": fresh} {
		if err := validate(set, tok, appID, s.ServiceURL()); err != nil {
			t.Errorf("%s token: %v", name, err)
		}
	}
}
