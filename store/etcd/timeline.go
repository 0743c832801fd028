package etcd

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/muster-bot/muster"
)

// Append adds e to the timeline of incident id and returns it with its
// Seq, once a quorum of the cluster has it on disk. key makes the append
// idempotent across replicas: the key is created in the same transaction
// as the entry, only if absent, so when two replicas get the same retried
// event one of them records it and the other returns the entry stored.
// An entry for a message already in the timeline is not added again,
// key or no key (the message index is compared in the transaction, so
// this holds across replicas and across a retried ambiguous commit).
func (db *DB) Append(ctx context.Context, id int, key string, e muster.Entry) (stored muster.Entry, appended bool, err error) {
	defer db.lock(id)()
	err = retry(ctx, func(ctx context.Context, serializable bool) error {
		stored, appended = muster.Entry{}, false
		keys := []string{seqKey(id)}
		if key != "" {
			keys = append(keys, idemKey(key))
		}
		if e.MessageID != "" {
			keys = append(keys, heldKey(id, e.MessageID), messageKey(id, e.MessageID))
		}
		got, err := db.read(ctx, serializable, keys...)
		if err != nil {
			return err
		}
		if key != "" {
			if first, seen, err := db.keyed(ctx, key, got[idemKey(key)]); err != nil || seen {
				stored = first
				return err
			}
		}
		skv := got[seqKey(id)]
		if skv == nil && serializable && id > 0 {
			return errStale // the incident may be a moment old
		}
		if skv == nil || id <= 0 {
			return notFound(id)
		}
		if mkv := got[messageKey(id, e.MessageID)]; mkv != nil {
			// The message is in the timeline already: a retried delivery.
			stored, err = db.entryOf(ctx, id, mkv)
			return err
		}
		last, err := number(skv)
		if err != nil {
			return err
		}
		entry := e
		entry.Seq = last + 1
		cmps := []clientv3.Cmp{unchanged(seqKey(id), skv)}
		var ops []clientv3.Op
		if e.MessageID != "" {
			hkv := got[heldKey(id, e.MessageID)]
			cmps = append(cmps, unchanged(heldKey(id, e.MessageID), hkv), unchanged(messageKey(id, e.MessageID), nil))
			if hkv != nil {
				held, err := decode[muster.Entry](hkv, "held revision of "+e.MessageID)
				if err != nil {
					return err
				}
				entry.Absorb(held)
				ops = append(ops, clientv3.OpDelete(heldKey(id, e.MessageID)))
			}
		}
		eops, err := entryOps(id, entry)
		if err != nil {
			return err
		}
		ops = append(ops, eops...)
		ops = append(ops, clientv3.OpPut(seqKey(id), strconv.Itoa(entry.Seq)))
		if err := db.commitKeyed(ctx, key, keyRecord{Incident: id, Seq: entry.Seq}, cmps, ops); err != nil {
			return err
		}
		stored, appended = entry, true
		return nil
	})
	if err != nil {
		return muster.Entry{}, false, fmt.Errorf("append timeline entry for INC-%d: %w", id, err)
	}
	return stored, appended, nil
}

// entryOf reads the entry of incident id that the message index entry mkv
// points at.
func (db *DB) entryOf(ctx context.Context, id int, mkv *mvccpb.KeyValue) (muster.Entry, error) {
	seq, err := number(mkv)
	if err != nil {
		return muster.Entry{}, err
	}
	resp, err := db.kv.Get(ctx, entryKey(id, seq))
	if err != nil {
		return muster.Entry{}, err
	}
	if len(resp.Kvs) == 0 {
		return muster.Entry{}, fmt.Errorf("entry %d is missing", seq)
	}
	return decodeEntry(resp.Kvs[0])
}

