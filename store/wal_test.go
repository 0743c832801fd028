package store_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/store"
)

// TestMessageLogSurvivesACrash appends new messages (which the message
// log takes), abandons the store as a crash would, with a torn record at
// the log's end, and checks that reopening puts every acknowledged message
// into its timeline once, in order, and that numbering goes on from there.
func TestMessageLogSurvivesACrash(t *testing.T) {
	path := dbPath(t)
	db := openDB(t, path)
	ctx := context.Background()
	one, two := declare(t, db, "Checkout down"), declare(t, db, "Search slow")
	for i := range 10 {
		id := []int{one.ID, two.ID}[i%2]
		e, appended := appendEntry(t, db, id, "", said(fmt.Sprintf("1.%02d", i), fmt.Sprint("message ", i)))
		if !appended || e.Seq != 2+i/2 {
			t.Fatalf("message %d: appended %v, Seq %d; want Seq %d", i, appended, e.Seq, 2+i/2)
		}
	}
	if n := store.Logged(db); n != 10 {
		t.Fatalf("%d messages wait in the log, want 10 (the log took none?)", n)
	}
	if err := store.Abandon(db); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path+".wal", os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0, 0, 0, 40, 1, 2, 3, 4, '{', '"'}) // a record torn by the crash
	f.Close()

	db = openDB(t, path)
	for _, inc := range []*muster.Incident{one, two} {
		tl, err := db.Timeline(ctx, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		var texts []string
		for i, e := range tl {
			if e.Seq != i+1 {
				t.Errorf("INC-%d entry %d has Seq %d", inc.ID, i, e.Seq)
			}
			if i > 0 {
				texts = append(texts, e.Text)
			}
		}
		want := []string{"message 0", "message 2", "message 4", "message 6", "message 8"}
		if inc.ID == two.ID {
			want = []string{"message 1", "message 3", "message 5", "message 7", "message 9"}
		}
		if !slices.Equal(texts, want) {
			t.Errorf("INC-%d after the crash: %q, want %q", inc.ID, texts, want)
		}
	}
	// Retried deliveries are still recognised, and numbering goes on.
	if _, appended := appendEntry(t, db, one.ID, "", said("1.00", "message 0")); appended {
		t.Error("a message recovered from the log was appended again")
	}
	if e, _ := appendEntry(t, db, one.ID, "", said("1.99", "after")); e.Seq != 7 {
		t.Errorf("first message after recovery got Seq %d, want 7", e.Seq)
	}
	// Records that come back although bbolt has them (the log's emptying
	// was not durable yet) are skipped.
	if err := store.Abandon(db); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, path)
	if tl, _ := db.Timeline(ctx, one.ID); len(tl) != 7 {
		t.Errorf("INC-%d has %d entries after reopening, want 7", one.ID, len(tl))
	}
}

// TestMessageLogWithOtherWrites mixes logged messages with the writes that
// go to bbolt (an update of the incident, an edit of a logged message, a
// keyed append, an edit that comes before its message) and checks numbering
// and content.
func TestMessageLogWithOtherWrites(t *testing.T) {
	db := openDB(t, dbPath(t))
	ctx := context.Background()
	inc := declare(t, db, "Checkout down")
	other := declare(t, db, "Search slow")
	appendEntry(t, db, inc.ID, "", said("1.1", "first"))
	appendEntry(t, db, other.ID, "", said("1.1", "elsewhere"))
	if _, _, err := db.Update(ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
		e, err := i.AddNote("noted", "U1", i.DeclaredAt)
		return []muster.Entry{e}, err
	}); err != nil {
		t.Fatal(err)
	}
	if n := store.Logged(db); n != 1 {
		t.Errorf("after an update of INC-%d, %d messages wait in the log, want 1 (the other incident's)", inc.ID, n)
	}
	appendEntry(t, db, inc.ID, "", said("1.2", "second"))
	if _, _, err := db.Revise(ctx, inc.ID, "1.2", "edit-1.2", func(e *muster.Entry) error { e.Revise("second, edited", inc.DeclaredAt); return nil }); err != nil {
		t.Fatal(err)
	}
	appendEntry(t, db, inc.ID, "slack:Ev9", said("1.3", "keyed"))
	if _, _, err := db.Revise(ctx, inc.ID, "1.5", "edit-1.5", func(e *muster.Entry) error { e.Revise("fifth, edited early", inc.DeclaredAt); return nil }); err != nil {
		t.Fatal(err)
	}
	appendEntry(t, db, inc.ID, "", said("1.4", "fourth"))
	if e, _ := appendEntry(t, db, inc.ID, "", said("1.5", "fifth")); e.Text != "fifth, edited early" {
		t.Errorf("a message with a held edit came back as %q", e.Text)
	}
	tl, err := db.Timeline(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, e := range tl {
		if e.Seq != i+1 {
			t.Errorf("entry %d has Seq %d", i, e.Seq)
		}
		got = append(got, e.Text)
	}
	want := []string{tl[0].Text, "first", "noted", "second, edited", "keyed", "fourth", "fifth, edited early"}
	if !slices.Equal(got, want) {
		t.Errorf("timeline %q, want %q", got, want)
	}
	if after, err := db.EntriesAfter(ctx, other.ID, 1, 10); err != nil || len(after) != 1 || after[0].Text != "elsewhere" {
		t.Errorf("EntriesAfter(INC-%d) = %+v, %v; want the logged message", other.ID, after, err)
	}
}

