package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// bbolt maps the file into memory and trusts what it finds there: a
// truncated file faults (SIGBUS) on the first page past its end, and a page
// of garbage sends it through wild offsets or into a panic of its own. A
// store is the record of every incident, so muster must neither crash on
// such a file nor work on without saying so: checkFile looks at the file
// before bbolt maps it, and boltFile turns what bbolt raises while reading
// it into an error that names the file.

// The header of a bbolt file (go.etcd.io/bbolt, internal/common/meta.go and
// page.go): pages 0 and 1 each hold a page header (id 8 bytes, flags 2,
// count 2, overflow 4) and then a meta record, in the machine's byte order:
// magic, version, page size, flags (4 bytes each), the root bucket (its
// page 8, its sequence 8), the freelist's page, the high-water mark (pages
// in use), the transaction id and an FNV-64a checksum of what precedes it
// (8 bytes each). bbolt writes the two alternately and uses the valid one
// with the higher transaction id.
const (
	boltMagic       = 0xED0CDAED
	boltVersion     = 2
	metaOffset      = 16 // the page header's size
	metaSumLen      = 56 // the meta record's bytes before its checksum
	metaLen         = metaSumLen + 8
	boltNoFreelist  = ^uint64(0)
	maxBoltPageSize = 1024 << 14 // the largest page size bbolt looks for
)

// meta is what checkFile needs of a meta page.
type meta struct {
	pageSize        uint64
	root, freelist  uint64
	pages, txid     uint64
	problem         string // why the page is not a valid meta page; "" when it is
	magic, checksum bool   // the magic number is there; the checksum matches
}

func validPageSize(ps uint64) bool {
	return ps >= 1024 && ps <= maxBoltPageSize && ps&(ps-1) == 0
}

func parseMeta(b []byte) meta {
	if len(b) < metaOffset+metaLen {
		return meta{problem: "it is cut short"}
	}
	b = b[metaOffset : metaOffset+metaLen]
	ne := binary.NativeEndian
	m := meta{
		pageSize: uint64(ne.Uint32(b[8:])),
		root:     ne.Uint64(b[16:]),
		freelist: ne.Uint64(b[32:]),
		pages:    ne.Uint64(b[40:]),
		txid:     ne.Uint64(b[48:]),
	}
	h := fnv.New64a()
	h.Write(b[:metaSumLen])
	m.magic = ne.Uint32(b) == boltMagic
	m.checksum = h.Sum64() == ne.Uint64(b[metaSumLen:])
	switch {
	case !m.magic:
		m.problem = "it does not start with bbolt's magic number"
	case ne.Uint32(b[4:]) != boltVersion:
		m.problem = fmt.Sprintf("its format version is %d, not %d", ne.Uint32(b[4:]), boltVersion)
	case !m.checksum:
		m.problem = "its checksum does not match"
	case !validPageSize(m.pageSize):
		m.problem = fmt.Sprintf("it gives a page size of %d", m.pageSize)
	case m.root >= m.pages || m.freelist >= m.pages && m.freelist != boltNoFreelist:
		m.problem = fmt.Sprintf("it names pages past its own end (%d pages)", m.pages)
	}
	return m
}

// checkFile reports what is wrong with the bbolt file at path, nil when
// nothing is, when the file is missing or empty (bbolt makes a new one),
// or when it cannot be read (bbolt reports that better).
func checkFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return nil
	}
	size := st.Size()
	head := make([]byte, 4096)
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil
	}
	m0 := parseMeta(head[:n])
	// The second meta page is one page in; the page size comes from the
	// first, or, when that is damaged, from wherever a valid second is
	// found, as bbolt looks for it.
	read1 := func(at int64) meta {
		b := make([]byte, metaOffset+metaLen)
		if _, err := f.ReadAt(b, at); err != nil {
			return meta{problem: "it is past the end of the file"}
		}
		return parseMeta(b)
	}
	m1 := meta{problem: "it is not at any page size bbolt uses"}
	if validPageSize(m0.pageSize) {
		m1 = read1(int64(m0.pageSize))
	}
	if m0.problem != "" && m1.problem != "" {
		for ps := int64(1024); ps <= maxBoltPageSize && ps < size; ps *= 2 {
			if m := read1(ps); m.problem == "" && int64(m.pageSize) == ps {
				m1 = m
				break
			}
		}
	}
	if m0.problem != "" && m1.problem != "" {
		if !m0.magic && !m1.magic {
			return fmt.Errorf("it is not a bbolt file (%d bytes with no bbolt header)", size)
		}
		return fmt.Errorf("both of its header pages are damaged (first: %s; second: %s)", m0.problem, m1.problem)
	}
	// bbolt uses the valid header with the higher transaction id; with one
	// valid, the other is a header write a crash cut short, which bbolt
	// was built to survive.
	m := m0
	if m.problem != "" || m1.problem == "" && m1.txid > m0.txid {
		m = m1
	}
	ps := int64(m.pageSize)
	if want := int64(m.pages) * ps; size < want || size%ps != 0 {
		return fmt.Errorf("file is %d bytes but its header says %d pages of %d (%d bytes)", size, m.pages, ps, want)
	}
	if m.freelist != boltNoFreelist {
		return checkFreelist(f, m)
	}
	return nil
}

