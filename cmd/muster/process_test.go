package main

// Helpers that run the real muster binary as a child process, so that a
// test can SIGKILL it, restart it on the same store and send it SIGTERM.
// The in-process harness of slack_test.go cannot crash; these can.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/muster-bot/muster/bot/slack"
	"github.com/muster-bot/muster/bot/slack/fakeslack"
)

// procSecret signs the requests sent to a child process.
const procSecret = "process-test-signing-secret"

// goTool is the go command of the toolchain running the tests: go test
// puts that toolchain's bin directory first on PATH.
func goTool(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the binary with: %v", err)
	}
	return p
}

// buildMuster builds ./cmd/muster into a temporary directory and returns
// the binary's path. The build cache makes every build after the first one
// a link.
func buildMuster(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "muster")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(t), "build", "-o", bin, ".")
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built the binary in %s", time.Since(start).Round(time.Millisecond))
	return bin
}

// lockedBuffer collects a child's stderr; the copy runs on exec's
// goroutine while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// musterHost is one store and one fake Slack that successive muster
// processes run against.
type musterHost struct {
	t         *testing.T
	bin       string
	dir       string
	storePath string
	extraYAML string // appended to the config (severities, reminders, ...)
	storeYAML string // the store section; empty: bbolt at storePath
	fake      *fakeslack.Server
	apiURL    string // the Slack Web API the child calls; empty: the fake's
	starts    int
}

func newMusterHost(t *testing.T, extraYAML string) *musterHost {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the built binary; skipped with -short")
	}
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	for _, u := range []string{"UALICE", "UBOB", "UCAROL"} {
		fake.AddUser(u, strings.ToLower(u[1:]))
	}
	fake.AddChannel("CANNOUNCE", "incidents", false)
	fake.AddChannel("CGENERAL", "general", false)
	dir := t.TempDir()
	return &musterHost{t: t, bin: buildMuster(t), dir: dir, storePath: filepath.Join(dir, "data", "muster.db"), extraYAML: extraYAML, fake: fake}
}

func (h *musterHost) slackAPIURL() string {
	if h.apiURL != "" {
		return h.apiURL
	}
	return h.fake.URL()
}

// musterProc is one running muster process.
type musterProc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	cancel context.CancelFunc
	stderr *lockedBuffer
	url    string
	client *http.Client
	done   chan struct{} // closed when the process has exited
	err    error         // cmd.Wait's result, once done is closed
}

// freePort returns a loopback port nobody listens on right now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// start runs `muster serve` on the host's store, on a fresh loopback port,
// and waits until /readyz answers 200.
func (h *musterHost) start() *musterProc {
	t := h.t
	t.Helper()
	h.starts++
	port := freePort(t)
	storeYAML := h.storeYAML
	if storeYAML == "" {
		storeYAML = fmt.Sprintf("store:\n  path: %s\n", h.storePath)
	}
	cfg := fmt.Sprintf("http:\n  listen: 127.0.0.1:%d\n%sslack:\n  announce_channel: CANNOUNCE\n%s",
		port, storeYAML, h.extraYAML)
	if !strings.Contains(h.extraYAML, "reminders:") {
		cfg += "reminders:\n  tick: 1s\n"
	}
	cfgPath := filepath.Join(h.dir, fmt.Sprintf("muster-%d.yaml", h.starts))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// The bound keeps a hung child from outliving the test for long;
	// every test stops its children well before it.
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Second)
	cmd := exec.CommandContext(ctx, h.bin, "serve")
	// Only what muster needs: an inherited SLACK_APP_TOKEN or TEAMS_*
	// would change what it serves.
	cmd.Env = []string{
		"SLACK_BOT_TOKEN=xoxb-test",
		"SLACK_SIGNING_SECRET=" + procSecret,
		"SLACK_API_URL=" + h.slackAPIURL(),
		"MUSTER_CONFIG=" + cfgPath,
		"TMPDIR=" + h.dir,
	}
	stderr := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = stderr, stderr
	cmd.WaitDelay = 2 * time.Second
	p := &musterProc{
		t: t, name: fmt.Sprintf("muster #%d", h.starts), cmd: cmd, cancel: cancel, stderr: stderr,
		url:    fmt.Sprintf("http://127.0.0.1:%d", port),
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}},
		done:   make(chan struct{}),
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", p.name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		p.cancel()
		p.client.CloseIdleConnections()
		if t.Failed() {
			t.Logf("%s stderr:\n%s", p.name, p.stderr.String())
		}
	})
	p.waitReady()
	return p
}

// waitReady polls /readyz until it answers 200, for at most 15 s.
func (p *musterProc) waitReady() {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-p.done:
			p.t.Fatalf("%s exited before it was ready: %v\n%s", p.name, p.err, p.stderr.String())
		default:
		}
		resp, err := p.client.Get(p.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s not ready after 15s (last: %v)\n%s", p.name, err, p.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kill SIGKILLs the process and waits for it to be gone (the store's file
// lock goes with it). Safe to call more than once.
func (p *musterProc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Errorf("%s still running 10s after SIGKILL", p.name)
	}
}

// sigterm sends SIGTERM, as `docker stop` or systemd would.
func (p *musterProc) sigterm() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("SIGTERM %s: %w", p.name, err)
	}
	return nil
}

// terminate sends SIGTERM and returns the exit code and how long the exit
// took; it fails the test if the process is still running after limit.
func (p *musterProc) terminate(limit time.Duration) (code int, took time.Duration) {
	p.t.Helper()
	if err := p.sigterm(); err != nil {
		p.t.Fatal(err)
	}
	return p.waitExit(limit)
}

