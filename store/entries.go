package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/muster-bot/muster"
	bolt "go.etcd.io/bbolt"
)

// Reading a timeline, and revising its entries: edits, deletions and
// key-event flags of the messages it records.

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
