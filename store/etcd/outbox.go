package etcd

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/muster-bot/muster/outbox"
)

// The outbox is one key per item, out/<key>: any replica adds items (a
// post its platform did not take), and the leader sends them, changing and
// removing them through its fenced view, so that a replica that lost the
// lead neither claims nor gives up an item the new leader owns. It needs
// no schema bump: an older muster ignores the prefix.

func outboxKey(key string) string { return "out/" + key }

// AddOutbox adds it to the outbox unless an item with its key waits
// already, and reports whether it did.
func (db *DB) AddOutbox(ctx context.Context, it outbox.Item) (bool, error) {
	return db.putOutbox(ctx, "add", it, false)
}

// UpdateOutbox replaces the waiting item with it's key by it, and reports
// whether one waited. On a fenced view it fails with fence.ErrLost once
// the lead is lost.
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
	v, err := encode(it, "outbox item "+it.Key)
	if err != nil {
		return false, wrap(err)
	}
	k := outboxKey(it.Key)
	cmp := clientv3.Compare(clientv3.CreateRevision(k), "=", 0)
	if replace {
		cmp = clientv3.Compare(clientv3.CreateRevision(k), ">", 0)
	}
	done := false
	err = retry(ctx, func(ctx context.Context, _ bool) error {
		err := db.commit(ctx, []clientv3.Cmp{cmp}, []clientv3.Op{clientv3.OpPut(k, v)})
		if errors.Is(err, errConflict) {
			return nil // present (add) or absent (update): nothing to do
		}
		done = err == nil
		return err
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
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	var items []outbox.Item
	_, err := db.scan(ctx, "out/", "out/", -1, false, func(kv *mvccpb.KeyValue) error {
		it, err := decode[outbox.Item](kv, string(kv.Key))
		if err != nil {
			return err
		}
		items = append(items, it)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	return items, nil
}

// DeleteOutbox removes the item with key; removing one that is not there
// is no error. On a fenced view it fails with fence.ErrLost once the lead
// is lost.
func (db *DB) DeleteOutbox(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete outbox item %s: %w", key, err)
	}
	// A delete is safe to repeat, so retry may try it again whenever
	// commit cannot tell whether it was applied.
	err := retry(ctx, func(ctx context.Context, _ bool) error {
		return db.commit(ctx, nil, []clientv3.Op{clientv3.OpDelete(outboxKey(key))})
	})
	if err != nil {
		return fmt.Errorf("delete outbox item %s: %w", key, err)
	}
	return nil
}
