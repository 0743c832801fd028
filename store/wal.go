package store

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/muster-bot/muster"
	bolt "go.etcd.io/bbolt"
)

// The message log. A new message is the commonest write by far, and
// committing it to bbolt costs a page write per leaf it dirties and two
// fsyncs: with many busy war rooms a group of forty messages wrote some
// ninety pages, each incident's newest entries and message index being
// leaves of their own. So the new messages of a group are appended to a
// log file next to the store (<store>.wal) and synced once; the
// messages reach bbolt later, many at a time: an incident's, in the
// transaction of the next other write to that incident (an update, an
// edit, a read of its timeline); all of them once applyAt records are in
// the log. At Open a log left by a crash is applied before anything else.
//
// A record is its payload's length and CRC-32C (4 bytes each, big
// endian) and the payload: the incident's number (8 bytes, big endian)
// and the entry, Seq set, as JSON: the very bytes bbolt will store.
// A torn record at the end (the process died while writing a group, which
// was therefore not acknowledged) ends the log; a bad record followed by
// messages bbolt lacks is damage, and Open refuses the store (checkTear).

// walSuffix names the log after the store file.
const walSuffix = ".wal"

// walSize is how much of the log file is written with zeros when it is
// made. Records then overwrite, from the start of the file each time it
// has been applied, bytes already on disk, so a sync flushes data alone,
// with no change of the file's size to journal (about 85 µs here against
// 150 for an append). A zero length ends the log; records beyond what was
// written since the last restart from the start are applied already, and
// skipped.
const walSize = 4 << 20

// applyAt is how many records make the next group apply the whole log to
// bbolt and empty it: it bounds the memory they take, the time Open spends
// on a log a crash left, and the pause of that group (4,096 made the p99
// of acknowledgements in one busy room three times the floor's).
const applyAt = 1024

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// wal is the log and what it holds that bbolt does not have yet. Only the
// group's committer touches it (one at a time), but for waiting, which
// readers check without the group.
type wal struct {
	f       *os.File
	size    int64
	records []walRecord    // every record in the file, in order
	waiting map[int][]int  // incident → its records not in bbolt yet (indexes into records)
	last    map[int]uint64 // incident → the last Seq given, while it has records waiting
	msgs    map[string]int // message key (incident + message id) → index of a waiting record
	count   atomic.Int64   // records waiting, read without the group
	ids     sync.Map       // incident → struct{} while it has records waiting, read without the group
	broken  bool           // a write or sync failed: log nothing more
	tornAt  int64          // where recover found a record not whole; -1: none
	torn    int            // records dropped at recovery as a crash's torn end
	// scratch is log's working memory, kept from one group to the next:
	// made anew, a group's records, their bytes and its maps were the
	// largest of muster's own allocations for a message event.
	scratch struct {
		recs []walRecord
		buf  []byte
		last map[int]uint64
		msgs map[string]muster.Entry
		tls  map[int]*tline
	}
	marks map[int]struct{} // incidents applied by the transaction being committed
}

type walRecord struct {
	Incident int
	Entry    muster.Entry
	raw      []byte // Entry encoded, as the entries bucket keeps it
}

// logAppend is an Append the group may log: a new message of a timeline.
// The group fills in the answer, or sets bolt to have it run in bbolt.
type logAppend struct {
	id       int
	e        muster.Entry
	stored   muster.Entry
	appended bool
	answer   error // a missing incident: the caller's error, not the group's
	logged   bool  // answered from the log, not by the bbolt function
	bolt     bool  // the message has a held revision: bbolt applies it
}

func openWAL(path string) (*wal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := preallocate(f); err != nil {
		f.Close()
		return nil, err
	}
	// The file's name must outlive a crash too, once something is in it.
	if err := syncDir(filepath.Dir(path)); err != nil {
		f.Close()
		return nil, err
	}
	return &wal{f: f, waiting: map[int][]int{}, last: map[int]uint64{}, msgs: map[string]int{}, marks: map[int]struct{}{}}, nil
}

