package store

import "time"

// SetNow replaces the clock that stamps idempotency keys, so that a test
// can age a key by a week without waiting one.
func SetNow(db *DB, now func() time.Time) { db.now = now }

// SetBatch overrides the Batch tuning, for the benchmark that chose it.
// Call it before any write.
func SetBatch(db *DB, size int, delay time.Duration) {
	db.bolt.MaxBatchSize, db.bolt.MaxBatchDelay = size, delay
}
