package pagerduty_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/muster-bot/muster/paging/pagerduty"
	"github.com/muster-bot/muster/paging/pagerduty/fakepagerduty"
)

const secret = "ChHFfHKxZ4X7sZP5ZJG2hm3rjuF2TqNeDbNiYv6Q4qSShM8ZkfP9TzHBVqnR5M4Q"

func TestVerify(t *testing.T) {
	body := []byte(`{"event":{"id":"01","event_type":"incident.acknowledged"}}`)
	good := fakepagerduty.Signature(body, secret)
	rotated := fakepagerduty.Signature(body, "the-old-secret", secret)
	other := fakepagerduty.Signature(body, "another-secret")
	cases := []struct {
		name   string
		secret string
		body   []byte
		header string
		want   error
	}{
		{"good", secret, body, good, nil},
		{"good, with spaces", secret, body, " " + good + " ", nil},
		{"several, the second matches", secret, body, rotated, nil},
		{"several, none matches", secret, body, other + "," + fakepagerduty.Signature(body, "a-third"), pagerduty.ErrBadSignature},
		{"another secret", secret, body, other, pagerduty.ErrBadSignature},
		{"body changed", secret, append([]byte(" "), body...), good, pagerduty.ErrBadSignature},
		{"missing", secret, body, "", pagerduty.ErrNoSignature},
		{"only another version", secret, body, "v2=" + good[3:], pagerduty.ErrNoSignature},
		{"not hex", secret, body, "v1=zz", pagerduty.ErrBadSignature},
		{"upper-case hex", secret, body, "v1=" + string(upper(good[3:])), pagerduty.ErrBadSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := pagerduty.Verify(c.secret, c.body, c.header); !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Errorf("Verify = %v, want %v", err, c.want)
			}
		})
	}
	if err := pagerduty.Verify("", body, pagerduty.Sign("", body)); err == nil {
		t.Error("Verify with no secret configured accepted a body signed with the empty secret")
	}
}

func upper(s string) []byte {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return b
}

func TestSignMatchesTheFake(t *testing.T) {
	body := []byte(`{"a":"ü"}`)
	if got, want := pagerduty.Sign(secret, body), fakepagerduty.Signature(body, secret); got != want {
		t.Errorf("Sign = %s, the fake signs %s", got, want)
	}
}

func TestParseWebhookOfMustersPage(t *testing.T) {
	body, err := os.ReadFile("testdata/incident-acknowledged.json")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := pagerduty.ParseWebhook(body)
	if err != nil {
		t.Fatal(err)
	}
	want := pagerduty.WebhookEvent{
		ID:         "5ac64822-4adc-4fda-ade0-410becf0de4f",
		Type:       pagerduty.IncidentAcknowledged,
		OccurredAt: time.Date(2020, 10, 2, 18, 45, 22, 169e6, time.UTC),
		Agent:      "Tenex Engineer",
		Incident: pagerduty.Incident{
			ID: "PGR0VU2", Number: 2, Title: "INC-42 SEV1: Checkout is returning 500s", Status: "acknowledged",
			Urgency: "high", HTMLURL: "https://acme.pagerduty.com/incidents/PGR0VU2", Key: "muster-INC-42-checkout",
			ServiceID: "PF9KMXH", ServiceName: "API Service", CreatedAt: time.Date(2020, 4, 9, 15, 16, 27, 0, time.UTC),
		},
	}
	if !ev.OccurredAt.Equal(want.OccurredAt) || !ev.Incident.CreatedAt.Equal(want.Incident.CreatedAt) {
		t.Errorf("times = %s, %s", ev.OccurredAt, ev.Incident.CreatedAt)
	}
	ev.OccurredAt, ev.Incident.CreatedAt = want.OccurredAt, want.Incident.CreatedAt
	if ev != want {
		t.Errorf("parsed\n%+v\nwant\n%+v", ev, want)
	}
	key, n, svc, ok := ev.MusterKey()
	if !ok || key != "muster-INC-42-checkout" || n != 42 || svc != "checkout" {
		t.Errorf("MusterKey = %q, %d, %q, %v", key, n, svc, ok)
	}
}

