package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/store"
)

// A damaged store file or schema 5 message log makes Open fail with an error that
// names the file and says what to do; it never crashes the process and
// never drops an acknowledged message silently.

// filledStore makes a closed store with a few incidents and timelines
// long enough to span many pages, and returns its path.
func filledStore(tb testing.TB) string {
	tb.Helper()
	path := dbPath(tb)
	db := openDB(tb, path)
	for i := range 6 {
		inc := declare(tb, db, fmt.Sprintf("Incident %d", i))
		for j := range 60 {
			appendEntry(tb, db, inc.ID, "", said(fmt.Sprintf("%d.%d", i, j), strings.Repeat("words ", 20)))
		}
	}
	closeDB(tb, db)
	return path
}

// readAll reads every incident and timeline, returning the first error.
func readAll(db *store.DB) error {
	ctx := context.Background()
	incs, err := db.Incidents(ctx, false)
	if err != nil {
		return err
	}
	for _, inc := range incs {
		if _, err := db.Timeline(ctx, inc.ID); err != nil {
			return err
		}
	}
	return nil
}

// wantDamaged checks that err is Open's refusal of a damaged path.
func wantDamaged(tb testing.TB, err error, path string, more ...string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("Open of a damaged %s succeeded", path)
	}
	for _, s := range append([]string{path, "is damaged", "restore it from a backup"}, more...) {
		if !strings.Contains(err.Error(), s) {
			tb.Errorf("error %q does not say %q", err, s)
		}
	}
}

func TestOpenTruncatedStore(t *testing.T) {
	path := filledStore(t)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() <= 3*4096 {
		t.Fatalf("the store is only %d bytes: nothing to truncate", st.Size())
	}
	if err := os.Truncate(path, 3*4096); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path)
	if err == nil {
		db.Close()
	}
	wantDamaged(t, err, path, "file is 12288 bytes but its header says")
}

func TestOpenStoreWithBadHeaders(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(path string)
		want   string
	}{
		{"both checksums wrong", func(path string) {
			garbage(t, path, 16+48, 8, 1) // the transaction ids
			garbage(t, path, 4096+16+48, 8, 2)
		}, "both of its header pages are damaged (first: its checksum does not match; second: its checksum does not match)"},
		{"both overwritten", func(path string) { garbage(t, path, 0, 2*4096, 1) }, "it is not a bbolt file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filledStore(t)
			tc.damage(path)
			db, err := store.Open(path)
			if err == nil {
				db.Close()
			}
			wantDamaged(t, err, path, tc.want)
		})
	}
}

// TestOpenStoreWithOneBadHeader: bbolt writes its two header pages in
// turn, and a crash can tear the one being written; bbolt then uses the
// other, and so does muster.
func TestOpenStoreWithOneBadHeader(t *testing.T) {
	path := filledStore(t)
	garbage(t, path, 16+48, 8, 1)
	db := openDB(t, path)
	if err := readAll(db); err != nil {
		t.Fatal(err)
	}
}

// TestOpenStoreWithAPageOfGarbage overwrites each page of a store in
// turn: Open or a read then either works (the page was free) or fails with
// an error naming the file; none crashes.
func TestOpenStoreWithAPageOfGarbage(t *testing.T) {
	failed := 0
	pages := eachDamagedPage(t, func(path string, page int, keepHeader bool) {
		db, err := store.Open(path)
		if err == nil {
			err = readAll(db)
			db.Close()
		}
		if err != nil {
			failed++
			wantDamaged(t, err, path)
			t.Logf("page %d (header kept: %v): %v", page, keepHeader, err)
		}
	})
	if failed == 0 {
		t.Errorf("no page of %d made Open or a read fail: the pages were not the store's", pages)
	}
}

// eachDamagedPage fills a store, then, for each page after the two
// headers, damages a fresh copy of it and calls try with its path: once
// with the page overwritten whole, and once with all but its page header
// (id, type, counts), which bbolt checks first, so that bbolt follows the
// garbage's offsets and lengths. It returns the number of pages.
func eachDamagedPage(t *testing.T, try func(path string, page int, keepHeader bool)) int {
	t.Helper()
	good := filledStore(t)
	orig, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	pages := len(orig) / 4096
	for i := 4; i < 2*pages; i++ {
		page, keepHeader := i/2, i%2 == 1
		if err := os.WriteFile(good, orig, 0o600); err != nil {
			t.Fatal(err)
		}
		if keepHeader {
			garbage(t, good, int64(page)*4096+16, 4096-16, uint64(i))
		} else {
			garbage(t, good, int64(page)*4096, 4096, uint64(i))
		}
		try(good, page, keepHeader)
	}
	return pages
}

// garbage overwrites n bytes of the file at path from off with random
// bytes.
func garbage(tb testing.TB, path string, off int64, n int, seed uint64) {
	tb.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		tb.Fatal(err)
	}
}

