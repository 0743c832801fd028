package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/store"
)

// t0 is a fixed UTC time, so that entries survive a JSON round trip equal.
var t0 = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

// dbPath returns a path whose directory does not exist yet, so every test
// also checks that Open creates it.
func dbPath(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), "data", "muster.db")
}

// openDB opens the store at path and closes it when the test ends (closing
// twice is harmless, so tests may close it earlier to reopen).
func openDB(tb testing.TB, path string) *store.DB {
	tb.Helper()
	db, err := store.Open(path)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

func closeDB(tb testing.TB, db *store.DB) {
	tb.Helper()
	if err := db.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
}

// declare stores a new SEV2 incident and returns it numbered.
func declare(tb testing.TB, db *store.DB, title string) *muster.Incident {
	tb.Helper()
	inc, first, err := muster.NewIncident(title, muster.Severity{Name: "SEV2"}, false, "U1", t0)
	if err != nil {
		tb.Fatalf("NewIncident: %v", err)
	}
	if err := db.Create(context.Background(), inc, first); err != nil {
		tb.Fatalf("Create: %v", err)
	}
	return inc
}

// update runs db.Update and fails the test on error.
func update(tb testing.TB, db *store.DB, id int, fn func(*muster.Incident) ([]muster.Entry, error)) (*muster.Incident, []muster.Entry) {
	tb.Helper()
	inc, entries, err := db.Update(context.Background(), id, fn)
	if err != nil {
		tb.Fatalf("Update INC-%d: %v", id, err)
	}
	return inc, entries
}

func timeline(tb testing.TB, db *store.DB, id int) []muster.Entry {
	tb.Helper()
	entries, err := db.Timeline(context.Background(), id)
	if err != nil {
		tb.Fatalf("Timeline INC-%d: %v", id, err)
	}
	return entries
}

func incidentIDs(tb testing.TB, db *store.DB, openOnly bool) []int {
	tb.Helper()
	list, err := db.Incidents(context.Background(), openOnly)
	if err != nil {
		tb.Fatalf("Incidents(%v): %v", openOnly, err)
	}
	ids := []int{}
	for _, inc := range list {
		ids = append(ids, inc.ID)
	}
	return ids
}

func seqs(entries []muster.Entry) []int {
	s := []int{}
	for _, e := range entries {
		s = append(s, e.Seq)
	}
	return s
}

func TestCreateNumbersIncidents(t *testing.T) {
	path := dbPath(t)
	db := openDB(t, path)
	for want, title := range []string{"Checkout down", "Search slow", "Login errors"} {
		if inc := declare(t, db, title); inc.ID != want+1 {
			t.Errorf("%q got ID %d, want %d", title, inc.ID, want+1)
		}
	}
	got, err := db.Incident(context.Background(), 2)
	if err != nil {
		t.Fatalf("Incident(2): %v", err)
	}
	if got.ID != 2 || got.Title != "Search slow" || got.Status != muster.StatusInvestigating {
		t.Errorf("Incident(2) = %+v", got)
	}
	first := timeline(t, db, 2)
	if len(first) != 1 || first[0].Seq != 1 || first[0].Kind != muster.EntryDeclared {
		t.Errorf("timeline of INC-2 = %+v, want the declared entry as Seq 1", first)
	}

	closeDB(t, db)
	db = openDB(t, path)
	if inc := declare(t, db, "After restart"); inc.ID != 4 {
		t.Errorf("first incident after reopen got ID %d, want 4", inc.ID)
	}
}

func TestNotFound(t *testing.T) {
	db := openDB(t, dbPath(t))
	declare(t, db, "Checkout down")
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		msg  string
	}{
		{"incident", func() error { _, err := db.Incident(ctx, 99); return err }, "There is no incident INC-99."},
		{"incident zero", func() error { _, err := db.Incident(ctx, 0); return err }, "There is no incident INC-0."},
		{"room", func() error { _, err := db.IncidentByRoom(ctx, "slack", "C404"); return err }, "This room is not an incident war room."},
		{"empty room", func() error { _, err := db.IncidentByRoom(ctx, "slack", ""); return err }, "This room is not an incident war room."},
		{"timeline", func() error { _, err := db.Timeline(ctx, 99); return err }, "There is no incident INC-99."},
		{"update", func() error {
			_, _, err := db.Update(ctx, 99, func(*muster.Incident) ([]muster.Entry, error) { return nil, nil })
			return err
		}, "There is no incident INC-99."},
		{"append", func() error { _, _, err := db.Append(ctx, 99, "k", muster.Entry{Text: "hi"}); return err }, "There is no incident INC-99."},
		{"revise in an unknown incident", func() error {
			_, _, err := db.Revise(ctx, 99, "1700000000.000100", "k", func(*muster.Entry) error { return nil })
			return err
		}, "There is no incident INC-99."},
		{"revise without a message id", func() error {
			_, _, err := db.Revise(ctx, 1, "", "k", func(*muster.Entry) error { return nil })
			return err
		}, "That message is not in the timeline of INC-1."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if code := muster.ErrorCode(err); code != muster.ENOTFOUND {
				t.Fatalf("error %v has code %q, want %q", err, code, muster.ENOTFOUND)
			}
			if msg := muster.ErrorMessage(err); msg != tt.msg {
				t.Errorf("message %q, want %q", msg, tt.msg)
			}
		})
	}
}

