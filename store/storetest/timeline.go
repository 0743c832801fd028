package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

func testAppendNumbersEntries(t *testing.T, open Opener) {
	db := newStore(t, open)
	inc := declare(t, db, "Checkout down")
	want := timeline(t, db, inc.ID)
	appends := []struct {
		key   string
		entry muster.Entry
	}{
		{"slack:Ev1", said("1.1", "db is down")},
		{"", muster.Entry{Kind: muster.EntryNote, At: t0, Actor: "U1", Text: "Failover started", Key: true}},
		{"slack:Ev2", said("1.2", "db is up")},
	}
	for i, a := range appends {
		stored, appended := appendEntry(t, db, inc.ID, a.key, a.entry)
		a.entry.Seq = i + 2
		if !appended || !sameJSON(t, stored, a.entry) {
			t.Errorf("Append %d: appended %v, stored %+v; want %+v", i, appended, stored, a.entry)
		}
		want = append(want, stored)
	}
	if got := timeline(t, db, inc.ID); !sameJSON(t, got, want) {
		t.Errorf("timeline %+v, want %+v", got, want)
	}
}

func testAppendIsIdempotent(t *testing.T, open Opener) {
	db := newStore(t, open)
	one := declare(t, db, "Checkout down")
	two := declare(t, db, "Search slow")

	first, appended := appendEntry(t, db, one.ID, "slack:Ev1", said("1.1", "hello"))
	if !appended || first.Seq != 2 {
		t.Fatalf("first Append: appended %v, Seq %d", appended, first.Seq)
	}
	// A retry gets the entry stored the first time, whatever it carries.
	again, appended := appendEntry(t, db, one.ID, "slack:Ev1", said("1.9", "something else"))
	if appended || !sameJSON(t, again, first) {
		t.Errorf("retried Append: appended %v, entry %+v; want the first entry %+v", appended, again, first)
	}
	// Keys are global, as platform event ids are: the same key in another
	// incident is the same event.
	other, appended := appendEntry(t, db, two.ID, "slack:Ev1", said("1.1", "hello"))
	if appended || !sameJSON(t, other, first) {
		t.Errorf("Append of a known key to another incident: appended %v, entry %+v; want the first entry", appended, other)
	}
	// Without a key every append is new, but for a message the timeline
	// already holds: that is a retried delivery of the same message.
	for i, want := range []int{3, 4} {
		if e, appended := appendEntry(t, db, one.ID, "", said(fmt.Sprintf("1.%d", 2+i), "twice")); !appended || e.Seq != want {
			t.Errorf("Append without a key: appended %v, Seq %d; want Seq %d", appended, e.Seq, want)
		}
	}
	for _, key := range []string{"", "slack:Ev2"} {
		again, appended := appendEntry(t, db, one.ID, key, said("1.1", "hello, delivered again"))
		if appended || !sameJSON(t, again, first) {
			t.Errorf("Append of a message already in the timeline (key %q): appended %v, entry %+v; want the first entry", key, appended, again)
		}
	}
	if got := seqs(timeline(t, db, one.ID)); !slices.Equal(got, []int{1, 2, 3, 4}) {
		t.Errorf("timeline of INC-1 has Seqs %v, want [1 2 3 4]", got)
	}
	// The message index is the incident's: the same message id in another
	// incident's room is another message.
	if e, appended := appendEntry(t, db, two.ID, "", said("1.1", "hello")); !appended || e.Seq != 2 {
		t.Errorf("Append to INC-2 of a message id INC-1 holds: appended %v, Seq %d; want Seq 2", appended, e.Seq)
	}
	if n := len(timeline(t, db, two.ID)); n != 2 {
		t.Errorf("timeline of INC-2 has %d entries, want 2", n)
	}
}

