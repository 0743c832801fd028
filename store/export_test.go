package store

import "time"

// SetNow replaces the clock that stamps idempotency keys, so that a test
// can age a key by a week without waiting one.
func SetNow(db *DB, now func() time.Time) { db.now = now }

// Abandon closes the files as a crash would leave them: the message log
// is not applied to bbolt first.
func Abandon(db *DB) error {
	db.group.wal.close()
	return db.bolt.Close()
}

// Logged is how many messages wait in the message log.
func Logged(db *DB) int { return int(db.group.wal.count.Load()) }

// BreakLog closes the message log's file under the store, so that its
// next write fails as a failing disk would make it.
func BreakLog(db *DB) { db.group.wal.f.Close() }
