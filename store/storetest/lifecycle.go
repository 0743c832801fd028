package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/muster-bot/muster"
)

func testReopenKeepsEverything(t *testing.T, open Opener) {
	db := newStore(t, open)
	ctx := context.Background()
	for _, title := range []string{"Checkout down", "Search slow"} {
		declare(t, db, title)
	}
	update(t, db, 1, func(inc *muster.Incident) ([]muster.Entry, error) {
		inc.Platform, inc.Room = "slack", "C1"
		e, err := inc.Assign(muster.Role{Key: muster.RoleIC, Name: "Incident Commander", Short: "IC"}, "U1", "U1", t0)
		return []muster.Entry{e}, err
	})
	update(t, db, 2, func(inc *muster.Incident) ([]muster.Entry, error) {
		e, err := inc.Resolve("fixed", "U1", t0)
		return []muster.Entry{e}, err
	})
	first, _ := appendEntry(t, db, 1, "slack:Ev1", said("1.1", "hello"))
	appendEntry(t, db, 1, "slack:Ev2", said("1.2", "world"))
	if _, _, err := db.Revise(ctx, 1, "1.1", "slack:Ev3", func(e *muster.Entry) error { e.Revise("hello!", t0); return nil }); err != nil {
		t.Fatalf("Revise: %v", err)
	}
	// A deletion whose message has not come yet is held across the reopen.
	if _, _, err := db.Revise(ctx, 1, "1.3", "slack:Ev4", func(e *muster.Entry) error { e.DeletedAt = t0; return nil }); err != nil {
		t.Fatalf("Revise before the message: %v", err)
	}

	snapshot := func() (all, openOnly []*muster.Incident, timelines [][]muster.Entry) {
		t.Helper()
		var err error
		if all, err = db.Incidents(ctx, false); err != nil {
			t.Fatal(err)
		}
		if openOnly, err = db.Incidents(ctx, true); err != nil {
			t.Fatal(err)
		}
		for _, inc := range all {
			timelines = append(timelines, timeline(t, db, inc.ID))
		}
		return all, openOnly, timelines
	}
	all, opened, timelines := snapshot()

	db.reopen()
	all2, opened2, timelines2 := snapshot()
	if !sameJSON(t, all, all2) || !sameJSON(t, opened, opened2) || !sameJSON(t, timelines, timelines2) {
		t.Errorf("store differs after reopen:\nbefore %+v %+v\nafter  %+v %+v", all, timelines, all2, timelines2)
	}
	if inc, err := db.IncidentByRoom(ctx, "slack", "C1"); err != nil || inc.ID != 1 {
		t.Errorf("IncidentByRoom after reopen: %v, %v", inc, err)
	}
	if id, err := db.RoomIncident(ctx, "slack", "C1"); err != nil || id != 1 {
		t.Errorf("RoomIncident after reopen: %d, %v", id, err)
	}
	again, appended := appendEntry(t, db, 1, "slack:Ev1", said("1.1", "hello"))
	if appended || again.Seq != first.Seq || again.Text != "hello!" {
		t.Errorf("retried append after reopen: appended %v, entry %+v; want the first entry, revised", appended, again)
	}
	_, revised, err := db.Revise(ctx, 1, "1.1", "slack:Ev3", func(e *muster.Entry) error { e.Revise("twice", t0); return nil })
	if err != nil || revised {
		t.Errorf("retried revise after reopen: revised %v, %v", revised, err)
	}
	if got := seqs(timeline(t, db, 1)); !slices.Equal(got, seqs(timelines[0])) {
		t.Errorf("timeline after retries %v, want %v", got, seqs(timelines[0]))
	}
	if late, _ := appendEntry(t, db, 1, "slack:Ev5", said("1.3", "secret")); !late.Deleted() {
		t.Errorf("message after reopen = %+v; the deletion held before the reopen was lost", late)
	}
}

