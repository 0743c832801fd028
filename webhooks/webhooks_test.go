package webhooks_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/store"
	"github.com/muster-bot/muster/webhooks"
)

// receiver is an endpoint that refuses its first failures requests, then
// records what it accepts and checks every signature.
type receiver struct {
	t        *testing.T
	mu       sync.Mutex
	failures int
	got      []webhooks.Event
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if want := webhooks.Sign([]byte("s3cret"), req.Header.Get(webhooks.TimestampHeader), body); req.Header.Get(webhooks.SignatureHeader) != want {
		r.t.Errorf("bad signature %q", req.Header.Get(webhooks.SignatureHeader))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failures > 0 {
		r.failures--
		http.Error(w, "down", http.StatusBadGateway)
		return
	}
	var ev webhooks.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		r.t.Error(err)
	}
	r.got = append(r.got, ev)
}

func (r *receiver) events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.got {
		out = append(out, e.Incident.Ref+" "+e.Event)
	}
	return out
}

func TestDeliverySurvivesOutagesAndRestarts(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	sev := muster.DefaultSeverities()
	inc, first, _ := muster.NewIncident("Checkout down", sev[0], false, "alice", now)
	must(t, db.Create(ctx, inc, first))
	secret, secretFirst, _ := muster.NewIncident("Key leaked", sev[0], true, "alice", now)
	must(t, db.Create(ctx, secret, secretFirst))
	change := func(fn func(*muster.Incident) (muster.Entry, error)) {
		t.Helper()
		if _, _, err := db.Update(ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
			e, err := fn(i)
			return []muster.Entry{e}, err
		}); err != nil {
			t.Fatal(err)
		}
	}
	ic, _ := muster.DefaultRoles().Find("ic")
	change(func(i *muster.Incident) (muster.Entry, error) { return i.Assign(ic, "bob", "bob", now) })
	if _, _, err := db.Append(ctx, inc.ID, "", muster.Entry{Kind: muster.EntryMessage, At: now, Actor: "bob", Text: "looking"}); err != nil {
		t.Fatal(err)
	}
	change(func(i *muster.Incident) (muster.Entry, error) { return i.PostUpdate("Rolled back", "bob", now) })

	rec := &receiver{t: t, failures: 2}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	d := webhooks.New(webhooks.Config{URLs: []string{srv.URL}, Secret: "s3cret", Client: srv.Client()}, clock, zerolog.Nop())
	d.Step(ctx, db) // refused
	d.Step(ctx, db) // waiting out the backoff: nothing sent
	now = now.Add(2 * time.Second)
	d.Step(ctx, db) // refused again
	now = now.Add(5 * time.Second)
	d.Step(ctx, db) // accepted, in order
	want := []string{"INC-1 declared", "INC-1 role", "INC-1 update"}
	if got := rec.events(); !equal(got, want) {
		t.Fatalf("after the outage: %v, want %v (the private incident never, the message never)", got, want)
	}

	// A restart delivers what came after, and nothing twice.
	change(func(i *muster.Incident) (muster.Entry, error) { return i.Resolve("fixed", "bob", now) })
	must(t, db.Close())
	db, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d = webhooks.New(webhooks.Config{URLs: []string{srv.URL}, Secret: "s3cret", Client: srv.Client()}, clock, zerolog.Nop())
	d.Step(ctx, db)
	d.Step(ctx, db)
	want = append(want, "INC-1 resolved")
	if got := rec.events(); !equal(got, want) {
		t.Errorf("after a restart: %v, want %v", got, want)
	}
	if rec.got[0].Incident.Drill {
		t.Errorf("a real incident sent as a drill: %+v", rec.got[0].Incident)
	}
	if last := rec.got[len(rec.got)-1]; last.Incident.Status != "resolved" || last.Incident.IC == nil || last.Incident.IC.ID != "bob" || last.Text != "Resolved: fixed" {
		t.Errorf("last event = %+v", last)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A drill's events say so, for receivers that page or open tickets.
func TestDrillEventsAreMarked(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	inc, first, _ := muster.NewIncident("Game day", muster.DefaultSeverities()[1], false, "alice", now)
	inc.Drill = true
	must(t, db.Create(ctx, inc, first))
	rec := &receiver{t: t}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	d := webhooks.New(webhooks.Config{URLs: []string{srv.URL}, Secret: "s3cret", Client: srv.Client()}, func() time.Time { return now }, zerolog.Nop())
	d.Step(ctx, db)
	if len(rec.got) != 1 || !rec.got[0].Incident.Drill {
		t.Fatalf("drill events: %+v", rec.got)
	}
}

// sweeps counts the reads of every incident.
type sweeps struct {
	*store.DB
	mu  sync.Mutex
	all int
}

func (s *sweeps) Incidents(ctx context.Context, openOnly bool) ([]*muster.Incident, error) {
	if !openOnly {
		s.mu.Lock()
		s.all++
		s.mu.Unlock()
	}
	return s.DB.Incidents(ctx, openOnly)
}

// TestDeliveryReadsTheHistoryHourly: after its first step a queue reads
// the open incidents and those it watches, not the whole history: an
// incident resolved since the last step still has its resolve sent at
// once, and a role given on an incident resolved long ago goes out at
// the hourly sweep.
func TestDeliveryReadsTheHistoryHourly(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	sev := muster.DefaultSeverities()
	old, oldFirst, _ := muster.NewIncident("Old outage", sev[1], false, "alice", now)
	must(t, db.Create(ctx, old, oldFirst))
	inc, first, _ := muster.NewIncident("Checkout down", sev[0], false, "alice", now)
	must(t, db.Create(ctx, inc, first))
	update := func(id int, fn func(*muster.Incident) (muster.Entry, error)) {
		t.Helper()
		if _, _, err := db.Update(ctx, id, func(i *muster.Incident) ([]muster.Entry, error) {
			e, err := fn(i)
			return []muster.Entry{e}, err
		}); err != nil {
			t.Fatal(err)
		}
	}
	update(old.ID, func(i *muster.Incident) (muster.Entry, error) { return i.Resolve("fixed", "bob", now) })

	rec := &receiver{t: t}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	counted := &sweeps{DB: db}
	d := webhooks.New(webhooks.Config{URLs: []string{srv.URL}, Secret: "s3cret", Client: srv.Client()}, func() time.Time { return now }, zerolog.Nop())
	d.Step(ctx, counted)
	want := []string{"INC-1 declared", "INC-1 resolved", "INC-2 declared"}
	if got := rec.events(); !equal(got, want) {
		t.Fatalf("first step: %v, want %v", got, want)
	}

	update(inc.ID, func(i *muster.Incident) (muster.Entry, error) { return i.Resolve("rolled back", "bob", now) })
	ic, _ := muster.DefaultRoles().Find("ic")
	update(old.ID, func(i *muster.Incident) (muster.Entry, error) { return i.Assign(ic, "carol", "carol", now) })
	for range 5 {
		now = now.Add(time.Second)
		d.Step(ctx, counted)
	}
	want = append(want, "INC-2 resolved")
	if got := rec.events(); !equal(got, want) {
		t.Errorf("seconds later: %v, want %v (the resolve at once, the old incident's role at the sweep)", got, want)
	}
	if counted.all != 1 {
		t.Errorf("%d reads of every incident in five seconds, want the first step's alone", counted.all)
	}

	now = now.Add(time.Hour)
	d.Step(ctx, counted)
	want = append(want, "INC-1 role")
	if got := rec.events(); !equal(got, want) {
		t.Errorf("an hour later: %v, want %v", got, want)
	}
}
