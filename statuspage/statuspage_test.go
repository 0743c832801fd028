package statuspage_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/remote"
	"github.com/muster-bot/muster/statuspage"
	"github.com/muster-bot/muster/statuspage/fakestatuspage"
)

// TestCreateThenUpdate: the create names the incident and posts its first
// update with the components' states; an update adds an update and moves
// the states; one without a body moves the states alone.
func TestCreateThenUpdate(t *testing.T) {
	t.Parallel()
	fake := fakestatuspage.New(t, "pg1", "key1")
	c := statuspage.New(fake.URL, "pg1", "key1", nil)
	ctx := context.Background()
	id, err := c.CreateIncident(ctx, statuspage.Incident{
		Name: "Checkout errors", Status: statuspage.Status(muster.StatusInvestigating), Body: "We are looking into it.",
		Components: map[string]string{"cmp1": statuspage.ComponentState(muster.ComponentPartial)}, ComponentIDs: []string{"cmp1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateIncident(ctx, id, statuspage.Incident{Status: statuspage.Status(muster.StatusMitigated), Body: "A fix is out."}); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateIncident(ctx, id, statuspage.Incident{Components: map[string]string{"cmp1": statuspage.ComponentState(muster.ComponentOperational)}}); err != nil {
		t.Fatal(err)
	}
	incs := fake.Incidents()
	if len(incs) != 1 || incs[0].ID != id || incs[0].Name != "Checkout errors" || incs[0].Status != "monitoring" {
		t.Fatalf("incidents = %+v", incs)
	}
	want := []fakestatuspage.Update{{Status: "investigating", Body: "We are looking into it."}, {Status: "monitoring", Body: "A fix is out."}}
	if len(incs[0].Updates) != 2 || incs[0].Updates[0] != want[0] || incs[0].Updates[1] != want[1] {
		t.Errorf("updates = %+v, want %+v", incs[0].Updates, want)
	}
	if got := fake.ComponentState("cmp1"); got != "operational" {
		t.Errorf("component state = %q, want operational", got)
	}
}

// TestErrors: what is worth retrying (5xx, 429 with its Retry-After, the
// network) and what is not (a wrong key, an unknown component), each
// error saying what Statuspage said.
func TestErrors(t *testing.T) {
	t.Parallel()
	fake := fakestatuspage.New(t, "pg1", "key1")
	fake.Components("cmp1")
	ctx := context.Background()
	ok := statuspage.Incident{Name: "x", Body: "y"}
	for _, tt := range []struct {
		name      string
		setup     func()
		client    *statuspage.Client
		inc       statuspage.Incident
		retry     bool
		after     time.Duration
		errSubstr string
	}{
		{"server error", func() { fake.Fail(500, 0) }, statuspage.New(fake.URL, "pg1", "key1", nil), ok, true, 0, "500"},
		{"rate limited", func() { fake.Fail(429, 7) }, statuspage.New(fake.URL, "pg1", "key1", nil), ok, true, 7 * time.Second, "429"},
		{"wrong key", func() {}, statuspage.New(fake.URL, "pg1", "nope", nil), ok, false, 0, "Could not authenticate"},
		{"unknown component", func() {}, statuspage.New(fake.URL, "pg1", "key1", nil),
			statuspage.Incident{Name: "x", Body: "y", Components: map[string]string{"cmpX": "major_outage"}}, false, 0, "component cmpX not found"},
		{"unreachable", func() {}, statuspage.New("http://127.0.0.1:1", "pg1", "key1", nil), ok, true, 0, "127.0.0.1:1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup()
			_, err := tt.client.CreateIncident(ctx, tt.inc)
			if err == nil {
				t.Fatal("no error")
			}
			retry, after := remote.Retry(err)
			if retry != tt.retry || after != tt.after {
				t.Errorf("Retry(%v) = %v, %s; want %v, %s", err, retry, after, tt.retry, tt.after)
			}
			if !strings.Contains(err.Error(), tt.errSubstr) {
				t.Errorf("error %q does not say %q", err, tt.errSubstr)
			}
		})
	}
	if _, err := statuspage.New(fake.URL, "pg1", "key1", nil).CreateIncident(ctx, ok); err != nil {
		t.Errorf("a call after the failures: %v", err)
	}
	var se *remote.Error
	_, err := statuspage.New(fake.URL, "other", "key1", nil).CreateIncident(ctx, ok)
	if !errors.As(err, &se) || se.Code != 404 {
		t.Errorf("another page: %v, want a 404", err)
	}
}
