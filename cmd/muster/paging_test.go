package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/bot/slack/fakeslack"
	"github.com/muster-bot/muster/paging/opsgenie/fakeopsgenie"
	"github.com/muster-bot/muster/paging/pagerduty/fakepagerduty"
)

const (
	pdKeyCheckout = "R0CHECKOUT0000000000000000000001"
	pdKeySearch   = "R0SEARCH00000000000000000000002"
	pdToken       = "pd-rest-token"
	pdSecret      = "pd-webhook-secret"
	ogKey         = "og-api-key"
)

// pagers are the fake providers an app pages through.
type pagers struct {
	pd *fakepagerduty.Server
	og *fakeopsgenie.Server
}

func newPagers(t *testing.T, fake *fakeslack.Server) pagers {
	t.Helper()
	pd := fakepagerduty.New(t, pdToken, pdKeyCheckout, pdKeySearch+"x")
	pd.OnCall("PCHECKOUT", fakepagerduty.User{ID: "PBOB", Name: "Bob", Email: "bob@example.com", Level: 1})
	og := fakeopsgenie.New(t, ogKey)
	og.OnCall("payments_schedule", "carol@example.com")
	fake.SetEmail("UBOB", "bob@example.com")
	fake.SetEmail("UCAROL", "carol@example.com")
	return pagers{pd, og}
}

// startPagingApp runs the real app against fake Slack, PagerDuty and
// Opsgenie, on the store at path (so that a second call is a restart).
// checkout pages through PagerDuty, payments through Opsgenie, search
// declares when PagerDuty triggers on it.
func startPagingApp(t *testing.T, fake *fakeslack.Server, p pagers, path string) *slackApp {
	t.Helper()
	yaml := fmt.Sprintf(`store:
  path: %s
reminders:
  tick: 24h
slack:
  announce_channel: CANNOUNCE
web:
  public_url: https://muster.example.com
pagerduty:
  events_url: %s
  api_url: %s
opsgenie:
  api_url: %s
alertmanager:
  platform: slack
  room: CGENERAL
services:
  - name: checkout
    pagerduty: {routing_key_env: PD_KEY_CHECKOUT, escalation_policy: PCHECKOUT, service_id: PSVCCHECKOUT}
  - name: payments
    opsgenie: {team: payments, schedule: payments_schedule}
  - name: search
    pagerduty: {routing_key_env: PD_KEY_SEARCH, service_id: PSVCSEARCH, declare_on_trigger: true}
`, path, p.pd.EventsURL, p.pd.URL, p.og.URL)
	env := map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret, "SLACK_API_URL": fake.URL(),
		"PD_KEY_CHECKOUT": pdKeyCheckout, "PD_KEY_SEARCH": pdKeySearch + "x", "PAGERDUTY_API_TOKEN": pdToken,
		"PAGERDUTY_WEBHOOK_SECRET": pdSecret, "OPSGENIE_API_KEY": ogKey,
	}
	getenv := func(k string) string { return env[k] }
	clock := &fakeClock{now: t0}
	return runSlackApp(t, fake, clock, yaml, getenv)
}

