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

func recordKey(tx *bolt.Tx, key string, r keyRecord) error {
	if err := tx.Bucket([]byte(bucketKeys)).Put([]byte(key), r.encode()); err != nil {
		return fmt.Errorf("record idempotency key %q: %w", key, err)
	}
	return nil
}

// pruneKeys forgets the idempotency keys first seen before cutoff and
// returns how many it removed. Keys are ordered by name, not age, so it
// scans them all; at a few thousand events a day that is a week's worth,
// read once per start. Stale keys are collected first and deleted after
// the scan because deleting under a bbolt cursor can make Next skip a key.
func pruneKeys(tx *bolt.Tx, cutoff time.Time) (int, error) {
	keys := tx.Bucket([]byte(bucketKeys))
	var stale [][]byte
	err := keys.ForEach(func(k, v []byte) error {
		r, err := decodeKeyRecord(v)
		if err != nil {
			return fmt.Errorf("key %q: %w", k, err)
		}
		if r.seen.Before(cutoff) {
			stale = append(stale, append([]byte(nil), k...)) // k points into a page that Delete may rewrite
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune idempotency keys: %w", err)
	}
	for _, k := range stale {
		if err := keys.Delete(k); err != nil {
			return 0, fmt.Errorf("prune idempotency key %q: %w", k, err)
		}
	}
	return len(stale), nil
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
