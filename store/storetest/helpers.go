package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

// t0 is a fixed UTC time, so that entries survive a JSON round trip equal.
var t0 = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

// testStore is the store one test works on, under a name no other test of
// the run uses. The embedded Store is the one open now (nil once closed);
// whatever is still open when the test ends is closed then.
type testStore struct {
	Store
	t    *testing.T
	open Opener
	name string
}

func newStore(t *testing.T, open Opener) *testStore {
	t.Helper()
	s := &testStore{t: t, open: open, name: storeName(t)}
	t.Cleanup(func() {
		if s.Store != nil {
			if err := s.Store.Close(); err != nil {
				t.Errorf("close store %q: %v", s.name, err)
			}
		}
	})
	s.reopen()
	return s
}

// storeName is the test's name as a path element and a key prefix alike:
// a subtest's name has slashes and may have spaces.
func storeName(t *testing.T) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '-'
	}, t.Name())
}

// close closes the open store; a store of the same name is opened only
// after, as an Opener requires.
func (s *testStore) close() {
	s.t.Helper()
	db := s.Store
	s.Store = nil
	if err := db.Close(); err != nil {
		s.t.Fatalf("close store %q: %v", s.name, err)
	}
}

// reopen closes the store if it is open and opens it again.
func (s *testStore) reopen() {
	s.t.Helper()
	if s.Store != nil {
		s.close()
	}
	db, err := s.open(s.name)
	if err != nil {
		s.t.Fatalf("open store %q: %v", s.name, err)
	}
	s.Store = db
}

// newIncident returns a SEV2 incident, not yet stored, and its first entry.
func newIncident(tb testing.TB, title string) (*muster.Incident, muster.Entry) {
	tb.Helper()
	inc, first, err := muster.NewIncident(title, muster.Severity{Name: "SEV2"}, false, "U1", t0)
	if err != nil {
		tb.Fatalf("NewIncident: %v", err)
	}
	return inc, first
}

// declare stores a new SEV2 incident and returns it numbered.
func declare(tb testing.TB, db Store, title string) *muster.Incident {
	tb.Helper()
	inc, first := newIncident(tb, title)
	if err := db.Create(context.Background(), inc, first); err != nil {
		tb.Fatalf("Create %q: %v", title, err)
	}
	return inc
}

// update runs db.Update and fails the test on error.
func update(tb testing.TB, db Store, id int, fn func(*muster.Incident) ([]muster.Entry, error)) (*muster.Incident, []muster.Entry) {
	tb.Helper()
	inc, entries, err := db.Update(context.Background(), id, fn)
	if err != nil {
		tb.Fatalf("Update INC-%d: %v", id, err)
	}
	return inc, entries
}

// said is a war-room message as an adapter would record it.
func said(messageID, text string) muster.Entry {
	return muster.Entry{Kind: muster.EntryMessage, At: t0, Actor: "U2", Text: text, MessageID: messageID}
}

func appendEntry(tb testing.TB, db Store, id int, key string, e muster.Entry) (muster.Entry, bool) {
	tb.Helper()
	stored, appended, err := db.Append(context.Background(), id, key, e)
	if err != nil {
		tb.Fatalf("Append(INC-%d, %q): %v", id, key, err)
	}
	return stored, appended
}

func timeline(tb testing.TB, db Store, id int) []muster.Entry {
	tb.Helper()
	entries, err := db.Timeline(context.Background(), id)
	if err != nil {
		tb.Fatalf("Timeline INC-%d: %v", id, err)
	}
	return entries
}

func incidentIDs(tb testing.TB, db Store, openOnly bool) []int {
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

// sameJSON reports whether a and b encode to the same JSON. Stores keep
// JSON, so a value that went through one differs from the one that went
// in only where nothing can tell (an empty map comes back nil); comparing
// encodings lets either side be a value that was never stored.
func sameJSON(tb testing.TB, a, b any) bool {
	tb.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		tb.Fatalf("encode %+v: %v", a, err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		tb.Fatalf("encode %+v: %v", b, err)
	}
	return bytes.Equal(ja, jb)
}
