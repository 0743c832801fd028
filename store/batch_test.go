package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/muster-bot/muster"
	bolt "go.etcd.io/bbolt"
)

// TestAppendRunsAgainInABatch puts appends in one batch with a function
// that fails after them: bbolt rolls the batch back, runs the appends
// again without it, and then it alone. Each message is stored once, with
// a Seq of its own, each key records its entry, and the failing function
// gets its own error.
func TestAppendRunsAgainInABatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db, err := Open(filepath.Join(t.TempDir(), "batch.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ctx := context.Background()
		at := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
		inc, first, err := muster.NewIncident("Checkout down", muster.Severity{Name: "SEV2"}, false, "U1", at)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Create(ctx, inc, first); err != nil {
			t.Fatal(err)
		}
		const appends = 4
		// The batch runs when the failing function joins it, after the
		// appends, and not before.
		db.bolt.MaxBatchSize, db.bolt.MaxBatchDelay = appends+1, time.Hour
		said := func(i int) muster.Entry {
			return muster.Entry{Kind: muster.EntryMessage, At: at, Actor: "U2", Text: fmt.Sprint("message ", i), MessageID: fmt.Sprint("1.", i)}
		}
		var (
			wg     sync.WaitGroup
			stored [appends]muster.Entry
			errs   [appends]error
		)
		for i := range appends {
			wg.Go(func() {
				key := ""
				if i%2 == 0 {
					key = fmt.Sprint("slack:Ev", i)
				}
				stored[i], _, errs[i] = db.Append(ctx, inc.ID, key, said(i))
			})
		}
		synctest.Wait() // every append waits in the batch
		errBoom := errors.New("boom")
		runs := 0
		err = db.bolt.Batch(func(*bolt.Tx) error { runs++; return errBoom })
		wg.Wait()
		if !errors.Is(err, errBoom) || runs != 2 {
			t.Fatalf("the failing function got %v after %d runs, want its own error after 2 (in the batch, then alone)", err, runs)
		}
		seqs := map[int]bool{}
		for i, e := range stored {
			if errs[i] != nil || e.Text != said(i).Text || seqs[e.Seq] {
				t.Errorf("append %d: %+v, %v", i, e, errs[i])
			}
			seqs[e.Seq] = true
		}
		tl, err := db.Timeline(ctx, inc.ID)
		if err != nil || len(tl) != 1+appends {
			t.Fatalf("timeline: %d entries, %v; want the declaration and %d messages", len(tl), err, appends)
		}
		for i, e := range tl {
			if e.Seq != i+1 {
				t.Errorf("entry %d has Seq %d", i, e.Seq)
			}
		}
		for i := 0; i < appends; i += 2 {
			if e, appended, err := db.Append(ctx, inc.ID, fmt.Sprint("slack:Ev", i), said(i)); err != nil || appended || e.Seq != stored[i].Seq {
				t.Errorf("retry of key %d: %+v appended %v, %v; want Seq %d", i, e, appended, err, stored[i].Seq)
			}
		}
	})
}
