package opsgenie_test

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
	"github.com/muster-bot/muster/paging/opsgenie"
	"github.com/muster-bot/muster/paging/opsgenie/fakeopsgenie"
)

const apiKey = "eb243592-faa2-4ba2-a551q-1afdf565c889"

func setup(t *testing.T) (*fakeopsgenie.Server, *opsgenie.Client) {
	t.Helper()
	fake := fakeopsgenie.New(t, apiKey)
	return fake, opsgenie.New(fake.URL, apiKey, &http.Client{Timeout: 5 * time.Second})
}

func checkoutPage() paging.Page {
	return paging.Page{
		Key:         paging.Key(42, "checkout"),
		Summary:     "INC-42 SEV1: Checkout is returning 500s",
		Severity:    "P1",
		Description: "Declared by Ann in #incidents.",
		Details:     map[string]string{"service": "checkout"},
		Links: []paging.Link{
			{Href: "https://acme.slack.com/archives/C123", Text: "War room"},
			{Href: "https://muster.example.com/incidents/42"},
		},
	}
}

func TestCreateSendsTheDocumentedAlert(t *testing.T) {
	fake, og := setup(t)
	id, err := og.Create(context.Background(), "checkout", checkoutPage())
	if err != nil {
		t.Fatal(err)
	}
	reqs := fake.Requests()
	if len(reqs) != 1 || reqs[0].Code != http.StatusAccepted || id != reqs[0].RequestID {
		t.Fatalf("requests = %+v, returned id %q", reqs, id)
	}
	want := `{"message":"INC-42 SEV1: Checkout is returning 500s","alias":"muster-INC-42-checkout",` +
		`"description":"Declared by Ann in #incidents.\nWar room: https://acme.slack.com/archives/C123\nhttps://muster.example.com/incidents/42",` +
		`"responders":[{"type":"team","name":"checkout"}],"details":{"service":"checkout"},"source":"muster","priority":"P1"}`
	if got := string(reqs[0].Raw); got != want {
		t.Errorf("sent\n%s\nwant\n%s", got, want)
	}
	c := fake.Calls()[0]
	if c.Method != http.MethodPost || c.Path != "/v2/alerts" {
		t.Errorf("call %+v, want POST /v2/alerts", c)
	}
	alerts := fake.Alerts()
	if len(alerts) != 1 || alerts[0].Status != "open" || alerts[0].Responders[0].Name != "checkout" {
		t.Errorf("alerts = %+v", alerts)
	}
}