// checkFreelist checks the page that lists the file's free pages, which
// bbolt reads at open and writes pages by: a wrong page number there would
// have a commit write outside the file or over live data. Its page header
// is followed by the page numbers (8 bytes each); when the header's count
// is 0xFFFF, the first of them is the count instead.
func checkFreelist(f *os.File, m meta) error {
	ps := int64(m.pageSize)
	head := make([]byte, 24)
	if _, err := f.ReadAt(head, int64(m.freelist)*ps); err != nil {
		return fmt.Errorf("its free page list (page %d) cannot be read: %w", m.freelist, err)
	}
	ne := binary.NativeEndian
	id, flags, count, overflow := ne.Uint64(head), ne.Uint16(head[8:]), uint64(ne.Uint16(head[10:])), uint64(ne.Uint32(head[12:]))
	if id != m.freelist || flags != 0x10 {
		return fmt.Errorf("page %d, its free page list, is not one (id %d, flags %#x)", m.freelist, id, flags)
	}
	first := uint64(0)
	if count == 0xFFFF {
		count, first = ne.Uint64(head[16:]), 1
	}
	if m.freelist+overflow >= m.pages || (first+count)*8 > (overflow+1)*uint64(ps)-16 {
		return fmt.Errorf("its free page list (page %d) says it holds %d pages, more than fits", m.freelist, count)
	}
	b := make([]byte, count*8)
	if _, err := f.ReadAt(b, int64(m.freelist)*ps+16+int64(first)*8); err != nil {
		return fmt.Errorf("its free page list (page %d) cannot be read: %w", m.freelist, err)
	}
	for i := range count {
		if p := ne.Uint64(b[i*8:]); p < 2 || p >= m.pages {
			return fmt.Errorf("its free page list (page %d) names page %d, outside the file's %d pages", m.freelist, p, m.pages)
		}
	}
	return nil
}

// boltFile is the bbolt database of a store and its path. Its View and
// Update turn a panic or a memory fault raised in bbolt while reading a
// damaged file into an error naming the file.
type boltFile struct {
	*bolt.DB
	path string
}

// openBolt checks the file, then opens it with bbolt.
func openBolt(path string) (f *boltFile, err error) {
	if err := checkFile(path); err != nil {
		return nil, damaged(path, err)
	}
	defer guard(path, &err)
	defer faulting()()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("store %s is in use by another muster process (bbolt file lock); stop it or use another store.path", path)
	}
	if errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrVersionMismatch) || errors.Is(err, berrors.ErrChecksum) {
		return nil, damaged(path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return &boltFile{DB: b, path: path}, nil
}

// View is bolt.DB's View, with damage reported as an error.
func (f *boltFile) View(fn func(*bolt.Tx) error) (err error) {
	defer guard(f.path, &err)
	defer faulting()()
	return f.DB.View(fn)
}

// Update is bolt.DB's Update, with damage reported as an error.
func (f *boltFile) Update(fn func(*bolt.Tx) error) (err error) {
	defer guard(f.path, &err)
	defer faulting()()
	return f.DB.Update(fn)
}

// Batch is bolt.DB's Batch, with damage reported as an error. bbolt runs
// fn with the others of its batch in a goroutine of its own and hands a
// function that panicked back to run alone, here: fn has faults raise
// panics wherever it runs, so that the run here reports them.
func (f *boltFile) Batch(fn func(*bolt.Tx) error) (err error) {
	defer guard(f.path, &err)
	defer faulting()()
	return f.DB.Batch(func(tx *bolt.Tx) error {
		defer faulting()()
		return fn(tx)
	})
}

// guard is deferred around bbolt calls (with faulting, so that a memory
// fault is a panic too): it turns a panic into *err. bbolt rolls a
// transaction back when a panic passes through it.
func guard(path string, err *error) {
	if p := recover(); p != nil {
		*err = panicError(path, p)
	}
}

// panicError describes panic p: damage to the file when bbolt raised it,
// or when it is a fault at an address that is not nil's (reading a value
// through a wild offset into the mapped file faults wherever the value is
// used, in bbolt or in muster's decoding).
func panicError(path string, p any) error {
	if _, wild := p.(interface{ Addr() uintptr }); wild || inBolt() {
		return damaged(path, fmt.Errorf("reading it failed: %v", p))
	}
	return fmt.Errorf("store %s: panic: %v", path, p)
}

// inBolt reports whether the panic being recovered was raised in bbolt's
// code: its first frame past the runtime's panic machinery is bbolt's.
func inBolt() bool {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	panicking := false
	for {
		fr, more := frames.Next()
		switch {
		case fr.Function == "runtime.gopanic" || fr.Function == "runtime.sigpanic" || fr.Function == "runtime.panicmem":
			panicking = true
		case panicking && !strings.HasPrefix(fr.Function, "runtime."):
			return strings.HasPrefix(fr.Function, "go.etcd.io/bbolt")
		}
		if !more {
			return false
		}
	}
}

// damageError is the error for a store file that cannot be used as it is.
type damageError struct {
	path string
	why  error
}

func damaged(path string, why error) error { return &damageError{path: path, why: why} }

func (e *damageError) Error() string {
	return fmt.Sprintf("store %s is damaged: %v; restore it from a backup (see README \"Backups\")", e.path, e.why)
}

func (e *damageError) Unwrap() error { return e.why }

// faulting has memory faults in the calling goroutine raise panics, which
// guard can recover, until the returned function is called.
func faulting() (restore func()) {
	old := debug.SetPanicOnFault(true)
	return func() { debug.SetPanicOnFault(old) }
}
