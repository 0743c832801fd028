package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/store"
)

// said is a war-room message as an adapter would record it.
func said(messageID, text string) muster.Entry {
	return muster.Entry{Kind: muster.EntryMessage, At: t0, Actor: "U2", Text: text, MessageID: messageID}
}

func appendEntry(tb testing.TB, db *store.DB, id int, key string, e muster.Entry) (muster.Entry, bool) {
	tb.Helper()
	stored, appended, err := db.Append(context.Background(), id, key, e)
	if err != nil {
		tb.Fatalf("Append(INC-%d, %q): %v", id, key, err)
	}
	return stored, appended
}

func TestAppendIsIdempotentUnderConcurrency(t *testing.T) {
	const (
		writers = 64
		keys    = 300
		copies  = 3 // each key is delivered this many times, as Slack retries do
	)
	db := openDB(t, dbPath(t))
	inc := declare(t, db, "Checkout down")

	// The copies of a key are queued back to back, so that with 64 writers
	// pulling from the queue they are in flight together, usually in the
	// same bbolt batch; the order of the keys is shuffled.
	order := rand.New(rand.NewPCG(1, 2)).Perm(keys)
	jobs := make([]int, 0, keys*copies)
	for _, k := range order {
		for range copies {
			jobs = append(jobs, k)
		}
	}

	type result struct {
		key      int
		entry    muster.Entry
		appended bool
		err      error
	}
	queue := make(chan int)
	results := make(chan result, len(jobs))
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for k := range queue {
				e, appended, err := db.Append(context.Background(), inc.ID, fmt.Sprintf("slack:Ev%d", k),
					said(fmt.Sprintf("1700000000.%06d", k), fmt.Sprintf("message %d", k)))
				results <- result{k, e, appended, err}
			}
		})
	}
	for _, k := range jobs {
		queue <- k
	}
	close(queue)
	wg.Wait()
	close(results)

	appendedTimes := make(map[int]int)
	seqOf := make(map[int]int)
	for r := range results {
		if r.err != nil {
			t.Fatalf("Append key %d: %v", r.key, r.err)
		}
		if r.appended {
			appendedTimes[r.key]++
		}
		if want := fmt.Sprintf("message %d", r.key); r.entry.Text != want {
			t.Errorf("key %d returned entry %q, want %q", r.key, r.entry.Text, want)
		}
		if s, ok := seqOf[r.key]; ok && s != r.entry.Seq {
			t.Errorf("key %d returned Seq %d and Seq %d", r.key, s, r.entry.Seq)
		}
		seqOf[r.key] = r.entry.Seq
	}
	for k := range keys {
		if appendedTimes[k] != 1 {
			t.Errorf("key %d appended %d times, want once", k, appendedTimes[k])
		}
	}

	entries := timeline(t, db, inc.ID)
	if len(entries) != keys+1 {
		t.Fatalf("timeline has %d entries, want %d (declared + one per key)", len(entries), keys+1)
	}
	texts := make(map[string]int)
	for i, e := range entries {
		if e.Seq != i+1 {
			t.Fatalf("entry %d has Seq %d; Seqs must be contiguous from 1", i, e.Seq)
		}
		texts[e.Text]++
	}
	for k := range keys {
		text := fmt.Sprintf("message %d", k)
		if texts[text] != 1 {
			t.Errorf("%q is in the timeline %d times", text, texts[text])
		}
		if entries[seqOf[k]-1].Text != text {
			t.Errorf("key %d was told Seq %d, which holds %q", k, seqOf[k], entries[seqOf[k]-1].Text)
		}
	}
}