// Revise applies fn to the entry of incident id that records message
// messageID (an edit, a delete, a key-event flag) and returns the entry as
// stored. It is idempotent on key like Append. fn may be called more than
// once, each time on a freshly read entry, so it must do nothing but
// change the entry.
func (db *DB) Revise(ctx context.Context, id int, messageID, key string, fn func(*muster.Entry) error) (stored muster.Entry, revised bool, err error) {
	defer db.lock(id)()
	// Current reads only: a lagging member could miss the idempotency key
	// of a retried change, and fn would run again on it. Changes are rare;
	// the round trip saved on Append's hot path is not worth that here.
	err = retry(ctx, func(ctx context.Context, _ bool) error {
		stored, revised = muster.Entry{}, false
		keys := []string{seqKey(id), messageKey(id, messageID), heldKey(id, messageID)}
		if key != "" {
			keys = append(keys, idemKey(key))
		}
		got, err := db.read(ctx, false, keys...)
		if err != nil {
			return err
		}
		if key != "" {
			if first, seen, err := db.keyed(ctx, key, got[idemKey(key)]); err != nil || seen {
				stored = first
				return err
			}
		}
		if got[seqKey(id)] == nil || id <= 0 {
			return notFound(id)
		}
		if messageID == "" {
			return muster.Errorf(muster.ENOTFOUND, "That message is not in the timeline of INC-%d.", id)
		}
		mkv := got[messageKey(id, messageID)]
		if mkv == nil {
			// The change came before the message (events are not ordered):
			// keep it, and Append applies it when the message arrives.
			e := muster.Entry{MessageID: messageID}
			hkv := got[heldKey(id, messageID)]
			if hkv != nil {
				if e, err = decode[muster.Entry](hkv, "held revision of "+messageID); err != nil {
					return err
				}
			}
			if err := fn(&e); err != nil {
				return err
			}
			v, err := encode(e, "held revision of "+messageID)
			if err != nil {
				return err
			}
			cmps := []clientv3.Cmp{unchanged(messageKey(id, messageID), nil), unchanged(heldKey(id, messageID), hkv)}
			ops := []clientv3.Op{clientv3.OpPut(heldKey(id, messageID), v)}
			if err := db.commitKeyed(ctx, key, keyRecord{Incident: id}, cmps, ops); err != nil {
				return err
			}
			stored, revised = e, true
			return nil
		}
		seq, err := number(mkv)
		if err != nil {
			return err
		}
		resp, err := db.kv.Get(ctx, entryKey(id, seq))
		if err != nil {
			return err
		}
		if len(resp.Kvs) == 0 {
			return fmt.Errorf("entry %d is missing", seq)
		}
		ekv := resp.Kvs[0]
		entry, err := decodeEntry(ekv)
		if err != nil {
			return err
		}
		if err := fn(&entry); err != nil {
			return err
		}
		// The position and the message id are the store's to keep: the
		// message index points at this seq.
		entry.Seq, entry.MessageID = seq, messageID
		v, err := encode(entry, fmt.Sprintf("entry %d", seq))
		if err != nil {
			return err
		}
		cmps := []clientv3.Cmp{unchanged(entryKey(id, seq), ekv)}
		ops := []clientv3.Op{clientv3.OpPut(entryKey(id, seq), v)}
		if err := db.commitKeyed(ctx, key, keyRecord{Incident: id, Seq: seq}, cmps, ops); err != nil {
			return err
		}
		stored, revised = entry, true
		return nil
	})
	if err != nil {
		return muster.Entry{}, false, fmt.Errorf("revise message %s in timeline of INC-%d: %w", messageID, id, err)
	}
	return stored, revised, nil
}

// keyed returns the entry an idempotency key produced, if the key was
// seen (kv is the key as read). The entry is read as it is now, so a
// retried edit reports the text the edit left.
func (db *DB) keyed(ctx context.Context, key string, kv *mvccpb.KeyValue) (muster.Entry, bool, error) {
	if kv == nil {
		return muster.Entry{}, false, nil
	}
	r, err := decode[keyRecord](kv, "idempotency key "+key)
	if err != nil {
		return muster.Entry{}, false, err
	}
	if r.Seq == 0 {
		return muster.Entry{}, true, nil // a held revision: seen, no entry yet
	}
	resp, err := db.kv.Get(ctx, entryKey(r.Incident, r.Seq))
	if err != nil {
		return muster.Entry{}, false, err
	}
	if len(resp.Kvs) == 0 {
		return muster.Entry{}, false, fmt.Errorf("idempotency key %q names entry %d of INC-%d, which is missing", key, r.Seq, r.Incident)
	}
	e, err := decodeEntry(resp.Kvs[0])
	return e, true, err
}

