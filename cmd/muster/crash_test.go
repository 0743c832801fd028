package main

// Durability of the real binary (PRODUCT.md, Storage and Reminders): what
// the bot acknowledged is on disk, a crash or a restart loses no timeline
// entry and no reminder, Slack's retries never duplicate an entry, and
// SIGTERM finishes the work in flight and exits 0. See process_test.go for
// the child-process harness.

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/store"
)

// crashEvents returns n message events with unique ids, timestamps and
// texts.
func crashEvents(prefix string, n int) []procEvent {
	// Slack's ts names a message in its channel, so batches said in the
	// same room need their own: the prefix picks the second they start at.
	h := fnv.New32a()
	h.Write([]byte(prefix))
	start := h.Sum32() % 100000
	evs := make([]procEvent, n)
	for i := range evs {
		evs[i] = procEvent{
			ID:   fmt.Sprintf("Ev%s%05d", prefix, i),
			TS:   fmt.Sprintf("17%05d%03d.%06d", start, i/1000, i%1000),
			Text: fmt.Sprintf("%s message %05d", prefix, i),
		}
	}
	return evs
}

// streamResult is what each event's first delivery got.
type streamResult struct {
	acked []bool  // HTTP 200
	errs  []error // no answer at all (connection refused or reset)
	codes []int   // the status, when there was one
}

func (r streamResult) ackedCount() int {
	n := 0
	for _, a := range r.acked {
		if a {
			n++
		}
	}
	return n
}

// stream sends evs to p from senders goroutines (sender k sends the
// events k, k+senders, ...) and records which were acknowledged. When
// triggerAt events have been acknowledged, trigger runs once, on its own
// goroutine, while the senders go on.
func stream(p *musterProc, room string, evs []procEvent, senders, triggerAt int, trigger func()) streamResult {
	res := streamResult{acked: make([]bool, len(evs)), errs: make([]error, len(evs)), codes: make([]int, len(evs))}
	var (
		acks      atomic.Int64
		once      sync.Once
		wg        sync.WaitGroup
		triggered sync.WaitGroup
	)
	for k := 0; k < senders; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := k; i < len(evs); i += senders {
				code, err := p.message(evs[i], "UALICE", room, 0)
				res.codes[i], res.errs[i] = code, err
				if err != nil || code != http.StatusOK {
					continue
				}
				res.acked[i] = true
				if acks.Add(1) == int64(triggerAt) && trigger != nil {
					once.Do(func() {
						triggered.Add(1)
						go func() { defer triggered.Done(); trigger() }()
					})
				}
			}
		}()
	}
	wg.Wait()
	triggered.Wait()
	return res
}

// messageTexts counts the message entries of incident id by text, reading
// the store file directly (the process must have released it).
func messageTexts(t *testing.T, path string, id int) map[string]int {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatalf("open the store after the process ended: %v", err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	}()
	tl, err := db.Timeline(context.Background(), id)
	if err != nil {
		t.Fatalf("read timeline: %v", err)
	}
	counts := map[string]int{}
	for _, e := range tl {
		if e.Kind == muster.EntryMessage {
			counts[e.Text]++
		}
	}
	return counts
}

