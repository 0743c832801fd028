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
