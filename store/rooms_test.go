package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/muster-bot/muster"
)

// TestRoomIndexFollowsConcurrentMoves moves incidents between a few shared
// rooms from many goroutines at once (a room one gives up, another takes)
// and checks that the in-memory room index ends as the incidents say:
// bbolt runs commit handlers after releasing its writer lock, so they may
// run out of order, and the later transaction must win.
func TestRoomIndexFollowsConcurrentMoves(t *testing.T) {
	path := dbPath(t)
	db := openDB(t, path)
	ctx := context.Background()
	const incidents, rooms, moves = 8, 10, 60
	for i := range incidents {
		declare(t, db, fmt.Sprint("Incident ", i))
	}
	var wg sync.WaitGroup
	for id := 1; id <= incidents; id++ {
		wg.Go(func() {
			for m := range moves {
				room := fmt.Sprintf("C%d", (id*7+m*3)%rooms)
				_, _, err := db.Update(ctx, id, func(inc *muster.Incident) ([]muster.Entry, error) {
					inc.Platform, inc.Room = "slack", room
					return nil, nil
				})
				if err != nil && muster.ErrorCode(err) != muster.ECONFLICT {
					t.Errorf("move INC-%d to %s: %v", id, room, err)
					return
				}
			}
		})
	}
	wg.Wait()
	check := func(when string) {
		t.Helper()
		want := map[string]int{}
		for id := 1; id <= incidents; id++ {
			inc, err := db.Incident(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			want[inc.Room] = id
		}
		for r := range rooms {
			room := fmt.Sprintf("C%d", r)
			got, err := db.RoomIncident(ctx, "slack", room)
			if muster.ErrorCode(err) == muster.ENOTFOUND {
				got, err = 0, nil
			}
			if err != nil || got != want[room] {
				t.Errorf("%s: slack/%s → INC-%d (%v), want INC-%d", when, room, got, err, want[room])
			}
		}
	}
	check("in memory")
	closeDB(t, db)
	db = openDB(t, path)
	check("from the file")
}
