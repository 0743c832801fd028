package main

// The two servers under load run as child processes, so that what is
// measured is the real muster binary (and a floor server of the same
// shape), not a copy of its wiring, and so that each one's RSS is its own.

import (
	"bufio"
	"bytes"
	"context"
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
	"sync"
	"syscall"
	"time"

	"github.com/muster-bot/muster/bot/slack"
	"github.com/muster-bot/muster/internal/inbound"
)

// floorEnv, when set in the environment, makes this program (or the test
// binary, see main_test.go) serve the floor instead of driving a load.
const floorEnv = "MUSTER_LOAD_FLOOR_SECRET"

// serveFloor is the floor: a bare net/http server that reads the body,
// verifies Slack's signature and answers 200, nothing else. It listens on
// 127.0.0.1:0, prints its address on stdout and serves until stdin closes
// or SIGTERM.
func serveFloor(secret string) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "floor: %v\n", err)
		return 1
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := inbound.Read(w, r, slack.MaxBody)
		if !ok {
			return
		}
		if err := slack.VerifySignature([]byte(secret), r.Header, b, time.Now()); err != nil {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	})}
	fmt.Println(ln.Addr().String())
	go func() {
		io.Copy(io.Discard, os.Stdin) // the parent holds stdin open while it needs us
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(os.Stderr, "floor: %v\n", err)
		return 1
	}
	return 0
}

// child is a server process under load.
type child struct {
	name   string
	cmd    *exec.Cmd
	stderr *lockedBuffer
	stdin  io.WriteCloser
	url    string
	done   chan struct{}
	err    error // Wait's result once done is closed
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		return len(p), nil // keep the first MiB; enough to say what went wrong
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (c *child) start() error {
	c.done = make(chan struct{})
	if err := c.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", c.name, err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	return nil
}

// startFloor runs this program again as the floor server.
func startFloor(ctx context.Context, secret string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this program to run the floor: %w", err)
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = []string{floorEnv + "=" + secret}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c := &child{name: "floor server", cmd: cmd, stderr: &lockedBuffer{}, stdin: stdin}
	cmd.Stderr = c.stderr
	cmd.WaitDelay = 2 * time.Second
	if err := c.start(); err != nil {
		return nil, err
	}
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		addr <- strings.TrimSpace(line)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case a := <-addr:
		if !isLoopback(a) {
			c.stop(5 * time.Second)
			return nil, fmt.Errorf("floor server gave address %q, not 127.0.0.1: %s", a, c.stderr.String())
		}
		c.url = "http://" + a
	case <-time.After(15 * time.Second):
		c.stop(5 * time.Second)
		return nil, errors.New("floor server did not start within 15s")
	}
	return c, nil
}

// buildMuster builds the muster binary into dir with the go command on
// PATH, which picks the toolchain go.mod asks for.
func buildMuster(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "muster")
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/muster-bot/muster/cmd/muster")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build github.com/muster-bot/muster/cmd/muster (run muster-load inside the module, or give -bin): %v\n%s", err, out)
	}
	return bin, nil
}

