package pagerduty_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster/internal/remote"
	"github.com/muster-bot/muster/paging"
	"github.com/muster-bot/muster/paging/pagerduty"
	"github.com/muster-bot/muster/paging/pagerduty/fakepagerduty"
)

const (
	routingKey = "R0UT1NGKEYCHECKOUT00000000000001" // 32 characters, as PagerDuty's are
	token      = "y_NbAkKc66ryYTWUXYEu"
)

func setup(t *testing.T) (*fakepagerduty.Server, *pagerduty.Client) {
	t.Helper()
	fake := fakepagerduty.New(t, token, routingKey)
	return fake, pagerduty.New(fake.EventsURL, fake.URL, token, &http.Client{Timeout: 5 * time.Second})
}

func checkoutPage() paging.Page {
	return paging.Page{
		Key:      paging.Key(42, "checkout"),
		Summary:  "INC-42 SEV1: Checkout is returning 500s",
		Severity: pagerduty.SeverityCritical,
		Details:  map[string]string{"service": "checkout"},
		Links: []paging.Link{
			{Href: "https://acme.slack.com/archives/C123", Text: "War room #inc-42-checkout"},
			{Href: "https://muster.example.com/incidents/42", Text: "INC-42"},
		},
	}
}

func TestTriggerSendsTheDocumentedEvent(t *testing.T) {
	fake, pd := setup(t)
	if err := pd.Trigger(context.Background(), routingKey, checkoutPage()); err != nil {
		t.Fatal(err)
	}
	evs := fake.Accepted()
	if len(evs) != 1 {
		t.Fatalf("events accepted: %d, want 1 (%+v)", len(evs), fake.Events())
	}
	want := `{"routing_key":"R0UT1NGKEYCHECKOUT00000000000001","event_action":"trigger","dedup_key":"muster-INC-42-checkout",` +
		`"payload":{"summary":"INC-42 SEV1: Checkout is returning 500s","source":"muster","severity":"critical","custom_details":{"service":"checkout"}},` +
		`"links":[{"href":"https://acme.slack.com/archives/C123","text":"War room #inc-42-checkout"},{"href":"https://muster.example.com/incidents/42","text":"INC-42"}],` +
		`"client":"muster"}`
	if got := string(evs[0].Raw); got != want {
		t.Errorf("sent\n%s\nwant\n%s", got, want)
	}
	if calls := fake.Calls(); calls[0].Path != "/v2/enqueue" || calls[0].Method != http.MethodPost {
		t.Errorf("call %+v, want POST /v2/enqueue", calls[0])
	}
}

func TestTriggerPutsTheDescriptionInTheDetails(t *testing.T) {
	fake, pd := setup(t)
	p := checkoutPage()
	p.Description = "Error rate above 5% since 14:02"
	if err := pd.Trigger(context.Background(), routingKey, p); err != nil {
		t.Fatal(err)
	}
	d := fake.Accepted()[0].Details
	if d["description"] != p.Description || d["service"] != "checkout" {
		t.Errorf("custom_details = %v", d)
	}
	if _, ok := p.Details["description"]; ok {
		t.Error("Trigger changed the caller's Details map")
	}
}

func TestTriggerTwiceIsOnePageAndResolveClosesIt(t *testing.T) {
	fake, pd := setup(t)
	ctx := context.Background()
	for range 2 { // a retry after a lost answer sends the same trigger again
		if err := pd.Trigger(ctx, routingKey, checkoutPage()); err != nil {
			t.Fatal(err)
		}
	}
	if err := pd.Resolve(ctx, routingKey, paging.Key(42, "checkout")); err != nil {
		t.Fatal(err)
	}
	incs := fake.Incidents()
	if len(incs) != 1 || incs[0].Triggers != 2 || incs[0].Status != "resolved" {
		t.Fatalf("incidents = %+v, want one resolved with two triggers", incs)
	}
	evs := fake.Accepted()
	want := `{"routing_key":"R0UT1NGKEYCHECKOUT00000000000001","event_action":"resolve","dedup_key":"muster-INC-42-checkout"}`
	if got := string(evs[2].Raw); got != want {
		t.Errorf("resolve sent\n%s\nwant\n%s", got, want)
	}
}

