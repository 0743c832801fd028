package trackerhook_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster/bot/trackerhook"
	"github.com/muster-bot/muster/internal/inbound"
	"github.com/muster-bot/muster/tracker"
	"github.com/muster-bot/muster/tracker/github"
	"github.com/muster-bot/muster/tracker/github/fakegithub"
)

const secret = "hook-secret"

type received struct {
	mu     sync.Mutex
	events []tracker.Event
}

func (r *received) TrackerEvent(ctx context.Context, ev tracker.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return nil
}

// TestGitHubHook: a signed "issues" delivery reaches the receiver with
// its delivery id and the issue's state; a ping is answered and ignored; a
// wrong or missing signature is 401, a body over MaxBody 413, and neither
// reaches the receiver.
func TestGitHubHook(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC) }
	fg := fakegithub.New(t, "tok", "acme/web", now)
	c, err := github.New(github.Config{APIURL: fg.URL, Repo: "acme/web", Token: "tok"}, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := c.Create(context.Background(), tracker.Issue{Key: tracker.Key(3, 2), Title: "Add a canary stage"})
	if err != nil {
		t.Fatal(err)
	}
	fg.SetState(ref.Number, "closed")
	rcv := &received{}
	srv := httptest.NewServer(trackerhook.GitHub(secret, inbound.NewGate(4, zerolog.Nop()), rcv, zerolog.Nop()))
	defer srv.Close()
	body := fg.WebhookBody("closed", ref.Number)
	send := func(event string, body []byte, secret, delivery string) int {
		t.Helper()
		code, err := fakegithub.SendWebhook(context.Background(), nil, srv.URL, event, body, secret, delivery)
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	if code := send("issues", body, secret, "dl-1"); code != http.StatusNoContent {
		t.Fatalf("signed delivery: %d", code)
	}
	if len(rcv.events) != 1 || rcv.events[0].Delivery != "dl-1" || rcv.events[0].Key != "muster-INC-3-action-2" || !rcv.events[0].State.Done || rcv.events[0].Ref.ID != ref.ID {
		t.Fatalf("received %+v; want the closed issue with its delivery id and muster's key", rcv.events)
	}
	for _, tc := range []struct {
		name, event, secret string
		body                []byte
		want                int
	}{
		{"ping", "ping", secret, []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`), http.StatusNoContent},
		{"forged", "issues", "wrong", body, http.StatusUnauthorized},
		{"unsigned", "issues", "", body, http.StatusUnauthorized},
		{"too large", "issues", secret, bytes.Repeat([]byte(" "), trackerhook.MaxBody+1), http.StatusRequestEntityTooLarge},
		{"malformed", "issues", secret, []byte(`{"action":`), http.StatusBadRequest},
	} {
		if code := send(tc.event, tc.body, tc.secret, "dl-"+tc.name); code != tc.want {
			t.Errorf("%s: %d; want %d", tc.name, code, tc.want)
		}
	}
	if len(rcv.events) != 1 {
		t.Errorf("received %d events; only the signed issues delivery may reach the bot", len(rcv.events))
	}
}
