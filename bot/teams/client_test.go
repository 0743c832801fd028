package teams

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// TestCallHook: every attempt to the login endpoint, the Bot Connector and
// Graph is reported with its result; a cached token is no call.
func TestCallHook(t *testing.T) {
	var mu sync.Mutex
	limited := 1 // the connector answers 429 this many times
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token"):
			w.Write([]byte(`{"access_token":"tok","expires_in":3600}`))
		case strings.HasPrefix(r.URL.Path, "/connector/") && limited > 0:
			limited--
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		case strings.HasPrefix(r.URL.Path, "/connector/"):
			w.Write([]byte(`{"id":"1"}`))
		default:
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"error":{"code":"Forbidden"}}`))
		}
	}))
	defer srv.Close()
	var calls []string
	p := New(Config{
		AppID: "app", AppPassword: "pw", LoginURL: srv.URL, GraphURL: srv.URL + "/graph", ServiceURL: srv.URL + "/connector/",
		Wait: func(context.Context, time.Duration) error { return nil },
		Call: func(method, result string) { calls = append(calls, method+" "+result) },
	}, nil, zerolog.Nop())
	ctx := context.Background()
	if err := p.api.do(ctx, http.MethodPost, srv.URL+"/connector/v3/conversations/c/activities", connectorScope, map[string]string{"text": "hi"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := p.api.createChannel(ctx, srv.URL+"/graph", "team", "inc-1", "", false); err == nil {
		t.Fatal("Graph answered 403, yet the channel was made")
	}
	want := []string{"token ok", "connector rate_limited", "connector ok", "token ok", "graph error"}
	if strings.Join(calls, "; ") != strings.Join(want, "; ") {
		t.Errorf("calls = %q, want %q", calls, want)
	}
}