func testSettings(t *testing.T, open Opener) {
	db := newStore(t, open)
	ctx := context.Background()
	const key = "teams.service_url"
	if v, err := db.Setting(ctx, key); err != nil || v != "" {
		t.Fatalf("unset setting = %q, %v; want \"\", nil", v, err)
	}
	for _, v := range []string{"https://smba.example/emea/", "https://smba.example/amer/"} {
		if err := db.SetSetting(ctx, key, v); err != nil {
			t.Fatalf("SetSetting %q: %v", v, err)
		}
	}
	if v, err := db.Setting(ctx, key); err != nil || v != "https://smba.example/amer/" {
		t.Errorf("setting = %q, %v; want the last value saved", v, err)
	}
	db.reopen()
	if v, err := db.Setting(ctx, key); err != nil || v != "https://smba.example/amer/" {
		t.Errorf("after reopen = %q, %v", v, err)
	}
	if v, err := db.Setting(ctx, "slack.team"); err != nil || v != "" {
		t.Errorf("another unset setting = %q, %v", v, err)
	}
}

// testSwapSetting: a swap happens only from the value expected, and of
// writers racing to claim an unset key exactly one wins.
func testSwapSetting(t *testing.T, open Opener) {
	db := newStore(t, open)
	ctx := context.Background()
	const key = "alertmanager.group.{}:{alertname=\"Down\"}"
	if ok, err := db.SwapSetting(ctx, key, "7", "8"); err != nil || ok {
		t.Fatalf("swap from 7 on an unset key = %v, %v; want false", ok, err)
	}
	const racers = 8
	wins := make(chan string, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := fmt.Sprintf("claim-%d", i)
			ok, err := db.SwapSetting(ctx, key, "", mine)
			if err != nil {
				t.Errorf("SwapSetting: %v", err)
			}
			if ok {
				wins <- mine
			}
		}()
	}
	wg.Wait()
	close(wins)
	var winners []string
	for w := range wins {
		winners = append(winners, w)
	}
	if len(winners) != 1 {
		t.Fatalf("%d racers claimed the unset key (%v), want exactly 1", len(winners), winners)
	}
	if v, err := db.Setting(ctx, key); err != nil || v != winners[0] {
		t.Errorf("setting = %q, %v; want the winner's %q", v, err, winners[0])
	}
	if ok, err := db.SwapSetting(ctx, key, "claim-that-lost", "x"); err != nil || ok {
		t.Errorf("swap from a value it does not hold = %v, %v; want false", ok, err)
	}
	// Giving a claim back to "" leaves the key unset: it can be claimed again.
	if ok, err := db.SwapSetting(ctx, key, winners[0], ""); err != nil || !ok {
		t.Errorf("swap back to no value = %v, %v; want true", ok, err)
	}
	if v, err := db.Setting(ctx, key); err != nil || v != "" {
		t.Errorf("after giving it back = %q, %v; want no value", v, err)
	}
	if ok, err := db.SwapSetting(ctx, key, "", "claim-again"); err != nil || !ok {
		t.Errorf("claim after the give-back = %v, %v; want true", ok, err)
	}
	if ok, err := db.SwapSetting(ctx, key, "claim-again", "12"); err != nil || !ok {
		t.Errorf("swap from the value it holds = %v, %v; want true", ok, err)
	}
	db.reopen()
	if v, err := db.Setting(ctx, key); err != nil || v != "12" {
		t.Errorf("after reopen = %q, %v; want 12", v, err)
	}
}