// preallocate writes zeros from the end of f up to walSize.
func preallocate(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() >= walSize {
		return nil
	}
	zeros := make([]byte, 64<<10)
	for off := st.Size(); off < walSize; off += int64(len(zeros)) {
		if _, err := f.WriteAt(zeros[:min(int64(len(zeros)), walSize-off)], off); err != nil {
			return err
		}
	}
	return f.Sync()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// recover reads the records a crash left in the log; they wait, for the
// caller to apply. A record that is not whole (a bad length or checksum)
// ends what it reads: the caller then decides with checkTear whether
// that was the torn end of an unacknowledged group or damage.
func (w *wal) recover() error {
	// Read record by record: the file is mostly zeros, and reading it
	// whole would leave megabytes of garbage in a process at rest.
	r := bufio.NewReader(io.NewSectionReader(w.f, 0, 1<<40))
	var head [8]byte
	w.tornAt = -1
	for off := int64(0); ; {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			break // the end of the file
		}
		n := int64(binary.BigEndian.Uint32(head[:]))
		if n == 0 {
			break // zeros: never written
		}
		if n < 8 || n > walSize {
			w.tornAt = off
			break
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(r, p); err != nil || crc32.Checksum(p, crcTable) != binary.BigEndian.Uint32(head[4:]) {
			w.tornAt = off
			break
		}
		rec := walRecord{Incident: int(binary.BigEndian.Uint64(p)), raw: p[8:]}
		if err := json.Unmarshal(rec.raw, &rec.Entry); err != nil {
			return fmt.Errorf("message log %s: record at byte %d: %w", w.f.Name(), off, err)
		}
		w.waiting[rec.Incident] = append(w.waiting[rec.Incident], len(w.records))
		w.ids.Store(rec.Incident, struct{}{})
		w.records = append(w.records, rec)
		off += 8 + n
	}
	w.count.Store(int64(len(w.records)))
	return nil
}

// checkTear decides, reading bbolt in tx, what a record recover could not
// read means. Past the records of the current groups the file holds those
// of earlier ones, all in bbolt already (the log starts again from the
// top of its file only once everything in it is applied). When every whole
// record found past the bad one is such a leftover, the bad one was the
// last written: a group torn by a crash, never acknowledged, which may be
// dropped. A record past it that bbolt lacks was acknowledged, and
// recovering without it would lose it silently: that is damage, and Open
// refuses to go on.
func (w *wal) checkTear(tx *bolt.Tx) error {
	if w.tornAt < 0 {
		return nil
	}
	st, err := w.f.Stat()
	if err != nil {
		return fmt.Errorf("message log %s: %w", w.f.Name(), err)
	}
	rest := make([]byte, max(st.Size()-w.tornAt, 0))
	if _, err := w.f.ReadAt(rest, w.tornAt); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("message log %s: %w", w.f.Name(), err)
	}
	lost := 0
	for _, rec := range wholeRecords(rest[1:]) {
		tl, err := timeline(tx, rec.Incident)
		if err != nil || uint64(rec.Entry.Seq) > tl.lastSeq() {
			lost++
		}
	}
	if lost > 0 {
		return &logDamageError{path: w.f.Name(), at: w.tornAt, lost: lost}
	}
	w.torn = 1
	return nil
}

// logDamageError is the error for a message log whose damage would lose
// acknowledged messages.
type logDamageError struct {
	path string
	at   int64
	lost int
}

func (e *logDamageError) Error() string {
	return fmt.Sprintf("message log %s is damaged: the record at byte %d is not whole, and %d acknowledged messages after it are not in the store yet; "+
		"muster will not start and drop them: restore the store and its log from a backup (see README \"Backups\"), "+
		"or move %s aside to start without those messages", e.path, e.at, e.lost, e.path)
}

// wholeRecords finds the records in b that are whole (their length fits
// and their checksum matches), looking at every offset: past a bad record
// its length cannot be trusted to find the next one.
func wholeRecords(b []byte) []walRecord {
	var out []walRecord
	for i := 0; i+8 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		if n < 9 || n > len(b)-i-8 || b[i+16] != '{' || crc32.Checksum(b[i+8:i+8+n], crcTable) != binary.BigEndian.Uint32(b[i+4:]) {
			i++
			continue
		}
		p := b[i+8 : i+8+n]
		rec := walRecord{Incident: int(binary.BigEndian.Uint64(p)), raw: p[8:]}
		if json.Unmarshal(rec.raw, &rec.Entry) != nil {
			i++
			continue
		}
		out = append(out, rec)
		i += 8 + n
	}
	return out
}