func TestUpdateErrorWritesNothing(t *testing.T) {
	db := openDB(t, dbPath(t))
	inc := declare(t, db, "Checkout down")
	ctx := context.Background()
	before, _ := db.Incident(ctx, inc.ID)

	_, _, err := db.Update(ctx, inc.ID, func(inc *muster.Incident) ([]muster.Entry, error) {
		inc.Title, inc.Platform, inc.Room = "changed", "slack", "C1"
		e, _ := inc.Resolve("fixed", "U1", t0)
		return []muster.Entry{e}, muster.Errorf(muster.ECONFLICT, "no")
	})
	if muster.ErrorCode(err) != muster.ECONFLICT {
		t.Fatalf("Update error %v, want the fn's ECONFLICT", err)
	}
	after, _ := db.Incident(ctx, inc.ID)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("incident changed by a failed Update:\nbefore %+v\nafter  %+v", before, after)
	}
	if n := len(timeline(t, db, inc.ID)); n != 1 {
		t.Errorf("timeline has %d entries after a failed Update, want 1", n)
	}
	if _, err := db.IncidentByRoom(ctx, "slack", "C1"); muster.ErrorCode(err) != muster.ENOTFOUND {
		t.Errorf("room indexed by a failed Update: %v", err)
	}
	if ids := incidentIDs(t, db, true); !slices.Equal(ids, []int{1}) {
		t.Errorf("open incidents %v after a failed resolve, want [1]", ids)
	}
}

func TestUpdateAppendsEntriesInOrder(t *testing.T) {
	db := openDB(t, dbPath(t))
	inc := declare(t, db, "Checkout down")
	saved, entries := update(t, db, inc.ID, func(inc *muster.Incident) ([]muster.Entry, error) {
		a, _ := inc.SetStatus(muster.StatusIdentified, "U1", t0.Add(time.Minute))
		b, _ := inc.PostUpdate("Rolled back", "U2", t0.Add(2*time.Minute))
		c, _ := inc.AddNote("Flag off", "U2", t0.Add(3*time.Minute))
		return []muster.Entry{a, b, c}, nil
	})
	if saved.Status != muster.StatusIdentified || saved.ID != inc.ID {
		t.Errorf("saved incident %+v", saved)
	}
	if got := seqs(entries); !slices.Equal(got, []int{2, 3, 4}) {
		t.Errorf("returned Seqs %v, want [2 3 4]", got)
	}
	stored := timeline(t, db, inc.ID)
	if !reflect.DeepEqual(stored[1:], entries) {
		t.Errorf("stored entries differ from returned ones:\nstored   %+v\nreturned %+v", stored[1:], entries)
	}
	_, more := update(t, db, inc.ID, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, _ := inc.AddNote("Second", "U1", t0)
		return []muster.Entry{e}, nil
	})
	if more[0].Seq != 5 {
		t.Errorf("next Update got Seq %d, want 5", more[0].Seq)
	}
}

