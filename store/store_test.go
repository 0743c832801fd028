package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/store"
)

// The behaviour every store shares is tested by storetest (see
// conformance_test.go); the tests here are about bbolt: its file, its
// lock, its clock, its batches, its migrations.

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

// said is a war-room message as an adapter would record it.
func said(messageID, text string) muster.Entry {
	return muster.Entry{Kind: muster.EntryMessage, At: t0, Actor: "U2", Text: text, MessageID: messageID}
}

// TestOpenTwice: bbolt's lock is per open file, so a second Open in the
// same process meets it as a second process would, and says so.
func TestOpenTwice(t *testing.T) {
	path := dbPath(t)
	openDB(t, path)
	start := time.Now()
	db, err := store.Open(path)
	if err == nil {
		_ = db.Close()
		t.Fatal("a second Open of a locked file succeeded")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("second Open took %s to fail", d)
	}
	want := "store " + path + " is in use by another muster process (bbolt file lock); stop it or use another store.path"
	if err.Error() != want {
		t.Errorf("second Open: %q, want %q", err, want)
	}
}
