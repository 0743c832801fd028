package main

// High availability on etcd: two muster replicas, one fake Slack, a real
// 3-member etcd cluster on loopback (internal/etcdtest). Any replica takes
// any request; the same event delivered to both is recorded once; one
// replica (the elected leader) sends the reminders, and when it dies the
// other sends the next one on time, and none twice; losing an etcd member
// stops nothing; restarting everything loses nothing.

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/internal/etcdtest"
	"github.com/muster-bot/muster/store/etcd"
)

// haLeaderTTL is the replicas' leader_ttl: how long a dead leader keeps
// the lead.
const haLeaderTTL = 2 * time.Second

func newHAHost(t *testing.T, c *etcdtest.Cluster, extraYAML string) (*musterHost, string) {
	t.Helper()
	h := newMusterHost(t, extraYAML)
	prefix := c.Prefix(t)
	h.storeYAML = fmt.Sprintf("store:\n  backend: etcd\n  etcd:\n    endpoints: [%s]\n    prefix: %s\n    leader_ttl: %s\n    dial_timeout: 3s\n",
		strings.Join(c.Endpoints(), ", "), prefix, haLeaderTTL)
	return h, prefix
}

// haTimeline reads incident id's timeline straight from the cluster.
func haTimeline(t *testing.T, c *etcdtest.Cluster, prefix string, id int) []muster.Entry {
	t.Helper()
	db, err := etcd.Open(context.Background(), etcd.Config{Endpoints: c.Endpoints(), Prefix: prefix, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("open the etcd store: %v", err)
	}
	defer db.Close()
	tl, err := db.Timeline(context.Background(), id)
	if err != nil {
		t.Fatalf("read timeline: %v", err)
	}
	return tl
}

func countTexts(tl []muster.Entry, kind muster.EntryKind) map[string]int {
	counts := map[string]int{}
	for _, e := range tl {
		if e.Kind == kind {
			counts[e.Text]++
		}
	}
	return counts
}

// leading reports whether p's log says it leads now.
func leading(p *musterProc) bool {
	log := p.stderr.String()
	return strings.LastIndex(log, "leading: running reminders") > strings.LastIndex(log, "no longer leading")
}

// TestHAReplicas is the whole story on one cluster, in order.
func TestHAReplicas(t *testing.T) {
	const cadence = 3 * time.Second
	c := etcdtest.Start(t, 3)
	h, prefix := newHAHost(t, c, "severities:\n  - name: SEV1\n    update_every: 3s\n  - name: SEV2\n    update_every: 1h\ndefault_severity: SEV2\nreminders:\n  tick: 1s\n  no_ic_after: 0s\n"+
		"postmortem:\n  share_channel: CPOSTMORTEMS\n")
	h.fake.AddChannel("CPOSTMORTEMS", "postmortems", false)
	a, b := h.start(), h.start()
	procs := []*musterProc{a, b}

	// Declared through one replica, the war room is known to both.
	room := h.declareAndWaitRoom(a, "declare sev2 Replicated checkout outage", "inc-1-replicated-checkout-outage")
	if code, err := b.command(h.fake, "UALICE", room, "status identified"); err != nil || code != http.StatusOK {
		t.Fatalf("a command through the other replica: HTTP %d, %v", code, err)
	}

	// Every event goes to both replicas at once, as when Slack retries an
	// event at a second replica behind the load balancer.
	evs := crashEvents("ha", 60)
	var wg sync.WaitGroup
	for i, ev := range evs {
		for k, p := range procs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if code, err := p.message(ev, "UBOB", room, k); err != nil || code != http.StatusOK {
					t.Errorf("event %d to %s: HTTP %d, %v", i, p.name, code, err)
				}
			}()
		}
	}
	wg.Wait()
	counts := countTexts(haTimeline(t, c, prefix, 1), muster.EntryMessage)
	for _, ev := range evs {
		if counts[ev.Text] != 1 {
			t.Errorf("%s is %d times in the timeline after reaching both replicas, want 1", ev.ID, counts[ev.Text])
		}
	}

	// One replica leads, and says so in its log and /metrics.
	var leader, follower *musterProc
	procWait(t, 5*time.Second, "one replica leads", func() bool {
		switch {
		case leading(a) && !leading(b):
			leader, follower = a, b
		case leading(b) && !leading(a):
			leader, follower = b, a
		}
		return leader != nil
	})
	if sum := scrape(t, a.url)["muster_leader"] + scrape(t, b.url)["muster_leader"]; sum != 1 {
		t.Errorf("muster_leader summed over the replicas is %v, want 1", sum)
	}
	// The raise to SEV1 starts a 3 s cadence.
	if code, err := follower.command(h.fake, "UALICE", room, "severity sev1"); err != nil || code != http.StatusOK {
		t.Fatalf("severity sev1: HTTP %d, %v", code, err)
	}
	posted := func() int {
		return len(procMessagesWith(h.fake, room, "needs a status update")) + len(procMessagesWith(h.fake, room, "without a status update"))
	}
	// When each reminder was claimed, from its timeline entry: it is
	// recorded once the post went out.
	reminderTimes := func() []time.Time {
		var at []time.Time
		for _, e := range haTimeline(t, c, prefix, 1) {
			if e.Kind == muster.EntryReminder || e.Kind == muster.EntryEscalation {
				at = append(at, e.At)
			}
		}
		return at
	}
	procWait(t, cadence+3*time.Second, "the leader sends the first reminder and records it", func() bool { return len(reminderTimes()) >= 1 })
	first := reminderTimes()[0]

	// The leader dies after its first reminder; the follower must send the
	// next one on time: a cadence after the first, late by no more than
	// the leader TTL and a tick.
	leader.kill()
	killedAt := time.Now()
	procWait(t, cadence+haLeaderTTL+3*time.Second, "the other replica sends the next reminder", func() bool { return len(reminderTimes()) >= 2 })
	second := reminderTimes()[1]
	if late := second.Sub(first) - cadence; late > haLeaderTTL+1500*time.Millisecond {
		t.Errorf("the reminder after the failover came %s after the first, %s late (allowed: TTL %s and a tick)", second.Sub(first), late, haLeaderTTL)
	}
	t.Logf("leader killed %s after its first reminder; the other replica's came %s after the first (cadence %s)",
		killedAt.Sub(first).Round(time.Millisecond), second.Sub(first).Round(time.Millisecond), cadence)
	if !leading(follower) || scrape(t, follower.url)["muster_leader"] != 1 {
		t.Error("the surviving replica does not say it leads (log and muster_leader)")
	}

	// Kill one etcd member: the surviving replica goes on.
	c.Kill(0)
	more := crashEvents("member-down", 20)
	for i, ev := range more {
		if code, err := follower.message(ev, "UCAROL", room, 0); err != nil || code != http.StatusOK {
			t.Fatalf("event %d with an etcd member down: HTTP %d, %v", i, code, err)
		}
	}
	if code, err := follower.command(h.fake, "UALICE", room, "update Payments failed over; error rate falling"); err != nil || code != http.StatusOK {
		t.Fatalf("update with an etcd member down: HTTP %d, %v", code, err)
	}
	resp, err := follower.client.Get(follower.url + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz with two of three etcd members: %v %v", resp, err)
	}
	if resp != nil {
		resp.Body.Close()
	}
	// Let a reminder or two more go out, then check none went out twice:
	// consecutive reminders are a cadence apart, never closer.
	procWait(t, 2*cadence+haLeaderTTL, "reminders go on", func() bool { return len(reminderTimes()) >= 3 })
	at := reminderTimes()
	for i := 1; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap < cadence-500*time.Millisecond {
			t.Errorf("reminders %d and %d only %s apart (cadence %s): one was sent twice", i, i+1, gap, cadence)
		}
	}

	// Restart everything: the bot, then every etcd member.
	follower.kill()
	for i := 1; i < 3; i++ {
		c.Stop(i)
	}
	c.RestartAll()
	p := h.start()
	tl := haTimeline(t, c, prefix, 1)
	counts = countTexts(tl, muster.EntryMessage)
	for _, ev := range append(evs, more...) {
		if counts[ev.Text] != 1 {
			t.Errorf("after restarting everything %s is %d times in the timeline, want 1", ev.ID, counts[ev.Text])
		}
	}
	reminderEntries := 0
	for _, e := range tl {
		if e.Kind == muster.EntryReminder || e.Kind == muster.EntryEscalation {
			reminderEntries++
		}
	}
	if n := posted(); reminderEntries != n {
		t.Errorf("%d reminder entries in the timeline, %d reminders posted: want one entry per reminder", reminderEntries, n)
	}
	if code, err := p.command(h.fake, "UALICE", room, "resolve"); err != nil || code != http.StatusOK {
		t.Fatalf("resolve after the restart: HTTP %d, %v", code, err)
	}
	procWait(t, 10*time.Second, "the postmortem is uploaded after the restart", func() bool {
		for _, f := range h.fake.Files() {
			if f.Name == "INC-1-postmortem.md" && f.Completed && strings.Contains(string(f.Content), "Payments failed over") {
				return true
			}
		}
		return false
	})

	// Two replicas again: the review is proposed once, and the published
	// postmortem is shared once, whichever replica took the command.
	q := h.start()
	procWait(t, 10*time.Second, "the review is proposed", func() bool { return len(procMessagesWith(h.fake, room, "Postmortem review of INC-1")) > 0 })
	if code, err := q.command(h.fake, "UALICE", room, "postmortem publish"); err != nil || code != http.StatusOK {
		t.Fatalf("postmortem publish: HTTP %d, %v", code, err)
	}
	procWait(t, 10*time.Second, "the postmortem is shared", func() bool { return len(procMessagesWith(h.fake, "CPOSTMORTEMS", "Postmortem: INC-1")) > 0 })
	time.Sleep(3 * time.Second) // three more ticks of each replica: nothing more may come
	if n := len(procMessagesWith(h.fake, "CPOSTMORTEMS", "Postmortem: INC-1")); n != 1 {
		t.Errorf("the postmortem was shared %d times by two replicas, want once", n)
	}
	if n := len(procMessagesWith(h.fake, room, "Postmortem review of INC-1")); n != 1 {
		t.Errorf("the review was proposed %d times by two replicas, want once", n)
	}
	for _, r := range []*musterProc{p, q} {
		if code, took := r.terminate(15 * time.Second); code != 0 {
			t.Errorf("SIGTERM: exit %d after %s, want 0", code, took)
		}
	}
}
