package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/muster-bot/muster"
	bolt "go.etcd.io/bbolt"
)

// This file is the path of a message said in a war room, from the room to
// the disk: which incident the room belongs to (RoomIncident), and the
// append to its timeline (Append), batched with the others that arrive
// together into one transaction and one fsync. Reading and revising a
// timeline is in entries.go.

// Appends that arrive together share one transaction and its fsync:
// bbolt's DB.Batch gathers them and commits them batchDelay after the
// first, or at once when batchSize have joined. Every caller waits for
// that commit (a message is acknowledged once it is on disk), so the
// delay is as short as Go's timers reliably wake: the appends that arrive
// while a batch commits gather in the next one anyway, which waits for
// bbolt's writer lock, and a longer delay only adds to every
// acknowledgement's wait. batchSize is above the requests a busy process
// serves at once, so it seldom cuts a batch short; it bounds the pages of
// one commit and what one failing append makes the others redo.
const (
	batchDelay = time.Millisecond
	batchSize  = 256
)

// Append adds e to the timeline of incident id and returns it with its
// Seq, once it is on disk.
//
// Append is idempotent twice over. An entry for a message the timeline
// already holds (same MessageID) is not added again: the stored entry
// comes back with appended false, so a platform's retried delivery of a
// message needs no key. And key, when set, makes any append idempotent:
// a retry carrying a key already recorded writes nothing and gets back
// the entry stored the first time. Keys are global, as platform event ids
// are.
func (db *DB) Append(ctx context.Context, id int, key string, e muster.Entry) (stored muster.Entry, appended bool, err error) {
	if err := ctx.Err(); err != nil {
		return muster.Entry{}, false, fmt.Errorf("append timeline entry for INC-%d: %w", id, err)
	}
	// When a function of a batch fails, Batch rolls the batch back, runs
	// the others again without it, and then it alone: so this one may run
	// more than once, touches nothing but tx and sets its results afresh
	// on every run, and a run that was rolled back leaves no trace.
	err = db.bolt.Batch(func(tx *bolt.Tx) error {
		stored, appended = muster.Entry{}, false
		if key != "" {
			first, seen, err := keyedEntry(tx, key)
			if err != nil || seen {
				stored = first
				return err
			}
		}
		tl, err := timeline(tx, id)
		if err != nil {
			return err
		}
		if first, found, err := tl.message(e.MessageID); err != nil || found {
			stored = first
			return err
		}
		entry := e
		if err := appendEntry(tl, &entry); err != nil {
			return err
		}
		if err := applyHeld(tl, &entry); err != nil {
			return err
		}
		if key != "" {
			if err := recordKey(tx, key, keyRecord{seen: db.now(), incident: id, seq: entry.Seq}); err != nil {
				return err
			}
		}
		stored, appended = entry, true
		return nil
	})
	if err != nil {
		return muster.Entry{}, false, fmt.Errorf("append timeline entry for INC-%d: %w", id, err)
	}
	return stored, appended, nil
}

// RoomIncident returns the number of the incident whose war room is room
// on platform, or an ENOTFOUND error: the first step of recording a
// message said in a room.
func (db *DB) RoomIncident(ctx context.Context, platform, room string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("find incident of room %s/%s: %w", platform, room, err)
	}
	id := 0
	if room != "" {
		err := db.bolt.View(func(tx *bolt.Tx) error {
			if v := tx.Bucket([]byte(bucketRooms)).Get(roomKey(platform, room)); len(v) == 8 {
				id = int(binary.BigEndian.Uint64(v))
			}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("find incident of room %s/%s: %w", platform, room, err)
		}
	}
	if id == 0 {
		return 0, errNotWarRoom
	}
	return id, nil
}

// errNotWarRoom is the answer for most rooms a message or a command comes
// from; it is the same every time.
var errNotWarRoom = muster.Errorf(muster.ENOTFOUND, "This room is not an incident war room.")

// Timelines are kept flat: one entries bucket for every incident, keyed
// by incident number then Seq, one message index keyed by incident number
// then message id, one bucket of held revisions keyed the same way. A
// commit that appends to many incidents then dirties about one entries
// page and one index page per incident, where a nested bucket per
// incident (schema 1) dirtied three or four, scattered over the file.
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

