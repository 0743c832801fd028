// Package etcd keeps incidents and their timelines in an etcd cluster, so
// that several muster replicas share one truth. It behaves like the bbolt
// store (package store): both pass store/storetest.
//
// Layout, under the configured prefix (numbers are zero-padded to 20
// digits so that etcd's byte order is numeric order):
//
//	meta/schema              format version
//	seq/incident             the last incident number given out
//	inc/<id>                 Incident (JSON)
//	open/<id>                nothing; one key per open incident
//	decl/<time>/<id>         nothing; the incidents by declaration time (see declared.go)
//	room/<platform> NUL <room>  incident number
//	tl/<id>/seq              the last timeline Seq of the incident
//	tl/<id>/e/<seq>          Entry (JSON)
//	tl/<id>/m/<message id>   Seq of the entry recording that message
//	tl/<id>/h/<message id>   a change held until its message arrives (JSON)
//	key/<idempotency key>    what the key produced (JSON), on a week-long lease
//	set/<name>               a setting
//	out/<key>                an outbox item (JSON), waiting to be sent (see outbox.go)
//
// Every read-modify-write is an etcd transaction that compares the
// revisions of what it read: two replicas that race on one incident
// cannot both win, and the loser reads again and retries. etcd commits a
// transaction to a quorum of members, on disk, before it answers, so a
// write acknowledged here survives the loss of any minority of members.
package etcd

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/namespace"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/muster-bot/muster/internal/fence"
)

const (
	// schemaVersion is bumped when the layout changes incompatibly, so that
	// an older binary refuses newer data instead of corrupting it. 2: the
	// declaration index, which an older muster would not keep up to date.
	schemaVersion = 2

	// keyTTL is how long an idempotency key is remembered: as in the bbolt
	// store, a week, far longer than any platform retries.
	keyTTL = 7 * 24 * time.Hour
	// leaseEvery is how often a new lease is granted for new keys: keys
	// share a lease for an hour, so they expire between keyTTL and keyTTL
	// plus an hour after they were written, and the cluster holds one
	// lease per replica per hour rather than one per event.
	leaseEvery = time.Hour

	// opTimeout bounds every call to the cluster, so that a request whose
	// caller set no deadline cannot hang on a cluster without quorum.
	opTimeout = 10 * time.Second

	// pingTimeout bounds Ping: a cluster without quorum makes a read wait
	// for a leader, and /readyz should say "not ready" well within a
	// probe's timeout.
	pingTimeout = 2 * time.Second

	// maxAttempts bounds the retries of a transaction that lost a race.
	// Writes to one incident from one replica are serialized (see
	// DB.locks), so only other replicas can make a transaction lose.
	maxAttempts = 64

	// pageSize bounds one range read, so that listing ten thousand
	// incidents or entries is several moderate responses, not one huge one.
	pageSize = 500

	// maxOps stays under etcd's default limit of 128 operations in one
	// transaction (--max-txn-ops).
	maxOps = 100
)

// Config says how to reach the cluster.
type Config struct {
	Endpoints   []string
	Prefix      string // every key starts with it, e.g. "/muster/"
	DialTimeout time.Duration
	Username    string
	Password    string
	TLS         *tls.Config // nil: plain connections
}

// DB is the etcd store. It is safe for concurrent use, by any number of
// processes sharing the prefix. A DB made by Fenced shares the connection
// of the one it was made from, and fences its writes (see Fenced).
type DB struct {
	*conn
	// fence, when its Key is set, guards every write: see Fenced.
	fence fence.Token
}

// conn is what every view of one store shares: the connection, the
// per-incident locks and the lease of new idempotency keys.
type conn struct {
	client *clientv3.Client
	kv     clientv3.KV // the client's KV, within the prefix
	prefix string
	// locks serialize this process's writes to one incident (striped by
	// number): concurrent writers in one replica would otherwise make one
	// another's transactions fail and retry.
	locks [64]sync.Mutex
	// now stamps idempotency keys; a field for tests.
	now func() time.Time

	leaseMu  sync.Mutex
	lease    clientv3.LeaseID
	leasedAt time.Time
}

