package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/muster-bot/muster"
	bolt "go.etcd.io/bbolt"
)

// bucketDeclared orders the incidents by declaration time (key: time then
// number, no value), so that a window of incidents, or the newest few, is
// read without reading every incident. A declaration time never changes
// after Create, so only Create and the schema 6 to 7 move write it.
const bucketDeclared = "declared"

// declaredKey sorts by time, then number. The sign bit is flipped so that
// times before 1970 still sort before later ones.
func declaredKey(at time.Time, id int) []byte {
	return binary.BigEndian.AppendUint64(u64(uint64(at.UnixNano())^1<<63), uint64(id))
}

// IncidentsDeclared returns the incidents declared at or after from and
// before to, newest first (incidents declared at the same instant by
// number, highest first), at most limit of them; limit <= 0 means all.
func (db *DB) IncidentsDeclared(ctx context.Context, from, to time.Time, limit int) ([]*muster.Incident, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list incidents declared in a window: %w", err)
	}
	var list []*muster.Incident
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var raw []stored
		incidents := tx.Bucket([]byte(bucketIncidents))
		low, high := declaredKey(from, 0), declaredKey(to, 0)
		c := tx.Bucket([]byte(bucketDeclared)).Cursor()
		k, _ := c.Seek(high) // the first key at or after to, which is excluded
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && string(k) >= string(low); k, _ = c.Prev() {
			if limit > 0 && len(raw) >= limit {
				break
			}
			if len(k) != 16 {
				return fmt.Errorf("declaration index key is %d bytes long, want 16", len(k))
			}
			id := k[8:]
			v := incidents.Get(id)
			if v == nil {
				return fmt.Errorf("declaration index names INC-%d, which is not stored", binary.BigEndian.Uint64(id))
			}
			raw = append(raw, stored{id, v})
		}
		var err error
		list, err = decodeAll(raw) // in the transaction: v is the file's memory
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list incidents declared in a window: %w", err)
	}
	return list, nil
}

// indexDeclared records an incident in the declaration index.
func indexDeclared(tx *bolt.Tx, inc *muster.Incident) error {
	if err := tx.Bucket([]byte(bucketDeclared)).Put(declaredKey(inc.DeclaredAt, inc.ID), nil); err != nil {
		return fmt.Errorf("index declaration time of %s: %w", inc.Ref(), err)
	}
	return nil
}

// migrate6to7 builds the declaration index of a file that had none: one
// scan of the incidents, once.
func migrate6to7(tx *bolt.Tx) error {
	return tx.Bucket([]byte(bucketIncidents)).ForEach(func(k, v []byte) error {
		inc, err := decodeIncident(k, v)
		if err != nil {
			return err
		}
		inc.ID = int(binary.BigEndian.Uint64(k))
		return indexDeclared(tx, inc)
	})
}
