package store

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/muster-bot/muster/outbox"
)

// bucketOutbox holds the items waiting in the outbox (key → Item, JSON).
// It needs no schema bump: an older muster ignores the bucket (what waits
// there is sent once this version runs again), and changes nothing else.
const bucketOutbox = "outbox"

// AddOutbox adds it to the outbox unless an item with its key waits
// already, and reports whether it did.
func (db *DB) AddOutbox(ctx context.Context, it outbox.Item) (bool, error) {
	return db.putOutbox(ctx, "add", it, false)
}

// UpdateOutbox replaces the waiting item with it's key by it, and reports
// whether one waited (it was not: it was sent or dropped meanwhile).
func (db *DB) UpdateOutbox(ctx context.Context, it outbox.Item) (bool, error) {
	return db.putOutbox(ctx, "update", it, true)
}

func (db *DB) putOutbox(ctx context.Context, verb string, it outbox.Item, replace bool) (bool, error) {
	wrap := func(err error) error { return fmt.Errorf("%s outbox item %s: %w", verb, it.Key, err) }
	if err := ctx.Err(); err != nil {
		return false, wrap(err)
	}
	if err := it.Valid(); err != nil {
		return false, wrap(err)
	}
	v, err := json.Marshal(it)
	if err != nil {
		return false, wrap(err)
	}
	done := false
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketOutbox))
		if (b.Get([]byte(it.Key)) != nil) != replace {
			return nil
		}
		done = true
		return b.Put([]byte(it.Key), v)
	})
	if err != nil {
		return false, wrap(err)
	}
	return done, nil
}

// Outbox returns the waiting items in key order.
func (db *DB) Outbox(ctx context.Context) ([]outbox.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	var items []outbox.Item
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketOutbox)).ForEach(func(k, v []byte) error {
			var it outbox.Item
			if err := json.Unmarshal(v, &it); err != nil {
				return fmt.Errorf("decode outbox item %s: %w", k, err)
			}
			items = append(items, it)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	return items, nil
}

// DeleteOutbox removes the item with key; removing one that is not there
// is no error (it was sent, or dropped, already).
func (db *DB) DeleteOutbox(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete outbox item %s: %w", key, err)
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketOutbox)).Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("delete outbox item %s: %w", key, err)
	}
	return nil
}