// commitKeyed commits a transaction that also records idempotency key
// (when not empty) only if it is still absent, on the shared key lease.
// A lease etcd no longer knows is replaced and the write retried.
func (db *DB) commitKeyed(ctx context.Context, key string, r keyRecord, cmps []clientv3.Cmp, ops []clientv3.Op) error {
	if key == "" {
		return db.commit(ctx, cmps, ops)
	}
	lease, err := db.keyLease(ctx)
	if err != nil {
		return err
	}
	r.Seen = db.now().Unix()
	v, err := encode(r, "idempotency key "+key)
	if err != nil {
		return err
	}
	cmps = append(cmps, unchanged(idemKey(key), nil))
	ops = append(ops, clientv3.OpPut(idemKey(key), v, clientv3.WithLease(lease)))
	err = db.commit(ctx, cmps, ops)
	if errors.Is(err, rpctypes.ErrLeaseNotFound) {
		db.forgetLease(lease)
		return errUnapplied
	}
	return err
}

// entryOps writes entry e of incident id and indexes its message.
func entryOps(id int, e muster.Entry) ([]clientv3.Op, error) {
	v, err := encode(e, fmt.Sprintf("entry %d", e.Seq))
	if err != nil {
		return nil, err
	}
	ops := []clientv3.Op{clientv3.OpPut(entryKey(id, e.Seq), v)}
	if e.MessageID != "" {
		ops = append(ops, clientv3.OpPut(messageKey(id, e.MessageID), strconv.Itoa(e.Seq)))
	}
	return ops, nil
}

// decodeEntry decodes a stored entry; the key is authoritative for Seq.
func decodeEntry(kv *mvccpb.KeyValue) (muster.Entry, error) {
	e, err := decode[muster.Entry](kv, string(kv.Key))
	if err != nil {
		return e, err
	}
	k := string(kv.Key)
	seq, err := strconv.Atoi(k[len(k)-20:])
	if err != nil {
		return e, fmt.Errorf("entry key %s does not end in a number", k)
	}
	e.Seq = seq
	return e, nil
}

// Timeline returns every entry of incident id in Seq order.
func (db *DB) Timeline(ctx context.Context, id int) ([]muster.Entry, error) {
	return db.entries(ctx, id, 0, -1)
}

// EntriesAfter returns at most limit entries of incident id's timeline
// whose Seq is above after, in order.
func (db *DB) EntriesAfter(ctx context.Context, id, after, limit int) ([]muster.Entry, error) {
	return db.entries(ctx, id, after, max(limit, 0))
}

// entries reads at most limit entries above after (limit < 0: all).
func (db *DB) entries(ctx context.Context, id, after, limit int) ([]muster.Entry, error) {
	wrap := func(err error) error { return fmt.Errorf("read timeline of INC-%d: %w", id, err) }
	if err := ctx.Err(); err != nil {
		return nil, wrap(err)
	}
	if id <= 0 {
		return nil, wrap(notFound(id))
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	exists, err := db.kv.Get(ctx, seqKey(id), clientv3.WithCountOnly())
	if err != nil {
		return nil, wrap(err)
	}
	if exists.Count == 0 {
		return nil, wrap(notFound(id))
	}
	if limit == 0 {
		return nil, nil
	}
	var list []muster.Entry
	_, err = db.scan(ctx, entriesKey(id), entryKey(id, after+1), limit, false, func(kv *mvccpb.KeyValue) error {
		e, err := decodeEntry(kv)
		list = append(list, e)
		return err
	})
	if err != nil {
		return nil, wrap(err)
	}
	return list, nil
}
