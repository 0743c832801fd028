package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/muster-bot/muster"
	bolt "go.etcd.io/bbolt"
)

// Schema 5 wrote new messages to a log beside the file (<file>.wal) and
// moved them into bbolt later, in bulk. Moving a file to schema 6 applies
// what the log holds, in the transaction that opens the store; Open then
// removes the log.
//
// A record is its payload's length and CRC-32C (4 bytes each, big endian)
// and the payload: the incident's number (8 bytes, big endian) and the
// entry, Seq set, as JSON. The log was written from the start of its file
// again once everything in it was applied, so past the newest records the
// file may hold older ones, in bbolt already, or zeros. A record that is
// not whole ends the log: it is the torn end of a group a crash cut short
// (never acknowledged) when every whole record past it is in bbolt, and
// damage otherwise.

// logSuffix names the log after the store file.
const logSuffix = ".wal"

// logRecord is one message of the log.
type logRecord struct {
	incident int
	entry    muster.Entry
}

// migrate5to6 applies the message log at path, if there is one, in tx,
// and returns how many torn records it dropped (0 or 1).
func migrate5to6(tx *bolt.Tx, path string) (torn int, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read message log: %w", err)
	}
	var recs []logRecord
	off := 0
	for off+8 <= len(b) {
		n := int(binary.BigEndian.Uint32(b[off:]))
		if n == 0 {
			break // zeros: never written
		}
		rec, ok := readRecord(b[off:])
		if !ok {
			torn = 1
			break
		}
		if rec == nil {
			return 0, fmt.Errorf("message log %s: the record at byte %d is not an entry", path, off)
		}
		recs = append(recs, *rec)
		off += 8 + n
	}
	if torn > 0 {
		if lost := lostPast(tx, b[off+1:]); lost > 0 {
			return 0, &logDamageError{path: path, at: off, lost: lost}
		}
	}
	for _, r := range recs {
		if err := applyRecord(tx, r); err != nil {
			return 0, fmt.Errorf("apply message log: %w", err)
		}
	}
	return torn, nil
}

// readRecord reads the record b starts with. ok is false when it is not
// whole (its length does not fit or its checksum does not match); rec is
// nil when it is whole but holds no entry.
func readRecord(b []byte) (rec *logRecord, ok bool) {
	n := int(binary.BigEndian.Uint32(b))
	if n < 8 || n > len(b)-8 || crc32.Checksum(b[8:8+n], crc32.MakeTable(crc32.Castagnoli)) != binary.BigEndian.Uint32(b[4:]) {
		return nil, false
	}
	p := b[8 : 8+n]
	r := logRecord{incident: int(binary.BigEndian.Uint64(p))}
	if json.Unmarshal(p[8:], &r.entry) != nil {
		return nil, true
	}
	return &r, true
}

// lostPast counts the whole records in b, the log past a record that is
// not whole, that bbolt lacks: acknowledged messages the tear would lose.
// Past a bad record its length cannot be trusted to find the next one, so
// it looks at every offset.
func lostPast(tx *bolt.Tx, b []byte) int {
	lost := 0
	for i := 0; i+8 <= len(b); i++ {
		rec, ok := readRecord(b[i:])
		if !ok || rec == nil {
			continue
		}
		tl, err := timeline(tx, rec.incident)
		if err != nil || uint64(rec.entry.Seq) > tl.lastSeq() {
			lost++
		}
		i += 8 + int(binary.BigEndian.Uint32(b[i:])) - 1
	}
	return lost
}

// applyRecord stores a logged message, unless bbolt has it already (the
// log was applied before a crash cut its emptying short): Seqs are
// contiguous, so it has it exactly when the Seq is not past the last.
func applyRecord(tx *bolt.Tx, r logRecord) error {
	tl, err := timeline(tx, r.incident)
	if err != nil {
		return err
	}
	last := tl.lastSeq()
	switch seq := uint64(r.entry.Seq); {
	case seq <= last:
		return nil
	case seq != last+1:
		return fmt.Errorf("INC-%d entry %d does not follow the timeline's last, %d", r.incident, seq, last)
	}
	e := r.entry
	if err := appendEntry(tl, &e); err != nil {
		return err
	}
	return applyHeld(tl, &e)
}

// removeLog removes the message log once the file holds what it held (a
// file of schema 6 does: it was moved in the transaction that applied
// the log, and a crash before the removal leaves a log to remove at the
// next Open), and makes the removal durable.
func removeLog(path string) error {
	if err := os.Remove(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("remove the applied message log: %w", err)
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("remove the applied message log: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("remove the applied message log: %w", err)
	}
	return nil
}

// logDamageError is the error for a message log whose damage would lose
// acknowledged messages.
type logDamageError struct {
	path string
	at   int
	lost int
}

func (e *logDamageError) Error() string {
	return fmt.Sprintf("message log %s is damaged: the record at byte %d is not whole, and %d acknowledged messages after it are not in the store yet; "+
		"muster will not start and drop them: restore the store and its log from a backup (see README \"Backups\"), "+
		"or move %s aside to start without those messages", e.path, e.at, e.lost, e.path)
}
