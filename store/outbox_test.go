package store_test

import (
	"context"
	"testing"

	"github.com/muster-bot/muster/outbox"
	"github.com/muster-bot/muster/store"
)

// TestOpenAddsOutbox: a file from before outbox items (no outbox bucket)
// opens with an empty outbox that keeps items; the bucket needs no schema
// of its own, since an older muster would only ignore it.
func TestOpenAddsOutbox(t *testing.T) {
	path := dbPath(t)
	ctx := context.Background()
	closeDB(t, openDB(t, path))
	if err := store.DropOutbox(path); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, path)
	if items, err := db.Outbox(ctx); err != nil || len(items) != 0 {
		t.Fatalf("outbox of an older file = %v, %v; want empty", items, err)
	}
	if added, err := db.AddOutbox(ctx, outbox.Item{Key: "post/1", Kind: "post", Queued: t0, Next: t0}); err != nil || !added {
		t.Fatalf("AddOutbox = %v, %v", added, err)
	}
	closeDB(t, db)
	if got := schemaOf(t, path); got != store.SchemaVersion {
		t.Errorf("schema %d after adding the outbox bucket, want %d", got, store.SchemaVersion)
	}
}
