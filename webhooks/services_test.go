package webhooks_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/webhooks"
)

// TestPayloadServices: every event carries the services affected as of
// it, and adding or removing a service is an event of its own.
func TestPayloadServices(t *testing.T) {
	db := openStore(t)
	inc, first, err := muster.NewIncident("Orders fail", muster.DefaultSeverities()[0], false, "UALICE", t0)
	if err != nil {
		t.Fatal(err)
	}
	inc.DeclaredServices(&first, []string{"checkout"})
	must(t, db.Create(context.Background(), inc, first))
	declareSEV2(t, db, "Typo", false)
	change(t, db, inc.ID, func(i *muster.Incident) (muster.Entry, error) {
		e, _, err := i.AddServices([]string{"payments", "search"}, "UBOB", t0)
		return e, err
	})
	change(t, db, inc.ID, func(i *muster.Incident) (muster.Entry, error) {
		return i.RemoveServices([]string{"checkout"}, "UBOB", t0)
	})
	change(t, db, inc.ID, func(i *muster.Incident) (muster.Entry, error) { return i.Resolve("fixed", "UBOB", t0) })

	var mu sync.Mutex
	var got []string
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev webhooks.Event
		must(t, json.Unmarshal(body, &ev))
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev.Incident.Ref+" "+ev.Event+" ["+strings.Join(ev.Incident.Services, ",")+"]")
		bodies = append(bodies, string(body))
	}))
	defer srv.Close()
	d := webhooks.New(webhooks.Config{URLs: []string{srv.URL}, Secret: "s3cret", Client: srv.Client()}, func() time.Time { return t0 }, zerolog.Nop())
	d.Step(context.Background(), db)
	d.Step(context.Background(), db)

	mu.Lock()
	defer mu.Unlock()
	want := []string{
		"INC-1 declared [checkout]",
		"INC-1 service [checkout,payments,search]",
		"INC-1 service [payments,search]",
		"INC-1 resolved [payments,search]",
		"INC-2 declared []",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, b := range bodies {
		if !strings.Contains(b, `"services":[`) {
			t.Errorf("no services list in %s", b)
		}
	}
}
