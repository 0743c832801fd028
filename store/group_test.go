package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestGroupCommit: writes that arrive while a commit runs go together in
// the next one; a write that fails gets its own error, and the rest of its
// group is committed without it.
func TestGroupCommit(t *testing.T) {
	db := openGroupDB(t)
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err }); err != nil {
		t.Fatal(err)
	}
	var g group
	var commits sync.Map // transaction id → writes in it
	put := func(key string, fail error) func(*bolt.Tx) error {
		return func(tx *bolt.Tx) error {
			n, _ := commits.LoadOrStore(tx.ID(), new(int))
			*n.(*int)++
			if err := tx.Bucket([]byte("b")).Put([]byte(key), []byte("v")); err != nil {
				return err
			}
			return fail
		}
	}

	// The first write holds its commit open until the others are queued.
	release := make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		firstDone <- g.commitFor(db, 0, func(tx *bolt.Tx) error {
			<-release
			return put("first", nil)(tx)
		})
	}()
	waitFor(t, func() bool { g.mu.Lock(); defer g.mu.Unlock(); return g.running })

	errBoom := errors.New("boom")
	const n = 5
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var fail error
			if i == 2 {
				fail = errBoom
			}
			errs[i] = g.commitFor(db, 0, put(fmt.Sprint("k", i), fail))
		}()
	}
	waitFor(t, func() bool { g.mu.Lock(); defer g.mu.Unlock(); return len(g.pending) == n })
	close(release)
	wg.Wait()
	if err := <-firstDone; err != nil {
		t.Fatalf("first write: %v", err)
	}

	for i, err := range errs {
		if i == 2 && !errors.Is(err, errBoom) {
			t.Errorf("the failing write got %v, want its own error", err)
		}
		if i != 2 && err != nil {
			t.Errorf("write %d got %v, want nil: another write's failure must not fail it", i, err)
		}
	}
	err := db.View(func(tx *bolt.Tx) error {
		for i := range n {
			got := tx.Bucket([]byte("b")).Get([]byte(fmt.Sprint("k", i)))
			if (got != nil) != (i != 2) {
				t.Errorf("k%d stored: %v, want %v", i, got != nil, i != 2)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Writes run per transaction id: the first alone; then the queued five
	// in one attempt, rolled back, the failing one alone, rolled back, and
	// the other four again (rolled-back attempts share the id of the
	// transaction that finally commits).
	var sizes []int
	commits.Range(func(_, v any) bool { sizes = append(sizes, *v.(*int)); return true })
	t.Logf("writes run per transaction id: %v", sizes)
	grouped := false
	for _, s := range sizes {
		grouped = grouped || s >= 4
	}
	if !grouped {
		t.Errorf("no transaction held the queued writes together: %v", sizes)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func openGroupDB(t *testing.T) *boltFile {
	t.Helper()
	path := filepath.Join(t.TempDir(), "g.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &boltFile{DB: db, path: path}
}

// TestGroupCommitPanic: a write that panics fails alone, with an error;
// the writes after it go on.
func TestGroupCommitPanic(t *testing.T) {
	db := openGroupDB(t)
	var g group
	err := g.commitFor(db, 0, func(*bolt.Tx) error { panic("broken write") })
	if err == nil || !strings.Contains(err.Error(), "broken write") {
		t.Fatalf("panicking write returned %v, want an error naming the panic", err)
	}
	done := make(chan error, 1)
	go func() { done <- g.commitFor(db, 0, func(*bolt.Tx) error { return nil }) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("write after the panic: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("writes hang after a panic")
	}
}

// TestGroupCommitLeaderReturns: the write that started a run of commits
// returns once its own group is committed, however many writes keep
// arriving behind it.
func TestGroupCommitLeaderReturns(t *testing.T) {
	db := openGroupDB(t)
	var g group
	slow := func(*bolt.Tx) error { time.Sleep(5 * time.Millisecond); return nil }
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 { // a steady stream: always something pending
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				_ = g.commitFor(db, 0, slow)
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	time.Sleep(20 * time.Millisecond)
	for range 5 {
		start := time.Now()
		if err := g.commitFor(db, 0, slow); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took > 500*time.Millisecond {
			t.Fatalf("a write took %s under a steady stream of 5ms commits: held for others' writes", took)
		}
	}
}
