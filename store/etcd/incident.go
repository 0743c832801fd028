package etcd

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/muster-bot/muster"
)

// Create numbers the incident (1, 2, 3, …; a number is never reused) and
// stores it with first as entry 1 of its timeline, in one transaction. It
// sets inc.ID only once the transaction is durable.
func (db *DB) Create(ctx context.Context, inc *muster.Incident, first muster.Entry) error {
	if inc == nil {
		return fmt.Errorf("create incident: nil incident")
	}
	var id int
	err := retry(ctx, func(ctx context.Context, _ bool) error {
		keys := []string{keyIncidentSeq}
		if inc.Room != "" {
			keys = append(keys, roomKey(inc.Platform, inc.Room))
		}
		got, err := db.read(ctx, false, keys...)
		if err != nil {
			return err
		}
		last, err := number(got[keyIncidentSeq])
		if err != nil {
			return err
		}
		// A copy, so that a failed transaction leaves the caller's incident
		// without a number that was never stored.
		rec := *inc
		rec.ID = last + 1
		v, err := encode(&rec, rec.Ref())
		if err != nil {
			return err
		}
		// The incident goes first: it is what commit reads back when the
		// cluster fails to say whether the transaction was applied, and
		// unlike the counter it is this declaration's alone.
		ops := []clientv3.Op{clientv3.OpPut(incidentKey(rec.ID), v), clientv3.OpPut(keyIncidentSeq, strconv.Itoa(rec.ID)),
			clientv3.OpPut(declaredKey(rec.DeclaredAt, rec.ID), "")}
		cmps := []clientv3.Cmp{unchanged(keyIncidentSeq, got[keyIncidentSeq])}
		idx, err := index(rec.ID, got, placement{}, placementOf(&rec))
		if err != nil {
			return err
		}
		cmps, ops = append(cmps, idx.cmps...), append(ops, idx.ops...)
		entry := first
		entry.Seq = 1
		eops, err := entryOps(rec.ID, entry)
		if err != nil {
			return err
		}
		ops = append(ops, eops...)
		ops = append(ops, clientv3.OpPut(seqKey(rec.ID), "1"))
		if err := db.commit(ctx, cmps, ops); err != nil {
			return err
		}
		id = rec.ID
		return nil
	})
	if err != nil {
		return fmt.Errorf("create incident: %w", err)
	}
	inc.ID = id
	return nil
}

// Incident returns incident id, or an ENOTFOUND error.
func (db *DB) Incident(ctx context.Context, id int) (*muster.Incident, error) {
	inc, _, err := db.incident(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read INC-%d: %w", id, err)
	}
	return inc, nil
}

