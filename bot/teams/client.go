package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/muster-bot/muster"
)

// Scopes of the two client-credentials tokens the bot needs.
const (
	connectorScope = "https://api.botframework.com/.default"
	graphScope     = "https://graph.microsoft.com/.default"
)

// tokens gets and caches client-credentials tokens from the Microsoft
// identity platform. msbotbuilder-go has a token client too, but it panics
// when the endpoint is unreachable, ignores error statuses and caches
// without a lock; the bot must survive all three.
type tokens struct {
	loginURL string // e.g. https://login.microsoftonline.com
	tenant   string // the bot's tenant; "botframework.com" for multi-tenant bots
	appID    string
	password string
	client   *http.Client
	now      func() time.Time
	called   func(method, result string) // told of each call to the login endpoint

	mu    sync.Mutex
	cache map[string]token // scope → token
}

type token struct {
	value   string
	expires time.Time
}

func (t *tokens) get(ctx context.Context, scope string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tok, ok := t.cache[scope]; ok && t.now().Before(tok.expires) {
		return tok.value, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {t.appID}, "client_secret": {t.password}, "scope": {scope}}
	endpoint := fmt.Sprintf("%s/%s/oauth2/v2.0/token", strings.TrimSuffix(t.loginURL, "/"), url.PathEscape(t.tenant))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("token for %s: %w", scope, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := t.client.Do(req)
	if err != nil {
		t.called("token", resultError)
		return "", fmt.Errorf("token for %s: the login endpoint is unreachable: %w", scope, err)
	}
	defer resp.Body.Close()
	t.called("token", statusResult(resp.StatusCode))
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		json.Unmarshal(body, &e)
		return "", fmt.Errorf("token for %s: HTTP %d %s (check TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID)", scope, resp.StatusCode, e.Error)
	}
	var r struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.AccessToken == "" {
		return "", fmt.Errorf("token for %s: no access_token in the answer", scope)
	}
	if t.cache == nil {
		t.cache = map[string]token{}
	}
	// Renewed five minutes early, so a token never expires in flight.
	t.cache[scope] = token{value: r.AccessToken, expires: t.now().Add(time.Duration(r.ExpiresIn)*time.Second - 5*time.Minute)}
	return r.AccessToken, nil
}

// api makes authenticated JSON calls to the Bot Connector and Graph.
type api struct {
	tokens *tokens
	client *http.Client
	wait   func(ctx context.Context, d time.Duration) error
	called func(method, result string) // told of each call attempt: connector or graph
}

// statusError is an HTTP error answer, with what the service said.
type statusError struct {
	Status int
	Code   string
	Body   string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("HTTP %d %s %s", e.Status, e.Code, strings.TrimSpace(e.Body))
}

// do sends v as JSON with a token for scope and decodes the answer into
// out. 429 and 5xx are retried (Retry-After, else backoff), three tries.
func (a *api) do(ctx context.Context, method, endpoint, scope string, v, out any) error {
	var body []byte
	if v != nil {
		var err error
		if body, err = json.Marshal(v); err != nil {
			return fmt.Errorf("%s %s: encode: %w", method, endpoint, err)
		}
	}
	for attempt := 1; ; attempt++ {
		err := a.once(ctx, method, endpoint, scope, body, out)
		var se *statusError
		if !errors.As(err, &se) || (se.Status != http.StatusTooManyRequests && se.Status < 500) || attempt == 3 {
			return err
		}
		wait := time.Duration(attempt) * time.Second
		if se.Code != "" {
			if n, perr := strconv.Atoi(se.Code); perr == nil {
				wait = time.Duration(n) * time.Second
			}
		}
		if werr := a.wait(ctx, wait); werr != nil {
			return errors.Join(err, werr)
		}
	}
}

func (a *api) once(ctx context.Context, method, endpoint, scope string, body []byte, out any) error {
	tok, err := a.tokens.get(ctx, scope)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, endpoint, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		a.called(service(scope), resultError)
		return fmt.Errorf("%s %s: %w", method, endpoint, err)
	}
	defer resp.Body.Close()
	a.called(service(scope), statusResult(resp.StatusCode))
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		se := &statusError{Status: resp.StatusCode, Body: string(raw)}
		if resp.StatusCode == http.StatusTooManyRequests {
			se.Code = resp.Header.Get("Retry-After") // seconds, read by do
		} else {
			var e struct {
				Error struct {
					Code string `json:"code"`
				} `json:"error"`
			}
			if json.Unmarshal(raw, &e) == nil {
				se.Code = e.Error.Code
			}
		}
		return fmt.Errorf("%s %s: %w", method, endpoint, se)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, endpoint, err)
		}
	}
	return nil
}

// Results of a call, for the Call hook.
const (
	resultOK          = "ok"
	resultRateLimited = "rate_limited"
	resultError       = "error"
)

func statusResult(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return resultRateLimited
	case status >= 300:
		return resultError
	}
	return resultOK
}

// service names the service a token's scope is for.
func service(scope string) string {
	if scope == graphScope {
		return "graph"
	}
	return "connector"
}

// createChannel makes a channel in a team through Microsoft Graph. A name
// already taken is a conflict, so the bot tries the next suffix.
func (a *api) createChannel(ctx context.Context, graphURL, teamID, name, description string, private bool) (string, error) {
	kind := "standard"
	if private {
		kind = "private"
	}
	var ch struct {
		ID string `json:"id"`
	}
	err := a.do(ctx, http.MethodPost, fmt.Sprintf("%s/teams/%s/channels", strings.TrimSuffix(graphURL, "/"), url.PathEscape(teamID)), graphScope,
		map[string]string{"displayName": name, "description": description, "membershipType": kind}, &ch)
	var se *statusError
	if errors.As(err, &se) && (se.Code == "NameAlreadyExists" || strings.Contains(se.Body, "already exists")) {
		return "", fmt.Errorf("create channel %s: %w", name, muster.Errorf(muster.ECONFLICT, "The channel name %s is taken.", name))
	}
	if err != nil {
		return "", fmt.Errorf("create channel %s: %w", name, err)
	}
	return ch.ID, nil
}
