package etcd

import "time"

// SetNow replaces the clock that stamps idempotency keys, so that a test
// can age a key by a week without waiting one.
func SetNow(db *DB, now func() time.Time) { db.now = now }
