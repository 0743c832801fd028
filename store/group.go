package store

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// maxGroup bounds how many timeline writes share one transaction, so that
// one commit's pages stay a modest write.
const maxGroup = 256

// group commits timeline writes together: one transaction, one fsync for
// every write that arrived while the previous commit was running.
//
// bbolt's own Batch does this with a timer: a batch commits when it is
// full or some time after its first write. Under HTTP load that made many
// small batches (about 14 writes each with 128 clients) that then queued
// one behind the other for the writer lock, each paying a whole commit
// and fsync. Here nothing waits on a timer: a write with no commit
// running commits at once, alone; writes that arrive during a commit wait
// for it and then go, all of them, in the next one. The group grows with
// the load by itself.
type group struct {
	mu      sync.Mutex
	pending []*groupCall
	running bool // a goroutine is committing groups
}

type groupCall struct {
	fn   func(*bolt.Tx) error
	done chan error
}

// run runs the call's function, turning a panic into its error: the
// function runs on whichever goroutine commits the group, and a panic
// there would leave the other writes of the group without an answer.
func (c *groupCall) run(tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("timeline write panicked: %v", p)
		}
	}()
	return c.fn(tx)
}

// errSolo marks the function whose failure rolled back a group.
type errSolo struct {
	call *groupCall
	err  error
}

func (e errSolo) Error() string { return fmt.Sprintf("grouped write failed: %v", e.err) }

// commit runs fn in a durable transaction shared with the writes pending
// alongside it, and returns fn's error. fn may run more than once: when
// another function of its group fails, the group is rolled back and run
// again without it, so fn must only touch tx (and set its results afresh).
func (g *group) commit(db *bolt.DB, fn func(*bolt.Tx) error) error {
	c := &groupCall{fn: fn, done: make(chan error, 1)}
	g.mu.Lock()
	g.pending = append(g.pending, c)
	lead := !g.running
	g.running = true
	g.mu.Unlock()
	if lead {
		// The caller that finds no commit running commits the first group,
		// which holds its own write, and hands the rest to a goroutine of
		// their own: its request must not wait on other people's writes.
		if g.step(db) {
			go g.run(db)
		}
	}
	return <-c.done
}

// run commits pending groups until there are none.
func (g *group) run(db *bolt.DB) {
	for {
		// Let the writers just woken, and the requests waiting for a CPU,
		// run first: their next writes then join the coming group instead
		// of the one after it. Bigger groups share the commit's page writes
		// and fsyncs more widely; under HTTP load this cut CPU time per
		// timeline write by about a fifth.
		runtime.Gosched()
		if !g.step(db) {
			return
		}
	}
}

// step commits the next group and reports whether more are pending. With
// none pending it ends the run: the next write commits at once.
func (g *group) step(db *bolt.DB) (more bool) {
	g.mu.Lock()
	calls := g.pending
	if len(calls) > maxGroup {
		calls = calls[:maxGroup:maxGroup]
		g.pending = g.pending[maxGroup:]
	} else {
		g.pending = nil
	}
	g.mu.Unlock()
	commitGroup(db, calls)
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.pending) == 0 {
		g.running = false
		return false
	}
	return true
}

// commitGroup runs calls in one transaction. A function that fails rolls
// the transaction back; it is then run alone, to report its own error
// from a transaction of its own, and the others are committed again
// without it.
func commitGroup(db *bolt.DB, calls []*groupCall) {
	for len(calls) > 0 {
		err := db.Update(func(tx *bolt.Tx) error {
			for _, c := range calls {
				if err := c.run(tx); err != nil {
					return errSolo{call: c, err: err}
				}
			}
			return nil
		})
		var solo errSolo
		if !errors.As(err, &solo) {
			for _, c := range calls {
				c.done <- err // nil, or a failed commit: every write of the group failed
			}
			return
		}
		solo.call.done <- db.Update(solo.call.run)
		rest := calls[:0:0]
		for _, c := range calls {
			if c != solo.call {
				rest = append(rest, c)
			}
		}
		calls = rest
	}
}