// waitExit waits at most limit for the process to exit and returns its
// exit code (minus the signal's number when a signal ended it) and how
// long the wait took.
func (p *musterProc) waitExit(limit time.Duration) (code int, took time.Duration) {
	p.t.Helper()
	start := time.Now()
	select {
	case <-p.done:
	case <-time.After(limit):
		p.t.Fatalf("%s still running %s after SIGTERM (a hang in the graceful shutdown)\n%s", p.name, limit, p.stderr.String())
	}
	took = time.Since(start)
	var exit *exec.ExitError
	switch {
	case p.err == nil:
		return 0, took
	case errors.As(p.err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -int(ws.Signal()), took
		}
		return exit.ExitCode(), took
	default:
		p.t.Fatalf("wait for %s: %v", p.name, p.err)
		return -1, took
	}
}

// post sends body to path signed as Slack signs, at the real time (the
// child reads the real clock). It returns the status code, or an error
// when no answer came (the process died, or is shutting down).
func (p *musterProc) post(path, contentType string, body []byte, header http.Header) (int, error) {
	req, err := http.NewRequest(http.MethodPost, p.url+path, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slack.Sign([]byte(procSecret), ts, body))
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var sink bytes.Buffer
	if _, err := sink.ReadFrom(resp.Body); err != nil {
		return 0, err // the status alone is no acknowledgement Slack would see
	}
	return resp.StatusCode, nil
}

// command sends `/incident <text>` as user from channel.
func (p *musterProc) command(fake *fakeslack.Server, user, channel, text string) (int, error) {
	form := url.Values{
		"command": {"/incident"}, "text": {text}, "user_id": {user}, "user_name": {strings.ToLower(user)},
		"channel_id": {channel}, "team_id": {"T0001"}, "response_url": {fake.ResponseURL("proc-" + user)}, "trigger_id": {"trig-proc"},
	}
	return p.post("/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
}

// procEvent is one Events API message event a test sends.
type procEvent struct {
	ID   string // event_id
	TS   string // message ts
	Text string
}

// message sends ev as a message by user in channel; retry > 0 sends it as
// Slack's retry number retry.
func (p *musterProc) message(ev procEvent, user, channel string, retry int) (int, error) {
	envelope := map[string]any{
		"token": "one-long-verification-token", "team_id": "T0001", "api_app_id": "A0001",
		"type": "event_callback", "event_id": ev.ID, "event_time": time.Now().Unix(),
		"event": map[string]any{
			"type": "message", "channel": channel, "user": user, "text": ev.Text,
			"ts": ev.TS, "event_ts": ev.TS, "channel_type": "channel",
		},
	}
	body, err := json.Marshal(envelope)
	if err != nil {
		return 0, err
	}
	var h http.Header
	if retry > 0 {
		h = http.Header{"X-Slack-Retry-Num": {strconv.Itoa(retry)}, "X-Slack-Retry-Reason": {"http_timeout"}}
	}
	return p.post("/slack/events", "application/json", body, h)
}

// declareAndWaitRoom declares an incident and returns its war room's
// channel id once the fake Slack holds the room and its header.
func (h *musterHost) declareAndWaitRoom(p *musterProc, text, roomName string) string {
	t := h.t
	t.Helper()
	if code, err := p.command(h.fake, "UALICE", "CGENERAL", text); err != nil || code != http.StatusOK {
		t.Fatalf("declare: HTTP %d, %v", code, err)
	}
	var room string
	procWait(t, 10*time.Second, "the war room "+roomName+" exists with its header", func() bool {
		c, ok := h.fake.ChannelByName(roomName)
		if !ok {
			return false
		}
		room = c.ID
		return len(procMessagesWith(h.fake, c.ID, "I'll be IC")) == 1
	})
	return room
}

// procWait polls cond every 10 ms until it holds or limit passes.
func procWait(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// procMessagesWith returns the messages in channel whose text or blocks
// hold text.
func procMessagesWith(fake *fakeslack.Server, channel, text string) []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range fake.Messages(channel) {
		blocks := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(m.Blocks))
		if strings.Contains(m.Text, text) || strings.Contains(blocks, text) {
			out = append(out, m)
		}
	}
	return out
}

// holdingProxy stands between muster and the fake Slack. While armed, it
// holds every chat.postMessage whose text holds match, never forwarding
// it, until the caller goes away; so a test can kill muster in the middle
// of that call.
type holdingProxy struct {
	srv     *httptest.Server
	match   string
	armed   atomic.Bool
	held    chan struct{} // receives once per held call
	release chan struct{} // closed at cleanup
}

func newHoldingProxy(t *testing.T, fake *fakeslack.Server, match string) *holdingProxy {
	t.Helper()
	target, err := url.Parse(fake.URL())
	if err != nil {
		t.Fatal(err)
	}
	target.Path = ""
	rp := httputil.NewSingleHostReverseProxy(target)
	hp := &holdingProxy{match: match, held: make(chan struct{}, 16), release: make(chan struct{})}
	hp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hp.armed.Load() && strings.HasSuffix(r.URL.Path, "/chat.postMessage") {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			text := string(body)
			if form, err := url.ParseQuery(text); err == nil {
				text += " " + form.Get("text") + " " + form.Get("blocks")
			}
			if strings.Contains(text, hp.match) {
				hp.held <- struct{}{}
				select {
				case <-r.Context().Done():
				case <-hp.release:
				}
				http.Error(w, "held", http.StatusBadGateway)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		close(hp.release)
		hp.srv.Close()
	})
	return hp
}

// URL is the Web API base URL to give muster.
func (hp *holdingProxy) URL() string { return hp.srv.URL + "/api/" }
