package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/store/storetest"
)

// TestImport bulk-loads a history: every incident is numbered in order,
// indexed by declaration time and, when open, in the open index, and its
// timeline holds what was given, numbered from 1; after a reopen too. An
// import that names an empty timeline stores nothing.
func TestImport(t *testing.T) {
	path := dbPath(t)
	db := openDB(t, path)
	ctx := context.Background()
	h := storetest.LoadHistory(t, db, storetest.History{Incidents: 2500, Entries: 25_000, Open: 3, LongEntries: 40, End: t0})
	closeDB(t, db)
	db = openDB(t, path)

	open, err := db.Incidents(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	for _, inc := range open {
		ids = append(ids, inc.ID)
	}
	if !slices.Equal(ids, []int{2498, 2499, 2500}) {
		t.Errorf("open incidents %v, want the newest three", ids)
	}
	newest, err := db.IncidentsDeclared(ctx, t0.Add(-24*time.Hour), t0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(newest) != 24 || newest[0].ID != 2500 || newest[23].ID != 2477 {
		t.Errorf("the last day holds %d incidents, from INC-%d", len(newest), newest[0].ID)
	}
	if h.Long != 2497 {
		t.Errorf("the long incident is INC-%d, want 2497", h.Long)
	}
	tl, err := db.Timeline(ctx, h.Long)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl) != 40 || tl[0].Seq != 1 || tl[0].Kind != muster.EntryDeclared || tl[39].Seq != 40 || tl[39].Kind != muster.EntryResolved {
		t.Errorf("long timeline: %d entries, first %+v, last %+v", len(tl), tl[0], tl[len(tl)-1])
	}

	inc, first, err := muster.NewIncident("empty", muster.Severity{Name: "SEV3"}, false, "U1", t0)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Import(ctx, []*muster.Incident{inc, inc}, [][]muster.Entry{{first}, nil})
	if err == nil || inc.ID != 0 {
		t.Errorf("an import with an empty timeline: %v, numbered %d", err, inc.ID)
	}
	if _, err := db.Incident(ctx, 2501); muster.ErrorCode(err) != muster.ENOTFOUND {
		t.Errorf("the failed import stored INC-2501: %v", err)
	}
}