func (db *DB) incident(ctx context.Context, id int) (*muster.Incident, *mvccpb.KeyValue, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if id <= 0 {
		return nil, nil, notFound(id)
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	resp, err := db.kv.Get(ctx, incidentKey(id))
	if err != nil {
		return nil, nil, err
	}
	if len(resp.Kvs) == 0 {
		return nil, nil, notFound(id)
	}
	inc, err := decode[*muster.Incident](resp.Kvs[0], fmt.Sprintf("INC-%d", id))
	return inc, resp.Kvs[0], err
}

func notFound(id int) error {
	return muster.Errorf(muster.ENOTFOUND, "There is no incident INC-%d.", id)
}

// IncidentByRoom returns the incident whose war room is room on platform,
// or an ENOTFOUND error.
func (db *DB) IncidentByRoom(ctx context.Context, platform, room string) (*muster.Incident, error) {
	id, err := db.RoomIncident(ctx, platform, room)
	if err != nil {
		return nil, err
	}
	inc, _, err := db.incident(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("find incident of room %s/%s: %w", platform, room, err)
	}
	return inc, nil
}

// RoomIncident returns the number of the incident whose war room is room
// on platform, or an ENOTFOUND error.
func (db *DB) RoomIncident(ctx context.Context, platform, room string) (int, error) {
	wrap := func(err error) error { return fmt.Errorf("find incident of room %s/%s: %w", platform, room, err) }
	if err := ctx.Err(); err != nil {
		return 0, wrap(err)
	}
	notRoom := muster.Errorf(muster.ENOTFOUND, "This room is not an incident war room.")
	if room == "" {
		return 0, wrap(notRoom)
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	// A current read: a member that lags could still name an incident
	// that has since given the room up, or not know one just declared.
	resp, err := db.kv.Get(ctx, roomKey(platform, room))
	if err != nil {
		return 0, wrap(err)
	}
	if len(resp.Kvs) == 0 {
		return 0, wrap(notRoom)
	}
	id, err := number(resp.Kvs[0])
	if err != nil {
		return 0, wrap(err)
	}
	return id, nil
}

// Update loads incident id, lets fn change it and saves it with the
// entries fn returns appended to the timeline, all in one transaction. If
// fn fails nothing is written and its error is returned, wrapped. The
// room and open indexes follow the incident's Platform, Room and Status.
//
// When another replica changed the incident meanwhile, the transaction
// fails and fn runs again on the incident as that replica left it: fn must
// do nothing but change the incident it is given (and set variables it
// sets afresh on every run). Only this store runs fn again: the bbolt
// store has one writer at a time, and runs it once.
func (db *DB) Update(ctx context.Context, id int, fn func(*muster.Incident) ([]muster.Entry, error)) (*muster.Incident, []muster.Entry, error) {
	var (
		saved  *muster.Incident
		stored []muster.Entry
	)
	defer db.lock(id)()
	// fn decides on what it is given, and may refuse (an incident already
	// resolved, say): it must be given the current incident, so Update
	// reads nothing serializably.
	err := retry(ctx, func(ctx context.Context, _ bool) error {
		if id <= 0 {
			return notFound(id)
		}
		got, err := db.read(ctx, false, incidentKey(id), seqKey(id))
		if err != nil {
			return err
		}
		ikv, skv := got[incidentKey(id)], got[seqKey(id)]
		if ikv == nil || skv == nil {
			return notFound(id)
		}
		inc, err := decode[*muster.Incident](ikv, fmt.Sprintf("INC-%d", id))
		if err != nil {
			return err
		}
		old := placementOf(inc)
		entries, err := fn(inc)
		if err != nil {
			return err
		}
		inc.ID = id // the number is the key; fn cannot renumber an incident
		now := placementOf(inc)
		v, err := encode(inc, inc.Ref())
		if err != nil {
			return err
		}
		cmps := []clientv3.Cmp{unchanged(incidentKey(id), ikv)}
		ops := []clientv3.Op{clientv3.OpPut(incidentKey(id), v)}
		if old.platform != now.platform || old.room != now.room {
			rooms, err := db.read(ctx, false, roomKey(old.platform, old.room), roomKey(now.platform, now.room))
			if err != nil {
				return err
			}
			idx, err := index(id, rooms, old, now)
			if err != nil {
				return err
			}
			cmps, ops = append(cmps, idx.cmps...), append(ops, idx.ops...)
		} else if old.open != now.open {
			idx, err := index(id, nil, old, now)
			if err != nil {
				return err
			}
			ops = append(ops, idx.ops...)
		}
		entries = slices.Clone(entries) // Seq is set on the store's copy, not the caller's
		if len(entries) > 0 {
			last, err := number(skv)
			if err != nil {
				return err
			}
			var eops []clientv3.Op
			for i := range entries {
				entries[i].Seq = last + 1 + i
				one, err := entryOps(id, entries[i])
				if err != nil {
					return err
				}
				eops = append(eops, one...)
			}
			// The first new entry goes first: it is what commit reads
			// back when the cluster fails to say whether the transaction
			// was applied, and no other transaction writes that key
			// (the incident alone would not do: fn may leave it as it was).
			ops = append(eops, ops...)
			cmps = append(cmps, unchanged(seqKey(id), skv))
			ops = append(ops, clientv3.OpPut(seqKey(id), strconv.Itoa(last+len(entries))))
		}
		if len(ops) > maxOps {
			return fmt.Errorf("one update of INC-%d would write %d keys; etcd takes at most %d in a transaction", id, len(ops), maxOps)
		}
		if err := db.commit(ctx, cmps, ops); err != nil {
			return err
		}
		saved, stored = inc, entries
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("update INC-%d: %w", id, err)
	}
	return saved, stored, nil
}

// Incidents lists incidents by number. With openOnly it walks the open
// index, so resolved incidents cost nothing however many there are. All
// pages are read at one revision: the list is one moment's truth.
func (db *DB) Incidents(ctx context.Context, openOnly bool) ([]*muster.Incident, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	var list []*muster.Incident
	if !openOnly {
		_, err := db.scan(ctx, "inc/", "inc/", -1, false, func(kv *mvccpb.KeyValue) error {
			inc, err := decode[*muster.Incident](kv, string(kv.Key))
			list = append(list, inc)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("list incidents: %w", err)
		}
		return list, nil
	}
	var keys []string
	rev, err := db.scan(ctx, "open/", "open/", -1, true, func(kv *mvccpb.KeyValue) error {
		keys = append(keys, "inc/"+string(kv.Key[len("open/"):]))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list open incidents: %w", err)
	}
	for chunk := range slices.Chunk(keys, maxOps) {
		ops := make([]clientv3.Op, len(chunk))
		for i, k := range chunk {
			ops[i] = clientv3.OpGet(k, clientv3.WithRev(rev))
		}
		resp, err := db.kv.Txn(ctx).Then(ops...).Commit()
		if err != nil {
			return nil, fmt.Errorf("list open incidents: %w", err)
		}
		for i, r := range resp.Responses {
			kvs := r.GetResponseRange().Kvs
			if len(kvs) == 0 {
				return nil, fmt.Errorf("list open incidents: the open index names %s, which is not stored", chunk[i])
			}
			inc, err := decode[*muster.Incident](kvs[0], chunk[i])
			if err != nil {
				return nil, fmt.Errorf("list open incidents: %w", err)
			}
			list = append(list, inc)
		}
	}
	return list, nil
}

// scan calls fn for the keys under prefix from key from on, in key
// order, a page at a time, all at the revision of the first page, which
// it returns. It stops after limit keys; limit < 0 reads them all.
func (db *DB) scan(ctx context.Context, prefix, from string, limit int, keysOnly bool, fn func(*mvccpb.KeyValue) error) (int64, error) {
	end := clientv3.GetPrefixRangeEnd(prefix)
	var rev int64
	seen := 0
	for {
		page := int64(pageSize)
		if limit >= 0 && limit-seen < pageSize {
			page = int64(limit - seen)
		}
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(page)}
		if rev != 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		if keysOnly {
			opts = append(opts, clientv3.WithKeysOnly())
		}
		resp, err := db.kv.Get(ctx, from, opts...)
		if err != nil {
			return 0, err
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for _, kv := range resp.Kvs {
			if err := fn(kv); err != nil {
				return 0, err
			}
		}
		seen += len(resp.Kvs)
		if !resp.More || len(resp.Kvs) == 0 || (limit >= 0 && seen >= limit) {
			return rev, nil
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// placement is what the room and open indexes know of an incident.
type placement struct {
	platform, room string
	open           bool
}

func placementOf(inc *muster.Incident) placement {
	return placement{platform: inc.Platform, room: inc.Room, open: inc.Open()}
}

// guarded is part of a transaction: what it compares and what it writes.
type guarded struct {
	cmps []clientv3.Cmp
	ops  []clientv3.Op
}

// index moves incident id in the room and open indexes from where it was
// to where it is now. rooms holds the room keys of both placements as read.
// A room belongs to one incident: claiming another incident's room is a
// conflict.
func index(id int, rooms map[string]*mvccpb.KeyValue, was, now placement) (guarded, error) {
	var g guarded
	if was.platform != now.platform || was.room != now.room {
		if now.room != "" {
			k := roomKey(now.platform, now.room)
			kv := rooms[k]
			owner, err := number(kv)
			if err != nil {
				return g, err
			}
			if kv != nil && owner != id {
				return g, muster.Errorf(muster.ECONFLICT, "That room is already the war room of INC-%d.", owner)
			}
			g.cmps = append(g.cmps, unchanged(k, kv))
			g.ops = append(g.ops, clientv3.OpPut(k, strconv.Itoa(id)))
		}
		// Only our own entry is removed: the index must never lose another
		// incident's room, whatever state this one was in.
		if was.room != "" {
			k := roomKey(was.platform, was.room)
			if kv := rooms[k]; kv != nil {
				if owner, err := number(kv); err == nil && owner == id {
					g.cmps = append(g.cmps, unchanged(k, kv))
					g.ops = append(g.ops, clientv3.OpDelete(k))
				}
			}
		}
	}
	if was.open != now.open {
		if now.open {
			g.ops = append(g.ops, clientv3.OpPut(openKey(id), ""))
		} else {
			g.ops = append(g.ops, clientv3.OpDelete(openKey(id)))
		}
	}
	return g, nil
}
