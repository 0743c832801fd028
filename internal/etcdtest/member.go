package etcdtest

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errExited is the error of a member that exited while being waited for.
var errExited = errors.New("exited")

// member is one etcd process, and what it needs to be started again.
type member struct {
	name      string
	dataDir   string
	logPath   string // its stdout and stderr
	clientURL string
	peerURL   string
	tls       *TLSFiles // nil: clients are served plain HTTP

	http *http.Client // for its health and version endpoints

	cmd  *exec.Cmd
	done chan struct{} // closed when cmd.Wait returns; nil before the first start
	exit error         // cmd.Wait's answer, read after done is closed
}

// newMember describes member i. With files it serves clients on https,
// and its health is checked with clientTLS.
func newMember(dir string, i, clientPort, peerPort int, files *TLSFiles, clientTLS *tls.Config) *member {
	name := "m" + strconv.Itoa(i)
	scheme := "http"
	if files != nil {
		scheme = "https"
	}
	return &member{
		name:      name,
		dataDir:   filepath.Join(dir, name+".data"),
		logPath:   filepath.Join(dir, name+".log"),
		clientURL: scheme + "://127.0.0.1:" + strconv.Itoa(clientPort),
		peerURL:   "http://127.0.0.1:" + strconv.Itoa(peerPort),
		tls:       files,
		http: &http.Client{
			// 3.4's /health is a linearizable read: without a leader it
			// takes about a second to say no, and a shorter timeout would
			// hide that answer.
			Timeout: 3 * time.Second,
			Transport: &http.Transport{
				Proxy:             nil, // loopback only, whatever HTTP_PROXY says
				DisableKeepAlives: true,
				TLSClientConfig:   clientTLS, // used for https only: peers stay plain
			},
		},
	}
}

// start runs etcd for m; state is "new" for the cluster's first start and
// "existing" for a restart. With a data directory present etcd 3.4 takes
// the membership from it and ignores both, but "existing" says what is
// meant.
func (m *member) start(bin, initialCluster, token, state string) error {
	log, err := os.OpenFile(m.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open etcd member %s log: %w", m.name, err)
	}
	// etcd has the file now; ours is not needed past Start.
	defer log.Close()
	args := []string{
		"--name=" + m.name,
		"--data-dir=" + m.dataDir,
		"--listen-client-urls=" + m.clientURL,
		"--advertise-client-urls=" + m.clientURL,
		"--listen-peer-urls=" + m.peerURL,
		"--initial-advertise-peer-urls=" + m.peerURL,
		"--initial-cluster=" + initialCluster,
		"--initial-cluster-state=" + state,
		"--initial-cluster-token=" + token,
		// 3.4 logs with capnslog unless told otherwise, and warns that it is deprecated.
		"--logger=zap",
		"--log-level=warn",
		// Half the defaults (100ms, 1s): a new leader about 0.6s after a
		// kill. Shorter would have a loaded CI machine, race detector on,
		// call elections no test asked for.
		"--heartbeat-interval=50",
		"--election-timeout=500",
	}
	if m.tls != nil {
		args = append(args, m.tls.flags()...)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = environ(os.Environ())
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start etcd member %s: %w", m.name, err)
	}
	done := make(chan struct{})
	go func() {
		// Always reaped, however the process ends: no zombies.
		m.exit = cmd.Wait()
		close(done)
	}()
	m.cmd, m.done = cmd, done
	return nil
}

// environ is env without etcd's own variables. etcd reads every flag from
// ETCD_<FLAG> as well, and an ETCD_DATA_DIR or ETCD_LISTEN_CLIENT_URLS in a
// developer's shell must not point a test member at real data or ports.
// ETCD_UNSUPPORTED_ARCH is kept: without it etcd refuses to start on an
// architecture it does not officially support.
func environ(env []string) []string {
	var kept []string
	for _, kv := range env {
		if strings.HasPrefix(kv, "ETCD_") && !strings.HasPrefix(kv, "ETCD_UNSUPPORTED_ARCH=") {
			continue
		}
		kept = append(kept, kv)
	}
	return kept
}

func (m *member) running() bool {
	if m.done == nil {
		return false
	}
	select {
	case <-m.done:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL and waits until the process is reaped.
func (m *member) kill() error {
	if !m.running() {
		return fmt.Errorf("member %s is not running", m.name)
	}
	if err := m.cmd.Process.Kill(); err != nil && m.running() {
		return fmt.Errorf("kill member %s: %w", m.name, err)
	}
	<-m.done
	return nil
}

// stop sends SIGTERM and waits for a clean exit; after 10 seconds it kills.
func (m *member) stop() error {
	if !m.running() {
		return fmt.Errorf("member %s is not running", m.name)
	}
	if err := m.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		// No SIGTERM on this platform, or the process just exited.
		return m.kill()
	}
	select {
	case <-m.done:
		return nil
	case <-time.After(10 * time.Second):
		m.kill()
		return fmt.Errorf("member %s ignored SIGTERM for 10s, killed it; log:\n%s", m.name, m.logTail())
	}
}

// waitHealthy waits until every member answers its health check.
func waitHealthy(ctx context.Context, members []*member) error {
	for _, m := range members {
		if err := m.waitFor(ctx, "healthy", m.health); err != nil {
			return err
		}
	}
	return nil
}

// waitPeer waits until m serves its peer port, which etcd does once it
// has bootstrapped, before it has a leader.
func (m *member) waitPeer(ctx context.Context) error {
	return m.waitFor(ctx, "serving its peer port", func(ctx context.Context) error {
		_, err := m.get(ctx, m.peerURL+"/version")
		return err
	})
}

// waitFor polls check until it succeeds, and fails as soon as m exits.
func (m *member) waitFor(ctx context.Context, what string, check func(context.Context) error) error {
	for {
		err := check(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-m.done:
			return fmt.Errorf("etcd member %s %w before %s (%v); log:\n%s", m.name, errExited, what, m.exit, m.logTail())
		case <-ctx.Done():
			return fmt.Errorf("etcd member %s not %s in time: %v; log:\n%s", m.name, what, err, m.logTail())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// health asks etcd's /health, which answers {"health":"true"} when the
// member has a leader and can serve a linearizable read.
func (m *member) health(ctx context.Context) error {
	body, err := m.get(ctx, m.clientURL+"/health")
	if err != nil {
		return err
	}
	var h struct {
		Health string `json:"health"`
	}
	if err := json.Unmarshal(body, &h); err != nil || h.Health != "true" {
		return fmt.Errorf("/health answered %q", body)
	}
	return nil
}

// get returns the body of a 200 answer to GET url.
func (m *member) get(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return nil, fmt.Errorf("read answer to GET %s: %w", url, err)
	}
	body = bytes.TrimSpace(body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s answered %s %q", url, resp.Status, body)
	}
	return body, nil
}

// logTail returns the last lines of m's log, for error messages.
func (m *member) logTail() string {
	const lines = 20
	b, err := os.ReadFile(m.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return "(empty log)"
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// freePorts asks the kernel for n distinct free loopback ports. They are
// free when picked, not necessarily when etcd binds them a moment later;
// start tries again for that.
func freePorts(n int) ([]int, error) {
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	var ports []int
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free loopback port: %w", err)
		}
		listeners = append(listeners, l) // held open, so the next one differs
		port := l.Addr().(*net.TCPAddr).Port
		if port == 2379 || port == 2380 {
			// etcd's defaults, where a host's own etcd (the Debian package
			// starts one) would fail to come back after a restart.
			continue
		}
		ports = append(ports, port)
	}
	return ports, nil
}