// Fenced returns a view of db whose writes are applied only while the
// leader's election key t.Key (a full key, under db's prefix) still
// exists with creation revision t.Rev. Once another replica leads, they
// fail with fence.ErrLost and change nothing. The leader's jobs write
// through it; a write that must land even after the lead is lost
// (confirming a reminder already posted) goes through db itself. Reads
// are db's. Closing either closes the shared connection.
func (db *DB) Fenced(t fence.Token) *DB {
	return &DB{conn: db.conn, fence: t}
}

// Open connects to the cluster and checks the stored schema, writing it on
// first use. It fails within cfg.DialTimeout when no member answers.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, errors.New("open etcd store: no endpoints")
	}
	client, err := clientv3.New(clientv3.Config{
		Endpoints:   cfg.Endpoints,
		DialTimeout: cfg.DialTimeout,
		Username:    cfg.Username,
		Password:    cfg.Password,
		TLS:         cfg.TLS,
		// Failures reach the caller as errors; the client's own zap logs
		// would only repeat them in another format.
		Logger: zap.NewNop(),
		// A member that stops answering is noticed within seconds, and
		// the client moves to another.
		DialKeepAliveTime:    5 * time.Second,
		DialKeepAliveTimeout: 3 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("open etcd store at %v: %w", cfg.Endpoints, err)
	}
	db := &DB{conn: &conn{client: client, kv: namespace.NewKV(client.KV, cfg.Prefix), prefix: cfg.Prefix, now: time.Now}}
	timeout := cfg.DialTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := db.initSchema(cctx); err != nil {
		_ = client.Close() // the schema error is the one worth reporting
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("no member with a quorum answered within %s (is the cluster up, and are store.etcd.endpoints right?): %w", timeout, err)
		}
		return nil, fmt.Errorf("open etcd store at %v: %w", cfg.Endpoints, err)
	}
	return db, nil
}

// initSchema writes the schema version if absent and refuses a newer one.
func (db *DB) initSchema(ctx context.Context) error {
	v := strconv.Itoa(schemaVersion)
	resp, err := db.kv.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(keySchema), "=", 0)).
		Then(clientv3.OpPut(keySchema, v)).
		Else(clientv3.OpGet(keySchema)).
		Commit()
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if resp.Succeeded {
		return nil
	}
	kvs := resp.Responses[0].GetResponseRange().Kvs
	if len(kvs) == 0 {
		return errors.New("schema version vanished while read")
	}
	got, err := strconv.Atoi(string(kvs[0].Value))
	if err != nil {
		return fmt.Errorf("schema version %q is not a number", kvs[0].Value)
	}
	if got > schemaVersion {
		return fmt.Errorf("the cluster has schema version %d, newer than this muster understands (%d); upgrade muster", got, schemaVersion)
	}
	if got < 2 {
		return db.indexDeclared(ctx)
	}
	return nil
}

// Client is the connection to the cluster, for leader election.
func (db *DB) Client() *clientv3.Client { return db.client }

// Close closes the connection.
func (db *DB) Close() error {
	if err := db.client.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("close etcd store: %w", err)
	}
	return nil
}

