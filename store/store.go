// Package store keeps incidents and their timelines in one bbolt file.
//
// Layout (numeric keys are big-endian uint64 so that bbolt's byte order is
// numeric order):
//
//	meta       "schema" → format version
//	incidents  id → Incident (JSON); the bucket sequence numbers incidents
//	open       id → Incident (JSON), a copy of each open incident
//	rooms      platform NUL room → id
//	entries    id, seq → Entry (JSON): every incident's timeline
//	messages   id, message id → seq: which entry records a platform message
//	held       id, message id → a change that came before its message (JSON)
//	keys       idempotency key → first-seen time, incident id, seq
//	keytimes   first-seen time, idempotency key → nothing: the keys oldest first
//	declared   declaration time, id → nothing: the incidents oldest first
//	outbox     key → outbox.Item (JSON): what waits to be sent out
//
// Schema 1 kept each incident's timeline in a nested bucket; Open moves
// such a file to the flat layout above once (see layout.go). Schema 2 had
// no keytimes, schema 3 no copies in open; Open adds them once. Schema 5
// kept new messages in a log beside the file; Open moves them into the
// file once and removes the log (see migrate5to6.go). Schema 6 had no
// declared bucket; Open builds it once (see declared.go). The outbox
// bucket came without a schema bump: Open creates it (see outbox.go).
//
// Every write is one bbolt transaction, fsynced before it is
// acknowledged. Appends that arrive together share one (see Append).
package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

const (
	bucketMeta      = "meta"
	bucketIncidents = "incidents"
	bucketOpen      = "open"
	bucketRooms     = "rooms"
	bucketKeys      = "keys"

	keySchema = "schema"

	// schemaVersion is bumped when the layout changes incompatibly, so that
	// an older binary refuses a newer file instead of corrupting it. 6: the
	// file alone holds every message; a schema 5 muster would write new
	// ones to a log beside it, which this one no longer reads. 7: the
	// declaration index, which an older muster would not keep up to date.
	schemaVersion = 7

	// keyTTL is how long an idempotency key is remembered. Slack retries an
	// event within about an hour; a week also covers a bot that was down
	// over a long weekend, and keeps the bucket small.
	keyTTL = 7 * 24 * time.Hour

	// lockTimeout bounds the wait for bbolt's file lock, so that a second
	// muster pointed at the same file fails at start-up instead of hanging.
	lockTimeout = 2 * time.Second
)

// DB is the muster store. It is safe for concurrent use.
type DB struct {
	bolt *boltFile
	// now stamps idempotency keys with their first-seen time; a field so
	// tests can age keys without waiting a week.
	now func() time.Time
	// tornLog is what moving a schema 5 file dropped; see TornLog.
	tornLog int
}

// Open opens the store at path, creating the file, its directory and the
// buckets when missing, and forgets idempotency keys older than a week.
func Open(path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open store %s: create directory: %w", path, err)
	}
	b, err := openBolt(path)
	if err != nil {
		return nil, err
	}
	db := &DB{bolt: b, now: time.Now}
	// Pruning at start-up needs no schedule of its own: a key only has to
	// outlive the platform's retries, and a week is far longer.
	err = b.Update(func(tx *bolt.Tx) (err error) {
		if db.tornLog, err = initBuckets(tx, path+logSuffix); err != nil {
			return err
		}
		_, err = pruneKeys(tx, db.now().Add(-keyTTL))
		return err
	})
	if err == nil {
		err = removeLog(path + logSuffix)
	}
	if err != nil {
		_ = b.Close() // the init error is the one worth reporting
		return nil, openError(path, err)
	}
	b.MaxBatchDelay, b.MaxBatchSize = batchDelay, batchSize
	return db, nil
}

// openError wraps an error of Open with the path, unless it names the
// file already (damage does).
func openError(path string, err error) error {
	if e, ok := errors.AsType[*damageError](err); ok {
		return e
	}
	if e, ok := errors.AsType[*logDamageError](err); ok {
		return e
	}
	return fmt.Errorf("open store %s: %w", path, err)
}

// TornLog is how many records at the end of a schema 5 message log Open
// dropped, moving the file to schema 6, as a group a crash cut short while
// writing it (never acknowledged): the caller logs it, so that a drop is
// never silent.
func (db *DB) TornLog() int { return db.tornLog }

// Close waits for running transactions and closes the file.
func (db *DB) Close() error {
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// Ping reports whether the store is open and readable, for /readyz.
func (db *DB) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte(bucketMeta)) == nil {
			return errors.New("meta bucket is missing")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	return nil
}

// initBuckets creates the buckets of a new file and moves an older one to
// the current schema. logPath is where a schema 5 file kept its message
// log; it returns how many torn records it dropped from it.
func initBuckets(tx *bolt.Tx, logPath string) (tornLog int, err error) {
	for _, name := range []string{bucketMeta, bucketIncidents, bucketOpen, bucketRooms, bucketEntries, bucketMessages, bucketHeld, bucketKeys, bucketKeyTimes, bucketDeclared, bucketOutbox} {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return 0, fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket([]byte(bucketMeta))
	v := meta.Get([]byte(keySchema))
	if v == nil {
		return 0, meta.Put([]byte(keySchema), u64(schemaVersion))
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("schema version is %d bytes long, want 8", len(v))
	}
	got := binary.BigEndian.Uint64(v)
	if got > schemaVersion {
		return 0, fmt.Errorf("the file has schema version %d, newer than this muster understands (%d); upgrade muster", got, schemaVersion)
	}
	if got < 2 {
		if err := migrate1to2(tx); err != nil {
			return 0, fmt.Errorf("move the file from schema 1 to 2: %w", err)
		}
	}
	if got < 3 {
		if err := indexKeyTimes(tx); err != nil {
			return 0, fmt.Errorf("move the file from schema 2 to 3: %w", err)
		}
	}
	if got < 4 {
		if err := copyOpenIncidents(tx); err != nil {
			return 0, fmt.Errorf("move the file from schema 3 to 4: %w", err)
		}
	}
	if got < 6 {
		if tornLog, err = migrate5to6(tx, logPath); err != nil {
			return 0, fmt.Errorf("move the file from schema 5 to 6: %w", err)
		}
	}
	if got < 7 {
		if err := migrate6to7(tx); err != nil {
			return 0, fmt.Errorf("move the file from schema 6 to 7: %w", err)
		}
	}
	if got < schemaVersion {
		return tornLog, meta.Put([]byte(keySchema), u64(schemaVersion))
	}
	return 0, nil
}

// copyOpenIncidents fills the open bucket of an older file, whose keys
// had no values, with copies of the open incidents.
func copyOpenIncidents(tx *bolt.Tx) error {
	open, incidents := tx.Bucket([]byte(bucketOpen)), tx.Bucket([]byte(bucketIncidents))
	var ids [][]byte
	if err := open.ForEach(func(k, v []byte) error {
		if len(v) == 0 {
			ids = append(ids, append([]byte(nil), k...))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range ids {
		if v := incidents.Get(k); v != nil {
			if err := open.Put(k, append([]byte(nil), v...)); err != nil {
				return err
			}
		}
	}
	return nil
}

// u64 encodes a number as a key that sorts numerically.
func u64(n uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), n)
}

func idKey(id int) []byte { return u64(uint64(id)) }

// roomKey indexes a war room. NUL cannot occur in platform names, so the
// key is unambiguous.
func roomKey(platform, room string) []byte {
	return []byte(platform + "\x00" + room)
}
