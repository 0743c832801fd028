package store_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/store"
	bolt "go.etcd.io/bbolt"
)

// TestOpenMovesSchema5 builds a schema 5 store by hand, with messages a
// crash left in its message log (one in bbolt already, one with an edit
// held for it), and opens it: every logged message is in its timeline
// once, in order, the held edit applied; the log is gone, the file says
// the current schema, retried deliveries are still recognised and
// numbering goes on.
func TestOpenMovesSchema5(t *testing.T) {
	path := dbPath(t)
	ctx := context.Background()
	db := openDB(t, path)
	one, two := declare(t, db, "Checkout down"), declare(t, db, "Search slow")
	appendEntry(t, db, one.ID, "", said("1.00", "message 0")) // applied before the crash
	if _, _, err := db.Revise(ctx, two.ID, "1.03", "", func(e *muster.Entry) error { e.Revise("message 3, edited", t0); return nil }); err != nil {
		t.Fatal(err)
	}
	closeDB(t, db)
	var log []byte
	for i, m := range []struct {
		inc *muster.Incident
		seq int
	}{{one, 2}, {two, 2}, {one, 3}, {two, 3}, {one, 4}} {
		e := said(fmt.Sprintf("1.%02d", i), fmt.Sprint("message ", i))
		e.Seq = m.seq
		log = append(log, store.LogRecord(m.inc.ID, e)...)
	}
	log = append(log, make([]byte, 4096)...) // the log's zeros, never written
	writeLog(t, path, log)

	db = openDB(t, path)
	if n := db.TornLog(); n != 0 {
		t.Errorf("TornLog = %d, want 0", n)
	}
	texts := func(inc *muster.Incident) []string {
		t.Helper()
		tl, err := db.Timeline(ctx, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for i, e := range tl {
			if e.Seq != i+1 {
				t.Errorf("INC-%d entry %d has Seq %d", inc.ID, i, e.Seq)
			}
			if i > 0 {
				out = append(out, e.Text)
			}
		}
		return out
	}
	want1, want2 := []string{"message 0", "message 2", "message 4"}, []string{"message 1", "message 3, edited"}
	if got := texts(one); !slices.Equal(got, want1) {
		t.Errorf("INC-%d after the move: %q, want %q", one.ID, got, want1)
	}
	if got := texts(two); !slices.Equal(got, want2) {
		t.Errorf("INC-%d after the move: %q, want %q", two.ID, got, want2)
	}
	if _, err := os.Stat(path + ".wal"); !os.IsNotExist(err) {
		t.Errorf("the message log is still there after the move (%v)", err)
	}
	if _, appended := appendEntry(t, db, one.ID, "", said("1.02", "message 2")); appended {
		t.Error("a message moved from the log was appended again")
	}
	if e, _ := appendEntry(t, db, one.ID, "", said("1.99", "after")); e.Seq != 5 {
		t.Errorf("first message after the move got Seq %d, want 5", e.Seq)
	}
	closeDB(t, db)
	if got := schemaOf(t, path); got != store.SchemaVersion {
		t.Errorf("schema is %d after the move, want %d", got, store.SchemaVersion)
	}

	// A crash between the move and the log's removal leaves the log beside
	// a moved file: the next Open removes it and applies nothing twice.
	if err := os.WriteFile(path+".wal", log, 0o600); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, path)
	if got := texts(one); !slices.Equal(got, append(want1, "after")) {
		t.Errorf("INC-%d after reopening: %q", one.ID, got)
	}
	if _, err := os.Stat(path + ".wal"); !os.IsNotExist(err) {
		t.Errorf("the leftover message log is still there (%v)", err)
	}
}

// schemaOf reads the schema version of the closed store at path.
func schemaOf(tb testing.TB, path string) uint64 {
	tb.Helper()
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer b.Close()
	var v uint64
	if err := b.View(func(tx *bolt.Tx) error {
		v = binary.BigEndian.Uint64(tx.Bucket([]byte("meta")).Get([]byte("schema")))
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return v
}

// FuzzMessageLog opens a schema 5 store whose message log holds arbitrary
// bytes: Open either applies what it can read or refuses the file, and
// never panics.
func FuzzMessageLog(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 40, 1, 2, 3, 4, '{', '"'})
	f.Add([]byte{0, 0, 0, 2, 0, 0, 0, 0, '{', '}'})
	e := said("1.1", "hello")
	e.Seq = 2
	f.Add(store.LogRecord(1, e))
	f.Fuzz(func(t *testing.T, log []byte) {
		path := dbPath(t)
		db := openDB(t, path)
		declare(t, db, "Checkout down")
		closeDB(t, db)
		writeLog(t, path, log)
		if db, err := store.Open(path); err == nil {
			db.Close()
		}
	})
}