func TestRevise(t *testing.T) {
	db := openDB(t, dbPath(t))
	inc := declare(t, db, "Checkout down")
	const msgID = "1700000000.000100"
	msg, _ := appendEntry(t, db, inc.ID, "slack:Ev1", said(msgID, "db is down"))
	appendEntry(t, db, inc.ID, "slack:Ev9", said("1700000000.000200", "another message"))
	edit := func(text string) func(*muster.Entry) error {
		return func(e *muster.Entry) error { e.Revise(text, t0.Add(time.Minute)); return nil }
	}

	steps := []struct {
		name        string
		key         string
		fn          func(*muster.Entry) error
		wantCode    string // error code, "" for success
		wantRevised bool
		wantText    string
		wantEdits   int
		wantKey     bool
		wantDeleted bool
	}{
		{"edit", "slack:Ev2", edit("db is up"), "", true, "db is up", 1, false, false},
		{"retried edit", "slack:Ev2", edit("something else"), "", false, "db is up", 1, false, false},
		{"flag as key event", "slack:Ev3", func(e *muster.Entry) error { e.Key = true; return nil }, "", true, "db is up", 1, true, false},
		{"fn fails", "slack:Ev4", func(e *muster.Entry) error {
			e.Text = "lost"
			return muster.Errorf(muster.EINVALID, "no")
		}, muster.EINVALID, false, "db is up", 1, true, false},
		{"key of a failed revise is free", "slack:Ev4", edit("db is up again"), "", true, "db is up again", 2, true, false},
		{"delete", "slack:Ev5", func(e *muster.Entry) error { e.DeletedAt = t0.Add(time.Hour); return nil }, "", true, "db is up again", 2, true, true},
		{"no key", "", edit("last"), "", true, "last", 3, true, true},
	}
	for _, st := range steps {
		got, revised, err := db.Revise(context.Background(), inc.ID, msgID, st.key, st.fn)
		if code := muster.ErrorCode(err); code != st.wantCode {
			t.Fatalf("%s: error %v, want code %q", st.name, err, st.wantCode)
		}
		if revised != st.wantRevised {
			t.Errorf("%s: revised %v, want %v", st.name, revised, st.wantRevised)
		}
		stored := timeline(t, db, inc.ID)[msg.Seq-1]
		if err == nil && !reflect.DeepEqual(got, stored) {
			t.Errorf("%s: returned %+v, stored %+v", st.name, got, stored)
		}
		if stored.Seq != msg.Seq || stored.MessageID != msgID || stored.Text != st.wantText ||
			len(stored.Edits) != st.wantEdits || stored.Key != st.wantKey || stored.Deleted() != st.wantDeleted {
			t.Errorf("%s: stored %+v", st.name, stored)
		}
	}
	if prev := timeline(t, db, inc.ID)[msg.Seq-1].Edits[0].Previous; prev != "db is down" {
		t.Errorf("first edit kept %q, want the original text", prev)
	}
	if n := len(timeline(t, db, inc.ID)); n != 3 {
		t.Errorf("revising changed the timeline length to %d, want 3", n)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	path := dbPath(t)
	db := openDB(t, path)
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

	snapshot := func(db *store.DB) (all, open []*muster.Incident, timelines [][]muster.Entry) {
		t.Helper()
		var err error
		if all, err = db.Incidents(ctx, false); err != nil {
			t.Fatal(err)
		}
		if open, err = db.Incidents(ctx, true); err != nil {
			t.Fatal(err)
		}
		for _, inc := range all {
			timelines = append(timelines, timeline(t, db, inc.ID))
		}
		return all, open, timelines
	}
	all, open, timelines := snapshot(db)
	closeDB(t, db)

	db = openDB(t, path)
	all2, open2, timelines2 := snapshot(db)
	if !reflect.DeepEqual(all, all2) || !reflect.DeepEqual(open, open2) || !reflect.DeepEqual(timelines, timelines2) {
		t.Errorf("store differs after reopen:\nbefore %+v %+v\nafter  %+v %+v", all, timelines, all2, timelines2)
	}
	if inc, err := db.IncidentByRoom(ctx, "slack", "C1"); err != nil || inc.ID != 1 {
		t.Errorf("IncidentByRoom after reopen: %v, %v", inc, err)
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
	if _, appended := appendEntry(t, db, inc.ID, "old", said("1.1", "last week")); !appended {
		t.Error("a key older than a week still suppressed an append")
	}
	if _, appended := appendEntry(t, db, inc.ID, "recent", said("1.2", "six days ago")); appended {
		t.Error("a six-day-old key was forgotten")
	}
}

func TestCancelledContextWritesNothing(t *testing.T) {
	db := openDB(t, dbPath(t))
	inc := declare(t, db, "Checkout down")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := db.Append(ctx, inc.ID, "k", said("1.1", "hi")); !errors.Is(err, context.Canceled) {
		t.Errorf("Append: %v, want context.Canceled", err)
	}
	if _, _, err := db.Update(ctx, inc.ID, func(*muster.Incident) ([]muster.Entry, error) { return nil, nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Update: %v, want context.Canceled", err)
	}
	if n := len(timeline(t, db, inc.ID)); n != 1 {
		t.Errorf("timeline has %d entries, want 1", n)
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

func TestEntriesAfter(t *testing.T) {
	db := openDB(t, dbPath(t))
	inc := declare(t, db, "Checkout down")
	for i := range 5 {
		appendEntry(t, db, inc.ID, "", said(fmt.Sprintf("1.%d", i), fmt.Sprintf("m%d", i)))
	}
	got, err := db.EntriesAfter(context.Background(), inc.ID, 2, 2)
	if err != nil || len(got) != 2 || got[0].Seq != 3 || got[1].Seq != 4 {
		t.Fatalf("EntriesAfter(2, 2) = %+v, %v", got, err)
	}
	if got, _ := db.EntriesAfter(context.Background(), inc.ID, 6, 10); len(got) != 0 {
		t.Errorf("after the end = %+v", got)
	}
}
