package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

// testIncidentsDeclared checks the declaration-time query: the window is
// from inclusive, to exclusive; newest first, ties by number descending;
// limit keeps the newest; updates (status, resolution) leave the index
// alone and are read back current; a reopened store keeps the index.
func testIncidentsDeclared(t *testing.T, open Opener) {
	db := newStore(t, open)
	ctx := context.Background()
	at := []time.Duration{3 * time.Hour, 0, time.Hour, time.Hour, 2 * time.Hour}
	var ids []int // ids[i] was declared at t0+at[i]
	for _, d := range at {
		inc, first, err := muster.NewIncident("declared", muster.Severity{Name: "SEV2"}, false, "U1", t0.Add(d))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Create(ctx, inc, first); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, inc.ID)
	}
	update(t, db, ids[2], func(i *muster.Incident) ([]muster.Entry, error) {
		i.Status, i.Summary = muster.StatusResolved, "resolved"
		return nil, nil
	})
	query := func(from, to time.Time, limit int) []int {
		t.Helper()
		list, err := db.IncidentsDeclared(ctx, from, to, limit)
		if err != nil {
			t.Fatalf("IncidentsDeclared: %v", err)
		}
		var got []int
		for _, inc := range list {
			got = append(got, inc.ID)
			if inc.ID == ids[2] && inc.Summary != "resolved" {
				t.Errorf("INC-%d listed as %+v, not as updated", inc.ID, inc)
			}
		}
		return got
	}
	for _, tc := range []struct {
		name     string
		from, to time.Time
		limit    int
		want     []int
	}{
		{"all", t0.Add(-time.Hour), t0.Add(24 * time.Hour), 0, []int{ids[0], ids[4], ids[3], ids[2], ids[1]}},
		{"from inclusive, to exclusive", t0.Add(time.Hour), t0.Add(3 * time.Hour), 0, []int{ids[4], ids[3], ids[2]}},
		{"limit keeps the newest", t0, t0.Add(24 * time.Hour), 2, []int{ids[0], ids[4]}},
		{"limit inside a tie", t0, t0.Add(2 * time.Hour), 1, []int{ids[3]}},
		{"empty window", t0.Add(10 * time.Hour), t0.Add(20 * time.Hour), 0, nil},
		{"before everything", t0.Add(-2 * time.Hour), t0, 0, nil},
	} {
		if got := query(tc.from, tc.to, tc.limit); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	db.reopen()
	if got, want := query(t0, t0.Add(24*time.Hour), 0), []int{ids[0], ids[4], ids[3], ids[2], ids[1]}; !slices.Equal(got, want) {
		t.Errorf("after reopening: got %v, want %v", got, want)
	}
}