// log answers calls, all new messages, from bbolt's state (read in tx) and
// the log's, and appends the new ones to the log, durably, in one write.
// A call whose message has a held revision is left to bbolt (bolt set).
func (w *wal) log(tx *bolt.Tx, calls []*groupCall) error {
	sc := &w.scratch
	if sc.last == nil {
		sc.last, sc.msgs, sc.tls = map[int]uint64{}, map[string]muster.Entry{}, map[int]*tline{}
	}
	defer func() {
		clear(sc.recs[:cap(sc.recs)]) // what the records point to may go
		clear(sc.last)
		clear(sc.msgs)
		clear(sc.tls) // they belong to tx, which ends
	}()
	var (
		recs = sc.recs[:0]
		last = sc.last
		msgs = sc.msgs
		tls  = sc.tls // a busy room has many messages in a group
	)
	for _, c := range calls {
		l := c.log
		l.stored, l.appended, l.answer, l.logged, l.bolt = muster.Entry{}, false, nil, true, false
		tl := tls[l.id]
		if tl == nil {
			var err error
			tl, err = timeline(tx, l.id)
			if muster.ErrorCode(err) == muster.ENOTFOUND {
				l.answer = err
				continue
			}
			if err != nil {
				return err
			}
			tls[l.id] = tl
		}
		mk := tl.messageKey(l.e.MessageID)
		if e, ok := msgs[string(mk)]; ok {
			l.stored = e
			continue
		}
		if i, ok := w.msgs[string(mk)]; ok {
			l.stored = w.records[i].Entry
			continue
		}
		if first, found, err := tl.message(l.e.MessageID); err != nil {
			return err
		} else if found {
			l.stored = first
			continue
		}
		if tl.held.Get(mk) != nil {
			l.logged, l.bolt = false, true
			continue
		}
		seq, ok := last[l.id]
		if !ok {
			if seq, ok = w.last[l.id]; !ok {
				seq = tl.lastSeq()
			}
		}
		seq++
		e := l.e
		e.Seq = int(seq)
		raw, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode entry %d: %w", e.Seq, err)
		}
		last[l.id] = seq
		msgs[string(mk)] = e
		recs = append(recs, walRecord{Incident: l.id, Entry: e, raw: raw})
		l.stored, l.appended = e, true
	}
	sc.recs = recs
	if len(recs) == 0 {
		return nil
	}
	buf := sc.buf[:0]
	for _, r := range recs {
		start := len(buf)
		buf = append(buf, 0, 0, 0, 0, 0, 0, 0, 0) // length and CRC, below
		buf = binary.BigEndian.AppendUint64(buf, uint64(r.Incident))
		buf = append(buf, r.raw...)
		p := buf[start+8:]
		binary.BigEndian.PutUint32(buf[start:], uint32(len(p)))
		binary.BigEndian.PutUint32(buf[start+4:], crc32.Checksum(p, crcTable))
	}
	if cap(buf) <= 1<<20 { // an odd group of huge messages is not kept
		sc.buf = buf
	}
	if _, err := w.f.WriteAt(buf, w.size); err != nil {
		return fmt.Errorf("write message log: %w", err)
	}
	if err := syncData(w.f); err != nil {
		return fmt.Errorf("sync message log: %w", err)
	}
	w.size += int64(len(buf))
	for _, r := range recs {
		i := len(w.records)
		w.records = append(w.records, r)
		if len(w.waiting[r.Incident]) == 0 {
			w.ids.Store(r.Incident, struct{}{})
		}
		w.waiting[r.Incident] = append(w.waiting[r.Incident], i)
		w.msgs[string(idKey(r.Incident))+r.Entry.MessageID] = i
		w.last[r.Incident] = uint64(r.Entry.Seq)
	}
	w.count.Add(int64(len(recs)))
	return nil
}

// holds reports whether records of incident id wait in the log.
func (w *wal) holds(id int) bool {
	_, ok := w.ids.Load(id)
	return ok
}

// full reports whether the whole log is due to be applied.
func (w *wal) full() bool { return len(w.records) >= applyAt }

// apply writes into bbolt, in tx, the waiting records of the incidents
// given, or of every incident when all is set. An entry whose Seq is
// stored already was applied before a crash cut the log's emptying
// short, and is skipped. What it applied is marked once tx commits
// (committed).
func (w *wal) apply(tx *bolt.Tx, all bool, incidents []int) error {
	clear(w.marks)
	if all {
		for id := range w.waiting {
			incidents = append(incidents, id)
		}
	}
	for _, id := range incidents {
		idx, ok := w.waiting[id]
		if !ok {
			continue
		}
		if _, done := w.marks[id]; done {
			continue
		}
		w.marks[id] = struct{}{}
		if err := w.applyIncident(tx, id, idx); err != nil {
			return err
		}
	}
	return nil
}

// applyIncident writes the records idx of incident id into bbolt. The
// timeline and its last Seq are read once for them all: Seqs are
// contiguous, so an entry is stored already (applied before a crash cut
// the log's emptying short) exactly when its Seq is not past the last.
func (w *wal) applyIncident(tx *bolt.Tx, id int, idx []int) error {
	tl, err := timeline(tx, id)
	if err != nil {
		return fmt.Errorf("apply message log: %w", err)
	}
	last := tl.lastSeq()
	for _, i := range idx {
		r := w.records[i]
		seq := uint64(r.Entry.Seq)
		if seq <= last {
			continue
		}
		if seq != last+1 {
			return fmt.Errorf("apply message log: INC-%d entry %d does not follow the timeline's last, %d", id, seq, last)
		}
		e := r.Entry
		if err := tl.add(e, r.raw); err != nil {
			return err
		}
		if err := applyHeld(tl, &e); err != nil {
			return err
		}
		last = seq
	}
	return nil
}

// committed forgets the records the committed transaction applied, and
// starts the log again from the start of its file once none waits. What
// the file still holds past the new records is in bbolt: a crash that
// brings it back has apply skip it.
func (w *wal) committed() error {
	for id := range w.marks {
		for _, i := range w.waiting[id] {
			delete(w.msgs, string(idKey(id))+w.records[i].Entry.MessageID)
		}
		w.count.Add(-int64(len(w.waiting[id])))
		delete(w.waiting, id)
		delete(w.last, id)
		w.ids.Delete(id)
	}
	clear(w.marks)
	if len(w.waiting) > 0 || w.size == 0 && len(w.records) == 0 {
		return nil
	}
	w.records = w.records[:0]
	w.size = 0
	return nil
}

func (w *wal) close() error {
	if w == nil {
		return nil
	}
	return w.f.Close()
}