func TestParseWebhookOfAnotherIncident(t *testing.T) {
	body := fakepagerduty.WebhookBody(pagerduty.IncidentTriggered, fakepagerduty.WebhookIncident{
		Number: 7, Title: "Disk full on db-3", Key: "d3640fbd41094207a1c11e58e46b1662", ServiceID: "PSVC1", ServiceName: "Database",
	}, time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	ev, err := pagerduty.ParseWebhook(body)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type != "incident.triggered" || ev.Incident.Status != "triggered" || ev.Incident.ServiceID != "PSVC1" || ev.Agent != "" {
		t.Errorf("parsed %+v", ev)
	}
	if _, _, _, ok := ev.MusterKey(); ok {
		t.Error("an incident muster did not page is taken as muster's")
	}
}

func TestParseWebhookOfAServiceEvent(t *testing.T) {
	body, err := os.ReadFile("testdata/service-updated.json")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := pagerduty.ParseWebhook(body)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type != "service.updated" || ev.Incident != (pagerduty.Incident{}) {
		t.Errorf("parsed %+v, want the type and no incident", ev)
	}
}

func TestParseWebhookRefusesWhatIsNotOne(t *testing.T) {
	for _, body := range []string{
		``, `[]`, `{}`, `{"event":{}}`, `{"event":{"event_type":"incident.resolved","resource_type":"incident","data":{"type":"incident"}}}`,
		`{"event":{"event_type":"incident.resolved","occurred_at":"yesterday"}}`,
	} {
		if ev, err := pagerduty.ParseWebhook([]byte(body)); err == nil {
			t.Errorf("ParseWebhook(%s) = %+v, want an error", body, ev)
		}
	}
}

// A receiver built from Verify and ParseWebhook takes the fake's signed
// delivery and refuses a forged one.
func TestFakeWebhookDelivery(t *testing.T) {
	var got []pagerduty.WebhookEvent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := pagerduty.Verify(secret, body, r.Header.Get(pagerduty.SignatureHeader)); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		ev, err := pagerduty.ParseWebhook(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got = append(got, ev)
	}))
	defer srv.Close()
	body := fakepagerduty.WebhookBody(pagerduty.IncidentResolved, fakepagerduty.WebhookIncident{
		Title: "INC-42 SEV1: Checkout is returning 500s", Key: "muster-INC-42-checkout", ServiceID: "PF9KMXH", ServiceName: "Checkout", Agent: "Ann Primary",
	}, time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC))
	ctx := context.Background()
	if code, err := fakepagerduty.SendWebhook(ctx, nil, srv.URL, body, secret); err != nil || code != http.StatusOK {
		t.Fatalf("signed delivery: %d, %v", code, err)
	}
	if code, err := fakepagerduty.SendWebhook(ctx, nil, srv.URL, body, "forged"); err != nil || code != http.StatusUnauthorized {
		t.Fatalf("forged delivery: %d, %v; want 401", code, err)
	}
	if code, err := fakepagerduty.SendWebhook(ctx, nil, srv.URL, body); err != nil || code != http.StatusUnauthorized {
		t.Fatalf("unsigned delivery: %d, %v; want 401", code, err)
	}
	if len(got) != 1 || got[0].Type != "incident.resolved" || got[0].Agent != "Ann Primary" || got[0].Incident.Key != "muster-INC-42-checkout" {
		t.Errorf("received %+v", got)
	}
}

func FuzzParseWebhook(f *testing.F) {
	for _, name := range []string{"testdata/incident-acknowledged.json", "testdata/service-updated.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"event":{"event_type":"x","data":null}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := pagerduty.ParseWebhook(body)
		if err == nil && ev.Type == "" {
			t.Errorf("ParseWebhook(%q) accepted an event without a type", body)
		}
	})
}

func FuzzVerify(f *testing.F) {
	f.Add([]byte(`{}`), "v1=00")
	f.Add([]byte(`{}`), fakepagerduty.Signature([]byte(`{}`), secret))
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		err := pagerduty.Verify(secret, body, header)
		if err == nil && pagerduty.Verify(secret, append(body, 'x'), header) == nil {
			t.Errorf("one header verified two bodies: %q", header)
		}
	})
}