// Ping reports whether a quorum of the cluster answers, for /readyz: a
// replica cut off from the quorum cannot record anything and should not
// be sent requests.
func (db *DB) Ping(ctx context.Context) error {
	// Short, so that a readiness probe gets its answer in time.
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	resp, err := db.kv.Get(ctx, keySchema)
	if err != nil {
		return fmt.Errorf("ping etcd store: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return errors.New("ping etcd store: the schema key is missing")
	}
	return nil
}

// PruneKeys deletes the idempotency keys first seen more than keyTTL ago
// and returns how many. Keys also carry a lease, but etcd renews every
// lease to its full TTL when its own leader changes (unless the cluster
// checkpoints leases), so with week-long leases a cluster that changes
// leader weekly would keep every key for ever; this scan, which the
// leading replica runs every few hours through its Fenced view, bounds
// them. On a fenced view the deletes fail with fence.ErrLost once the
// lead is lost.
func (db *DB) PruneKeys(ctx context.Context) (int, error) {
	wrap := func(err error) error { return fmt.Errorf("prune idempotency keys: %w", err) }
	if err := ctx.Err(); err != nil {
		return 0, wrap(err)
	}
	cutoff := db.now().Add(-keyTTL).Unix()
	var stale []clientv3.Op
	_, err := db.scan(ctx, "key/", "key/", -1, false, func(kv *mvccpb.KeyValue) error {
		r, err := decode[keyRecord](kv, string(kv.Key))
		if err != nil || r.Seen < cutoff {
			// An unreadable record is no use for deduplication either.
			stale = append(stale, clientv3.OpDelete(string(kv.Key)))
		}
		return nil
	})
	if err != nil {
		return 0, wrap(err)
	}
	fenceCmps, _, err := db.fenceCmp()
	if err != nil {
		return 0, wrap(err)
	}
	for chunk := range slices.Chunk(stale, maxOps) {
		cctx, cancel := context.WithTimeout(ctx, opTimeout)
		resp, err := db.kv.Txn(cctx).If(fenceCmps...).Then(chunk...).Commit()
		cancel()
		if err != nil {
			return 0, wrap(err)
		}
		if !resp.Succeeded { // only the fence is compared
			return 0, wrap(fence.ErrLost)
		}
	}
	return len(stale), nil
}

// keyLease returns the lease new idempotency keys are written with,
// granting a fresh one every leaseEvery.
func (db *DB) keyLease(ctx context.Context) (clientv3.LeaseID, error) {
	db.leaseMu.Lock()
	defer db.leaseMu.Unlock()
	if db.lease != clientv3.NoLease && db.now().Sub(db.leasedAt) < leaseEvery {
		return db.lease, nil
	}
	resp, err := db.client.Grant(ctx, int64((keyTTL+leaseEvery)/time.Second))
	if err != nil {
		return clientv3.NoLease, fmt.Errorf("grant a lease for idempotency keys: %w", err)
	}
	db.lease, db.leasedAt = resp.ID, db.now()
	return db.lease, nil
}

// forgetLease makes the next keyLease grant a new lease, after etcd said
// the current one is gone.
func (db *DB) forgetLease(id clientv3.LeaseID) {
	db.leaseMu.Lock()
	defer db.leaseMu.Unlock()
	if db.lease == id {
		db.lease = clientv3.NoLease
	}
}

// lock serializes this process's writes to incident id.
func (db *DB) lock(id int) func() {
	m := &db.locks[uint(id)%uint(len(db.locks))]
	m.Lock()
	return m.Unlock
}

// errConflict says a transaction lost a race and should be retried.
var errConflict = errors.New("conflicting write; retrying")

// errUnapplied says the cluster failed while a transaction was in
// flight and reading back showed it was not applied: try it again.
var errUnapplied = errors.New("write not applied; retrying")

// errStale says an attempt read from a member that may lag the cluster
// (a serializable read) and saw something only a current read may decide:
// retry it with current reads.
var errStale = errors.New("read may be stale; reading again")

// retryPause is the first wait before retrying after the cluster failed
// to answer (while it elects a new leader, say); it doubles up to a
// second.
const retryPause = 50 * time.Millisecond

// retry runs attempt until it neither reports errConflict nor fails in a
// way the cluster recovers from (see transient), at most maxAttempts
// times, and bounds the whole by opTimeout unless ctx is shorter. Losing
// an etcd member, even the leader, is such a failure: etcd elects another
// within about a second, and the write goes through then.
//
// attempt is told whether it may read serializably: from the member it
// talks to, without asking the leader whether that member is current.
// That saves a round trip to the quorum, and is safe wherever the
// transaction compares what it read, since a stale read then fails the
// compare. The first attempt may; an attempt that returns errStale, or
// loses a race, is retried with current reads.
func retry(ctx context.Context, attempt func(ctx context.Context, serializable bool) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	pause := retryPause
	var err error
	for n := range maxAttempts {
		err = attempt(ctx, n == 0)
		switch {
		case errors.Is(err, errConflict), errors.Is(err, errStale), errors.Is(err, errUnapplied):
			continue
		case !transient(err):
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (the cluster last said: %w)", ctx.Err(), err)
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Second)
	}
	return fmt.Errorf("gave up after %d attempts: %w", maxAttempts, err)
}

// fenceCmp is the compare that holds while db's fence does: none for an
// unfenced view. key is the fence's key within the prefix.
func (db *DB) fenceCmp() (cmps []clientv3.Cmp, key string, err error) {
	if db.fence.Key == "" {
		return nil, "", nil
	}
	rel, under := strings.CutPrefix(db.fence.Key, db.prefix)
	if !under {
		return nil, "", fmt.Errorf("fence key %s is not under the store's prefix %s", db.fence.Key, db.prefix)
	}
	return []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(rel), "=", db.fence.Rev)}, rel, nil
}

