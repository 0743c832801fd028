package pagerhook_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot"
	"github.com/muster-bot/muster/bot/pagerhook"
	"github.com/muster-bot/muster/paging/pagerduty/fakepagerduty"
)

// recorder is a bot that records what the webhooks lead to.
type recorder struct {
	alerts  []bot.Alert
	changes []bot.PageChange
}

func (r *recorder) Alert(_ context.Context, a bot.Alert) error {
	r.alerts = append(r.alerts, a)
	return nil
}
func (r *recorder) PageChanged(_ context.Context, c bot.PageChange) error {
	r.changes = append(r.changes, c)
	return nil
}

const secret = "whsec"

func serve(t *testing.T, body []byte, signature string) (int, *recorder) {
	t.Helper()
	rec := &recorder{}
	h := pagerhook.Handler(pagerhook.Config{
		Secret: secret, Platform: "slack", Room: "C1", High: "SEV2", Low: "SEV3",
		Services: muster.Services{
			{Name: "search", PagerDuty: &muster.PagerDutyService{ServiceID: "PSEARCH", DeclareOnTrigger: true}},
			{Name: "checkout", PagerDuty: &muster.PagerDutyService{ServiceID: "PCHECKOUT"}},
		},
	}, rec, zerolog.Nop())
	req := httptest.NewRequest(http.MethodPost, "/hooks/pagerduty", bytes.NewReader(body))
	req.Header.Set("X-PagerDuty-Signature", signature)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code, rec
}

// TestPagerDutyWebhooks: only signed webhooks are read; an acknowledgement
// of muster's page is a page change; a trigger on a service with
// declare_on_trigger is an alert of its own group, never one of muster's
// own pages or of another service.
func TestPagerDutyWebhooks(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	body := func(typ string, inc fakepagerduty.WebhookIncident) []byte {
		return fakepagerduty.WebhookBody(typ, inc, at)
	}
	ack := body("incident.acknowledged", fakepagerduty.WebhookIncident{Key: "muster-INC-4-checkout", ServiceID: "PCHECKOUT", Agent: "Bob"})
	for _, tc := range []struct {
		name            string
		body            []byte
		signature       string
		code            int
		alerts, changes int
	}{
		{"acknowledgement of muster's page", ack, fakepagerduty.Signature(ack, secret), 200, 0, 1},
		{"forged", ack, fakepagerduty.Signature(ack, "guess"), 401, 0, 0},
		{"unsigned", ack, "", 401, 0, 0},
		{"too big", bytes.Repeat([]byte("x"), pagerhook.MaxBody+1), "", 413, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, rec := serve(t, tc.body, tc.signature)
			if code != tc.code || len(rec.alerts) != tc.alerts || len(rec.changes) != tc.changes {
				t.Errorf("HTTP %d, %d alerts, %d changes; want %d, %d, %d", code, len(rec.alerts), len(rec.changes), tc.code, tc.alerts, tc.changes)
			}
		})
	}
	_, rec := serve(t, ack, fakepagerduty.Signature(ack, secret))
	if c := rec.changes[0]; c.Incident != 4 || c.Service != "checkout" || c.State != muster.PageAcknowledged || c.By != "Bob" || c.Key != "muster-INC-4-checkout" {
		t.Errorf("change %+v", c)
	}
	for _, tc := range []struct {
		name   string
		body   []byte
		alerts int
		firing bool
	}{
		{"triggered on a declaring service", body("incident.triggered", fakepagerduty.WebhookIncident{ID: "P1", Title: "Search is slow", ServiceID: "PSEARCH"}), 1, true},
		{"resolved on a declaring service", body("incident.resolved", fakepagerduty.WebhookIncident{ID: "P1", ServiceID: "PSEARCH"}), 1, false},
		{"triggered by muster's page", body("incident.triggered", fakepagerduty.WebhookIncident{Key: "muster-INC-4-search", ServiceID: "PSEARCH"}), 0, false},
		{"triggered on a service that does not declare", body("incident.triggered", fakepagerduty.WebhookIncident{ServiceID: "PCHECKOUT"}), 0, false},
		{"triggered on an unknown service", body("incident.triggered", fakepagerduty.WebhookIncident{ServiceID: "POTHER"}), 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, rec := serve(t, tc.body, fakepagerduty.Signature(tc.body, secret))
			if code != 200 || len(rec.alerts) != tc.alerts {
				t.Fatalf("HTTP %d, alerts %+v; want 200 and %d", code, rec.alerts, tc.alerts)
			}
			if tc.alerts == 1 {
				a := rec.alerts[0]
				if a.Firing != tc.firing || a.Source != muster.SourcePagerDuty || a.GroupKey != "P1" || a.Severity != "SEV2" || !a.StartsAt.Equal(at) || a.Services[0] != "search" {
					t.Errorf("alert %+v", a)
				}
			}
		})
	}
}
