package etcdtest_test

import (
	"context"
	"slices"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/muster-bot/muster/internal/etcdtest"
)

// The cluster loses its leader to a crash, keeps taking writes, and takes
// the member back, which then serves what was written while it was down.
func TestClusterSurvivesLosingTheLeader(t *testing.T) {
	c := etcdtest.Start(t, 3)
	prefix := c.Prefix(t)
	cli := client(t, c.Endpoints()...)
	put(t, cli, prefix+"before", "1")

	// Killing the leader, not any member, is what makes the others elect.
	leader := leaderIndex(t, cli, c.Endpoints())
	c.Kill(leader)
	start := time.Now()
	put(t, cli, prefix+"during", "2")
	t.Logf("first write after killing the leader took %v", time.Since(start))

	c.Restart(leader)
	alone := client(t, c.Endpoints()[leader])
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := alone.Get(ctx, prefix, clientv3.WithPrefix()) // linearizable: goes through the leader
	if err != nil {
		t.Fatalf("read from the restarted member: %v", err)
	}
	var got []string
	for _, kv := range resp.Kvs {
		got = append(got, string(kv.Key)+"="+string(kv.Value))
	}
	if want := []string{prefix + "before=1", prefix + "during=2"}; !slices.Equal(got, want) {
		t.Errorf("restarted member has %q, want %q", got, want)
	}
}

func TestStopAndRestart(t *testing.T) {
	c := etcdtest.Start(t, 1)
	cli := client(t, c.Endpoints()...)
	key := c.Prefix(t) + "k"
	put(t, cli, key, "v")
	c.Stop(0)
	c.Restart(0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := cli.Get(ctx, key)
	if err != nil {
		t.Fatalf("read after restart: %v", err)
	}
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v" {
		t.Errorf("after restart %s = %v, want v", key, resp.Kvs)
	}
}

func TestPrefixIsFresh(t *testing.T) {
	var c *etcdtest.Cluster // Prefix needs no running cluster
	a, b := c.Prefix(t), c.Prefix(t)
	if a == b {
		t.Errorf("two prefixes are both %q", a)
	}
}

func client(t testing.TB, endpoints ...string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: 2 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		t.Fatalf("etcd client for %v: %v", endpoints, err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// put writes key, retrying for a few seconds. A write sent while there is
// no leader is held by etcd 3.4 for about six seconds before it fails, even
// though a new leader is elected within one; short attempts get through as
// soon as there is one.
func put(t testing.TB, cli *clientv3.Client, key, value string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		_, err := cli.Put(ctx, key, value)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("put %s: %v", key, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func leaderIndex(t testing.TB, cli *clientv3.Client, endpoints []string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i, ep := range endpoints {
		st, err := cli.Status(ctx, ep)
		if err != nil {
			t.Fatalf("status of %s: %v", ep, err)
		}
		if st.Leader == st.Header.MemberId {
			return i
		}
	}
	t.Fatalf("no member of %v is the leader", endpoints)
	return -1
}
