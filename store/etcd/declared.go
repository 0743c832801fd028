package etcd

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/muster-bot/muster"
)

// declaredKey orders the incidents by declaration time, then number: the
// time as 16 hex digits with the sign bit flipped (so that times before
// 1970 sort first), then the number. A declaration time never changes
// after Create, so only Create and the schema 1 to 2 move write it.
func declaredKey(at time.Time, id int) string {
	return fmt.Sprintf("decl/%016x/%s", uint64(at.UnixNano())^1<<63, num(id))
}

// IncidentsDeclared returns the incidents declared at or after from and
// before to, newest first (incidents declared at the same instant by
// number, highest first), at most limit of them; limit <= 0 means all.
// The index and the incidents are read at one revision.
func (db *DB) IncidentsDeclared(ctx context.Context, from, to time.Time, limit int) ([]*muster.Incident, error) {
	wrap := func(err error) error { return fmt.Errorf("list incidents declared in a window: %w", err) }
	if err := ctx.Err(); err != nil {
		return nil, wrap(err)
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	low, high := declaredKey(from, 0), declaredKey(to, 0)
	opts := []clientv3.OpOption{clientv3.WithRange(high), clientv3.WithKeysOnly(),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend)}
	if limit > 0 {
		opts = append(opts, clientv3.WithLimit(int64(limit)))
	}
	resp, err := db.kv.Get(ctx, low, opts...)
	if err != nil {
		return nil, wrap(err)
	}
	keys := make([]string, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		k := string(kv.Key)
		if len(k) < len("decl/")+16+1+20 {
			return nil, wrap(fmt.Errorf("declaration index key %q is malformed", k))
		}
		keys = append(keys, "inc/"+k[len(k)-20:])
	}
	list, err := db.incidentsAt(ctx, resp.Header.Revision, keys)
	if err != nil {
		return nil, wrap(err)
	}
	return list, nil
}

// incidentsAt reads the incidents at keys, in that order, at revision rev.
func (db *DB) incidentsAt(ctx context.Context, rev int64, keys []string) ([]*muster.Incident, error) {
	list := make([]*muster.Incident, 0, len(keys))
	for chunk := range slices.Chunk(keys, maxOps) {
		ops := make([]clientv3.Op, len(chunk))
		for i, k := range chunk {
			ops[i] = clientv3.OpGet(k, clientv3.WithRev(rev))
		}
		resp, err := db.kv.Txn(ctx).Then(ops...).Commit()
		if err != nil {
			return nil, err
		}
		for i, r := range resp.Responses {
			kvs := r.GetResponseRange().Kvs
			if len(kvs) == 0 {
				return nil, fmt.Errorf("an index names %s, which is not stored", chunk[i])
			}
			inc, err := decode[*muster.Incident](kvs[0], chunk[i])
			if err != nil {
				return nil, err
			}
			list = append(list, inc)
		}
	}
	return list, nil
}

// indexDeclared adds the declaration index of a cluster written by schema
// 1, which had none, and then marks the cluster schema 2. Its writes are
// idempotent, so replicas starting together may all run it.
func (db *DB) indexDeclared(ctx context.Context) error {
	var ops []clientv3.Op
	flush := func() error {
		if len(ops) == 0 {
			return nil
		}
		_, err := db.kv.Txn(ctx).Then(ops...).Commit()
		ops = ops[:0]
		return err
	}
	_, err := db.scan(ctx, "inc/", "inc/", -1, false, func(kv *mvccpb.KeyValue) error {
		inc, err := decode[*muster.Incident](kv, string(kv.Key))
		if err != nil {
			return err
		}
		id, err := strconv.Atoi(string(kv.Key[len("inc/"):]))
		if err != nil {
			return fmt.Errorf("incident key %q is not numbered", kv.Key)
		}
		ops = append(ops, clientv3.OpPut(declaredKey(inc.DeclaredAt, id), ""))
		if len(ops) == maxOps {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return fmt.Errorf("index declaration times: %w", err)
	}
	if _, err := db.kv.Put(ctx, keySchema, strconv.Itoa(schemaVersion)); err != nil {
		return fmt.Errorf("index declaration times: %w", err)
	}
	return nil
}
