package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/muster-bot/muster"
	bolt "go.etcd.io/bbolt"
)

// Create numbers the incident (1, 2, 3, …; a number is never reused) and
// stores it with first as entry 1 of its timeline, in one transaction. It
// sets inc.ID only once the transaction is durable.
func (db *DB) Create(ctx context.Context, inc *muster.Incident, first muster.Entry) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("create incident: %w", err)
	}
	if inc == nil {
		return fmt.Errorf("create incident: nil incident")
	}
	var id int
	err := db.bolt.Update(func(tx *bolt.Tx) (err error) {
		id, err = create(tx, inc, []muster.Entry{first})
		return err
	})
	if err != nil {
		return fmt.Errorf("create incident: %w", err)
	}
	inc.ID = id
	return nil
}

// Import stores incidents with their whole timelines, numbered as Create
// numbers them, in one transaction: a bulk load (a history brought from
// elsewhere, a benchmark's data set) without a commit per incident.
// timelines[i] is incidents[i]'s, first entry first; each needs one entry
// at least. It sets the incidents' IDs once the transaction is durable.
func (db *DB) Import(ctx context.Context, incidents []*muster.Incident, timelines [][]muster.Entry) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("import incidents: %w", err)
	}
	if len(incidents) != len(timelines) {
		return fmt.Errorf("import incidents: %d incidents but %d timelines", len(incidents), len(timelines))
	}
	ids := make([]int, len(incidents))
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		for i, inc := range incidents {
			if inc == nil || len(timelines[i]) == 0 {
				return fmt.Errorf("import incident %d of %d: no incident or an empty timeline", i+1, len(incidents))
			}
			id, err := create(tx, inc, slices.Clone(timelines[i]))
			if err != nil {
				return err
			}
			ids[i] = id
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("import incidents: %w", err)
	}
	for i, inc := range incidents {
		inc.ID = ids[i]
	}
	return nil
}

// create numbers and stores a copy of inc, indexed, with entries as its
// timeline, and returns its number.
func create(tx *bolt.Tx, inc *muster.Incident, entries []muster.Entry) (int, error) {
	n, err := tx.Bucket([]byte(bucketIncidents)).NextSequence()
	if err != nil {
		return 0, fmt.Errorf("next incident number: %w", err)
	}
	// A copy, so that a failed transaction leaves the caller's incident
	// without a number that was never stored.
	rec := *inc
	rec.ID = int(n)
	if err := index(tx, rec.ID, placement{}, placementOf(&rec)); err != nil {
		return 0, err
	}
	if err := putIncident(tx, &rec); err != nil {
		return 0, err
	}
	if err := indexDeclared(tx, &rec); err != nil {
		return 0, err
	}
	tl, err := timeline(tx, rec.ID)
	if err != nil {
		return 0, err
	}
	for i := range entries {
		if err := appendEntry(tl, &entries[i]); err != nil {
			return 0, err
		}
	}
	return rec.ID, nil
}

// Incident returns incident id, or an ENOTFOUND error.
func (db *DB) Incident(ctx context.Context, id int) (*muster.Incident, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read INC-%d: %w", id, err)
	}
	var inc *muster.Incident
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		inc, err = loadIncident(tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read INC-%d: %w", id, err)
	}
	return inc, nil
}

