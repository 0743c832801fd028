package store

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// maxGroup bounds how many timeline writes share one transaction, so that
// one commit's pages stay a modest write.
const maxGroup = 256

// A group that would be smaller than smallGroup waits groupWait first,
// so that writes arriving meanwhile join it. Every commit ends in an
// fsync, and a goroutine in fsync keeps its CPU from the rest of the
// process until the runtime takes it back; a sleeping one does not. On
// the project's two CPUs, with commits cheap enough (the message log) to
// run back to back in groups of about ten, this took the load command
// from 0.49 to 0.51–0.59 of the floor, its p99 from 1.6× to 1.35–1.5×.
const (
	smallGroup = 32
	groupWait  = 500 * time.Microsecond
)

// group commits timeline writes together: one transaction, one fsync for
// every write that arrived while the previous commit was running.
//
// bbolt's own Batch does this with a timer: a batch commits when it is
// full or some time after its first write. Under HTTP load that made many
// small batches (about 14 writes each with 128 clients) that then queued
// one behind the other for the writer lock, each paying a whole commit
// and fsync. Here a write with no commit running commits at once, alone;
// writes that arrive during a commit wait for it and then go, all of them,
// in the next one, which waits a moment first only when it would be small
// (groupWait). The group grows with the load by itself.
type group struct {
	mu      sync.Mutex
	pending []*groupCall
	running bool // a goroutine is committing groups
	// wal, when set, takes the new messages of each group (see wal.go);
	// the group's other writes commit in bbolt, after what the log holds
	// of the incidents they write to, in the same transaction.
	wal *wal
}

type groupCall struct {
	fn       func(*bolt.Tx) error
	log      *logAppend // set for a new message the log may take
	incident int        // the incident fn writes to; 0: any (the whole log is applied first)
	path     string     // the store's file, for the error a damaged page raises
	done     chan error
}

// run runs the call's function, turning a panic into its error: the
// function runs on whichever goroutine commits the group, and a panic
// there would leave the other writes of the group without an answer.
func (c *groupCall) run(tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("timeline write: %w", panicError(c.path, p))
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

// commitFor runs fn in a durable transaction shared with the writes
// pending alongside it, and returns fn's error. fn writes to (or reads the
// timeline of) incident id alone; 0 stands for any. fn may run more than
// once: when another function of its group fails, the group is rolled
// back and run again without it, so fn must only touch tx (and set its
// results afresh).
func (g *group) commitFor(db *boltFile, id int, fn func(*bolt.Tx) error) error {
	return g.enqueue(db, &groupCall{fn: fn, incident: id, path: db.path, done: make(chan error, 1)})
}

// commitMessage is commitFor for a new message, which the log may take
// instead of fn: then l holds the answer and l.logged is set.
func (g *group) commitMessage(db *boltFile, l *logAppend, fn func(*bolt.Tx) error) error {
	return g.enqueue(db, &groupCall{fn: fn, log: l, incident: l.id, path: db.path, done: make(chan error, 1)})
}

func (g *group) enqueue(db *boltFile, c *groupCall) error {
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
func (g *group) run(db *boltFile) {
	for {
		// Let the writers just woken, and the requests waiting for a CPU,
		// run first: their next writes then join the coming group instead
		// of the one after it. Bigger groups share the commit's page writes
		// and fsyncs more widely; under HTTP load this cut CPU time per
		// timeline write by about a fifth.
		runtime.Gosched()
		g.mu.Lock()
		small := len(g.pending) < smallGroup
		g.mu.Unlock()
		if small {
			time.Sleep(groupWait)
		}
		if !g.step(db) {
			return
		}
	}
}

// step commits the next group and reports whether more are pending. With
// none pending it ends the run: the next write commits at once.
func (g *group) step(db *boltFile) (more bool) {
	g.mu.Lock()
	calls := g.pending
	if len(calls) > maxGroup {
		calls = calls[:maxGroup:maxGroup]
		g.pending = g.pending[maxGroup:]
	} else {
		g.pending = nil
	}
	g.mu.Unlock()
	g.commitCalls(db, calls)
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.pending) == 0 {
		g.running = false
		return false
	}
	return true
}

// commitCalls commits one group: its new messages through the log, the
// rest (with what the log holds of their incidents) in bbolt.
func (g *group) commitCalls(db *boltFile, calls []*groupCall) {
	w := g.wal
	if w == nil || w.broken {
		commitGroup(db, calls, w)
		return
	}
	var msgs, rest []*groupCall
	for _, c := range calls {
		if c.log != nil {
			msgs = append(msgs, c)
		} else {
			rest = append(rest, c)
		}
	}
	if len(msgs) > 0 {
		err := db.View(func(tx *bolt.Tx) error { return w.log(tx, msgs) })
		if err != nil {
			// What the log holds past its last sync is unknown: it takes
			// no more, and these calls fail (Slack retries them).
			w.broken = true
			for _, c := range msgs {
				c.done <- err
			}
			msgs = nil
		}
		for _, c := range msgs {
			if c.log.bolt {
				rest = append(rest, c)
			} else {
				c.done <- nil
			}
		}
	}
	if len(rest) == 0 && !w.full() {
		return
	}
	commitGroup(db, rest, w)
}

// commitGroup runs calls in one transaction. A function that fails rolls
// the transaction back; it is then run alone, to report its own error
// from a transaction of its own, and the others are committed again
// without it.
func commitGroup(db *boltFile, calls []*groupCall, w *wal) {
	if w != nil && w.count.Load() == 0 {
		w = nil
	}
	if len(calls) == 0 && w == nil {
		return
	}
	// What the log holds of the incidents written to goes first, in every
	// transaction below: a function may read or revise it, and Seqs must
	// follow it. A full log goes whole.
	withLog := func(calls []*groupCall, fn func(*bolt.Tx) error) func(*bolt.Tx) error {
		if w == nil {
			return fn
		}
		all := w.full()
		var ids []int
		for _, c := range calls {
			all = all || c.incident == 0
			ids = append(ids, c.incident)
		}
		return func(tx *bolt.Tx) error {
			if err := w.apply(tx, all, ids); err != nil {
				return err
			}
			return fn(tx)
		}
	}
	committed := func() {
		if w != nil {
			if err := w.committed(); err != nil {
				w.broken = true
			}
		}
	}
	for first := true; first || len(calls) > 0; first = false {
		group := calls
		err := db.Update(withLog(group, func(tx *bolt.Tx) error {
			for _, c := range group {
				if err := c.run(tx); err != nil {
					return errSolo{call: c, err: err}
				}
			}
			return nil
		}))
		var solo errSolo
		if !errors.As(err, &solo) {
			if err == nil {
				committed()
			}
			for _, c := range calls {
				c.done <- err // nil, or a failed commit: every write of the group failed
			}
			return
		}
		soloErr := db.Update(withLog([]*groupCall{solo.call}, solo.call.run))
		if soloErr == nil {
			committed()
		}
		solo.call.done <- soloErr
		rest := calls[:0:0]
		for _, c := range calls {
			if c != solo.call {
				rest = append(rest, c)
			}
		}
		calls = rest
	}
}