func TestUpdateMaintainsIndexes(t *testing.T) {
	db := openDB(t, dbPath(t))
	ctx := context.Background()
	for _, title := range []string{"One", "Two", "Three"} {
		declare(t, db, title)
	}
	setRoom := func(platform, room string) func(*muster.Incident) ([]muster.Entry, error) {
		return func(inc *muster.Incident) ([]muster.Entry, error) {
			inc.Platform, inc.Room = platform, room
			return nil, nil
		}
	}
	roomOf := func(platform, room string) int {
		t.Helper()
		inc, err := db.IncidentByRoom(ctx, platform, room)
		if muster.ErrorCode(err) == muster.ENOTFOUND {
			return 0
		}
		if err != nil {
			t.Fatalf("IncidentByRoom(%s, %s): %v", platform, room, err)
		}
		return inc.ID
	}

	update(t, db, 1, setRoom("slack", "C1"))
	update(t, db, 2, setRoom("teams", "C1")) // same room id on another platform
	if got := roomOf("slack", "C1"); got != 1 {
		t.Errorf("slack/C1 → INC-%d, want INC-1", got)
	}
	if got := roomOf("teams", "C1"); got != 2 {
		t.Errorf("teams/C1 → INC-%d, want INC-2", got)
	}
	update(t, db, 1, setRoom("slack", "C9"))
	if got := roomOf("slack", "C1"); got != 0 {
		t.Errorf("old room slack/C1 still → INC-%d after a move", got)
	}
	if got := roomOf("slack", "C9"); got != 1 {
		t.Errorf("slack/C9 → INC-%d, want INC-1", got)
	}
	_, _, err := db.Update(ctx, 3, setRoom("slack", "C9"))
	if muster.ErrorCode(err) != muster.ECONFLICT {
		t.Errorf("claiming INC-1's room: %v, want ECONFLICT", err)
	}

	clash, first, _ := muster.NewIncident("Clash", muster.Severity{Name: "SEV2"}, false, "U1", t0)
	clash.Platform, clash.Room = "slack", "C9"
	if err := db.Create(ctx, clash, first); muster.ErrorCode(err) != muster.ECONFLICT || clash.ID != 0 {
		t.Errorf("creating an incident in INC-1's room: %v (ID %d), want ECONFLICT and no number", err, clash.ID)
	}

	steps := []struct {
		name string
		fn   func(*muster.Incident) (muster.Entry, error)
		open []int
	}{
		{"resolve", func(inc *muster.Incident) (muster.Entry, error) { return inc.Resolve("", "U1", t0) }, []int{1, 3}},
		{"mitigate another", func(inc *muster.Incident) (muster.Entry, error) {
			return inc.SetStatus(muster.StatusMitigated, "U1", t0)
		}, []int{1, 3}},
		{"reopen", func(inc *muster.Incident) (muster.Entry, error) { return inc.Reopen("U1", t0) }, []int{1, 2, 3}},
	}
	ids := []int{2, 3, 2}
	for i, step := range steps {
		update(t, db, ids[i], func(inc *muster.Incident) ([]muster.Entry, error) {
			e, err := step.fn(inc)
			return []muster.Entry{e}, err
		})
		if got := incidentIDs(t, db, true); !slices.Equal(got, step.open) {
			t.Errorf("after %s: open incidents %v, want %v", step.name, got, step.open)
		}
		if got := incidentIDs(t, db, false); !slices.Equal(got, []int{1, 2, 3}) {
			t.Errorf("after %s: all incidents %v, want [1 2 3]", step.name, got)
		}
	}
	if inc := declare(t, db, "Four"); inc.ID != 4 {
		t.Errorf("incident after a failed Create got ID %d, want 4", inc.ID)
	}
}

func TestPing(t *testing.T) {
	db := openDB(t, dbPath(t))
	if err := db.Ping(context.Background()); err != nil {
		t.Fatalf("Ping on an open store: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.Ping(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Ping with a cancelled context: %v", err)
	}
	closeDB(t, db)
	if err := db.Ping(context.Background()); err == nil {
		t.Error("Ping on a closed store succeeded")
	}
}

func TestOpenTwiceTimesOut(t *testing.T) {
	path := dbPath(t)
	openDB(t, path)
	start := time.Now()
	if db, err := store.Open(path); err == nil {
		_ = db.Close()
		t.Fatal("a second Open of a locked file succeeded")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("second Open took %s to fail", d)
	}
}

func TestSettingsSurviveReopen(t *testing.T) {
	path := dbPath(t)
	db := openDB(t, path)
	ctx := context.Background()
	if v, err := db.Setting(ctx, "teams.service_url"); err != nil || v != "" {
		t.Fatalf("unset setting = %q, %v", v, err)
	}
	if err := db.SetSetting(ctx, "teams.service_url", "https://smba.example/amer/"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openDB(t, path)
	if v, err := db.Setting(ctx, "teams.service_url"); err != nil || v != "https://smba.example/amer/" {
		t.Errorf("after reopen = %q, %v", v, err)
	}
}

// TestRevisionBeforeItsMessage: events are not ordered, so a deletion (or
// an edit, or a 📌) may come before the message it is about. It is held
// and applied when the message arrives: a deleted secret stays deleted.
func TestRevisionBeforeItsMessage(t *testing.T) {
	db := openDB(t, dbPath(t))
	inc := declare(t, db, "Checkout down")
	ctx := context.Background()
	at := time.Date(2026, 11, 22, 3, 0, 5, 0, time.UTC)
	revise := func(key string, fn func(*muster.Entry)) {
		t.Helper()
		if _, _, err := db.Revise(ctx, inc.ID, "m1", key, func(e *muster.Entry) error { fn(e); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	revise("edit", func(e *muster.Entry) { e.Revise("password=[redacted]", at) })
	revise("pin", func(e *muster.Entry) { e.Key = true })
	revise("delete", func(e *muster.Entry) { e.DeletedAt = at })
	revise("delete", func(e *muster.Entry) { t.Error("a retried revision ran again") })
	stored, appended, err := db.Append(ctx, inc.ID, "msg", muster.Entry{Kind: muster.EntryMessage, Text: "password=hunter2", MessageID: "m1", At: at.Add(-time.Second)})
	if err != nil || !appended {
		t.Fatalf("append: %v %v", appended, err)
	}
	if !stored.Deleted() || !stored.Key || stored.Text != "password=[redacted]" || len(stored.Edits) != 1 || stored.Edits[0].Previous != "password=hunter2" {
		t.Errorf("entry after held revisions = %+v", stored)
	}
	tl, err := db.Timeline(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := tl[len(tl)-1]; !last.Deleted() || last.Seq != stored.Seq {
		t.Errorf("timeline entry = %+v", last)
	}
}