func TestTriggerCutsALongSummary(t *testing.T) {
	fake, pd := setup(t)
	p := checkoutPage()
	p.Summary = "INC-42 SEV1: " + strings.Repeat("x", 2000)
	if err := pd.Trigger(context.Background(), routingKey, p); err != nil {
		t.Fatal(err)
	}
	if got := []rune(fake.Accepted()[0].Summary); len(got) != 1024 {
		t.Errorf("summary of %d characters sent, want 1024", len(got))
	}
}

func TestInvalidEventIsRefusedWithPagerDutysErrors(t *testing.T) {
	cases := []struct {
		name, key, want string
	}{
		{"short routing key", "abc", "PagerDuty answered 400: Event object is invalid: Length of 'routing_key' is incorrect (should be 32 characters)"},
		{"unknown routing key", "0000000000000000000000000000000X", "PagerDuty answered 400: Event object is invalid: Invalid routing key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, pd := setup(t)
			err := pd.Trigger(context.Background(), c.key, checkoutPage())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to say %q", err, c.want)
			}
			if !strings.HasPrefix(err.Error(), "trigger PagerDuty page muster-INC-42-checkout: ") {
				t.Errorf("err = %v, want it to name the page", err)
			}
			if retry, _ := remote.Retry(err); retry {
				t.Error("Retry = true for an invalid event; it would fail the same way again")
			}
		})
	}
}

func TestSeverityIsCheckedBeforeSending(t *testing.T) {
	fake, pd := setup(t)
	p := checkoutPage()
	p.Severity = "SEV1"
	err := pd.Trigger(context.Background(), routingKey, p)
	if err == nil || !strings.Contains(err.Error(), `severity "SEV1" is not one of critical, error, warning, info`) {
		t.Fatalf("err = %v", err)
	}
	if n := len(fake.Calls()); n != 0 {
		t.Errorf("%d calls made for an event that cannot be valid", n)
	}
}

func TestRateLimitIsRetriedAfterRetryAfter(t *testing.T) {
	fake, pd := setup(t)
	fake.Fail(1, http.StatusTooManyRequests, 30)
	err := pd.Trigger(context.Background(), routingKey, checkoutPage())
	if err == nil {
		t.Fatal("a 429 was taken as success")
	}
	if retry, after := remote.Retry(err); !retry || after != 30*time.Second {
		t.Errorf("Retry = %v, %s; want true, 30s", retry, after)
	}
	if e, ok := errors.AsType[*remote.Error](err); !ok || e.Code != 429 {
		t.Errorf("err = %#v, want a *remote.Error with code 429", err)
	}
	if err := pd.Trigger(context.Background(), routingKey, checkoutPage()); err != nil {
		t.Fatalf("after the rate limit: %v", err)
	}
	if n := len(fake.Incidents()); n != 1 {
		t.Errorf("%d incidents, want 1", n)
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	fake, pd := setup(t)
	fake.Down(http.StatusServiceUnavailable)
	for range 2 {
		err := pd.Trigger(context.Background(), routingKey, checkoutPage())
		if retry, after := remote.Retry(err); err == nil || !retry || after != 0 {
			t.Fatalf("err = %v, Retry = %v, %s; want a retryable error", err, retry, after)
		}
	}
	fake.Down(0)
	fake.Fail(1, http.StatusInternalServerError, 0)
	if retry, _ := remote.Retry(pd.Resolve(context.Background(), routingKey, "muster-INC-42-checkout")); !retry {
		t.Error("a 500 on resolve is not retried")
	}
	if err := pd.Trigger(context.Background(), routingKey, checkoutPage()); err != nil {
		t.Fatalf("once back up: %v", err)
	}
}

func TestNetworkFailureIsRetried(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // nothing listens there now
	pd := pagerduty.New(addr+"/v2/enqueue", addr, token, &http.Client{Timeout: 5 * time.Second})
	err := pd.Trigger(context.Background(), routingKey, checkoutPage())
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want the network error wrapped", err)
	}
	if retry, _ := remote.Retry(err); !retry {
		t.Error("a network failure is not retried")
	}
	_, err = pd.OnCall(context.Background(), "PUS0KTE")
	if retry, _ := remote.Retry(err); err == nil || !retry {
		t.Errorf("on-calls: err = %v, Retry = %v", err, retry)
	}
}

func TestCancelledCallIsNotRetried(t *testing.T) {
	_, pd := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := pd.Trigger(ctx, routingKey, checkoutPage())
	if retry, _ := remote.Retry(err); err == nil || retry {
		t.Errorf("err = %v, Retry = %v; want an error not retried", err, retry)
	}
}