// fenceLost reports whether the fence key (within the prefix) no longer
// has the creation revision db's fence names.
func (db *DB) fenceLost(ctx context.Context, key string) (bool, error) {
	resp, err := db.kv.Get(ctx, key)
	if err != nil {
		return false, fmt.Errorf("check the leader's fence: %w", err)
	}
	return len(resp.Kvs) == 0 || resp.Kvs[0].CreateRevision != db.fence.Rev, nil
}

// transient reports whether err is a failure of the cluster to answer
// that goes away by itself: no leader, a leader change, a member out of
// reach.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ee rpctypes.EtcdError
	if errors.As(err, &ee) {
		return ee.Code() == codes.Unavailable
	}
	return status.Code(err) == codes.Unavailable
}

// commit runs a transaction guarded by cmps and reports errConflict when
// a compared key changed since it was read. When the cluster fails
// without saying whether the transaction was applied (the leader changed
// while it was in flight), commit reads back the first key it writes: if
// that holds what the transaction wrote, it was applied; otherwise it
// reports errUnapplied, so the caller reads afresh and tries again. A
// write is therefore applied once, never twice and never lost.
//
// On a fenced view (see Fenced) the write is applied only while the
// fence holds; when it no longer does, commit returns fence.ErrLost.
func (db *DB) commit(ctx context.Context, cmps []clientv3.Cmp, ops []clientv3.Op) error {
	fenceCmps, fenceKey, err := db.fenceCmp()
	if err != nil {
		return err
	}
	cmps = append(slices.Clip(cmps), fenceCmps...)
	resp, err := db.kv.Txn(ctx).If(cmps...).Then(ops...).Commit()
	if err == nil {
		if !resp.Succeeded {
			if fenceKey != "" {
				if lost, err := db.fenceLost(ctx, fenceKey); err != nil || lost {
					return errors.Join(fence.ErrLost, err)
				}
			}
			return errConflict
		}
		return nil
	}
	if !transient(err) {
		return err
	}
	var witness *clientv3.Op
	for i := range ops {
		if ops[i].IsPut() {
			witness = &ops[i]
			break
		}
	}
	if witness == nil {
		return errUnapplied // only deletes: reading afresh tells what is left to do
	}
	for pause := retryPause; ; pause = min(2*pause, time.Second) {
		got, rerr := db.kv.Get(ctx, string(witness.KeyBytes()))
		if rerr == nil {
			if len(got.Kvs) == 1 && bytes.Equal(got.Kvs[0].Value, witness.ValueBytes()) {
				return nil
			}
			return errUnapplied
		}
		if !transient(rerr) {
			return fmt.Errorf("%w; then, checking whether it was applied: %w", err, rerr)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; whether it was applied is unknown: %w", err, ctx.Err())
		case <-time.After(pause):
		}
	}
}
