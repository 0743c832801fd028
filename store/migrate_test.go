package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	bolt "go.etcd.io/bbolt"
)

// TestOpenMovesSchema1 writes a file as schema 1 laid it out (a nested
// bucket per incident's timeline) and opens it: everything is found in
// the flat layout, its idempotency keys in time order too, and the file
// says the current schema.
func TestOpenMovesSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	at := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	raw, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	put := func(b *bolt.Bucket, k, v []byte) {
		if err := b.Put(k, v); err != nil {
			t.Fatal(err)
		}
	}
	js := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	err = raw.Update(func(tx *bolt.Tx) error {
		buckets := map[string]*bolt.Bucket{}
		for _, name := range []string{"meta", "incidents", "open", "rooms", "timelines", "keys"} {
			b, err := tx.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			buckets[name] = b
		}
		put(buckets["meta"], []byte("schema"), u64(1))
		for id := 1; id <= 2; id++ {
			inc := muster.Incident{ID: id, Title: "Schema one", Severity: "SEV2", Status: muster.StatusInvestigating, Platform: "slack", Room: "C" + string(rune('0'+id))}
			put(buckets["incidents"], idKey(id), js(inc))
			put(buckets["open"], idKey(id), []byte{})
			put(buckets["rooms"], roomKey("slack", inc.Room), idKey(id))
			tl, err := buckets["timelines"].CreateBucket(idKey(id))
			if err != nil {
				return err
			}
			entries, _ := tl.CreateBucket([]byte("entries"))
			messages, _ := tl.CreateBucket([]byte("messages"))
			held, _ := tl.CreateBucket([]byte("held"))
			put(entries, u64(1), js(muster.Entry{Seq: 1, Kind: muster.EntryDeclared, At: at, Text: "declared"}))
			put(entries, u64(2), js(muster.Entry{Seq: 2, Kind: muster.EntryMessage, At: at, Actor: "U1", Text: "first", MessageID: "1.1"}))
			put(messages, []byte("1.1"), u64(2))
			put(held, []byte("1.2"), js(muster.Entry{MessageID: "1.2", Key: true}))
			if err := entries.SetSequence(2); err != nil {
				return err
			}
		}
		put(buckets["keys"], []byte("slack:Ev1"), keyRecord{seen: time.Now(), incident: 1, seq: 2}.encode())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := Open(path)
	if err != nil {
		t.Fatalf("Open of a schema 1 file: %v", err)
	}
	defer db.Close()
	ctx := context.Background()
	for id := 1; id <= 2; id++ {
		tl, err := db.Timeline(ctx, id)
		if err != nil || len(tl) != 2 || tl[1].Text != "first" || tl[1].Seq != 2 {
			t.Fatalf("INC-%d timeline after the move = %+v, %v", id, tl, err)
		}
	}
	// The idempotency key still finds its entry.
	if e, appended, err := db.Append(ctx, 1, "slack:Ev1", muster.Entry{Kind: muster.EntryMessage, At: at, Text: "retry", MessageID: "1.1"}); err != nil || appended || e.Text != "first" {
		t.Errorf("retried key after the move: %+v appended %v, %v", e, appended, err)
	}
	// The message index still finds its entry.
	e, _, err := db.Revise(ctx, 1, "1.1", "", func(e *muster.Entry) error { e.Revise("first, edited", at); return nil })
	if err != nil || e.Text != "first, edited" || e.Seq != 2 {
		t.Errorf("revise after the move = %+v, %v", e, err)
	}
	// A held change is applied when its message comes, and numbering goes on.
	e, _, err = db.Append(ctx, 2, "slack:Ev2", muster.Entry{Kind: muster.EntryMessage, At: at, Text: "second", MessageID: "1.2"})
	if err != nil || e.Seq != 3 || !e.Key {
		t.Errorf("append after the move = %+v, %v; want Seq 3 flagged key (the held change)", e, err)
	}
	// The open incidents are listed from their copies, also after a change.
	if _, _, err := db.Update(ctx, 2, func(inc *muster.Incident) ([]muster.Entry, error) { inc.Severity = "SEV1"; return nil, nil }); err != nil {
		t.Fatal(err)
	}
	open, err := db.Incidents(ctx, true)
	if err != nil || len(open) != 2 || open[0].Title != "Schema one" || open[1].Severity != "SEV1" {
		t.Errorf("open incidents after the move = %+v, %v", open, err)
	}
	err = db.bolt.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte(bucketOpen)).Get(idKey(1)); len(v) == 0 {
			t.Error("the open bucket holds no copy of INC-1 after the move")
		}
		if tx.Bucket([]byte("timelines")) != nil {
			t.Error("the schema 1 timelines bucket is still there")
		}
		if n := tx.Bucket([]byte(bucketKeyTimes)).Stats().KeyN; n != 2 {
			t.Errorf("%d keys in time order, want 2 (the old key and the one appended since)", n)
		}
		if v := tx.Bucket([]byte(bucketMeta)).Get([]byte(keySchema)); binary.BigEndian.Uint64(v) != schemaVersion {
			t.Errorf("schema is %d after the move, want %d", binary.BigEndian.Uint64(v), schemaVersion)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestOpenRefusesNewerSchema: a file of a schema newer than this muster's
// is refused, not changed. A schema 5 muster checks the same way, so it
// refuses a file moved to schema 6 rather than logging new messages beside
// it that this one would not read.
func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketMeta)).Put([]byte(keySchema), u64(schemaVersion+1))
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path)
	if err == nil {
		db.Close()
		t.Fatal("Open of a file of a newer schema succeeded")
	}
	want := fmt.Sprintf("the file has schema version %d, newer than this muster understands (%d); upgrade muster", schemaVersion+1, schemaVersion)
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
		t.Errorf("Open: %q, want the path and %q", err, want)
	}
}
