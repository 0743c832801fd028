package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/store"
	"github.com/muster-bot/muster/webhooks"
)

var t0 = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

// openStore opens a store in a temporary directory, closed when the test
// ends.
func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// declareSEV2 stores a new public SEV2 incident declared by alice.
func declareSEV2(t *testing.T, db *store.DB, title string, private bool) *muster.Incident {
	t.Helper()
	inc, first, err := muster.NewIncident(title, muster.DefaultSeverities()[1], private, "UALICE", t0)
	if err != nil {
		t.Fatal(err)
	}
	must(t, db.Create(context.Background(), inc, first))
	return inc
}

// change runs fn on incident id and stores the entry it returns.
func change(t *testing.T, db *store.DB, id int, fn func(*muster.Incident) (muster.Entry, error)) {
	t.Helper()
	if _, _, err := db.Update(context.Background(), id, func(i *muster.Incident) ([]muster.Entry, error) {
		e, err := fn(i)
		return []muster.Entry{e}, err
	}); err != nil {
		t.Fatal(err)
	}
}

// TestHungReceiverDelaysNoOther: one URL whose receiver never answers does
// not hold up the deliveries to another.
func TestHungReceiverDelaysNoOther(t *testing.T) {
	db := openStore(t)
	declareSEV2(t, db, "Checkout down", false)
	hung := make(chan struct{})    // closed when the hung receiver has a request
	release := make(chan struct{}) // closed when the test ends
	var once sync.Once
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		once.Do(func() { close(hung) })
		select {
		case <-r.Context().Done(): // the deliverer gave up
		case <-release:
		}
	}))
	defer stuck.Close()
	defer close(release)
	got := make(chan webhooks.Event, 10)
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev webhooks.Event
		json.NewDecoder(r.Body).Decode(&ev)
		got <- ev
	}))
	defer live.Close()

	// The hung URL comes first, and the client waits for ever: only
	// delivering each URL on its own lets the second be served.
	d := webhooks.New(webhooks.Config{URLs: []string{stuck.URL, live.URL}, Secret: "s3cret", Client: &http.Client{}}, func() time.Time { return t0 }, zerolog.Nop())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx, db) }()
	defer func() { cancel(); <-done }()
	select {
	case <-hung:
	case <-time.After(5 * time.Second):
		t.Fatal("the hung receiver got no request")
	}
	select {
	case ev := <-got:
		if ev.Event != "declared" {
			t.Errorf("the live receiver got %q first, want declared", ev.Event)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the live receiver got nothing while the other hung")
	}
}

// TestPayloadIsTheStateAsOfTheEvent: events delivered late (all at once,
// after the incident was resolved) each carry the incident as the event
// left it, and people as ids and names, not chat markup.
func TestPayloadIsTheStateAsOfTheEvent(t *testing.T) {
	db := openStore(t)
	inc := declareSEV2(t, db, "Checkout down", false)
	ic, _ := muster.DefaultRoles().Find("ic")
	change(t, db, inc.ID, func(i *muster.Incident) (muster.Entry, error) { return i.Assign(ic, "UBOB", "UALICE", t0) })
	change(t, db, inc.ID, func(i *muster.Incident) (muster.Entry, error) {
		e, _, err := i.SetSeverity(muster.DefaultSeverities(), "SEV1", "UBOB", t0)
		return e, err
	})
	change(t, db, inc.ID, func(i *muster.Incident) (muster.Entry, error) {
		return i.SetStatus(muster.StatusIdentified, "UBOB", t0)
	})
	change(t, db, inc.ID, func(i *muster.Incident) (muster.Entry, error) { return i.Assign(ic, "UCAROL", "UBOB", t0) })
	change(t, db, inc.ID, func(i *muster.Incident) (muster.Entry, error) { return i.Resolve("fixed", "UCAROL", t0) })

	var mu sync.Mutex
	var bodies []string
	var events []webhooks.Event
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev webhooks.Event
		must(t, json.Unmarshal(body, &ev))
		mu.Lock()
		defer mu.Unlock()
		bodies = append(bodies, string(body))
		events = append(events, ev)
	}))
	defer srv.Close()
	names := map[string]string{"UALICE": "Alice Ng", "UBOB": "Bob Roy"} // Carol's name is not known
	d := webhooks.New(webhooks.Config{URLs: []string{srv.URL}, Secret: "s3cret", Client: srv.Client(),
		Names: func(_ context.Context, id string) string { return names[id] }}, func() time.Time { return t0 }, zerolog.Nop())
	d.Step(context.Background(), db)

	type row struct{ event, severity, status, ic, actor, text string }
	want := []row{
		{"declared", "SEV2", "investigating", "", "UALICE Alice Ng", "Declared SEV2: Checkout down"},
		{"role", "SEV2", "investigating", "UBOB Bob Roy", "UALICE Alice Ng", "@Bob Roy is now Incident Commander"},
		{"severity", "SEV1", "investigating", "UBOB Bob Roy", "UBOB Bob Roy", "Severity upgraded from SEV2 to SEV1"},
		{"status", "SEV1", "identified", "UBOB Bob Roy", "UBOB Bob Roy", "Status changed from investigating to identified"},
		{"role", "SEV1", "identified", "UCAROL", "UBOB Bob Roy", "Incident Commander handed off from @Bob Roy to @UCAROL"},
		{"resolved", "SEV1", "resolved", "UCAROL", "UCAROL", "Resolved: fixed"},
	}
	user := func(u *webhooks.User) string {
		if u == nil {
			return ""
		}
		return strings.TrimSpace(u.ID + " " + u.Name)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) != len(want) {
		t.Fatalf("%d events, want %d: %s", len(events), len(want), bodies)
	}
	for i, ev := range events {
		got := row{ev.Event, ev.Incident.Severity, ev.Incident.Status, user(ev.Incident.IC), user(ev.Actor), ev.Text}
		if got != want[i] {
			t.Errorf("event %d:\n got %+v\nwant %+v", i+1, got, want[i])
		}
		if strings.Contains(bodies[i], "<@") {
			t.Errorf("event %d holds chat markup: %s", i+1, bodies[i])
		}
	}
	if m := events[4].Mentions; len(m) != 2 || m[0] != (webhooks.User{ID: "UBOB", Name: "Bob Roy"}) || m[1] != (webhooks.User{ID: "UCAROL"}) {
		t.Errorf("handoff mentions %+v, want Bob by id and name, Carol by id", m)
	}
}