// TestCrashLosesNothing SIGKILLs muster in the middle of a stream of
// message events, restarts it on the same store and lets "Slack" retry
// what was not acknowledged, plus some duplicates of what was: every
// acknowledged message is on disk at the crash, and after the retries
// every message is in the timeline exactly once.
func TestCrashLosesNothing(t *testing.T) {
	h := newMusterHost(t, "")
	p1 := h.start()
	room := h.declareAndWaitRoom(p1, "declare sev2 Crash test", "inc-1-crash-test")

	const total, senders = 400, 8
	evs := crashEvents("crash", total)
	start := time.Now()
	first := stream(p1, room, evs, senders, total/2, p1.kill)
	p1.kill() // in case the trigger never ran (it did if half were acked)
	acked := first.ackedCount()
	t.Logf("first run: %d of %d events acknowledged before SIGKILL, %d unanswered, in %s",
		acked, total, total-acked, time.Since(start).Round(time.Millisecond))
	if acked < total/2 {
		for i, err := range first.errs {
			if err != nil || first.codes[i] != http.StatusOK {
				t.Fatalf("only %d events acknowledged before the kill; event %d got HTTP %d, %v", acked, i, first.codes[i], err)
			}
		}
	}
	for i, c := range first.codes {
		if first.errs[i] == nil && c != http.StatusOK {
			t.Errorf("event %d answered HTTP %d before the crash, want 200 or no answer", i, c)
		}
	}

	// At the crash: everything acknowledged is on disk, once; some of the
	// unanswered ones may be too (written, then killed before the ack).
	atCrash := messageTexts(t, h.storePath, 1)
	writtenNotAcked := 0
	for i, ev := range evs {
		switch n := atCrash[ev.Text]; {
		case first.acked[i] && n != 1:
			t.Errorf("acknowledged %s (%s) is %d times in the store after SIGKILL, want 1", ev.ID, ev.Text, n)
		case !first.acked[i] && n > 1:
			t.Errorf("unacknowledged %s is %d times in the store after SIGKILL", ev.ID, n)
		case !first.acked[i] && n == 1:
			writtenNotAcked++
		}
	}
	t.Logf("at the crash: %d message entries on disk; %d of them were written but never acknowledged", len(atCrash), writtenNotAcked)

	// Restart and retry as Slack does: every unacknowledged event again
	// with X-Slack-Retry-Num: 1, and every fifth acknowledged one too (a
	// retry whose first ack was lost on the way).
	p2 := h.start()
	resent, dups := 0, 0
	for i, ev := range evs {
		if first.acked[i] && i%5 != 0 {
			continue
		}
		code, err := p2.message(ev, "UALICE", room, 1)
		if err != nil || code != http.StatusOK {
			t.Errorf("retry of %s after the restart: HTTP %d, %v", ev.ID, code, err)
		}
		if first.acked[i] {
			dups++
		} else {
			resent++
		}
	}
	t.Logf("after the restart: %d unacknowledged events retried, %d acknowledged ones sent again", resent, dups)
	if code, took := p2.terminate(15 * time.Second); code != 0 {
		t.Errorf("after SIGTERM the restarted process exited %d (in %s), want 0", code, took)
	}

	final := messageTexts(t, h.storePath, 1)
	want := map[string]bool{}
	for _, ev := range evs {
		want[ev.Text] = true
		if n := final[ev.Text]; n != 1 {
			t.Errorf("%s (%s) is %d times in the timeline, want exactly 1", ev.ID, ev.Text, n)
		}
	}
	for text, n := range final {
		if !want[text] {
			t.Errorf("unexpected message entry %q (%d times)", text, n)
		}
	}
}

