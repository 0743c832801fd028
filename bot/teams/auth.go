package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/infracloudio/msbotbuilder-go/connector/auth"
	"github.com/infracloudio/msbotbuilder-go/schema"
	"github.com/lestrrat-go/jwx/jwk"
	"github.com/lestrrat-go/jwx/jwt"
)

// botFrameworkIssuer is the issuer of the tokens the Bot Connector sends.
const botFrameworkIssuer = "https://api.botframework.com"

// keysMaxAge is how long signing keys are trusted before they are fetched
// again; an unknown key id refetches sooner, at most once a minute.
const keysMaxAge = 24 * time.Hour

// validator checks the Bot Framework JWT on every inbound request. It
// replaces msbotbuilder-go's own, which reads its signing keys from a
// hard-wired address (so no test can reach it), fetches them on every
// request and leaks the response bodies; the checks are the same: RS256
// signature from the published keys, issuer, audience = our app id, the
// serviceurl claim equal to the activity's serviceUrl, and the validity
// window. It implements msbotbuilder-go's auth.TokenValidator.
type validator struct {
	appID       string
	metadataURL string
	client      *http.Client
	now         func() time.Time

	mu      sync.Mutex
	keys    jwk.Set
	fetched time.Time
}

var _ auth.TokenValidator = (*validator)(nil)

// ErrUnauthorized is what every authentication failure wraps; its text
// never includes the token.
var ErrUnauthorized = errors.New("teams: request not authenticated")

// AuthenticateRequest validates authHeader for activity.
func (v *validator) AuthenticateRequest(ctx context.Context, activity schema.Activity, authHeader string, _ auth.CredentialProvider, _ string) (auth.ClaimsIdentity, error) {
	raw, ok := strings.CutPrefix(authHeader, "Bearer ")
	if !ok || raw == "" {
		return nil, fmt.Errorf("%w: no bearer token", ErrUnauthorized)
	}
	keys, err := v.keySet(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("%w: signing keys: %v", ErrUnauthorized, err)
	}
	tok, err := v.parse(raw, keys)
	if err != nil && strings.Contains(err.Error(), "failed to find key") {
		// The keys rotated since we fetched them.
		if keys, kerr := v.keySet(ctx, true); kerr == nil {
			tok, err = v.parse(raw, keys)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnauthorized, err)
	}
	claimed, _ := tok.Get("serviceurl")
	if s, _ := claimed.(string); s == "" || !sameServiceURL(s, activity.ServiceURL) {
		return nil, fmt.Errorf("%w: serviceurl claim does not match the activity", ErrUnauthorized)
	}
	return auth.NewClaimIdentity(map[string]any{"aud": v.appID, "iss": tok.Issuer(), "serviceurl": claimed}, true), nil
}

func (v *validator) parse(raw string, keys jwk.Set) (jwt.Token, error) {
	return jwt.ParseString(raw,
		jwt.WithKeySet(keys),
		// The Bot Framework publishes its keys without "alg"; they are RSA
		// keys for RS256, which the key type tells.
		jwt.InferAlgorithmFromKey(true),
		jwt.WithValidate(true),
		jwt.WithIssuer(botFrameworkIssuer),
		jwt.WithAudience(v.appID),
		jwt.WithAcceptableSkew(5*time.Minute),
		jwt.WithClock(jwt.ClockFunc(v.now)),
	)
}

func sameServiceURL(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}

// keySet returns the signing keys, fetching them when stale or when
// refresh is asked (an unknown key id), at most once a minute.
func (v *validator) keySet(ctx context.Context, refresh bool) (jwk.Set, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	age := v.now().Sub(v.fetched)
	if v.keys != nil && age < keysMaxAge && (!refresh || age < time.Minute) {
		return v.keys, nil
	}
	keys, err := v.fetch(ctx)
	if err != nil {
		if v.keys != nil {
			return v.keys, nil // keep serving with the keys we have
		}
		return nil, err
	}
	v.keys, v.fetched = keys, v.now()
	return keys, nil
}

func (v *validator) fetch(ctx context.Context) (jwk.Set, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.metadataURL, nil)
	if err != nil {
		return nil, fmt.Errorf("openid metadata: %w", err)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("openid metadata: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("openid metadata: HTTP %d", resp.StatusCode)
	}
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&meta); err != nil || meta.JWKSURI == "" {
		return nil, fmt.Errorf("openid metadata: no jwks_uri")
	}
	keys, err := jwk.Fetch(ctx, meta.JWKSURI, jwk.WithHTTPClient(v.client))
	if err != nil {
		return nil, fmt.Errorf("signing keys from %s: %w", meta.JWKSURI, err)
	}
	return keys, nil
}
