package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/store"
)

// TestOpenMovesSchema6 builds a schema 6 store (incidents, no declaration
// index) and opens it: the index is built, so a window lists the old
// incidents, newest first, and the file says the current schema.
func TestOpenMovesSchema6(t *testing.T) {
	path := dbPath(t)
	ctx := context.Background()
	db := openDB(t, path)
	var ids []int
	for i := range 3 {
		inc, first, err := muster.NewIncident("old", muster.Severity{Name: "SEV2"}, false, "U1", t0.Add(time.Duration(i)*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Create(ctx, inc, first); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, inc.ID)
	}
	closeDB(t, db)
	if err := store.MakeSchema6(path); err != nil {
		t.Fatal(err)
	}

	db = openDB(t, path)
	list, err := db.IncidentsDeclared(ctx, t0, t0.Add(24*time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, inc := range list {
		got = append(got, inc.ID)
	}
	slices.Reverse(ids)
	if !slices.Equal(got, ids) {
		t.Errorf("declared after the move: %v, want %v", got, ids)
	}
	closeDB(t, db)
	if got := schemaOf(t, path); got != store.SchemaVersion {
		t.Errorf("schema is %d after the move, want %d", got, store.SchemaVersion)
	}
}
