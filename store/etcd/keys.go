package etcd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Keys, relative to the prefix; see the package comment.
const (
	keySchema      = "meta/schema"
	keyIncidentSeq = "seq/incident"
)

func num(n int) string { return fmt.Sprintf("%020d", n) }

func incidentKey(id int) string            { return "inc/" + num(id) }
func openKey(id int) string                { return "open/" + num(id) }
func roomKey(platform, room string) string { return "room/" + platform + "\x00" + room }
func timelineKey(id int) string            { return "tl/" + num(id) + "/" }
func seqKey(id int) string                 { return timelineKey(id) + "seq" }
func entriesKey(id int) string             { return timelineKey(id) + "e/" }
func entryKey(id, seq int) string          { return entriesKey(id) + num(seq) }
func messageKey(id int, msg string) string { return timelineKey(id) + "m/" + msg }
func heldKey(id int, msg string) string    { return timelineKey(id) + "h/" + msg }
func idemKey(key string) string            { return "key/" + key }
func settingKey(name string) string        { return "set/" + name }

// keyRecord is what an idempotency key remembers: the entry it produced
// (Seq 0 for a change held until its message arrives).
type keyRecord struct {
	Incident int   `json:"incident"`
	Seq      int   `json:"seq"`
	Seen     int64 `json:"seen"` // Unix seconds; for people reading the cluster
}

// read fetches keys in one round trip, at one revision, and returns what
// it found by key (missing keys are absent). A serializable read is
// answered by the member the client talks to, which may lag the others
// by a moment: see retry.
func (db *DB) read(ctx context.Context, serializable bool, keys ...string) (map[string]*mvccpb.KeyValue, error) {
	ops := make([]clientv3.Op, len(keys))
	for i, k := range keys {
		if serializable {
			ops[i] = clientv3.OpGet(k, clientv3.WithSerializable())
		} else {
			ops[i] = clientv3.OpGet(k)
		}
	}
	resp, err := db.kv.Txn(ctx).Then(ops...).Commit()
	if err != nil {
		return nil, err
	}
	found := make(map[string]*mvccpb.KeyValue, len(keys))
	for i, r := range resp.Responses {
		if kvs := r.GetResponseRange().Kvs; len(kvs) > 0 {
			found[keys[i]] = kvs[0]
		}
	}
	return found, nil
}

// unchanged compares key with how it was read: same modification, or
// still absent when it was absent.
func unchanged(key string, kv *mvccpb.KeyValue) clientv3.Cmp {
	if kv == nil {
		return clientv3.Compare(clientv3.CreateRevision(key), "=", 0)
	}
	return clientv3.Compare(clientv3.ModRevision(key), "=", kv.ModRevision)
}

// number decodes a counter or an index value; a missing key is 0.
func number(kv *mvccpb.KeyValue) (int, error) {
	if kv == nil {
		return 0, nil
	}
	n, err := strconv.Atoi(string(kv.Value))
	if err != nil {
		return 0, fmt.Errorf("key %s holds %q, not a number", kv.Key, kv.Value)
	}
	return n, nil
}

func decode[T any](kv *mvccpb.KeyValue, what string) (T, error) {
	var v T
	if err := json.Unmarshal(kv.Value, &v); err != nil {
		return v, fmt.Errorf("decode %s: %w", what, err)
	}
	return v, nil
}

func encode(v any, what string) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", what, err)
	}
	return string(b), nil
}

// Setting returns a value a platform saved, or "" when none was.
func (db *DB) Setting(ctx context.Context, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("read setting %s: %w", key, err)
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	resp, err := db.kv.Get(ctx, settingKey(key))
	if err != nil {
		return "", fmt.Errorf("read setting %s: %w", key, err)
	}
	if len(resp.Kvs) == 0 {
		return "", nil
	}
	return string(resp.Kvs[0].Value), nil
}

// SetSetting saves a value durably.
func (db *DB) SetSetting(ctx context.Context, key, value string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save setting %s: %w", key, err)
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	op := clientv3.OpPut(settingKey(key), value)
	if value == "" {
		op = clientv3.OpDelete(settingKey(key)) // "" is no value, as Setting reports it
	}
	// Through commit, so that a fenced job (webhook delivery keeping its
	// place) cannot write after its replica lost the lead.
	err := retry(ctx, func(ctx context.Context, _ bool) error { return db.commit(ctx, nil, []clientv3.Op{op}) })
	if err != nil {
		return fmt.Errorf("save setting %s: %w", key, err)
	}
	return nil
}

// SwapSetting sets key to value only if it holds old now ("" for no value
// at all), and reports whether it did, in one transaction: two replicas
// racing for one key cannot both win.
func (db *DB) SwapSetting(ctx context.Context, key, old, value string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("swap setting %s: %w", key, err)
	}
	// "" is no value, as Setting reports it: old "" expects the key
	// absent, and value "" deletes it.
	k := settingKey(key)
	cmp := clientv3.Compare(clientv3.Value(k), "=", old)
	if old == "" {
		cmp = clientv3.Compare(clientv3.CreateRevision(k), "=", 0)
	}
	op := clientv3.OpPut(k, value)
	if value == "" {
		op = clientv3.OpDelete(k)
	}
	swapped := false
	err := retry(ctx, func(ctx context.Context, _ bool) error {
		err := db.commit(ctx, []clientv3.Cmp{cmp}, []clientv3.Op{op})
		if errors.Is(err, errConflict) {
			return nil // the key holds something else: not swapped
		}
		swapped = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("swap setting %s: %w", key, err)
	}
	return swapped, nil
}
