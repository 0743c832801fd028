// Package etcdtest starts real etcd clusters on loopback for tests. The etcd
// store promises that muster survives losing a replica, and only a real
// cluster losing a real process can show that.
//
// It runs the etcd server binary (Debian's etcd-server package, etcd 3.4),
// found as $MUSTER_ETCD_BIN, else "etcd" on PATH, else /usr/bin/etcd. Members
// listen on random 127.0.0.1 ports, never etcd's default 2379 and 2380, so a
// host's own etcd is left alone.
//
// A test that wants its own cluster calls Start. A package whose tests share
// one cluster starts it in TestMain:
//
//	var cluster *etcdtest.Cluster // nil when etcd is not installed
//
//	func TestMain(m *testing.M) {
//		c, stop, err := etcdtest.StartMain(3)
//		if err != nil && !errors.Is(err, etcdtest.ErrNotInstalled) {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//		cluster = c
//		code := m.Run()
//		stop()
//		os.Exit(code)
//	}
//
// and each test skips when cluster is nil and takes its own c.Prefix(t).
//
// StartTLS starts a cluster that serves its clients on https, for tests of
// certificates and client-certificate authentication.
package etcdtest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// startTimeout bounds how long a cluster, or one restarted member, may take
// to report healthy. Three members on loopback take a fraction of a second.
const startTimeout = 15 * time.Second

// Cluster is an etcd cluster on 127.0.0.1 in a temporary directory.
type Cluster struct {
	// t is the test that started the cluster, failed when Kill, Stop or
	// Restart go wrong; nil for StartMain, whose clusters panic instead.
	t testing.TB

	bin            string
	token          string
	initialCluster string
	members        []*member

	mu sync.Mutex // one Kill, Stop or Restart at a time
}

// Start starts a cluster of n members and registers t.Cleanup to stop it.
// Without an etcd binary it skips the test, or fails it when
// MUSTER_REQUIRE_ETCD=1 (set in CI, so these tests cannot silently skip).
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	return startTB(t, n, nil)
}

// startTB is Start, and StartTLS when files is not nil.
func startTB(t testing.TB, n int, files *TLSFiles) *Cluster {
	t.Helper()
	bin, err := findBinary(os.Getenv, defaultPath)
	if err != nil {
		if !errors.Is(err, ErrNotInstalled) {
			t.Fatal(err)
		}
		if os.Getenv(requireEnv) == "1" {
			t.Fatalf("%s=1: %v", requireEnv, err)
		}
		noteSkipped(testing.Verbose())
		t.Skip(err)
	}
	c, err := start(bin, t.TempDir(), n, files)
	if err != nil {
		t.Fatal(err)
	}
	c.t = t
	t.Cleanup(func() {
		c.stopAll()
		if t.Failed() {
			// The temp dir, logs included, is about to be removed.
			for _, m := range c.members {
				t.Logf("etcd member %s log, last lines:\n%s", m.name, m.logTail())
			}
		}
	})
	return c
}

// StartMain is Start for TestMain, where there is no testing.TB. The stop
// func kills the members and removes their directory; it is never nil.
// Without an etcd binary the error wraps ErrNotInstalled, unless
// MUSTER_REQUIRE_ETCD=1, when it does not, so a caller that runs its tests
// (to skip) on ErrNotInstalled fails instead. Kill, Stop and Restart panic
// on a cluster from StartMain when they fail.
func StartMain(n int) (*Cluster, func(), error) {
	nop := func() {}
	bin, err := findBinary(os.Getenv, defaultPath)
	if err != nil {
		if errors.Is(err, ErrNotInstalled) && os.Getenv(requireEnv) == "1" {
			return nil, nop, fmt.Errorf("%s=1: %s", requireEnv, err)
		}
		if errors.Is(err, ErrNotInstalled) {
			// Before m.Run the test flags are not parsed, and -v unknown.
			noteSkipped(flag.Parsed() && testing.Verbose())
		}
		return nil, nop, err
	}
	dir, err := os.MkdirTemp("", "muster-etcdtest-")
	if err != nil {
		return nil, nop, fmt.Errorf("create etcd cluster directory: %w", err)
	}
	c, err := start(bin, dir, n, nil)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nop, err
	}
	return c, func() {
		c.stopAll()
		os.RemoveAll(dir)
	}, nil
}

