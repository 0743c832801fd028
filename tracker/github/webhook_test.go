package github_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/muster-bot/muster/tracker"
	"github.com/muster-bot/muster/tracker/github"
	"github.com/muster-bot/muster/tracker/github/fakegithub"
)

const secret = "whsec-github-0123456789abcdef"

func read(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestVerify(t *testing.T) {
	body := read(t, "issues-closed.json")
	cases := []struct {
		name, header string
		body         []byte
		want         error
	}{
		{"good", fakegithub.Signature(body, secret), body, nil},
		{"another secret", fakegithub.Signature(body, "other"), body, tracker.ErrBadSignature},
		{"body changed", fakegithub.Signature(body, secret), body[1:], tracker.ErrBadSignature},
		{"missing", "", body, tracker.ErrNoSignature},
		{"sha1", "sha1=d03207e4b030cf234e3447bac4d93add4c6643d8", body, tracker.ErrNoSignature},
		{"truncated", fakegithub.Signature(body, secret)[:20], body, tracker.ErrBadSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := github.Verify(secret, c.body, c.header)
			if !errors.Is(err, c.want) || (err == nil) != (c.want == nil) {
				t.Errorf("Verify = %v, want %v", err, c.want)
			}
		})
	}
}

func TestParseWebhook(t *testing.T) {
	ref := tracker.Ref{ID: "2765432101", Key: "acme/web#42", Number: 42, URL: "https://github.com/acme/web/issues/42"}
	closedAt := time.Date(2026, 12, 9, 9, 15, 30, 0, time.UTC)
	cases := []struct {
		file string
		want tracker.Event
	}{
		{"issues-closed.json", tracker.Event{Ref: ref, Key: "muster-INC-12-action-3",
			State: tracker.State{Done: true, ClosedAt: closedAt}, Changed: true, At: closedAt}},
		{"issues-reopened.json", tracker.Event{Ref: ref, Key: "muster-INC-12-action-3",
			Changed: true, At: time.Date(2026, 12, 10, 8, 0, 0, 0, time.UTC)}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			ev, err := github.ParseWebhook("issues", read(t, c.file))
			if err != nil {
				t.Fatal(err)
			}
			if ev.Ref != c.want.Ref || ev.Key != c.want.Key || ev.State.Done != c.want.State.Done ||
				!ev.State.ClosedAt.Equal(c.want.State.ClosedAt) || ev.Changed != c.want.Changed || !ev.At.Equal(c.want.At) {
				t.Errorf("event\n%+v\nwant\n%+v", ev, c.want)
			}
		})
	}
}

func TestParseWebhookIgnoresOtherEvents(t *testing.T) {
	if _, err := github.ParseWebhook("ping", read(t, "ping.json")); !errors.Is(err, tracker.ErrIgnored) {
		t.Errorf("ping: %v, want ErrIgnored", err)
	}
	for _, bad := range []string{`{`, `{}`, `{"action":"closed"}`} {
		if _, err := github.ParseWebhook("issues", []byte(bad)); err == nil || errors.Is(err, tracker.ErrIgnored) {
			t.Errorf("ParseWebhook(%s) = %v, want an error", bad, err)
		}
	}
}

// A receiver as the bot will have one: verify, then parse, for the
// fake's deliveries of a close, a label and a reopen.
func TestFakeDeliveriesReachAReceiver(t *testing.T) {
	fake, gc := setup(t)
	ctx := context.Background()
	ref, err := gc.Create(ctx, item())
	if err != nil {
		t.Fatal(err)
	}
	var got []tracker.Event
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := github.Verify(secret, body, r.Header.Get(github.SignatureHeader)); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		ev, err := github.ParseWebhook(r.Header.Get(github.EventHeader), body)
		if errors.Is(err, tracker.ErrIgnored) {
			w.WriteHeader(http.StatusNoContent)
			return
		} else if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		ev.Delivery = r.Header.Get(github.DeliveryHeader)
		got = append(got, ev)
	}))
	defer recv.Close()
	send := func(event string, body []byte, secret string, want int) {
		t.Helper()
		code, err := fakegithub.SendWebhook(ctx, nil, recv.URL, event, body, secret, "72d3162e-cc78-11e3-81ab-4c9367dc0958")
		if err != nil {
			t.Fatal(err)
		}
		if code != want {
			t.Errorf("%s delivery answered %d, want %d", event, code, want)
		}
	}
	send("ping", read(t, "ping.json"), secret, http.StatusNoContent)
	fake.SetState(ref.Number, "closed")
	send("issues", fake.WebhookBody("closed", ref.Number), "", http.StatusUnauthorized)
	send("issues", fake.WebhookBody("closed", ref.Number), secret, http.StatusOK)
	send("issues", fake.WebhookBody("labeled", ref.Number), secret, http.StatusOK)
	fake.SetState(ref.Number, "open")
	send("issues", fake.WebhookBody("reopened", ref.Number), secret, http.StatusOK)
	if len(got) != 3 {
		t.Fatalf("events %+v", got)
	}
	if e := got[0]; !e.State.Done || !e.Changed || e.Key != item().Key || e.Ref != ref || e.Delivery == "" {
		t.Errorf("close event %+v (ref %+v)", e, ref)
	}
	if e := got[1]; !e.State.Done || e.Changed {
		t.Errorf("label event %+v, want done and no change", e)
	}
	if e := got[2]; e.State.Done || !e.Changed {
		t.Errorf("reopen event %+v", e)
	}
}

func FuzzParseWebhook(f *testing.F) {
	for _, name := range []string{"issues-closed.json", "issues-reopened.json"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := github.ParseWebhook("issues", body)
		if err == nil && ev.Ref.Number == 0 {
			t.Errorf("an event without an issue number: %+v", ev)
		}
	})
}
