package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/muster-bot/muster"
	bolt "go.etcd.io/bbolt"
)

// Timelines are kept flat: one entries bucket for every incident, keyed
// by incident number then Seq, one message index keyed by incident number
// then message id, one bucket of held revisions keyed the same way. A
// commit that appends to many incidents then dirties about one entries
// page and one index page per incident; with a nested bucket per incident
// (schema 1) it dirtied three or four, written at scattered offsets
// before each fsync, and spreading writes over 50 incidents cut the
// store's throughput by three quarters.
const (
	bucketEntries  = "entries"  // incident id, seq → Entry (JSON)
	bucketMessages = "messages" // incident id, message id → seq
	bucketHeld     = "held"     // incident id, message id → held revision (JSON)
)

// tline is the timeline of one incident within a transaction.
type tline struct {
	id                      int
	entries, messages, held *bolt.Bucket
}

// timeline returns the timeline of incident id, or ENOTFOUND when there is
// no such incident.
func timeline(tx *bolt.Tx, id int) (*tline, error) {
	if id <= 0 || tx.Bucket([]byte(bucketIncidents)).Get(idKey(id)) == nil {
		return nil, muster.Errorf(muster.ENOTFOUND, "There is no incident INC-%d.", id)
	}
	return &tline{
		id:       id,
		entries:  tx.Bucket([]byte(bucketEntries)),
		messages: tx.Bucket([]byte(bucketMessages)),
		held:     tx.Bucket([]byte(bucketHeld)),
	}, nil
}

// entryKey is the key of entry seq: the incident number, then seq.
func (tl *tline) entryKey(seq uint64) []byte {
	k := make([]byte, 0, 16)
	k = binary.BigEndian.AppendUint64(k, uint64(tl.id))
	return binary.BigEndian.AppendUint64(k, seq)
}

// messageKey is the key of a message id in the index and the held bucket.
func (tl *tline) messageKey(messageID string) []byte {
	return append(idKey(tl.id), messageID...)
}

// lastSeq is the Seq of the incident's last entry, 0 when it has none.
func (tl *tline) lastSeq() uint64 {
	c := tl.entries.Cursor()
	k, _ := c.Seek(idKey(tl.id + 1))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if len(k) != 16 || !bytes.HasPrefix(k, idKey(tl.id)) {
		return 0
	}
	return binary.BigEndian.Uint64(k[8:])
}

// each calls fn for the incident's entries from Seq from on, in order,
// until fn returns false or an error.
func (tl *tline) each(from uint64, fn func(seq uint64, v []byte) (bool, error)) error {
	prefix := idKey(tl.id)
	c := tl.entries.Cursor()
	for k, v := c.Seek(tl.entryKey(from)); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		more, err := fn(binary.BigEndian.Uint64(k[8:]), v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// migrate1to2 moves schema 1's nested timeline buckets (timelines → id →
// entries, messages, held) into the flat buckets, in the transaction that
// opens the store.
func migrate1to2(tx *bolt.Tx) error {
	old := tx.Bucket([]byte("timelines"))
	if old == nil {
		return nil
	}
	err := old.ForEach(func(id, v []byte) error {
		if v != nil || len(id) != 8 {
			return fmt.Errorf("schema 1 timelines: unexpected key %x", id)
		}
		tl := &tline{id: int(binary.BigEndian.Uint64(id)), entries: tx.Bucket([]byte(bucketEntries)),
			messages: tx.Bucket([]byte(bucketMessages)), held: tx.Bucket([]byte(bucketHeld))}
		nested := old.Bucket(id)
		copyInto := func(name string, key func(k []byte) []byte, dst *bolt.Bucket) error {
			b := nested.Bucket([]byte(name))
			if b == nil {
				return nil
			}
			return b.ForEach(func(k, v []byte) error { return dst.Put(key(k), v) })
		}
		if err := copyInto("entries", func(k []byte) []byte { return tl.entryKey(binary.BigEndian.Uint64(k)) }, tl.entries); err != nil {
			return fmt.Errorf("migrate timeline of INC-%d: %w", tl.id, err)
		}
		if err := copyInto("messages", func(k []byte) []byte { return tl.messageKey(string(k)) }, tl.messages); err != nil {
			return fmt.Errorf("migrate message index of INC-%d: %w", tl.id, err)
		}
		if err := copyInto("held", func(k []byte) []byte { return tl.messageKey(string(k)) }, tl.held); err != nil {
			return fmt.Errorf("migrate held revisions of INC-%d: %w", tl.id, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := tx.DeleteBucket([]byte("timelines")); err != nil {
		return fmt.Errorf("drop schema 1 timelines: %w", err)
	}
	return nil
}
