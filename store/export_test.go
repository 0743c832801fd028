package store

import (
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"time"

	"github.com/muster-bot/muster"
	bolt "go.etcd.io/bbolt"
)

// SetNow replaces the clock that stamps idempotency keys, so that a test
// can age a key by a week without waiting one.
func SetNow(db *DB, now func() time.Time) { db.now = now }

// LogRecord encodes a record of the schema 5 message log (see
// migrate5to6.go) holding e, Seq set, for incident id.
func LogRecord(id int, e muster.Entry) []byte {
	p := binary.BigEndian.AppendUint64(nil, uint64(id))
	js, err := json.Marshal(e)
	if err != nil {
		panic(err)
	}
	p = append(p, js...)
	rec := binary.BigEndian.AppendUint32(nil, uint32(len(p)))
	rec = binary.BigEndian.AppendUint32(rec, crc32.Checksum(p, crc32.MakeTable(crc32.Castagnoli)))
	return append(rec, p...)
}

// MakeSchema5 marks the closed store at path as schema 5, as a schema 5
// muster left it, so that the next Open moves it to the current schema.
func MakeSchema5(path string) error {
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		return err
	}
	err = b.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketMeta)).Put([]byte(keySchema), u64(5))
	})
	if err != nil {
		b.Close()
		return err
	}
	return b.Close()
}

// MakeSchema6 turns the closed store at path into what a schema 6 muster
// left: no declaration index, schema 6, so that the next Open builds it.
func MakeSchema6(path string) error {
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		return err
	}
	err = b.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket([]byte(bucketDeclared)); err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketMeta)).Put([]byte(keySchema), u64(6))
	})
	if err != nil {
		b.Close()
		return err
	}
	return b.Close()
}

// DropOutbox removes the outbox bucket of the closed store at path, as a
// muster from before outbox items left its file.
func DropOutbox(path string) error {
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		return err
	}
	err = b.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte(bucketOutbox)) })
	if err != nil {
		b.Close()
		return err
	}
	return b.Close()
}
