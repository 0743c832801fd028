package store

import (
	"encoding/binary"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// rooms mirrors the rooms bucket in memory. Every message event and every
// command asks which incident a room belongs to, and most of them, asked
// outside any war room, get "none": answered from a map, neither costs a
// read transaction. The bucket stays the record; this copy is loaded from
// it at Open and follows each committed change. Only this process writes
// the file (bbolt's lock), so the copy cannot miss a change.
type rooms struct {
	mu  sync.RWMutex
	ids map[string]roomSlot
}

// roomSlot is what the index says of one room, and as of which write
// transaction. id 0 says the room was released.
type roomSlot struct {
	id   int
	txid int
}

func loadRooms(tx *bolt.Tx) (*rooms, error) {
	r := &rooms{ids: make(map[string]roomSlot)}
	err := tx.Bucket([]byte(bucketRooms)).ForEach(func(k, v []byte) error {
		if len(v) != 8 {
			return fmt.Errorf("room index entry %q is %d bytes long, want 8", k, len(v))
		}
		r.ids[string(k)] = roomSlot{id: int(binary.BigEndian.Uint64(v))}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load room index: %w", err)
	}
	return r, nil
}

// lookup returns the incident whose war room key is, or 0.
func (r *rooms) lookup(key []byte) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.ids[string(key)].id
}

// set records, once tx has committed, that key now belongs to incident id
// (0: to none). Commit handlers run after bbolt releases its writer lock,
// so two transactions' handlers may run out of order; the transaction id
// keeps the later change.
func (r *rooms) set(tx *bolt.Tx, key []byte, id int) {
	k, txid := string(key), tx.ID()
	tx.OnCommit(func() { r.apply(k, id, txid) })
}

// apply records what transaction txid made of room key, unless a later
// transaction's change is there already.
func (r *rooms) apply(key string, id, txid int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur, ok := r.ids[key]; ok && cur.txid > txid {
		return
	}
	r.ids[key] = roomSlot{id: id, txid: txid}
}