// start starts a cluster in dir, serving its clients with files unless
// that is nil, once more if a member exits while starting: the ports are
// free when picked, and another process may take one before etcd binds
// it, which etcd does not survive. A member that is merely slow is not
// retried; that would only double the wait.
func start(bin, dir string, n int, files *TLSFiles) (*Cluster, error) {
	if n < 1 {
		return nil, fmt.Errorf("start etcd cluster: %d members, want at least 1", n)
	}
	var clientTLS *tls.Config
	if files != nil {
		var err error
		if clientTLS, err = files.clientConfig(); err != nil {
			return nil, fmt.Errorf("start etcd cluster: %w", err)
		}
	}
	c, err := startOnce(bin, filepath.Join(dir, "try1"), n, files, clientTLS)
	if errors.Is(err, errExited) {
		first := err
		c, err = startOnce(bin, filepath.Join(dir, "try2"), n, files, clientTLS)
		if err != nil {
			err = errors.Join(first, fmt.Errorf("and again: %w", err))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("start etcd cluster (%d members): %w", n, err)
	}
	return c, nil
}

func startOnce(bin, dir string, n int, files *TLSFiles, clientTLS *tls.Config) (*Cluster, error) {
	ports, err := freePorts(2 * n)
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin, token: "muster-test-" + randomHex()}
	peers := make([]string, n)
	for i := range n {
		m := newMember(dir, i, ports[2*i], ports[2*i+1], files, clientTLS)
		c.members = append(c.members, m)
		peers[i] = m.name + "=" + m.peerURL
	}
	c.initialCluster = strings.Join(peers, ",")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create etcd cluster directory: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	// One at a time, each once the one before serves its peer port. Before
	// a new member starts raft, etcd 3.4 asks every other peer whether it
	// already joined, one after the other, waiting up to a second for each;
	// a peer that is listening but still busy asking the same question
	// makes it wait the whole second. Started in turn, every peer either
	// answers or refuses the connection at once, and three members are
	// healthy in a fraction of a second instead of up to two and a half.
	for _, m := range c.members {
		if err := m.start(c.bin, c.initialCluster, c.token, "new"); err != nil {
			c.stopAll()
			return nil, err
		}
		if err := m.waitPeer(ctx); err != nil {
			c.stopAll()
			return nil, err
		}
	}
	if err := waitHealthy(ctx, c.members); err != nil {
		c.stopAll()
		return nil, err
	}
	return c, nil
}

// Endpoints returns the client URLs of all members, "http://127.0.0.1:PORT",
// or https for a cluster from StartTLS, stopped ones included: a client is
// given them all, as in production.
func (c *Cluster) Endpoints() []string {
	urls := make([]string, len(c.members))
	for i, m := range c.members {
		urls[i] = m.clientURL
	}
	return urls
}

// Kill sends member i SIGKILL, a crash, and waits for it to exit.
func (c *Cluster) Kill(i int) {
	c.helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.member(i)
	if err := m.kill(); err != nil {
		c.fatalf("kill etcd member %d: %v", i, err)
	}
}

// Stop sends member i SIGTERM, a clean shutdown, and waits for it to exit.
func (c *Cluster) Stop(i int) {
	c.helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.member(i)
	if err := m.stop(); err != nil {
		c.fatalf("stop etcd member %d: %v", i, err)
	}
}

// Restart starts the killed or stopped member i again, with its data
// directory and ports, and waits until it is healthy: back in the cluster,
// with a leader, serving linearizable reads.
func (c *Cluster) Restart(i int) {
	c.helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.member(i)
	if m.running() {
		c.fatalf("restart etcd member %d: it is running", i)
	}
	if err := m.start(c.bin, c.initialCluster, c.token, "existing"); err != nil {
		c.fatalf("restart etcd member %d: %v", i, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := waitHealthy(ctx, []*member{m}); err != nil {
		m.kill()
		c.fatalf("restart etcd member %d: %v", i, err)
	}
}

// RestartAll starts every stopped or killed member again, together, and
// waits until all are healthy: after a whole-cluster outage no member can
// become healthy alone, since that takes a quorum.
func (c *Cluster) RestartAll() {
	c.helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var started []*member
	for i, m := range c.members {
		if m.running() {
			continue
		}
		if err := m.start(c.bin, c.initialCluster, c.token, "existing"); err != nil {
			c.fatalf("restart etcd member %d: %v", i, err)
		}
		started = append(started, m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := waitHealthy(ctx, started); err != nil {
		c.fatalf("restart the etcd cluster: %v", err)
	}
}

// Prefix returns a fresh key prefix, "/muster-test-<random>/", so tests
// sharing a cluster do not see each other's keys.
func (c *Cluster) Prefix(t testing.TB) string {
	t.Helper()
	return "/muster-test-" + randomHex() + "/"
}

func (c *Cluster) member(i int) *member {
	c.helper()
	if i < 0 || i >= len(c.members) {
		c.fatalf("etcd member %d: the cluster has members 0 to %d", i, len(c.members)-1)
	}
	return c.members[i]
}

// stopAll kills every running member. The data goes with the directory, so
// there is nothing a clean shutdown would save.
func (c *Cluster) stopAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.members {
		if m.running() {
			m.kill()
		}
	}
}

func (c *Cluster) helper() {
	if c.t != nil {
		c.t.Helper()
	}
}

func (c *Cluster) fatalf(format string, args ...any) {
	if c.t == nil {
		panic(fmt.Sprintf("etcdtest: "+format, args...))
	}
	c.t.Helper()
	c.t.Fatalf(format, args...)
}

func randomHex() string {
	b := make([]byte, 8)
	rand.Read(b) // never fails: crypto/rand panics rather than return an error
	return hex.EncodeToString(b)
}