// TestMessageLogConcurrentCopies sends copies of many messages from many
// goroutines at once, as Slack's retries can, with updates of the
// incidents among them: each message once, Seqs contiguous, whether the
// log or bbolt answered; after a crash, the same.
func TestMessageLogConcurrentCopies(t *testing.T) {
	path := dbPath(t)
	db := openDB(t, path)
	ctx := context.Background()
	incs := []*muster.Incident{declare(t, db, "One"), declare(t, db, "Two")}
	const messages, copies = 300, 3
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for m := w; m < messages*copies; m += 16 {
				k := m % messages
				inc := incs[k%2]
				if _, _, err := db.Append(ctx, inc.ID, "", said(fmt.Sprintf("2.%04d", k), fmt.Sprint("m", k))); err != nil {
					t.Errorf("append %d: %v", k, err)
				}
				if m%50 == 0 {
					if _, _, err := db.Update(ctx, inc.ID, func(i *muster.Incident) ([]muster.Entry, error) {
						e, err := i.AddNote(fmt.Sprint("note ", m), "U1", i.DeclaredAt)
						return []muster.Entry{e}, err
					}); err != nil {
						t.Errorf("update: %v", err)
					}
				}
			}
		})
	}
	wg.Wait()
	check := func(when string) {
		seen := map[string]int{}
		for _, inc := range incs {
			tl, err := db.Timeline(ctx, inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range tl {
				if e.Seq != i+1 {
					t.Fatalf("%s: INC-%d entry %d has Seq %d", when, inc.ID, i, e.Seq)
				}
				if i > 0 {
					seen[e.Text]++
				}
			}
		}
		for k := range messages {
			if n := seen[fmt.Sprint("m", k)]; n != 1 {
				t.Errorf("%s: message %d is in the timelines %d times", when, k, n)
			}
		}
	}
	if err := store.Abandon(db); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, path)
	check("after a crash")
}

// TestMessageLogFailure: when a write to the log fails, the messages of
// that group get the error (Slack retries them) and later ones go to
// bbolt; nothing acknowledged is lost.
func TestMessageLogFailure(t *testing.T) {
	path := dbPath(t)
	db := openDB(t, path)
	ctx := context.Background()
	inc := declare(t, db, "Checkout down")
	appendEntry(t, db, inc.ID, "", said("1.1", "before"))
	store.BreakLog(db)
	if _, _, err := db.Append(ctx, inc.ID, "", said("1.2", "lost write")); err == nil {
		t.Fatal("an append into a broken log succeeded")
	}
	// The retry, and what follows, go to bbolt.
	if e, appended := appendEntry(t, db, inc.ID, "", said("1.2", "lost write")); !appended || e.Seq != 3 {
		t.Errorf("retry after the failure: appended %v, Seq %d; want Seq 3", appended, e.Seq)
	}
	appendEntry(t, db, inc.ID, "", said("1.3", "after"))
	tl, err := db.Timeline(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range tl[1:] {
		got = append(got, e.Text)
	}
	if !slices.Equal(got, []string{"before", "lost write", "after"}) {
		t.Errorf("timeline %q", got)
	}
}

// FuzzMessageLog opens a store whose message log holds arbitrary bytes:
// Open either applies what it can read or refuses the file, and never
// panics.
func FuzzMessageLog(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 40, 1, 2, 3, 4, '{', '"'})
	f.Add([]byte{0, 0, 0, 2, 0, 0, 0, 0, '{', '}'})
	f.Fuzz(func(t *testing.T, log []byte) {
		path := dbPath(t)
		db := openDB(t, path)
		declare(t, db, "Checkout down")
		closeDB(t, db)
		if err := os.WriteFile(path+".wal", log, 0o600); err != nil {
			t.Fatal(err)
		}
		if db, err := store.Open(path); err == nil {
			db.Close()
		}
	})
}