// startMuster runs `muster serve` with the store configured by storeYAML
// (the whole "store:" section) against the fake Slack at apiURL, on a free
// loopback port, and waits for /readyz. dir holds its config file and temp
// files.
func startMuster(ctx context.Context, bin, dir, storeYAML, apiURL, secret, cpuProfile string) (*child, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf("log:\n  level: error\nhttp:\n  listen: 127.0.0.1:%d\n%sreminders:\n  tick: 24h\nslack:\n  announce_channel: CANNOUNCE\n", port, storeYAML)
	cfgPath := filepath.Join(dir, "muster.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "serve")
	// Only what muster needs: an inherited SLACK_APP_TOKEN or TEAMS_* would
	// change what it serves.
	cmd.Env = []string{
		"SLACK_BOT_TOKEN=xoxb-load",
		"SLACK_SIGNING_SECRET=" + secret,
		"SLACK_API_URL=" + apiURL,
		"MUSTER_CONFIG=" + cfgPath,
		"TMPDIR=" + dir,
	}
	if cpuProfile != "" {
		cmd.Env = append(cmd.Env, "MUSTER_CPU_PROFILE="+cpuProfile)
	}
	c := &child{name: "muster", cmd: cmd, stderr: &lockedBuffer{}, url: fmt.Sprintf("http://127.0.0.1:%d", port)}
	cmd.Stdout, cmd.Stderr = c.stderr, c.stderr
	cmd.WaitDelay = 5 * time.Second
	if err := c.start(); err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 2 * time.Second, Transport: loopbackTransport(1)}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-c.done:
			return nil, fmt.Errorf("muster exited before it was ready: %v\n%s", c.err, c.stderr.String())
		default:
		}
		resp, err := client.Get(c.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c, nil
			}
		}
		if time.Now().After(deadline) {
			c.stop(5 * time.Second)
			return nil, fmt.Errorf("muster not ready after 20s (last: %v)\n%s", err, c.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends the child as `docker stop` would: SIGTERM (and stdin closed,
// for the floor), then SIGKILL after limit. It returns the exit error.
func (c *child) stop(limit time.Duration) error {
	if c.stdin != nil {
		c.stdin.Close() // the floor stops when its stdin closes
		select {
		case <-c.done:
			return c.err
		case <-time.After(limit):
		}
	}
	select {
	case <-c.done:
		return c.err
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return c.err
	case <-time.After(limit):
		_ = c.cmd.Process.Kill()
		<-c.done
		return fmt.Errorf("%s still running %s after SIGTERM; killed", c.name, limit)
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// memory is a process's resident set, from /proc/<pid>/status.
type memory struct {
	RSS, HWM int64 // bytes: VmRSS (now) and VmHWM (peak so far)
}

func readMemory(pid int) (memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, err
	}
	var m memory
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		f := strings.Fields(v) // "12345 kB"
		if len(f) != 2 || f[1] != "kB" {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		if k == "VmRSS" {
			m.RSS = n << 10
		} else {
			m.HWM = n << 10
		}
	}
	return m, nil
}

// peaks is what sampleMemory saw of several processes.
type peaks struct {
	each   []memory // per process: the highest VmRSS sampled, the last VmHWM
	sumRSS int64    // the highest sum of their VmRSS in one sample
}

// sampleMemory reads the memory of pids every interval until stop is
// closed.
func sampleMemory(pids []int, interval time.Duration, stop <-chan struct{}) <-chan peaks {
	out := make(chan peaks, 1)
	go func() {
		p := peaks{each: make([]memory, len(pids))}
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			var sum int64
			for i, pid := range pids {
				if m, err := readMemory(pid); err == nil {
					p.each[i].RSS = max(p.each[i].RSS, m.RSS)
					p.each[i].HWM = max(p.each[i].HWM, m.HWM)
					sum += m.RSS
				}
			}
			p.sumRSS = max(p.sumRSS, sum)
			select {
			case <-stop:
				out <- p
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// cpuTime is the CPU time (user and system) process pid has used, from
// /proc/<pid>/stat; 0 when it cannot be read.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, field 2, is in parentheses and may hold spaces;
	// utime and stime are fields 14 and 15, in clock ticks.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// clockTicks is the kernel's USER_HZ, which Linux fixes at 100 for
// /proc's figures on every architecture Go supports.
const clockTicks = 100

// selfCPUTime is the CPU time this process has used.
func selfCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuMeter measures the CPU time servers and this process use over the
// rounds of a phase.
type cpuMeter struct {
	pids         []int
	server, self time.Duration // used in the rounds measured so far
	round        struct{ server, self time.Duration }
}

func newCPUMeter(pids ...int) *cpuMeter { return &cpuMeter{pids: pids} }

func (m *cpuMeter) serverTime() time.Duration {
	var s time.Duration
	for _, pid := range m.pids {
		s += cpuTime(pid)
	}
	return s
}

// settle waits, a second at most, until the servers use no more CPU time
// from one reading to the next (readings are in clock ticks of 10 ms).
func (m *cpuMeter) settle() {
	last := m.serverTime()
	for range 50 {
		time.Sleep(20 * time.Millisecond)
		now := m.serverTime()
		if now == last {
			return
		}
		last = now
	}
}

// start and stop bracket one round.
func (m *cpuMeter) start() { m.round.server, m.round.self = m.serverTime(), selfCPUTime() }
func (m *cpuMeter) stop() {
	m.server += m.serverTime() - m.round.server
	m.self += selfCPUTime() - m.round.self
}

// perRequest returns the CPU time per request of the servers and of this
// process (the driver and the fake Slack) in the rounds measured, in µs.
func (m *cpuMeter) perRequest(requests int) (server, driver float64) {
	if requests == 0 {
		return 0, 0
	}
	us := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(requests) }
	return us(m.server), us(m.self)
}