func testAppendIsIdempotentUnderConcurrency(t *testing.T, open Opener) {
	// Small enough for a store across the network under -race; large
	// enough that copies of a key are in flight together (for bbolt, in
	// the same batch).
	const (
		writers = 16
		keys    = 100
		copies  = 3 // each key is delivered this many times, as Slack retries do
	)
	db := newStore(t, open)
	inc := declare(t, db, "Checkout down")

	// The copies of a key are queued back to back, so that the writers
	// pulling from the queue have them in flight together; the order of
	// the keys is shuffled.
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

func testRevise(t *testing.T, open Opener) {
	db := newStore(t, open)
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
		{"fn cannot move the entry", "slack:Ev6", func(e *muster.Entry) error {
			e.Seq, e.MessageID = 1, "elsewhere"
			return nil
		}, "", true, "db is up again", 2, true, false},
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
		if err == nil && !sameJSON(t, got, stored) {
			t.Errorf("%s: returned %+v, stored %+v", st.name, got, stored)
		}
		if stored.Seq != msg.Seq || stored.MessageID != msgID || stored.Text != st.wantText ||
			len(stored.Edits) != st.wantEdits || stored.Key != st.wantKey || stored.Deleted() != st.wantDeleted {
			t.Errorf("%s: stored %+v", st.name, stored)
		}
	}
	tl := timeline(t, db, inc.ID)
	if prev := tl[msg.Seq-1].Edits[0].Previous; prev != "db is down" {
		t.Errorf("first edit kept %q, want the original text", prev)
	}
	if len(tl) != 3 || tl[0].Text == "db is up again" || tl[2].Text != "another message" {
		t.Errorf("revising touched other entries: %+v", tl)
	}
}

// testRevisionBeforeItsMessage: events are not ordered, so a deletion (or
// an edit, or a 📌) may come before the message it is about. It is held
// and applied when the message arrives: a deleted secret stays deleted.
func testRevisionBeforeItsMessage(t *testing.T, open Opener) {
	db := newStore(t, open)
	inc := declare(t, db, "Checkout down")
	ctx := context.Background()
	at := time.Date(2026, 11, 22, 3, 0, 5, 0, time.UTC)
	revise := func(key string, fn func(*muster.Entry)) bool {
		t.Helper()
		_, revised, err := db.Revise(ctx, inc.ID, "m1", key, func(e *muster.Entry) error { fn(e); return nil })
		if err != nil {
			t.Fatalf("Revise %s of a message not yet appended: %v", key, err)
		}
		return revised
	}
	for _, r := range []struct {
		key string
		fn  func(*muster.Entry)
	}{
		{"edit", func(e *muster.Entry) { e.Revise("password=[redacted]", at) }},
		{"pin", func(e *muster.Entry) { e.Key = true }},
		{"delete", func(e *muster.Entry) { e.DeletedAt = at }},
	} {
		if !revise(r.key, r.fn) {
			t.Errorf("held revision %s: revised false, want true", r.key)
		}
	}
	if revise("delete", func(e *muster.Entry) { t.Error("a retried revision ran again") }) {
		t.Error("retried held revision: revised true, want false")
	}
	if n := len(timeline(t, db, inc.ID)); n != 1 {
		t.Errorf("timeline has %d entries while revisions wait for their message, want 1", n)
	}
	stored, appended, err := db.Append(ctx, inc.ID, "msg", muster.Entry{Kind: muster.EntryMessage, Text: "password=hunter2", MessageID: "m1", At: at.Add(-time.Second)})
	if err != nil || !appended {
		t.Fatalf("append: %v %v", appended, err)
	}
	if !stored.Deleted() || !stored.Key || stored.Text != "password=[redacted]" || len(stored.Edits) != 1 || stored.Edits[0].Previous != "password=hunter2" {
		t.Errorf("entry after held revisions = %+v", stored)
	}
	tl := timeline(t, db, inc.ID)
	if last := tl[len(tl)-1]; !sameJSON(t, last, stored) {
		t.Errorf("timeline entry = %+v, want %+v", last, stored)
	}
}

func testEntriesAfter(t *testing.T, open Opener) {
	db := newStore(t, open)
	inc := declare(t, db, "Checkout down")
	ctx := context.Background()
	for i := range 5 {
		appendEntry(t, db, inc.ID, "", said(fmt.Sprintf("1.%d", i), fmt.Sprintf("m%d", i)))
	}
	got, err := db.EntriesAfter(ctx, inc.ID, 2, 2)
	if err != nil || len(got) != 2 || got[0].Seq != 3 || got[1].Seq != 4 {
		t.Fatalf("EntriesAfter(2, 2) = %+v, %v", got, err)
	}
	if got, err := db.EntriesAfter(ctx, inc.ID, 4, 10); err != nil || !slices.Equal(seqs(got), []int{5, 6}) {
		t.Errorf("EntriesAfter(4, 10) = %+v, %v; want Seqs [5 6]", got, err)
	}
	if got, err := db.EntriesAfter(ctx, inc.ID, 0, 100); err != nil || !sameJSON(t, got, timeline(t, db, inc.ID)) {
		t.Errorf("EntriesAfter(0, 100) = %+v, %v; want the whole timeline", got, err)
	}
	if got, err := db.EntriesAfter(ctx, inc.ID, 6, 10); err != nil || len(got) != 0 {
		t.Errorf("after the end = %+v, %v", got, err)
	}
}
