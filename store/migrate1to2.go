package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

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