func testCancelledContextWritesNothing(t *testing.T, open Opener) {
	db := newStore(t, open)
	inc := declare(t, db, "Checkout down")
	appendEntry(t, db, inc.ID, "slack:Ev1", said("1.1", "hi"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	late, first := newIncident(t, "Too late")
	calls := []struct {
		name string
		call func() error
	}{
		{"Create", func() error { return db.Create(ctx, late, first) }},
		{"Update", func() error {
			_, _, err := db.Update(ctx, inc.ID, func(inc *muster.Incident) ([]muster.Entry, error) {
				inc.Platform, inc.Room = "slack", "C1"
				e, err := inc.Resolve("", "U1", t0)
				return []muster.Entry{e}, err
			})
			return err
		}},
		{"Append", func() error { _, _, err := db.Append(ctx, inc.ID, "k", said("1.2", "hi")); return err }},
		{"Revise", func() error {
			_, _, err := db.Revise(ctx, inc.ID, "1.1", "k2", func(e *muster.Entry) error { e.Revise("gone", t0); return nil })
			return err
		}},
		{"SetSetting", func() error { return db.SetSetting(ctx, "s", "v") }},
		{"SwapSetting", func() error { _, err := db.SwapSetting(ctx, "s", "", "v"); return err }},
		{"PruneKeys", func() error { _, err := db.PruneKeys(ctx); return err }},
		{"Incident", func() error { _, err := db.Incident(ctx, inc.ID); return err }},
		{"IncidentByRoom", func() error { _, err := db.IncidentByRoom(ctx, "slack", "C1"); return err }},
		{"RoomIncident", func() error { _, err := db.RoomIncident(ctx, "slack", "C1"); return err }},
		{"Incidents", func() error { _, err := db.Incidents(ctx, false); return err }},
		{"Timeline", func() error { _, err := db.Timeline(ctx, inc.ID); return err }},
		{"EntriesAfter", func() error { _, err := db.EntriesAfter(ctx, inc.ID, 0, 10); return err }},
		{"Setting", func() error { _, err := db.Setting(ctx, "s"); return err }},
		{"Ping", func() error { return db.Ping(ctx) }},
	}
	for _, c := range calls {
		if err := c.call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v, want an error wrapping context.Canceled", c.name, err)
		}
	}

	if late.ID != 0 {
		t.Errorf("a cancelled Create numbered the incident %d", late.ID)
	}
	if ids := incidentIDs(t, db, true); !slices.Equal(ids, []int{1}) {
		t.Errorf("open incidents %v, want [1]", ids)
	}
	if id, err := db.RoomIncident(context.Background(), "slack", "C1"); muster.ErrorCode(err) != muster.ENOTFOUND {
		t.Errorf("room indexed to INC-%d by a cancelled Update: %v", id, err)
	}
	tl := timeline(t, db, inc.ID)
	if len(tl) != 2 || tl[1].Text != "hi" || len(tl[1].Edits) != 0 {
		t.Errorf("timeline %+v, want the declared entry and the untouched message", tl)
	}
	if v, err := db.Setting(context.Background(), "s"); err != nil || v != "" {
		t.Errorf("setting saved with a cancelled context: %q, %v", v, err)
	}
	for i, key := range []string{"k", "k2"} {
		if _, appended := appendEntry(t, db, inc.ID, key, said(fmt.Sprintf("1.9%d", i), key)); !appended {
			t.Errorf("key %q was recorded by a cancelled call", key)
		}
	}
	if next := declare(t, db, "Next"); next.ID != 2 {
		t.Errorf("incident after a cancelled Create got ID %d, want 2", next.ID)
	}
}

func testPing(t *testing.T, open Opener) {
	db := newStore(t, open)
	if err := db.Ping(context.Background()); err != nil {
		t.Fatalf("Ping on an open store: %v", err)
	}
	closed := db.Store
	db.close()
	if err := closed.Ping(context.Background()); err == nil {
		t.Error("Ping on a closed store succeeded")
	}
}

// testPruneKeysKeepsFreshKeys: how old a key must be to go is each
// backend's own (a bbolt store ages keys by its clock, an etcd store by
// lease TTLs), so the suite checks only that pruning works and that a key
// recorded just now is not forgotten.
func testPruneKeysKeepsFreshKeys(t *testing.T, open Opener) {
	db := newStore(t, open)
	ctx := context.Background()
	if n, err := db.PruneKeys(ctx); err != nil || n < 0 {
		t.Fatalf("PruneKeys on a new store = %d, %v", n, err)
	}
	inc := declare(t, db, "Checkout down")
	first, _ := appendEntry(t, db, inc.ID, "slack:Ev1", said("1.1", "today"))
	if n, err := db.PruneKeys(ctx); err != nil || n < 0 {
		t.Fatalf("PruneKeys = %d, %v", n, err)
	}
	if again, appended := appendEntry(t, db, inc.ID, "slack:Ev1", said("1.1", "today")); appended || again.Seq != first.Seq {
		t.Errorf("retried Append after PruneKeys: appended %v, Seq %d; a fresh key was forgotten", appended, again.Seq)
	}
}
