package jira_test

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
	"github.com/muster-bot/muster/tracker/jira"
	"github.com/muster-bot/muster/tracker/jira/fakejira"
)

const secret = "whsec-jira-0123456789abcdef"

func TestVerify(t *testing.T) {
	body, err := os.ReadFile("testdata/issue-updated-done.json")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, header string
		body         []byte
		want         error
	}{
		{"good", fakejira.Signature(body, secret), body, nil},
		{"another secret", fakejira.Signature(body, "other"), body, tracker.ErrBadSignature},
		{"body changed", fakejira.Signature(body, secret), append([]byte(" "), body...), tracker.ErrBadSignature},
		{"missing", "", body, tracker.ErrNoSignature},
		{"another method", "sha1=" + fakejira.Signature(body, secret)[7:47], body, tracker.ErrNoSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := jira.Verify(secret, c.body, c.header)
			if !errors.Is(err, c.want) || (err == nil) != (c.want == nil) {
				t.Errorf("Verify = %v, want %v", err, c.want)
			}
		})
	}
}

func TestParseWebhookOfADoneIssue(t *testing.T) {
	body, err := os.ReadFile("testdata/issue-updated-done.json")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := jira.ParseWebhook(body)
	if err != nil {
		t.Fatal(err)
	}
	want := tracker.Event{
		Ref:     tracker.Ref{ID: "10068", Key: "OPS-12", URL: "https://acme.atlassian.net/browse/OPS-12"},
		Key:     "muster-INC-12-action-3",
		State:   tracker.State{Done: true, ClosedAt: time.Date(2026, 12, 9, 9, 15, 30, 0, time.UTC)},
		Changed: true,
		At:      time.Date(2026, 12, 9, 9, 15, 30, 123e6, time.UTC),
	}
	if ev.Ref != want.Ref || ev.Key != want.Key || ev.State.Done != want.State.Done || !ev.State.ClosedAt.Equal(want.State.ClosedAt) ||
		ev.Changed != want.Changed || !ev.At.Equal(want.At) {
		t.Errorf("event\n%+v\nwant\n%+v", ev, want)
	}
}

func TestParseWebhookIgnoresOtherEvents(t *testing.T) {
	body, err := os.ReadFile("testdata/comment-created.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jira.ParseWebhook(body); !errors.Is(err, tracker.ErrIgnored) {
		t.Errorf("comment_created: %v, want ErrIgnored", err)
	}
	for _, bad := range []string{`{`, `{}`, `{"webhookEvent":"jira:issue_updated"}`} {
		if _, err := jira.ParseWebhook([]byte(bad)); err == nil || errors.Is(err, tracker.ErrIgnored) {
			t.Errorf("ParseWebhook(%s) = %v, want an error", bad, err)
		}
	}
}

// A receiver as the bot will have one: verify, then parse. The fake's
// deliveries of a reopen and of an edit reach it signed.
func TestFakeDeliveriesReachAReceiver(t *testing.T) {
	fake, jc := setup(t)
	ctx := context.Background()
	ref, err := jc.Create(ctx, item())
	if err != nil {
		t.Fatal(err)
	}
	var got []tracker.Event
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := jira.Verify(secret, body, r.Header.Get(jira.SignatureHeader)); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		ev, err := jira.ParseWebhook(body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		ev.Delivery = r.Header.Get(jira.DeliveryHeader)
		got = append(got, ev)
	}))
	defer recv.Close()
	at := time.Date(2026, 12, 9, 9, 15, 30, 0, time.UTC)
	send := func(body []byte, secret string) int {
		t.Helper()
		code, err := fakejira.SendWebhook(ctx, nil, recv.URL, body, secret, "d-1")
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	fake.SetStatus(ref.Key, "Done")
	if code := send(fake.WebhookBody(ref.Key, "To Do", at), secret); code != http.StatusOK {
		t.Fatalf("done delivery answered %d", code)
	}
	if code := send(fake.WebhookBody(ref.Key, "", at), ""); code != http.StatusUnauthorized {
		t.Errorf("unsigned delivery answered %d, want 401", code)
	}
	fake.SetStatus(ref.Key, "To Do")
	if code := send(fake.WebhookBody(ref.Key, "", at), secret); code != http.StatusOK {
		t.Fatalf("edit delivery answered %d", code)
	}
	if len(got) != 2 {
		t.Fatalf("events %+v", got)
	}
	if e := got[0]; !e.State.Done || !e.Changed || e.Key != item().Key || e.Ref.Key != ref.Key || e.Ref.URL != ref.URL || e.Delivery != "d-1" {
		t.Errorf("done event %+v", e)
	}
	if e := got[1]; e.State.Done || e.Changed {
		t.Errorf("edit event %+v, want not done, not a change", e)
	}
}

func FuzzParseWebhook(f *testing.F) {
	for _, name := range []string{"testdata/issue-updated-done.json", "testdata/comment-created.json"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := jira.ParseWebhook(body)
		if err == nil && ev.Ref.Key == "" {
			t.Errorf("an event without an issue key: %+v", ev)
		}
	})
}