// TestRemindersFireOnceAfterRestart: a SEV1 with a 2 s cadence comes due
// several times over while muster is down; the restarted bot sends one
// reminder for it, not one per missed period, and the schedule survived
// the crash (it was rebuilt from the store).
func TestRemindersFireOnceAfterRestart(t *testing.T) {
	const cadence = 2 * time.Second
	h := newMusterHost(t, "severities:\n  - name: SEV1\n    update_every: 2s\n  - name: SEV2\n    update_every: 1h\ndefault_severity: SEV2\nreminders:\n  tick: 1s\n")
	p1 := h.start()
	declared := time.Now()
	room := h.declareAndWaitRoom(p1, "declare sev1 Reminder test", "inc-1-reminder-test")
	p1.kill()
	if up := time.Since(declared); up >= cadence {
		t.Logf("the first process lived %s, longer than the cadence; it may have sent a reminder itself", up)
	}
	before := len(procMessagesWith(h.fake, room, "needs a status update"))
	before += len(procMessagesWith(h.fake, room, "without a status update"))

	// Down for 3.5 cadence periods.
	time.Sleep(7 * time.Second)

	p2 := h.start()
	restarted := time.Now()
	reminders := func() int {
		return len(procMessagesWith(h.fake, room, "needs a status update")) + len(procMessagesWith(h.fake, room, "without a status update")) - before
	}
	// The first tick runs as the bot starts.
	procWait(t, 5*time.Second, "the overdue reminder is sent after the restart", func() bool { return reminders() > 0 })
	firstAt := time.Since(restarted)
	// The next one is owed a cadence after this one; for most of that
	// cadence there must be exactly one.
	time.Sleep(cadence / 2)
	if n := reminders(); n != 1 {
		for _, m := range h.fake.Messages(room) {
			t.Logf("room message %s: %q", m.TS, m.Text)
		}
		t.Fatalf("%d reminders within %s of the restart, want 1 (once, not once per missed period)", n, firstAt+cadence/2)
	}
	if m := procMessagesWith(h.fake, room, "needs a status update"); len(m) == 0 || !strings.Contains(m[len(m)-1].Text, "<@UALICE>") {
		t.Errorf("the reminder is not the first-level one mentioning the declarer: %+v", m)
	}
	t.Logf("one reminder %s after the restart, none more in the next %s", firstAt.Round(time.Millisecond), cadence/2)
	// The schedule goes on from there: the next reminder a cadence later.
	procWait(t, 2*cadence, "the next reminder, a cadence after the first", func() bool { return reminders() >= 2 })
	if code, took := p2.terminate(15 * time.Second); code != 0 {
		t.Errorf("after SIGTERM the process exited %d (in %s), want 0", code, took)
	}

	// The timeline agrees with the room: one reminder entry.
	db, err := store.Open(h.storePath)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	defer db.Close()
	tl, err := db.Timeline(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	entries := 0
	for _, e := range tl {
		if e.Kind == muster.EntryReminder || e.Kind == muster.EntryEscalation {
			entries++
		}
	}
	if sent := reminders() + before; entries != sent || sent < 2 {
		t.Errorf("%d reminder entries in the timeline, %d reminders posted (want equal, and at least 2)", entries, sent)
	}
}

// TestGracefulShutdown sends SIGTERM in the middle of a stream of message
// events: muster exits 0 within 15 s, every acknowledged event is in the
// store, and the store opens cleanly afterwards.
func TestGracefulShutdown(t *testing.T) {
	h := newMusterHost(t, "")
	p := h.start()
	room := h.declareAndWaitRoom(p, "declare sev2 Shutdown test", "inc-1-shutdown-test")

	const total, senders = 400, 8
	evs := crashEvents("term", total)
	var termSent atomic.Bool
	start := time.Now()
	res := stream(p, room, evs, senders, total/2, func() {
		if err := p.sigterm(); err != nil {
			t.Error(err)
		}
		termSent.Store(true)
	})
	if !termSent.Load() {
		t.Fatalf("only %d of %d events acknowledged, SIGTERM never sent", res.ackedCount(), total)
	}
	code, took := p.waitExit(15 * time.Second)
	if code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0\n%s", code, p.stderr.String())
	}
	acked := res.ackedCount()
	t.Logf("%d of %d events acknowledged; the process exited %s after the stream ended (stream took %s)",
		acked, total, took.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	for i, c := range res.codes {
		if res.errs[i] == nil && c != http.StatusOK {
			t.Errorf("event %d answered HTTP %d during shutdown, want 200 or no answer", i, c)
		}
	}

	stored := messageTexts(t, h.storePath, 1) // fails when the lock was left behind
	for i, ev := range evs {
		n := stored[ev.Text]
		if res.acked[i] && n != 1 {
			t.Errorf("acknowledged %s is %d times in the store, want 1", ev.ID, n)
		}
		if n > 1 {
			t.Errorf("%s is %d times in the store", ev.ID, n)
		}
	}
}

// TestReminderSurvivesCrashDuringSend kills muster while it is posting a
// reminder (the post is held by a proxy in front of the fake Slack, so it
// never reaches the room). The restarted bot must still owe that reminder
// and send it at its first tick, not a whole cadence later (the claim is
// left pending in the store, and a new process posts pending reminders).
func TestReminderSurvivesCrashDuringSend(t *testing.T) {
	const cadence = 3 * time.Second
	h := newMusterHost(t, "severities:\n  - name: SEV1\n    update_every: 3s\n  - name: SEV2\n    update_every: 1h\ndefault_severity: SEV2\nreminders:\n  tick: 1s\n")
	proxy := newHoldingProxy(t, h.fake, "needs a status update")
	h.apiURL = proxy.URL()
	p1 := h.start()
	room := h.declareAndWaitRoom(p1, "declare sev1 Reminder crash test", "inc-1-reminder-crash-test")
	proxy.armed.Store(true)
	select {
	case <-proxy.held:
	case <-time.After(cadence + 5*time.Second):
		t.Fatal("no reminder was posted within a cadence and a few ticks")
	}
	claimed := time.Now() // the reminder is being posted: the tick has claimed it
	p1.kill()
	proxy.armed.Store(false)
	if n := len(procMessagesWith(h.fake, room, "needs a status update")); n != 0 {
		t.Fatalf("%d reminders reached the room before the crash; the proxy should have held them", n)
	}

	p2 := h.start()
	// The next reminder of the schedule comes a cadence after the claim;
	// the one lost in the crash is owed before that.
	deadline := claimed.Add(cadence - 500*time.Millisecond)
	for len(procMessagesWith(h.fake, room, "needs a status update")) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := len(procMessagesWith(h.fake, room, "needs a status update"))
	if code, _ := p2.terminate(15 * time.Second); code != 0 {
		t.Errorf("after SIGTERM the process exited %d, want 0", code)
	}
	if got == 0 {
		db, err := store.Open(h.storePath)
		if err == nil {
			inc, _ := db.Incident(context.Background(), 1)
			if inc != nil {
				t.Logf("stored reminder state: %+v", inc.Reminder)
			}
			db.Close()
		}
		t.Errorf("the reminder being posted when muster was killed was not sent after the restart (%s after the claim): it was claimed in the store before the post and the claim outlived the crash", time.Since(claimed).Round(time.Millisecond))
	}
}