// appendEntry numbers e with the timeline's next Seq and stores it, with
// its message in the index. Seq values stay contiguous: the next is one
// past the last stored, and a failed transaction stores nothing.
func appendEntry(tl *tline, e *muster.Entry) error {
	e.Seq = int(tl.lastSeq() + 1)
	v, err := json.Marshal(*e)
	if err != nil {
		return fmt.Errorf("encode entry %d: %w", e.Seq, err)
	}
	if err := tl.entries.Put(tl.entryKey(uint64(e.Seq)), v); err != nil {
		return fmt.Errorf("store entry %d: %w", e.Seq, err)
	}
	if e.MessageID != "" {
		if err := tl.messages.Put(tl.messageKey(e.MessageID), u64(uint64(e.Seq))); err != nil {
			return fmt.Errorf("index message %s: %w", e.MessageID, err)
		}
	}
	return nil
}

// putEntry rewrites an entry in place (its message index stands).
func putEntry(tl *tline, e muster.Entry) error {
	v, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode entry %d: %w", e.Seq, err)
	}
	if err := tl.entries.Put(tl.entryKey(uint64(e.Seq)), v); err != nil {
		return fmt.Errorf("store entry %d: %w", e.Seq, err)
	}
	return nil
}

// message returns the entry that records message messageID, if the
// timeline holds it.
func (tl *tline) message(messageID string) (muster.Entry, bool, error) {
	if messageID == "" {
		return muster.Entry{}, false, nil
	}
	v := tl.messages.Get(tl.messageKey(messageID))
	if len(v) != 8 {
		return muster.Entry{}, false, nil
	}
	e, err := getEntry(tl, binary.BigEndian.Uint64(v))
	return e, err == nil, err
}

func getEntry(tl *tline, seq uint64) (muster.Entry, error) {
	v := tl.entries.Get(tl.entryKey(seq))
	if v == nil {
		return muster.Entry{}, fmt.Errorf("entry %d is missing", seq)
	}
	return decodeEntry(seq, v)
}

func decodeEntry(seq uint64, v []byte) (muster.Entry, error) {
	var e muster.Entry
	if err := json.Unmarshal(v, &e); err != nil {
		return muster.Entry{}, fmt.Errorf("decode entry %d: %w", seq, err)
	}
	e.Seq = int(seq) // the key is authoritative
	return e, nil
}

// keyedEntry returns the entry an idempotency key produced, if the key
// was seen. The entry is read as it is now, so a retried edit reports the
// text the edit left.
func keyedEntry(tx *bolt.Tx, key string) (muster.Entry, bool, error) {
	r, seen, err := lookupKey(tx, key)
	if err != nil || !seen {
		return muster.Entry{}, false, err
	}
	tl, err := timeline(tx, r.incident)
	if err != nil {
		return muster.Entry{}, false, fmt.Errorf("idempotency key %q names INC-%d, which has no timeline", key, r.incident)
	}
	if r.seq == 0 {
		return muster.Entry{}, true, nil // a held revision (see holdRevision): seen, no entry yet
	}
	e, err := getEntry(tl, uint64(r.seq))
	if err != nil {
		return muster.Entry{}, false, fmt.Errorf("idempotency key %q: %w", key, err)
	}
	return e, true, nil
}

// applyHeld applies to a new message entry the changes that came before
// it, and rewrites the entry if there were any.
func applyHeld(tl *tline, e *muster.Entry) error {
	if e.MessageID == "" {
		return nil
	}
	v := tl.held.Get(tl.messageKey(e.MessageID))
	if v == nil {
		return nil
	}
	var h muster.Entry
	if err := json.Unmarshal(v, &h); err != nil {
		return fmt.Errorf("decode held revision of %s: %w", e.MessageID, err)
	}
	e.Absorb(h)
	if err := tl.held.Delete(tl.messageKey(e.MessageID)); err != nil {
		return fmt.Errorf("release held revision of %s: %w", e.MessageID, err)
	}
	return putEntry(tl, *e)
}
