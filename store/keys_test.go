package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/store"
)

// The tests here age idempotency keys with the store's clock (SetNow,
// export_test.go), which only bbolt has: how keys expire is each backend's
// own. storetest checks what they share, that a fresh key is kept.

func appendEntry(tb testing.TB, db *store.DB, id int, key string, e muster.Entry) (muster.Entry, bool) {
	tb.Helper()
	stored, appended, err := db.Append(context.Background(), id, key, e)
	if err != nil {
		tb.Fatalf("Append(INC-%d, %q): %v", id, key, err)
	}
	return stored, appended
}

func TestOldKeysAreForgottenAtOpen(t *testing.T) {
	path := dbPath(t)
	db := openDB(t, path)
	inc := declare(t, db, "Checkout down")
	now := time.Now()
	store.SetNow(db, func() time.Time { return now.Add(-8 * 24 * time.Hour) })
	appendEntry(t, db, inc.ID, "old", said("1.1", "last week"))
	store.SetNow(db, func() time.Time { return now.Add(-6 * 24 * time.Hour) })
	appendEntry(t, db, inc.ID, "recent", said("1.2", "six days ago"))
	closeDB(t, db)

	db = openDB(t, path)
	// Another message under the same key: only the key may suppress it.
	if _, appended := appendEntry(t, db, inc.ID, "old", said("1.3", "last week")); !appended {
		t.Error("a key older than a week still suppressed an append")
	}
	if _, appended := appendEntry(t, db, inc.ID, "recent", said("1.4", "six days ago")); appended {
		t.Error("a six-day-old key was forgotten")
	}
}

func TestPruneKeysWhileRunning(t *testing.T) {
	db := openDB(t, dbPath(t))
	inc := declare(t, db, "Checkout down")
	now := time.Now()
	store.SetNow(db, func() time.Time { return now.Add(-8 * 24 * time.Hour) })
	appendEntry(t, db, inc.ID, "old", said("1.1", "last week"))
	store.SetNow(db, func() time.Time { return now })
	appendEntry(t, db, inc.ID, "new", said("1.2", "today"))
	if n, err := db.PruneKeys(context.Background()); err != nil || n != 1 {
		t.Fatalf("PruneKeys = %d, %v; want 1 key forgotten", n, err)
	}
	if _, appended := appendEntry(t, db, inc.ID, "new", said("1.2", "today")); appended {
		t.Error("a fresh key was forgotten")
	}
}
