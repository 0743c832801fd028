package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/muster-bot/muster/outbox"
)

func item(key string, n int) outbox.Item {
	return outbox.Item{Key: key, Kind: "post", Payload: json.RawMessage(fmt.Sprintf(`{"n":%d}`, n)), Queued: t0, Next: t0}
}

func outboxKeys(t *testing.T, ob Store) []string {
	t.Helper()
	items, err := ob.Outbox(context.Background())
	if err != nil {
		t.Fatalf("Outbox: %v", err)
	}
	var keys []string
	for _, it := range items {
		keys = append(keys, it.Key)
	}
	return keys
}

// testOutbox: items are listed in key order whatever order they came in,
// an add never replaces a waiting item, an update never brings back one
// that is gone, deleting twice is no error, and a reopen keeps them all.
func testOutbox(t *testing.T, open Opener) {
	db := newStore(t, open)
	ctx := context.Background()
	ob := db.Store
	if keys := outboxKeys(t, ob); len(keys) != 0 {
		t.Fatalf("a new store's outbox holds %v", keys)
	}
	for i, k := range []string{"post/2", "statuspage/INC-1", "post/1", "post/10"} {
		if added, err := ob.AddOutbox(ctx, item(k, i)); err != nil || !added {
			t.Fatalf("AddOutbox %s = %v, %v; want added", k, added, err)
		}
	}
	want := []string{"post/1", "post/10", "post/2", "statuspage/INC-1"}
	if keys := outboxKeys(t, ob); !slices.Equal(keys, want) {
		t.Errorf("outbox keys %v, want %v (key order)", keys, want)
	}
	if added, err := ob.AddOutbox(ctx, item("statuspage/INC-1", 99)); err != nil || added {
		t.Errorf("AddOutbox of a waiting key = %v, %v; want not added", added, err)
	}
	later := item("post/1", 7).Claim(t0).Failed(t0, fmt.Errorf("rate limited"), time.Minute)
	if ok, err := ob.UpdateOutbox(ctx, later); err != nil || !ok {
		t.Errorf("UpdateOutbox of a waiting item = %v, %v; want done", ok, err)
	}
	if ok, err := ob.UpdateOutbox(ctx, item("post/gone", 1)); err != nil || ok {
		t.Errorf("UpdateOutbox of a missing item = %v, %v; want not done", ok, err)
	}
	if err := ob.DeleteOutbox(ctx, "post/10"); err != nil {
		t.Fatalf("DeleteOutbox: %v", err)
	}
	if err := ob.DeleteOutbox(ctx, "post/10"); err != nil {
		t.Errorf("DeleteOutbox of a deleted item: %v", err)
	}
	for _, bad := range []outbox.Item{{Kind: "post"}, {Key: "x"}, {Key: "x", Kind: "post", Payload: json.RawMessage("{")}} {
		if _, err := ob.AddOutbox(ctx, bad); err == nil {
			t.Errorf("AddOutbox(%+v) took an invalid item", bad)
		}
	}

	db.reopen()
	ob = db.Store
	items, err := ob.Outbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 {
		t.Fatalf("after reopen the outbox holds %d items, want 3: %+v", len(items), items)
	}
	first := items[0]
	if first.Key != "post/1" || first.Attempts != 1 || !first.Next.Equal(later.Next) || first.LastError != "rate limited" || string(first.Payload) != `{"n":7}` {
		t.Errorf("updated item after reopen = %+v, want %+v", first, later)
	}
	if items[2].Key != "statuspage/INC-1" || string(items[2].Payload) != `{"n":1}` || !items[2].Queued.Equal(t0) {
		t.Errorf("item after reopen = %+v, want the first add kept", items[2])
	}
}

// testOutboxAddHasOneWinner: of writers racing to add one key exactly one
// adds it, so a sync queued by two replicas at once waits once.
func testOutboxAddHasOneWinner(t *testing.T, open Opener) {
	db := newStore(t, open)
	ob := db.Store
	const racers = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			added, err := ob.AddOutbox(context.Background(), item("statuspage/INC-7", i))
			if err != nil {
				t.Errorf("AddOutbox: %v", err)
			}
			if added {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d racers added one key, want exactly 1", wins)
	}
}