// TestURLsAreRedacted: the tokens a webhook URL holds (query, user
// information) appear in no log line.
func TestURLsAreRedacted(t *testing.T) {
	db := openStore(t)
	declareSEV2(t, db, "Checkout down", false)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer failing.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close() // connection refused: net/http's error quotes the URL
	urls := []string{
		strings.Replace(failing.URL, "http://", "http://hookuser:hookpass@", 1) + "/in?token=tok-failing",
		gone.URL + "/in?token=tok-gone&x=1",
		"http://127.0.0.1:1/%zz?token=tok-bad", // does not parse
	}
	var logs lockedBuffer // each URL logs from its own goroutine
	d := webhooks.New(webhooks.Config{URLs: urls, Secret: "s3cret"}, func() time.Time { return t0 }, zerolog.New(&logs))
	d.Step(context.Background(), db)
	out := logs.String()
	if strings.Count(out, "webhook delivery failed") != 3 {
		t.Fatalf("want three failures logged, got:\n%s", out)
	}
	for _, secret := range []string{"tok-failing", "tok-gone", "tok-bad", "hookpass", "hookuser"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log shows %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "?REDACTED") || !strings.Contains(out, "REDACTED@") {
		t.Errorf("the log does not show the redacted URLs:\n%s", out)
	}
}

// lockedBuffer is a log writer safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestPrivateIncidentsAreNeverSent: nothing of a private incident leaves,
// whatever happens to it.
func TestPrivateIncidentsAreNeverSent(t *testing.T) {
	db := openStore(t)
	secret := declareSEV2(t, db, "Key leaked", true)
	change(t, db, secret.ID, func(i *muster.Incident) (muster.Entry, error) { return i.PostUpdate("Rotated", "UALICE", t0) })
	change(t, db, secret.ID, func(i *muster.Incident) (muster.Entry, error) { return i.Resolve("done", "UALICE", t0) })
	public := declareSEV2(t, db, "Checkout down", false)
	var mu sync.Mutex
	var refs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev webhooks.Event
		json.NewDecoder(r.Body).Decode(&ev)
		mu.Lock()
		refs = append(refs, ev.Incident.Ref)
		mu.Unlock()
	}))
	defer srv.Close()
	d := webhooks.New(webhooks.Config{URLs: []string{srv.URL, srv.URL + "/second"}, Secret: "s3cret", Client: srv.Client()}, func() time.Time { return t0 }, zerolog.Nop())
	d.Step(context.Background(), db)
	d.Step(context.Background(), db)
	mu.Lock()
	defer mu.Unlock()
	if len(refs) != 2 || refs[0] != public.Ref() || refs[1] != public.Ref() {
		t.Errorf("sent %v, want %s once per URL and never %s", refs, public.Ref(), secret.Ref())
	}
}
