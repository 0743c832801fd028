package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// keyRecord is what an idempotency key remembers: when it was first seen
// and which entry it produced. It is a fixed 24-byte value rather than
// JSON so that the prune at start-up scans keys without decoding them.
type keyRecord struct {
	seen     time.Time
	incident int
	seq      int
}

func (r keyRecord) encode() []byte {
	b := make([]byte, 0, 24)
	b = binary.BigEndian.AppendUint64(b, uint64(r.seen.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(r.incident))
	return binary.BigEndian.AppendUint64(b, uint64(r.seq))
}

func decodeKeyRecord(b []byte) (keyRecord, error) {
	if len(b) != 24 {
		return keyRecord{}, fmt.Errorf("idempotency record is %d bytes long, want 24", len(b))
	}
	return keyRecord{
		seen:     time.Unix(0, int64(binary.BigEndian.Uint64(b[0:8]))),
		incident: int(binary.BigEndian.Uint64(b[8:16])),
		seq:      int(binary.BigEndian.Uint64(b[16:24])),
	}, nil
}

// lookupKey returns the record of an idempotency key, if it was seen.
func lookupKey(tx *bolt.Tx, key string) (keyRecord, bool, error) {
	v := tx.Bucket([]byte(bucketKeys)).Get([]byte(key))
	if v == nil {
		return keyRecord{}, false, nil
	}
	r, err := decodeKeyRecord(v)
	if err != nil {
		return keyRecord{}, false, fmt.Errorf("read idempotency key %q: %w", key, err)
	}
	return r, true, nil
}

// bucketKeyTimes orders the idempotency keys by first-seen time (key:
// time then name, no value), so that pruning reads only the keys it
// removes. Scanning the keys bucket instead (ordered by name) read every
// page of it at each start, and with a week of events the pages mapped
// for that scan made most of a large file resident.
const bucketKeyTimes = "keytimes"

func keyTimeKey(seen time.Time, key string) []byte {
	return append(u64(uint64(seen.UnixNano())), key...)
}

// recordKey records a key not seen before (its callers looked it up in
// the same transaction).
func recordKey(tx *bolt.Tx, key string, r keyRecord) error {
	keys, times := tx.Bucket([]byte(bucketKeys)), tx.Bucket([]byte(bucketKeyTimes))
	if err := keys.Put([]byte(key), r.encode()); err != nil {
		return fmt.Errorf("record idempotency key %q: %w", key, err)
	}
	if err := times.Put(keyTimeKey(r.seen, key), nil); err != nil {
		return fmt.Errorf("record idempotency key %q: %w", key, err)
	}
	return nil
}

// pruneKeys forgets the idempotency keys first seen before cutoff and
// returns how many it removed, reading them oldest first and stopping at
// the first key young enough to keep. Stale keys are collected first and
// deleted after the walk because deleting under a bbolt cursor can make
// Next skip a key.
func pruneKeys(tx *bolt.Tx, cutoff time.Time) (int, error) {
	keys, times := tx.Bucket([]byte(bucketKeys)), tx.Bucket([]byte(bucketKeyTimes))
	var stale [][]byte
	c := times.Cursor()
	for k, _ := c.First(); len(k) >= 8; k, _ = c.Next() {
		if int64(binary.BigEndian.Uint64(k[:8])) >= cutoff.UnixNano() {
			break
		}
		stale = append(stale, append([]byte(nil), k...)) // k points into a page that Delete may rewrite
	}
	for _, k := range stale {
		if err := times.Delete(k); err != nil {
			return 0, fmt.Errorf("prune idempotency keys: %w", err)
		}
		name := k[8:]
		// Only the record seen at that time: a key recorded again since
		// has a newer time of its own.
		if v := keys.Get(name); v != nil {
			if r, err := decodeKeyRecord(v); err != nil || r.seen.UnixNano() == int64(binary.BigEndian.Uint64(k[:8])) {
				if err := keys.Delete(name); err != nil {
					return 0, fmt.Errorf("prune idempotency key %q: %w", name, err)
				}
			}
		}
	}
	return len(stale), nil
}

// indexKeyTimes builds the time order of the keys a file kept before it
// had one (schema 2 and older): one scan, once.
func indexKeyTimes(tx *bolt.Tx) error {
	times := tx.Bucket([]byte(bucketKeyTimes))
	return tx.Bucket([]byte(bucketKeys)).ForEach(func(k, v []byte) error {
		r, err := decodeKeyRecord(v)
		if err != nil {
			return fmt.Errorf("key %q: %w", k, err)
		}
		return times.Put(keyTimeKey(r.seen, string(k)), nil)
	})
}

// PruneKeys forgets idempotency keys older than the retry window, so a
// process that runs for months does not keep every event id it ever saw.
// Open prunes too; a long-running process calls this now and then.
func (db *DB) PruneKeys(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("prune idempotency keys: %w", err)
	}
	var n int
	err := db.bolt.Update(func(tx *bolt.Tx) (err error) {
		n, err = pruneKeys(tx, db.now().Add(-keyTTL))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune idempotency keys: %w", err)
	}
	return n, nil
}
