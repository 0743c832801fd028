package etcd_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/etcdtest"
	"github.com/muster-bot/muster/internal/fence"
	"github.com/muster-bot/muster/outbox"
	"github.com/muster-bot/muster/store/etcd"
	"github.com/muster-bot/muster/store/storetest"
)

var t0 = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

func open(t testing.TB, c *etcdtest.Cluster, prefix string) *etcd.DB {
	t.Helper()
	db, err := etcd.Open(context.Background(), etcd.Config{Endpoints: c.Endpoints(), Prefix: prefix, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestConformance runs the suite both stores pass on a 3-member cluster.
func TestConformance(t *testing.T) {
	c := etcdtest.Start(t, 3)
	base := c.Prefix(t)
	storetest.Run(t, func(name string) (storetest.Store, error) {
		return etcd.Open(context.Background(), etcd.Config{Endpoints: c.Endpoints(), Prefix: base + name + "/", DialTimeout: 5 * time.Second})
	})
}

func declare(t testing.TB, db *etcd.DB, title, room string) *muster.Incident {
	t.Helper()
	inc, first, err := muster.NewIncident(title, muster.Severity{Name: "SEV2"}, false, "U1", t0)
	if err != nil {
		t.Fatal(err)
	}
	inc.Platform, inc.Room = "slack", room
	if err := db.Create(context.Background(), inc, first); err != nil {
		t.Fatalf("Create: %v", err)
	}
	return inc
}

// TestReplicasShareOneTruth runs two stores on one prefix, as two
// replicas would: they race to append the same retried events and to
// update the same incident, and each event is recorded once, with
// contiguous numbers, and no update is lost.
func TestReplicasShareOneTruth(t *testing.T) {
	c := etcdtest.Start(t, 3)
	prefix := c.Prefix(t)
	a, b := open(t, c, prefix), open(t, c, prefix)
	inc := declare(t, a, "Checkout down", "C1")
	if id, err := b.RoomIncident(context.Background(), "slack", "C1"); err != nil || id != inc.ID {
		t.Fatalf("the other replica finds room C1 as INC-%d, %v; want INC-%d", id, err, inc.ID)
	}

	const events, writers = 60, 4
	var wg sync.WaitGroup
	var mu sync.Mutex
	appended := map[string]int{}
	for _, db := range []*etcd.DB{a, b} {
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < events; i += writers {
					key := fmt.Sprintf("Ev%03d", i)
					e := muster.Entry{Kind: muster.EntryMessage, At: t0, Actor: "U2", Text: key, MessageID: key}
					_, ok, err := db.Append(context.Background(), inc.ID, key, e)
					if err != nil {
						t.Errorf("Append %s: %v", key, err)
						return
					}
					if ok {
						mu.Lock()
						appended[key]++
						mu.Unlock()
					}
				}
			}()
		}
	}
	// Meanwhile both replicas bump a counter held in the incident.
	for _, db := range []*etcd.DB{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				_, _, err := db.Update(context.Background(), inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
					i.Reminder.Missed++
					return []muster.Entry{{Kind: muster.EntryNote, At: t0, Text: "note"}}, nil
				})
				if err != nil {
					t.Errorf("Update: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()

	for i := range events {
		if key := fmt.Sprintf("Ev%03d", i); appended[key] != 1 {
			t.Errorf("%s appended %d times across the replicas, want 1", key, appended[key])
		}
	}
	tl, err := b.Timeline(context.Background(), inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + events + 20; len(tl) != want {
		t.Errorf("%d entries, want %d (declaration, %d events once each, 20 notes)", len(tl), want, events)
	}
	for i, e := range tl {
		if e.Seq != i+1 {
			t.Fatalf("entry %d has Seq %d: numbers must be contiguous", i, e.Seq)
		}
	}
	got, err := a.Incident(context.Background(), inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Reminder.Missed != 20 {
		t.Errorf("counter is %d after 20 updates from two replicas, want 20: an update was lost", got.Reminder.Missed)
	}
}

// TestSurvivesLosingAMember: with one of three members killed the store
// goes on reading and writing, and what was written before is there.
func TestSurvivesLosingAMember(t *testing.T) {
	c := etcdtest.Start(t, 3)
	db := open(t, c, c.Prefix(t))
	inc := declare(t, db, "Member loss", "C9")
	c.Kill(0)
	ctx := context.Background()
	for i := range 5 {
		key := fmt.Sprintf("after-kill-%d", i)
		if _, _, err := db.Append(ctx, inc.ID, key, muster.Entry{Kind: muster.EntryMessage, At: t0, Text: key, MessageID: key}); err != nil {
			t.Fatalf("Append with a member down: %v", err)
		}
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping with two of three members up: %v", err)
	}
	tl, err := db.Timeline(ctx, inc.ID)
	if err != nil || len(tl) != 6 {
		t.Fatalf("timeline: %d entries, %v; want 6", len(tl), err)
	}
	c.Restart(0)
}

// TestOpenFailsFastWithoutCluster: a wrong endpoint is reported at start,
// within the dial timeout, naming the endpoint.
func TestOpenFailsFastWithoutCluster(t *testing.T) {
	start := time.Now()
	_, err := etcd.Open(context.Background(), etcd.Config{Endpoints: []string{"http://127.0.0.1:1"}, Prefix: "/muster/", DialTimeout: 500 * time.Millisecond})
	if err == nil {
		t.Fatal("Open against nothing succeeded")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Open took %s to fail with a 500ms dial timeout", took)
	}
	if !strings.Contains(err.Error(), "no member with a quorum answered within 500ms") {
		t.Errorf("error %q does not say what went wrong", err)
	}
}

// TestPruneKeysForgetsOldKeys: a key first seen more than a week ago is
// deleted by PruneKeys (leases alone do not bound them: etcd renews
// leases when its leader changes), and a fresh one is kept.
func TestPruneKeysForgetsOldKeys(t *testing.T) {
	c := etcdtest.Start(t, 1)
	db := open(t, c, c.Prefix(t))
	ctx := context.Background()
	inc := declare(t, db, "Old keys", "C7")
	etcd.SetNow(db, func() time.Time { return time.Now().Add(-8 * 24 * time.Hour) })
	if _, _, err := db.Append(ctx, inc.ID, "slack:EvOld", muster.Entry{Kind: muster.EntryNote, At: t0, Text: "old"}); err != nil {
		t.Fatal(err)
	}
	etcd.SetNow(db, time.Now)
	if _, _, err := db.Append(ctx, inc.ID, "slack:EvNew", muster.Entry{Kind: muster.EntryNote, At: t0, Text: "new"}); err != nil {
		t.Fatal(err)
	}
	n, err := db.PruneKeys(ctx)
	if err != nil || n != 1 {
		t.Fatalf("PruneKeys = %d, %v; want 1 (the week-old key)", n, err)
	}
	if _, appended, err := db.Append(ctx, inc.ID, "slack:EvNew", muster.Entry{Kind: muster.EntryNote, At: t0, Text: "new"}); err != nil || appended {
		t.Errorf("the fresh key was forgotten: appended %v, %v", appended, err)
	}
	if _, appended, err := db.Append(ctx, inc.ID, "slack:EvOld", muster.Entry{Kind: muster.EntryNote, At: t0, Text: "old again"}); err != nil || !appended {
		t.Errorf("the week-old key is still remembered: appended %v, %v", appended, err)
	}
}

// TestFencedWrites: writes through a view fenced by the leader's
// election key land while that key stands and are refused once it is
// gone; writes through the store itself are not affected.
func TestFencedWrites(t *testing.T) {
	c := etcdtest.Start(t, 1)
	prefix := c.Prefix(t)
	db := open(t, c, prefix)
	ctx := context.Background()
	inc := declare(t, db, "Fenced", "C8")
	key := prefix + "leader/replica-a"
	put, err := db.Client().Put(ctx, key, "a")
	if err != nil {
		t.Fatal(err)
	}
	fenced := db.Fenced(fence.Token{Key: key, Rev: put.Header.Revision})
	bump := func(db *etcd.DB) error {
		_, _, err := db.Update(ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) { i.Reminder.Missed++; return nil, nil })
		return err
	}
	if err := bump(fenced); err != nil {
		t.Fatalf("fenced write while leading: %v", err)
	}
	if _, err := db.Client().Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := bump(fenced); !errors.Is(err, fence.ErrLost) {
		t.Errorf("fenced Update after the lead was lost: %v, want fence.ErrLost", err)
	}
	if _, _, err := fenced.Append(ctx, inc.ID, "", muster.Entry{Kind: muster.EntryNote, At: t0, Text: "late"}); !errors.Is(err, fence.ErrLost) {
		t.Errorf("fenced Append after the lead was lost: %v, want fence.ErrLost", err)
	}
	if err := fenced.SetSetting(ctx, "webhooks.cursor", "9"); !errors.Is(err, fence.ErrLost) {
		t.Errorf("fenced SetSetting after the lead was lost: %v, want fence.ErrLost", err)
	}
	// The outbox: any replica adds; only the leader claims and removes.
	waiting := outbox.Item{Key: "post/1", Kind: "post", Queued: t0, Next: t0}
	if added, err := db.AddOutbox(ctx, waiting); err != nil || !added {
		t.Fatalf("unfenced AddOutbox = %v, %v", added, err)
	}
	if _, err := fenced.UpdateOutbox(ctx, waiting.Claim(t0)); !errors.Is(err, fence.ErrLost) {
		t.Errorf("fenced UpdateOutbox after the lead was lost: %v, want fence.ErrLost", err)
	}
	if err := fenced.DeleteOutbox(ctx, waiting.Key); !errors.Is(err, fence.ErrLost) {
		t.Errorf("fenced DeleteOutbox after the lead was lost: %v, want fence.ErrLost", err)
	}
	if items, err := db.Outbox(ctx); err != nil || len(items) != 1 || items[0].Attempts != 0 {
		t.Errorf("outbox after refused writes = %+v, %v; want the item untouched", items, err)
	}
	// A week-old idempotency key, which pruning would delete.
	etcd.SetNow(db, func() time.Time { return time.Now().Add(-8 * 24 * time.Hour) })
	if _, _, err := db.Append(ctx, inc.ID, "slack:EvOld", muster.Entry{Kind: muster.EntryNote, At: t0, Text: "old"}); err != nil {
		t.Fatal(err)
	}
	etcd.SetNow(db, time.Now)
	if n, err := fenced.PruneKeys(ctx); !errors.Is(err, fence.ErrLost) {
		t.Errorf("fenced PruneKeys after the lead was lost: %d, %v; want fence.ErrLost", n, err)
	}
	if _, appended, err := db.Append(ctx, inc.ID, "slack:EvOld", muster.Entry{Kind: muster.EntryNote, At: t0, Text: "old again"}); err != nil || appended {
		t.Errorf("the refused prune forgot the old key: appended %v, %v", appended, err)
	}
	if err := bump(db); err != nil {
		t.Errorf("unfenced write: %v", err)
	}
	got, err := db.Incident(ctx, inc.ID)
	if err != nil || got.Reminder.Missed != 2 {
		t.Errorf("counter = %d, %v; want 2 (the refused write left nothing)", got.Reminder.Missed, err)
	}
}
