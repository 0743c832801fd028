package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster/config"
)

// update rewrites the golden files: go test ./cmd/muster -run TestConsoleScenario -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// t0 is when the scenario's incident is declared: 03:00 UTC, as it should be.
var t0 = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

// testConfig is the default configuration with the store in dir, the
// speaker named alice, and the background reminder tick far away, so that
// only the script's `:wait` runs reminders and the transcript is the same
// every time.
func testConfig(t testing.TB, dir string) *config.Config {
	t.Helper()
	yaml := "http:\n  listen: 127.0.0.1:0\nstore:\n  path: " + filepath.Join(dir, "muster.db") + "\nconsole:\n  user: alice\nreminders:\n  tick: 24h\n"
	cfg, err := config.Parse([]byte(yaml), "test.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatalf("parse test config: %v", err)
	}
	return cfg
}

// runConsole runs the console on script with the clock fixed at now and
// returns what it printed.
func runConsole(t testing.TB, cfg *config.Config, script string, now time.Time) string {
	t.Helper()
	var out, logs bytes.Buffer
	app, err := New(cfg, Options{Console: true, Stdin: strings.NewReader(script), Stdout: &out, Stderr: &logs,
		Getenv: func(string) string { return "" }, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatalf("new app: %v", err)
	}
	if err := app.Run(context.Background()); err != nil {
		t.Fatalf("run console: %v\nlogs:\n%s", err, logs.String())
	}
	if err := app.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if logs.Len() > 0 {
		t.Errorf("unexpected log output:\n%s", logs.String())
	}
	// The pages listen on a port of the system's choosing.
	return pagesAddr.ReplaceAllString(out.String(), "http://127.0.0.1:PORT/")
}

var pagesAddr = regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)

// TestConsoleScenario is the runbook: declare a SEV1, take roles, talk, let
// 31 minutes pass and see the nag, post an update, mitigate, add action
// items, miss three updates and see the escalation, resolve, and read the
// postmortem. The whole transcript is compared with its golden file.
func TestConsoleScenario(t *testing.T) {
	dir := t.TempDir()
	script, err := os.ReadFile("testdata/scenario.txt")
	if err != nil {
		t.Fatal(err)
	}
	got := runConsole(t, testConfig(t, dir), string(script), t0)
	got = strings.ReplaceAll(got, dir, "$TMP")

	for _, want := range []string{
		"Opened the room #inc-1-checkout-is-returning-500s",
		"@alice is now Incident Commander",
		"⏰ @bob INC-1 needs a status update: the last one was 31m ago and SEV1 asks for one every 30m.",
		"🚨 @alice @bob INC-1 has gone 1h33m without a status update; 2 reminders went unanswered",
		"[announcements] muster (in thread): ⚠️ INC-1 (SEV1) is overdue",
		`(only @bob sees this): ⚠️ "sev9" is not a severity.`,
		"✅ INC-1 resolved after 2h4m",
		"| 2026-11-22 03:00:00 | @bob | message | Error rate is 40% on /checkout since 02:58 |",
		"| 1 | Alert on checkout 5xx rate | @carol | 2027-01-15 | P1 (detect faster) | no |",
		"(only @alice sees this): ⚠️ INC-1 is already resolved.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("transcript lacks %q", want)
		}
	}
	golden := filepath.Join("testdata", "scenario.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden file (create it with -update): %v", err)
	}
	if got != string(want) {
		t.Errorf("transcript differs from %s (rerun with -update and review the diff):\n%s", golden, got)
	}
}

// TestConsoleRestart proves a restart loses nothing: the war room, the
// messages, the roles and the reminder schedule come back from the store.
func TestConsoleRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	runConsole(t, cfg, "/incident declare sev1 Search is down\n/incident ic\nIndex rebuild started\n", t0)

	// The bot was down for three hours: one reminder is owed, not six.
	out := runConsole(t, cfg, ":room INC-1\nStill rebuilding\n/incident resolve\n", t0.Add(3*time.Hour))
	if n := strings.Count(out, "needs a status update"); n != 1 {
		t.Errorf("after 3h down, %d reminders were sent, want 1:\n%s", n, out)
	}
	for _, want := range []string{"You are in #inc-1-search-is-down", "| @alice | message | Index rebuild started |", "| @alice | message | Still rebuilding |", "| Incident Commander | @alice |"} {
		if !strings.Contains(out, want) {
			t.Errorf("after restart, output lacks %q:\n%s", want, out)
		}
	}
}

// TestConsoleRestartClock: the console lets time run ahead of the wall
// clock (`:wait`), so after a restart the store holds times the wall clock
// has not reached. The clock starts at the latest of them: what is said
// after the restart comes after what was recorded before it.
func TestConsoleRestartClock(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	runConsole(t, cfg, "/incident declare sev1 Search is down\n/incident ic\n:wait 61m\nIndex rebuild started\n", t0)

	out := runConsole(t, cfg, ":room INC-1\nStill rebuilding\n/incident resolve\n", t0.Add(5*time.Minute))
	for _, want := range []string{
		"| 2026-11-22 04:01:00 | @alice | message | Index rebuild started |",
		"| 2026-11-22 04:01:00 | @alice | message | Still rebuilding |",
		"| 2026-11-22 04:01:00 | @alice | resolved | Resolved |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("after restart, output lacks %q:\n%s", want, out)
		}
	}
}

func TestRunExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("severities:\n  - name: SEV1\n    update_every: 30 mins\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	example, err := filepath.Abs("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := func(string) string { return "" }
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		output string // expected in stdout+stderr
	}{
		{"check-config defaults", []string{"check-config"}, "", 0, "OK — 4 severities (default SEV3), 4 roles"},
		{"check-config notes the pages off loopback", []string{"check-config"}, "", 0, "Note: `muster serve` would refuse to start: http.listen is \":8080\""},
		{"check-config example", []string{"--config", example, "check-config"}, "", 0, "OK"},
		{"check-config bad file names the line", []string{"--config", bad, "check-config"}, "", 1, "bad.yaml:3"},
		{"unknown command", []string{"frobnicate"}, "", 2, `unknown command "frobnicate"`},
		{"bad log format", []string{"--log-format", "xml"}, "", 2, "--log-format must be json or console"},
		{"serve without credentials", []string{"serve"}, "", 1, "no chat platform is configured"},
		{"console to end of input", []string{}, "/incident help\n", 0, "muster commands"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir()) // the default store path is relative
			var out bytes.Buffer
			code := run(context.Background(), tt.args, strings.NewReader(tt.stdin), &out, &out, env)
			if code != tt.code || !strings.Contains(out.String(), tt.output) {
				t.Errorf("muster %v: exit %d, output:\n%s\nwant exit %d and %q", tt.args, code, out.String(), tt.code, tt.output)
			}
		})
	}
}

func TestHealthEndpoints(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	app, err := New(cfg, Options{Console: true, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.routes())
	defer srv.Close()
	for _, tt := range []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/healthz", 200, "ok"},
		{"GET", "/readyz", 200, "ready"},
		{"GET", "/metrics", 200, "go_goroutines"},
		{"POST", "/healthz", 405, ""},
		{"GET", "/nope", 404, ""},
	} {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.body) {
			t.Errorf("%s %s = %d %q, want %d with %q", tt.method, tt.path, resp.StatusCode, body, tt.status, tt.body)
		}
	}
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	// A closed store is not ready.
	resp, err := srv.Client().Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz with the store closed = %d, want 503", resp.StatusCode)
	}
}

// TestPostmortemExport: with templates.export_dir set, the draft posted at
// resolve is also written as INC-<n>-<slug>.md, the same Markdown.
func TestPostmortemExport(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.Templates.ExportDir = filepath.Join(dir, "postmortems")
	out := runConsole(t, cfg, "/incident declare sev2 Search is slow\nIndex shard 3 is red\n/incident resolve Shard rebuilt\n", t0)
	got, err := os.ReadFile(filepath.Join(cfg.Templates.ExportDir, "INC-1-search-is-slow.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# INC-1: Search is slow", "Index shard 3 is red", "Shard rebuilt"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("exported draft lacks %q", want)
		}
	}
	if first, _, _ := strings.Cut(string(got), "\n"); !strings.Contains(out, "│ "+first) {
		t.Errorf("the exported draft is not the posted one")
	}
}

// TestPrivatePostmortemExport: a private incident's draft is exported
// without its title in the file name, into a directory only muster's user
// may read, even one that existed readable to all.
func TestPrivatePostmortemExport(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.Templates.ExportDir = filepath.Join(dir, "postmortems")
	if err := os.Mkdir(cfg.Templates.ExportDir, 0o755); err != nil {
		t.Fatal(err)
	}
	runConsole(t, cfg, "/incident declare sev2 private Wyvern token leaked\n/incident resolve Rotated\n", t0)
	entries, err := os.ReadDir(cfg.Templates.ExportDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "INC-1.md" {
		t.Errorf("exported %v, want only INC-1.md", entries)
	}
	fi, err := os.Stat(cfg.Templates.ExportDir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("export directory mode %o, want 700", perm)
	}
}

// TestSimulate: the dry run of the default SEV1 cadence, compared with its
// golden file (go test ./cmd/muster -run TestSimulate -update).
func TestSimulate(t *testing.T) {
	golden, err := filepath.Abs(filepath.Join("testdata", "simulate.golden"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // no config file is read from the working directory
	var out, errs bytes.Buffer
	code := run(context.Background(), []string{"simulate", "--severity", "sev1", "--for", "3h", "--updates", "0:20,1:10", "--ic-after", "7m"}, strings.NewReader(""), &out, &errs, func(string) string { return "" })
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read %s (create it with -update): %v", golden, err)
	}
	if out.String() != string(want) {
		t.Errorf("simulation differs from %s:\n%s", golden, out.String())
	}
	for _, bad := range [][]string{{"simulate", "--severity", "sev9"}, {"simulate", "--updates", "1:99"}, {"simulate", "--for", "-1h"}} {
		if code := run(context.Background(), bad, strings.NewReader(""), &out, &errs, func(string) string { return "" }); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}
