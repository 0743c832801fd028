package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/muster-bot/muster"
	bolt "go.etcd.io/bbolt"
)

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

// Revise applies fn to the entry of incident id that records message
// messageID (an edit, a delete, a key-event flag) and returns the entry as
// stored, once it is on disk. It is idempotent on key like Append. It is a
// transaction of its own, not batched, so fn runs once.
func (db *DB) Revise(ctx context.Context, id int, messageID, key string, fn func(*muster.Entry) error) (muster.Entry, bool, error) {
	wrap := func(err error) error {
		return fmt.Errorf("revise message %s in timeline of INC-%d: %w", messageID, id, err)
	}
	if err := ctx.Err(); err != nil {
		return muster.Entry{}, false, wrap(err)
	}
	var (
		stored  muster.Entry
		revised bool
	)
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		if key != "" {
			first, seen, err := keyedEntry(tx, key)
			if err != nil || seen {
				stored = first
				return err
			}
		}
		tl, entry, err := messageEntry(tx, id, messageID)
		if muster.ErrorCode(err) == muster.ENOTFOUND && tl != nil && messageID != "" {
			// The change came before the message (events are not ordered):
			// keep it, and Append applies it when the message arrives.
			stored, err = holdRevision(tl, messageID, fn)
			if err == nil && key != "" {
				err = recordKey(tx, key, keyRecord{seen: db.now(), incident: id})
			}
			revised = err == nil
			return err
		}
		if err != nil {
			return err
		}
		seq := entry.Seq
		if err := fn(&entry); err != nil {
			return err
		}
		// The position and the message id are the store's to keep: the
		// message index points at this seq.
		entry.Seq, entry.MessageID = seq, messageID
		if err := putEntry(tl, entry); err != nil {
			return err
		}
		if key != "" {
			if err := recordKey(tx, key, keyRecord{seen: db.now(), incident: id, seq: entry.Seq}); err != nil {
				return err
			}
		}
		stored, revised = entry, true
		return nil
	})
	if err != nil {
		return muster.Entry{}, false, wrap(err)
	}
	return stored, revised, nil
}

// Timeline returns every entry of incident id in Seq order.
func (db *DB) Timeline(ctx context.Context, id int) ([]muster.Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read timeline of INC-%d: %w", id, err)
	}
	var entries []muster.Entry
	err := db.bolt.View(func(tx *bolt.Tx) error {
		tl, err := timeline(tx, id)
		if err != nil {
			return err
		}
		return tl.each(1, func(seq uint64, v []byte) (bool, error) {
			e, err := decodeEntry(seq, v)
			entries = append(entries, e)
			return true, err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read timeline of INC-%d: %w", id, err)
	}
	return entries, nil
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

// messageEntry returns the timeline of incident id and the entry that
// records message messageID, or ENOTFOUND.
func messageEntry(tx *bolt.Tx, id int, messageID string) (*tline, muster.Entry, error) {
	tl, err := timeline(tx, id)
	if err != nil {
		return nil, muster.Entry{}, err
	}
	e, found, err := tl.message(messageID)
	if err == nil && !found {
		err = muster.Errorf(muster.ENOTFOUND, "That message is not in the timeline of INC-%d.", id)
	}
	return tl, e, err
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

// holdRevision applies fn to the held change of messageID (a blank entry
// the first time) and keeps it.
func holdRevision(tl *tline, messageID string, fn func(*muster.Entry) error) (muster.Entry, error) {
	e := muster.Entry{MessageID: messageID}
	if v := tl.held.Get(tl.messageKey(messageID)); v != nil {
		if err := json.Unmarshal(v, &e); err != nil {
			return muster.Entry{}, fmt.Errorf("decode held revision of %s: %w", messageID, err)
		}
	}
	if err := fn(&e); err != nil {
		return muster.Entry{}, err
	}
	v, err := json.Marshal(e)
	if err != nil {
		return muster.Entry{}, fmt.Errorf("encode held revision of %s: %w", messageID, err)
	}
	if err := tl.held.Put(tl.messageKey(messageID), v); err != nil {
		return muster.Entry{}, fmt.Errorf("hold revision of %s: %w", messageID, err)
	}
	return e, nil
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

// EntriesAfter returns at most limit entries of incident id's timeline
// whose Seq is above after, in order: a reader that remembers where it got
// to (a webhook delivery) reads only what is new.
func (db *DB) EntriesAfter(ctx context.Context, id, after, limit int) ([]muster.Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read timeline of INC-%d: %w", id, err)
	}
	var entries []muster.Entry
	err := db.bolt.View(func(tx *bolt.Tx) error {
		tl, err := timeline(tx, id)
		if err != nil {
			return err
		}
		if limit <= 0 {
			return nil
		}
		return tl.each(uint64(max(after, 0)+1), func(seq uint64, v []byte) (bool, error) {
			e, err := decodeEntry(seq, v)
			entries = append(entries, e)
			return len(entries) < limit, err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read timeline of INC-%d: %w", id, err)
	}
	return entries, nil
}