func TestCreateTwiceIsOneAlertAndCloseClosesIt(t *testing.T) {
	fake, og := setup(t)
	ctx := context.Background()
	for range 2 {
		if _, err := og.Create(ctx, "checkout", checkoutPage()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := og.Close(ctx, "muster-INC-42-checkout", "INC-42 resolved"); err != nil {
		t.Fatal(err)
	}
	alerts := fake.Alerts()
	if len(alerts) != 1 || alerts[0].Count != 2 || alerts[0].Status != "closed" || alerts[0].CloseNote != "INC-42 resolved" {
		t.Fatalf("alerts = %+v, want one closed alert created twice", alerts)
	}
	c := fake.Calls()[2]
	if c.Path != "/v2/alerts/muster-INC-42-checkout/close" || c.Query != "identifierType=alias" {
		t.Errorf("close call %+v", c)
	}
	if got, want := string(fake.Requests()[2].Raw), `{"source":"muster","note":"INC-42 resolved"}`; got != want {
		t.Errorf("close sent %s, want %s", got, want)
	}
}

func TestCloseEscapesTheAlias(t *testing.T) {
	fake, og := setup(t)
	ctx := context.Background()
	p := checkoutPage()
	p.Key = paging.Key(7, "a/b c")
	if _, err := og.Create(ctx, "checkout", p); err != nil {
		t.Fatal(err)
	}
	if _, err := og.Close(ctx, p.Key, ""); err != nil {
		t.Fatal(err)
	}
	if a := fake.Alerts(); a[0].Status != "closed" {
		t.Errorf("alert %q not closed: %+v (calls %+v)", p.Key, a, fake.Calls())
	}
}

func TestCreateCutsALongMessage(t *testing.T) {
	fake, og := setup(t)
	p := checkoutPage()
	p.Summary = "INC-42 SEV1: " + strings.Repeat("ü", 300)
	if _, err := og.Create(context.Background(), "checkout", p); err != nil {
		t.Fatal(err)
	}
	if n := len([]rune(fake.Alerts()[0].Message)); n != 130 {
		t.Errorf("message of %d characters, want 130", n)
	}
}

func TestPriorityIsCheckedBeforeSending(t *testing.T) {
	fake, og := setup(t)
	p := checkoutPage()
	p.Severity = "critical"
	_, err := og.Create(context.Background(), "checkout", p)
	if err == nil || !strings.Contains(err.Error(), `priority "critical" is not one of P1, P2, P3, P4, P5`) {
		t.Fatalf("err = %v", err)
	}
	if n := len(fake.Calls()); n != 0 {
		t.Errorf("%d calls for an alert that cannot be valid", n)
	}
}

func TestRefusalCarriesOpsgeniesMessage(t *testing.T) {
	fake, og := setup(t)
	p := checkoutPage()
	p.Summary = "   "
	_, err := og.Create(context.Background(), "checkout", p)
	want := "create Opsgenie alert muster-INC-42-checkout: Opsgenie answered 422: Message can not be empty."
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	if retry, _ := remote.Retry(err); retry {
		t.Error("a refused alert is retried")
	}
	if r := fake.Requests(); len(r) != 1 || r[0].Code != 422 {
		t.Errorf("requests = %+v", r)
	}
}

func TestWrongKeyIsNotRetried(t *testing.T) {
	fake, _ := setup(t)
	og := opsgenie.New(fake.URL, "wrong", nil)
	_, err := og.Create(context.Background(), "checkout", checkoutPage())
	if err == nil || !strings.Contains(err.Error(), "Opsgenie answered 401: Could not authenticate") {
		t.Fatalf("err = %v", err)
	}
	if retry, _ := remote.Retry(err); retry {
		t.Error("a wrong key is retried")
	}
}

func TestRateLimitIsRetriedAfterRetryAfter(t *testing.T) {
	fake, og := setup(t)
	fake.Fail(2, http.StatusTooManyRequests, 20)
	for range 2 {
		_, err := og.Create(context.Background(), "checkout", checkoutPage())
		if retry, after := remote.Retry(err); err == nil || !retry || after != 20*time.Second {
			t.Fatalf("err = %v, Retry = %v, %s; want true, 20s", err, retry, after)
		}
	}
	if _, err := og.Create(context.Background(), "checkout", checkoutPage()); err != nil {
		t.Fatalf("after the rate limit: %v", err)
	}
	if a := fake.Alerts(); len(a) != 1 || a[0].Count != 1 {
		t.Errorf("alerts = %+v", a)
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	fake, og := setup(t)
	fake.Down(http.StatusBadGateway)
	_, err := og.Close(context.Background(), "muster-INC-42-checkout", "")
	if retry, _ := remote.Retry(err); err == nil || !retry {
		t.Fatalf("err = %v, Retry = %v", err, retry)
	}
	if e, ok := errors.AsType[*remote.Error](err); !ok || e.Code != http.StatusBadGateway {
		t.Errorf("err = %#v", err)
	}
	fake.Down(0)
	if _, err := og.Close(context.Background(), "muster-INC-42-checkout", ""); err != nil {
		t.Fatalf("once back up: %v", err)
	}
}

func TestNetworkFailureIsRetried(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close()
	og := opsgenie.New(addr, apiKey, nil)
	_, err := og.Create(context.Background(), "checkout", checkoutPage())
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want the network error wrapped", err)
	}
	if retry, _ := remote.Retry(err); !retry {
		t.Error("a network failure is not retried")
	}
}

func TestCancelledCallIsNotRetried(t *testing.T) {
	_, og := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := og.Create(ctx, "checkout", checkoutPage())
	if retry, _ := remote.Retry(err); err == nil || retry {
		t.Errorf("err = %v, Retry = %v", err, retry)
	}
}

func TestAcceptedWithoutARequestIDIsAFailure(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"result":"ok"}`))
	}))
	defer srv.Close()
	_, err := opsgenie.New(srv.URL, apiKey, nil).Create(context.Background(), "checkout", checkoutPage())
	if err == nil || !strings.Contains(err.Error(), "no requestId") {
		t.Fatalf("err = %v", err)
	}
	if retry, _ := remote.Retry(err); !retry {
		t.Error("not retried, though a retry is harmless under the same alias")
	}
}

func TestOnCallListsTheScheduleUsernames(t *testing.T) {
	fake, og := setup(t)
	fake.OnCall("checkout_schedule", "ann@example.com", "bob@example.com", "ann@example.com")
	got, err := og.OnCall(context.Background(), "checkout_schedule")
	if err != nil {
		t.Fatal(err)
	}
	want := []paging.OnCall{{Email: "ann@example.com"}, {Email: "bob@example.com"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("on-call = %+v, want %+v", got, want)
	}
	c := fake.Calls()[0]
	q, _ := url.ParseQuery(c.Query)
	if c.Path != "/v2/schedules/checkout_schedule/on-calls" || q.Get("scheduleIdentifierType") != "name" || q.Get("flat") != "true" {
		t.Errorf("call %+v", c)
	}
}

func TestOnCallOfAnUnknownSchedule(t *testing.T) {
	_, og := setup(t)
	_, err := og.OnCall(context.Background(), "nope")
	want := "list Opsgenie on-calls of schedule nope: Opsgenie answered 404: No schedule exists with name [nope]"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	if retry, _ := remote.Retry(err); retry {
		t.Error("an unknown schedule is retried")
	}
}

func TestPriorities(t *testing.T) {
	for _, p := range []string{"P1", "P2", "P3", "P4", "P5"} {
		if !opsgenie.ValidPriority(p) {
			t.Errorf("ValidPriority(%q) = false", p)
		}
	}
	for _, p := range []string{"", "P0", "P6", "p1", "critical"} {
		if opsgenie.ValidPriority(p) {
			t.Errorf("ValidPriority(%q) = true", p)
		}
	}
	if opsgenie.DefaultURL != "https://api.opsgenie.com" {
		t.Error("DefaultURL is not the documented one")
	}
}

func TestRefusalNamesTheFieldsOpsgenieLists(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = w.Write([]byte(`{"message":"Request body is not processable. Please check the errors.",` +
			`"errors":{"responders":"Team not found","message":"Message can not be empty."},"took":0.002,"requestId":"r1"}`))
	}))
	defer srv.Close()
	_, err := opsgenie.New(srv.URL, apiKey, nil).Create(context.Background(), "nobody", checkoutPage())
	want := "Opsgenie answered 422: Request body is not processable. Please check the errors. " +
		"(message: Message can not be empty.; responders: Team not found)"
	if err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Fatalf("err = %v, want it to end %q", err, want)
	}
}