func triggers(pd *fakepagerduty.Server, action string) []fakepagerduty.Event {
	var out []fakepagerduty.Event
	for _, e := range pd.Accepted() {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// roomSays reports whether a message of the bot in room contains text.
func roomSays(fake *fakeslack.Server, room, text string) int {
	n := 0
	for _, m := range fake.Messages(room) {
		if strings.Contains(m.Text, text) || strings.Contains(string(m.Blocks), text) {
			n++
		}
	}
	return n
}

func pageEntries(t *testing.T, s *slackApp, id int) []string {
	t.Helper()
	entries, err := s.app.db.Timeline(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Kind == muster.EntryPage {
			out = append(out, e.Text)
		}
	}
	return out
}

func (s *slackApp) pagerDutyWebhook(body []byte, secrets ...string) int {
	s.t.Helper()
	code, err := fakepagerduty.SendWebhook(context.Background(), http.DefaultClient, s.url+"/hooks/pagerduty", body, secrets...)
	if err != nil {
		s.t.Fatal(err)
	}
	return code
}

// TestPagingPagerDuty, as a runbook: a SEV1 of checkout pages its on-call
// once, on the leader's next tick, whatever else the room does meanwhile
// (a retried event, an update); Bob, on call, is invited; his
// acknowledgement comes back as a webhook into the timeline and the room;
// a forged webhook is refused; resolve resolves the page by its key.
func TestPagingPagerDuty(t *testing.T) {
	fake := newFakeSlack(t)
	fake.AddUser("UBOB", "bob")
	p := newPagers(t, fake)
	s := startPagingApp(t, fake, p, filepath.Join(t.TempDir(), "muster.db"))
	s.command("UALICE", "CGENERAL", "declare sev1 svc:checkout Checkout is returning 500s", "declare")
	room := s.warRoom("inc-1-checkout-is-returning-500s")
	s.message("Ev1", "UALICE", room.ID, "1700000000.000100", "looking at the load balancer", 0)
	s.message("Ev1", "UALICE", room.ID, "1700000000.000100", "looking at the load balancer", 1)
	s.command("UALICE", room.ID, "update Rolling back", "update")
	s.app.slack.Drain()
	if got := p.pd.Events(); len(got) != 0 {
		t.Fatalf("events before the leader's tick: %+v; a page must not hold up the declaration", got)
	}
	leaderTick(t, s, time.Second)
	leaderTick(t, s, time.Minute)
	got := triggers(p.pd, "trigger")
	if len(got) != 1 {
		t.Fatalf("triggers %+v; want exactly one", got)
	}
	ev := got[0]
	if ev.RoutingKey != pdKeyCheckout || ev.DedupKey != "muster-INC-1-checkout" || ev.Summary != "INC-1 SEV1: Checkout is returning 500s" ||
		ev.Source != "muster" || ev.Severity != "critical" {
		t.Errorf("trigger %+v; want checkout's routing key, dedup key muster-INC-1-checkout, the documented summary, source muster, critical", ev)
	}
	hrefs := []string{}
	for _, l := range ev.Links {
		hrefs = append(hrefs, l.Href)
	}
	if !slices.Contains(hrefs, "https://muster.example.com/incidents/1") || !slices.Contains(hrefs, "https://slack.com/app_redirect?channel="+room.ID) {
		t.Errorf("links %v; want the incident page and the war room", hrefs)
	}
	if r, _ := fake.Channel(room.ID); !slices.Contains(r.Members, "UBOB") {
		t.Errorf("war room members %v; want Bob, on call for checkout", r.Members)
	}
	if roomSays(fake, room.ID, "📟 paged checkout's on-call (PagerDuty)") != 1 {
		t.Errorf("the room was not told of the page once: %+v", fake.Messages(room.ID))
	}

	ack := fakepagerduty.WebhookBody("incident.acknowledged", fakepagerduty.WebhookIncident{Key: "muster-INC-1-checkout", Agent: "Bob", ServiceID: "PSVCCHECKOUT"}, s.clock.Now())
	if code := s.pagerDutyWebhook(ack, "not-the-secret"); code != http.StatusUnauthorized {
		t.Errorf("forged webhook: HTTP %d, want 401", code)
	}
	if entries := pageEntries(t, s, 1); len(entries) != 1 {
		t.Errorf("after a forged webhook the timeline's pages are %q", entries)
	}
	for range 2 { // a redelivery changes nothing
		if code := s.pagerDutyWebhook(ack, pdSecret); code != http.StatusOK {
			t.Fatalf("acknowledgement webhook: HTTP %d", code)
		}
	}
	if entries := pageEntries(t, s, 1); len(entries) != 2 || entries[1] != "checkout's page acknowledged in PagerDuty by Bob" {
		t.Errorf("timeline pages %q; want the page and one acknowledgement", entries)
	}
	inc, err := s.app.db.Incident(context.Background(), 1)
	if err != nil || len(inc.Pages) != 1 || inc.Pages[0].State != muster.PageAcknowledged {
		t.Fatalf("pages %+v, %v; want checkout's, acknowledged", inc.Pages, err)
	}

	s.command("UALICE", room.ID, "ic", "ic")
	s.command("UALICE", room.ID, "resolve Rolled back", "resolve")
	s.app.slack.Drain()
	leaderTick(t, s, time.Second)
	res := triggers(p.pd, "resolve")
	if len(res) != 1 || res[0].DedupKey != "muster-INC-1-checkout" || res[0].RoutingKey != pdKeyCheckout {
		t.Errorf("resolves %+v; want one, with the page's dedup key", res)
	}
	if len(triggers(p.pd, "trigger")) != 1 {
		t.Errorf("triggers after resolve: %+v", triggers(p.pd, "trigger"))
	}
}

// TestPagingUpgrade: a SEV3 pages nobody; the upgrade to SEV1 pages; a
// service added then pages its own on-call.
func TestPagingUpgrade(t *testing.T) {
	fake := newFakeSlack(t)
	p := newPagers(t, fake)
	s := startPagingApp(t, fake, p, filepath.Join(t.TempDir(), "muster.db"))
	s.command("UALICE", "CGENERAL", "declare sev3 svc:checkout Checkout is slow", "declare")
	room := s.warRoom("inc-1-checkout-is-slow")
	s.app.slack.Drain()
	leaderTick(t, s, time.Minute)
	if got := p.pd.Events(); len(got) != 0 {
		t.Fatalf("a SEV3 paged: %+v", got)
	}
	s.command("UALICE", room.ID, "sev sev1", "sev")
	s.app.slack.Drain()
	leaderTick(t, s, time.Second)
	if got := triggers(p.pd, "trigger"); len(got) != 1 || got[0].Summary != "INC-1 SEV1: Checkout is slow" {
		t.Errorf("triggers after the upgrade: %+v; want one, SEV1", got)
	}
	// A service added to it pages that service's on-call, and only it.
	s.command("UALICE", room.ID, "service payments", "service")
	s.app.slack.Drain()
	leaderTick(t, s, time.Second)
	if a := p.og.Alerts(); len(a) != 1 || a[0].Alias != "muster-INC-1-payments" || a[0].Priority != "P1" {
		t.Errorf("alerts after adding payments: %+v; want one, P1", a)
	}
	if got := triggers(p.pd, "trigger"); len(got) != 1 {
		t.Errorf("triggers after adding payments: %+v; want checkout's alone", got)
	}
}

// TestPagingOutage: PagerDuty is down when a SEV1 is declared. The room
// is told once that paging failed and is retried; muster restarts with
// the page still waiting; once PagerDuty is back the page goes out, once,
// and the room is told.
func TestPagingOutage(t *testing.T) {
	fake := newFakeSlack(t)
	p := newPagers(t, fake)
	path := filepath.Join(t.TempDir(), "muster.db")
	s := startPagingApp(t, fake, p, path)
	p.pd.Down(http.StatusServiceUnavailable)
	s.command("UALICE", "CGENERAL", "declare sev1 svc:checkout Checkout is returning 500s", "declare")
	room := s.warRoom("inc-1-checkout-is-returning-500s")
	s.app.slack.Drain()
	leaderTick(t, s, time.Second)
	leaderTick(t, s, 15*time.Second)
	if n := roomSays(fake, room.ID, "⚠️ paging checkout failed: PagerDuty answered 503"); n != 1 {
		t.Errorf("the room was told %d times that paging failed, want once: %+v", n, fake.Messages(room.ID))
	}
	s.shutdown()
	s = startPagingApp(t, fake, p, path)
	s.clock.Advance(30 * time.Second)
	p.pd.Down(0)
	leaderTick(t, s, 30*time.Second)
	leaderTick(t, s, time.Minute)
	if got := triggers(p.pd, "trigger"); len(got) != 1 {
		t.Fatalf("triggers once PagerDuty is back: %+v; want one", got)
	}
	if n := roomSays(fake, room.ID, "📟 paged checkout's on-call (PagerDuty)"); n != 1 {
		t.Errorf("the room was told %d times of the page, want once", n)
	}
	if items, err := s.app.db.Outbox(context.Background()); err != nil || len(items) != 0 {
		t.Errorf("outbox after the page: %+v, %v", items, err)
	}
}

// TestPagingOpsgenie: a SEV2 of payments creates an Opsgenie alert for
// its team, at P2, under the page's alias; Carol, on call, is invited;
// `page` asks again with a message; resolve closes the alert.
func TestPagingOpsgenie(t *testing.T) {
	fake := newFakeSlack(t)
	p := newPagers(t, fake)
	s := startPagingApp(t, fake, p, filepath.Join(t.TempDir(), "muster.db"))
	s.command("UALICE", "CGENERAL", "declare sev2 svc:payments Payments are delayed", "declare")
	room := s.warRoom("inc-1-payments-are-delayed")
	s.app.slack.Drain()
	leaderTick(t, s, time.Second)
	alerts := p.og.Alerts()
	if len(alerts) != 1 || alerts[0].Alias != "muster-INC-1-payments" || alerts[0].Priority != "P2" || alerts[0].Message != "INC-1 SEV2: Payments are delayed" ||
		len(alerts[0].Responders) != 1 || alerts[0].Responders[0].Name != "payments" {
		t.Fatalf("alerts %+v; want one for team payments, P2, alias muster-INC-1-payments", alerts)
	}
	if r, _ := fake.Channel(room.ID); !slices.Contains(r.Members, "UCAROL") {
		t.Errorf("war room members %v; want Carol, on call for payments", r.Members)
	}
	if reply := s.command("UALICE", room.ID, "page @bob", "page-user"); !strings.Contains(reply.Body+responsesText(fake), "Services that can be paged: checkout, payments, search") {
		t.Errorf("page @bob answered %q; want a refusal naming the services", reply.Body)
	}
	s.command("UALICE", room.ID, "page payments the queue is at 40k", "page")
	s.app.slack.Drain()
	leaderTick(t, s, time.Second)
	reqs := p.og.Requests()
	if a := p.og.Alerts(); len(a) != 1 || a[0].Count != 2 || !strings.Contains(string(reqs[len(reqs)-1].Raw), "the queue is at 40k") {
		t.Errorf("after `page payments`: %+v, last request %s; want the same alert created again, with the message", a, reqs[len(reqs)-1].Raw)
	}
	s.command("UALICE", room.ID, "ic", "ic")
	s.command("UALICE", room.ID, "resolve Fixed", "resolve")
	s.app.slack.Drain()
	leaderTick(t, s, time.Second)
	if a := p.og.Alerts(); len(a) != 1 || a[0].Status != "closed" {
		t.Errorf("after resolve: %+v; want the alert closed", a)
	}
}

func responsesText(fake *fakeslack.Server) string {
	var b strings.Builder
	for _, r := range fake.Responses() {
		fmt.Fprintf(&b, "%+v\n", r)
	}
	return b.String()
}

// TestPagingPrivate: a private incident's title never reaches the pager.
func TestPagingPrivate(t *testing.T) {
	fake := newFakeSlack(t)
	p := newPagers(t, fake)
	s := startPagingApp(t, fake, p, filepath.Join(t.TempDir(), "muster.db"))
	s.command("UALICE", "CGENERAL", "declare private sev1 svc:checkout,payments Credential leak in checkout", "declare")
	s.app.slack.Drain()
	leaderTick(t, s, time.Second)
	got := triggers(p.pd, "trigger")
	if len(got) != 1 || got[0].Summary != "INC-1 SEV1: private incident" {
		t.Errorf("triggers %+v; want one, summary INC-1 SEV1: private incident", got)
	}
	if a := p.og.Alerts(); len(a) != 1 || a[0].Message != "INC-1 SEV1: private incident" {
		t.Errorf("alerts %+v; want one, message INC-1 SEV1: private incident", a)
	}
	for _, e := range p.pd.Events() {
		if strings.Contains(string(e.Raw), "Credential") {
			t.Errorf("the title reached PagerDuty: %s", e.Raw)
		}
	}
	for _, r := range p.og.Requests() {
		if strings.Contains(string(r.Raw), "Credential") {
			t.Errorf("the title reached Opsgenie: %s", r.Raw)
		}
	}
}

// TestPagerDutyDeclares: an incident PagerDuty triggers on search (with
// declare_on_trigger) declares one incident, however often the webhook
// comes, starting when PagerDuty's did, without paging search again; a
// trigger of muster's own page declares nothing.
func TestPagerDutyDeclares(t *testing.T) {
	fake := newFakeSlack(t)
	p := newPagers(t, fake)
	s := startPagingApp(t, fake, p, filepath.Join(t.TempDir(), "muster.db"))
	created := s.clock.Now().Add(-10 * time.Minute)
	body := fakepagerduty.WebhookBody("incident.triggered", fakepagerduty.WebhookIncident{
		ID: "PINC1", Number: 7, Title: "Search latency p99 > 2s", Key: "search-latency", ServiceID: "PSVCSEARCH", ServiceName: "Search",
	}, created)
	for range 2 {
		if code := s.pagerDutyWebhook(body, pdSecret); code != http.StatusOK {
			t.Fatalf("triggered webhook: HTTP %d", code)
		}
	}
	own := fakepagerduty.WebhookBody("incident.triggered", fakepagerduty.WebhookIncident{ID: "PINC2", Key: "muster-INC-9-search", ServiceID: "PSVCSEARCH"}, created)
	if code := s.pagerDutyWebhook(own, pdSecret); code != http.StatusOK {
		t.Fatalf("own page's webhook: HTTP %d", code)
	}
	s.app.slack.Drain()
	all, err := s.app.db.Incidents(context.Background(), false)
	if err != nil || len(all) != 1 {
		t.Fatalf("incidents %d, %v; want one", len(all), err)
	}
	inc := all[0]
	if inc.Source != muster.SourcePagerDuty || !slices.Equal(inc.Services, []string{"search"}) || !inc.Started().Equal(created) || inc.Title != "Search latency p99 > 2s" {
		t.Errorf("incident %+v; want source pagerduty, service search, started at PagerDuty's created_at", inc)
	}
	leaderTick(t, s, time.Second)
	if got := p.pd.Events(); len(got) != 0 {
		t.Errorf("muster paged search again: %+v", got)
	}
}