func TestAcceptedWithoutTheDedupKeyIsAFailure(t *testing.T) {
	for _, body := range []string{`{"status":"success","message":"Event processed"}`, `<html>captive portal</html>`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusAccepted)
			_, _ = w.Write([]byte(body))
		}))
		pd := pagerduty.New(srv.URL, srv.URL, token, nil)
		err := pd.Trigger(context.Background(), routingKey, checkoutPage())
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), "without the dedup key muster-INC-42-checkout") {
			t.Errorf("answer %s: err = %v", body, err)
			continue
		}
		if retry, _ := remote.Retry(err); !retry {
			t.Errorf("answer %s: not retried, though a retry is harmless under the same dedup key", body)
		}
	}
}

func TestOnCallListsTheUsersEmails(t *testing.T) {
	fake, pd := setup(t)
	fake.OnCall("PUS0KTE",
		fakepagerduty.User{ID: "PM1", Name: "Mia Manager", Email: "mia@example.com", Level: 2},
		fakepagerduty.User{ID: "PA1", Name: "Ann Primary", Email: "ann@example.com", Level: 1},
		fakepagerduty.User{ID: "PB1", Name: "Bob Secondary", Email: "bob@example.com", Level: 1},
		fakepagerduty.User{ID: "PA1", Name: "Ann Primary", Email: "ann@example.com", Level: 3},
	)
	fake.OnCall("POTHER", fakepagerduty.User{ID: "PX", Name: "Xavier", Email: "x@example.com"})
	got, err := pd.OnCall(context.Background(), "PUS0KTE")
	if err != nil {
		t.Fatal(err)
	}
	want := []paging.OnCall{
		{Email: "ann@example.com", Name: "Ann Primary", Level: 1},
		{Email: "bob@example.com", Name: "Bob Secondary", Level: 1},
		{Email: "mia@example.com", Name: "Mia Manager", Level: 2},
	}
	if len(got) != len(want) {
		t.Fatalf("on-call = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("on-call[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	q, _ := url.ParseQuery(fake.Calls()[0].Query)
	if q.Get("escalation_policy_ids[]") != "PUS0KTE" || q.Get("include[]") != "users" {
		t.Errorf("query %v, want escalation_policy_ids[]=PUS0KTE and include[]=users", q)
	}
}

func TestOnCallReadsEveryPage(t *testing.T) {
	fake, pd := setup(t)
	var users []fakepagerduty.User
	for i := range 150 {
		id := string(rune('A'+i/26)) + string(rune('a'+i%26))
		users = append(users, fakepagerduty.User{ID: id, Name: id, Email: id + "@example.com", Level: 1})
	}
	fake.OnCall("PBIG", users...)
	got, err := pd.OnCall(context.Background(), "PBIG")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 150 {
		t.Errorf("%d on-calls, want 150", len(got))
	}
	if n := len(fake.Calls()); n != 2 {
		t.Errorf("%d requests, want 2 pages of 100", n)
	}
}

func TestOnCallWithAWrongTokenIsRefused(t *testing.T) {
	fake, _ := setup(t)
	pd := pagerduty.New(fake.EventsURL, fake.URL, "wrong", nil)
	_, err := pd.OnCall(context.Background(), "PUS0KTE")
	if err == nil || !strings.Contains(err.Error(), "PagerDuty answered 401: Unauthorized") {
		t.Fatalf("err = %v", err)
	}
	if retry, _ := remote.Retry(err); retry {
		t.Error("a wrong token is retried")
	}
	if h := fake.Calls(); len(h) != 1 || h[0].Code != 401 {
		t.Errorf("calls = %+v", h)
	}
}

func TestDefaults(t *testing.T) {
	if pagerduty.DefaultEventsURL != "https://events.pagerduty.com/v2/enqueue" || pagerduty.DefaultAPIURL != "https://api.pagerduty.com" {
		t.Error("the default URLs are not the documented ones")
	}
	for _, s := range []string{"critical", "error", "warning", "info"} {
		if !pagerduty.ValidSeverity(s) {
			t.Errorf("ValidSeverity(%q) = false", s)
		}
	}
	if pagerduty.ValidSeverity("high") {
		t.Error(`ValidSeverity("high") = true`)
	}
}