// IncidentByRoom returns the incident whose war room is room on platform,
// or an ENOTFOUND error.
func (db *DB) IncidentByRoom(ctx context.Context, platform, room string) (*muster.Incident, error) {
	id, err := db.RoomIncident(ctx, platform, room)
	if err != nil {
		return nil, err
	}
	var inc *muster.Incident
	err = db.bolt.View(func(tx *bolt.Tx) (err error) {
		inc, err = loadIncident(tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find incident of room %s/%s: %w", platform, room, err)
	}
	return inc, nil
}

// Update loads incident id, lets fn change it and saves it with the
// entries fn returns appended to the timeline, all in one transaction. If
// fn fails nothing is written and its error is returned, wrapped. The
// room index and the open bucket follow the incident's Platform, Room and
// Status. fn runs once: bbolt has one writer at a time, so nothing can
// change the incident between the read and the write.
func (db *DB) Update(ctx context.Context, id int, fn func(*muster.Incident) ([]muster.Entry, error)) (*muster.Incident, []muster.Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("update INC-%d: %w", id, err)
	}
	var (
		saved  *muster.Incident
		stored []muster.Entry
	)
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		inc, err := loadIncident(tx, id)
		if err != nil {
			return err
		}
		old := placementOf(inc)
		entries, err := fn(inc)
		if err != nil {
			return err
		}
		inc.ID = id // the number is the key; fn cannot renumber an incident
		if err := index(tx, id, old, placementOf(inc)); err != nil {
			return err
		}
		if err := putIncident(tx, inc); err != nil {
			return err
		}
		tl, err := timeline(tx, id)
		if err != nil {
			return err
		}
		entries = slices.Clone(entries) // Seq is set on the store's copy, not the caller's
		for i := range entries {
			if err := appendEntry(tl, &entries[i]); err != nil {
				return err
			}
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
// index, so resolved incidents cost nothing however many there are.
func (db *DB) Incidents(ctx context.Context, openOnly bool) ([]*muster.Incident, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	var list []*muster.Incident
	err := db.bolt.View(func(tx *bolt.Tx) error {
		incidents := tx.Bucket([]byte(bucketIncidents))
		if !openOnly {
			var raw []stored
			if err := incidents.ForEach(func(k, v []byte) error {
				raw = append(raw, stored{k, v})
				return nil
			}); err != nil {
				return err
			}
			var err error
			list, err = decodeAll(raw) // in the transaction: v is the file's memory
			return err
		}
		// The open bucket holds the open incidents themselves, so this
		// reads its few pages rather than a page per open incident
		// scattered through the file (which, mapped, counted in RSS).
		return tx.Bucket([]byte(bucketOpen)).ForEach(func(k, v []byte) error {
			if len(v) == 0 {
				v = incidents.Get(k)
			}
			if v == nil {
				return fmt.Errorf("open index names INC-%d, which is not stored", binary.BigEndian.Uint64(k))
			}
			inc, err := decodeIncident(k, v)
			list = append(list, inc)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return list, nil
}

func loadIncident(tx *bolt.Tx, id int) (*muster.Incident, error) {
	k := idKey(id)
	v := tx.Bucket([]byte(bucketIncidents)).Get(k)
	if v == nil || id <= 0 {
		return nil, muster.Errorf(muster.ENOTFOUND, "There is no incident INC-%d.", id)
	}
	return decodeIncident(k, v)
}

// stored is an incident as the file holds it: its key and its JSON.
type stored struct{ k, v []byte }

// parallelFrom is how many incidents make a list worth decoding on every
// CPU: decoding is nearly all the time a long window's page takes
// (insights over a year reads thousands).
const parallelFrom = 256

// decodeAll decodes raw in order, on every CPU when it is long.
func decodeAll(raw []stored) ([]*muster.Incident, error) {
	list := make([]*muster.Incident, len(raw))
	workers := min(runtime.GOMAXPROCS(0), len(raw)/parallelFrom+1)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(raw); i += workers {
				inc, err := decodeIncident(raw[i].k, raw[i].v)
				if err != nil {
					errs[w] = err
					return
				}
				list[i] = inc
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return list, nil
}

func decodeIncident(k, v []byte) (*muster.Incident, error) {
	inc := new(muster.Incident)
	if err := json.Unmarshal(v, inc); err != nil {
		return nil, fmt.Errorf("decode INC-%d: %w", binary.BigEndian.Uint64(k), err)
	}
	return inc, nil
}

func putIncident(tx *bolt.Tx, inc *muster.Incident) error {
	v, err := json.Marshal(inc)
	if err != nil {
		return fmt.Errorf("encode %s: %w", inc.Ref(), err)
	}
	if err := tx.Bucket([]byte(bucketIncidents)).Put(idKey(inc.ID), v); err != nil {
		return fmt.Errorf("store %s: %w", inc.Ref(), err)
	}
	// An open incident is also copied into the open bucket (see
	// Incidents); a closed one leaves it.
	open := tx.Bucket([]byte(bucketOpen))
	if inc.Open() {
		err = open.Put(idKey(inc.ID), v)
	} else {
		err = open.Delete(idKey(inc.ID))
	}
	if err != nil {
		return fmt.Errorf("index status of %s: %w", inc.Ref(), err)
	}
	return nil
}

// placement is what the room index knows of an incident (the open bucket
// follows the status in putIncident).
type placement struct {
	platform, room string
}

func placementOf(inc *muster.Incident) placement {
	return placement{platform: inc.Platform, room: inc.Room}
}

// index moves incident id in the room index from where it was (the zero
// placement for a new incident: no room) to where it is now. A room
// belongs to one incident: claiming another incident's room is a conflict.
func index(tx *bolt.Tx, id int, was, now placement) error {
	if was == now {
		return nil
	}
	rooms := tx.Bucket([]byte(bucketRooms))
	if now.room != "" {
		if v := rooms.Get(roomKey(now.platform, now.room)); v != nil && int(binary.BigEndian.Uint64(v)) != id {
			return muster.Errorf(muster.ECONFLICT, "That room is already the war room of INC-%d.", binary.BigEndian.Uint64(v))
		}
	}
	// Only our own entry is removed: the index must never lose another
	// incident's room, whatever state this one was in.
	if v := rooms.Get(roomKey(was.platform, was.room)); was.room != "" && v != nil && int(binary.BigEndian.Uint64(v)) == id {
		if err := rooms.Delete(roomKey(was.platform, was.room)); err != nil {
			return fmt.Errorf("unindex room of INC-%d: %w", id, err)
		}
	}
	if now.room != "" {
		if err := rooms.Put(roomKey(now.platform, now.room), idKey(id)); err != nil {
			return fmt.Errorf("index room of INC-%d: %w", id, err)
		}
	}
	return nil
}