// schema5Store makes a closed schema 5 store at path whose incident has n
// messages in the message log alone, as a crash left them, with the
// log's zeros after them, and returns the incident's number and the
// offsets of the log's records.
func schema5Store(tb testing.TB, path string, n int) (id int, offs []int) {
	tb.Helper()
	db := openDB(tb, path)
	id = declare(tb, db, "Checkout down").ID
	closeDB(tb, db)
	var log []byte
	for i := range n {
		e := said(fmt.Sprintf("1.%02d", i), fmt.Sprint("message ", i))
		e.Seq = 2 + i
		offs = append(offs, len(log))
		log = append(log, store.LogRecord(id, e)...)
	}
	writeLog(tb, path, append(log, make([]byte, 4096)...))
	return id, offs
}

// writeLog marks the closed store at path as schema 5 and puts log beside
// it as its message log.
func writeLog(tb testing.TB, path string, log []byte) {
	tb.Helper()
	if err := store.MakeSchema5(path); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path+".wal", log, 0o600); err != nil {
		tb.Fatal(err)
	}
}

// flipByte changes one byte of the payload of the log record at off.
func flipByte(tb testing.TB, path string, off int) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, int64(off+20)); err != nil {
		tb.Fatal(err)
	}
	b[0] ^= 0x55
	if _, err := f.WriteAt(b, int64(off+20)); err != nil {
		tb.Fatal(err)
	}
}

// TestMessageLogDamagedInTheMiddle: a bad record followed by acknowledged
// messages is damage; Open refuses, naming the log, instead of keeping the
// messages before the bad record alone, and leaves the store and its log
// as they were.
func TestMessageLogDamagedInTheMiddle(t *testing.T) {
	path := dbPath(t)
	_, offs := schema5Store(t, path, 20)
	flipByte(t, path+".wal", offs[4])
	db, err := store.Open(path)
	if err == nil {
		db.Close()
		t.Fatal("Open of a store whose log is damaged in the middle succeeded")
	}
	for _, s := range []string{path + ".wal", "is damaged", "15 acknowledged messages", "move " + path + ".wal aside"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	if _, err := os.Stat(path + ".wal"); err != nil {
		t.Errorf("the refused log is gone: %v", err)
	}
}

// TestMessageLogTornAtTheEnd: a bad last record is a group a crash cut
// short (never acknowledged): the messages before it are kept and the drop
// is counted. Leftovers of earlier groups past it, all in bbolt already,
// do not count as messages lost.
func TestMessageLogTornAtTheEnd(t *testing.T) {
	path := dbPath(t)
	id, offs := schema5Store(t, path, 20)
	flipByte(t, path+".wal", offs[19])
	db := openDB(t, path)
	if n := db.TornLog(); n != 1 {
		t.Errorf("TornLog = %d, want 1", n)
	}
	tl, err := db.Timeline(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl) != 1+19 {
		t.Fatalf("timeline has %d entries, want the declaration and 19 messages", len(tl))
	}
	closeDB(t, db)
	// The log started again from its top: two new messages, the second
	// torn, then the remains of the nineteen applied before.
	log := store.LogRecord(id, muster.Entry{Seq: 21, Kind: muster.EntryMessage, At: t0, Actor: "U2", Text: "new", MessageID: "2.00"})
	torn := len(log)
	log = append(log, store.LogRecord(id, muster.Entry{Seq: 22, Kind: muster.EntryMessage, At: t0, Actor: "U2", Text: "torn", MessageID: "2.01"})...)
	for _, e := range tl[3:] {
		log = append(log, store.LogRecord(id, e)...)
	}
	writeLog(t, path, log)
	flipByte(t, path+".wal", torn)
	db = openDB(t, path)
	tl, err = db.Timeline(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, e := range tl[19:] {
		texts = append(texts, e.Text)
	}
	if want := []string{"message 18", "new"}; !slices.Equal(texts, want) || db.TornLog() != 1 {
		t.Errorf("after a torn second group: last entries %q, TornLog %d; want %q, 1", texts, db.TornLog(), want)
	}
}

// TestAppendOnAPageOfGarbage overwrites each page of a store in turn and
// appends to every incident: an append either works or fails with an
// error naming the file; none crashes. Appends run in bbolt's batches,
// on a goroutine of bbolt's.
func TestAppendOnAPageOfGarbage(t *testing.T) {
	ctx := context.Background()
	failed, n := 0, 0
	eachDamagedPage(t, func(path string, page int, keepHeader bool) {
		n++
		db, err := store.Open(path)
		if err != nil {
			return // TestOpenStoreWithAPageOfGarbage checks these
		}
		for id := 1; id <= 6 && err == nil; id++ {
			_, _, err = db.Append(ctx, id, fmt.Sprint("slack:Ev", n, id), said(fmt.Sprint("9.", n), "after the damage"))
		}
		db.Close()
		if err != nil && muster.ErrorCode(err) != muster.ENOTFOUND {
			failed++
			wantDamaged(t, err, path)
			t.Logf("page %d (header kept: %v): %v", page, keepHeader, err)
		}
	})
	if failed == 0 {
		t.Errorf("no damaged page made an append fail: the pages were not the timelines'")
	}
}
