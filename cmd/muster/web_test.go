package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster/config"
)

// TestServeRefusesPagesOffLoopback: with no sign-in the pages are for a
// loopback http.listen only, so `serve` on ":8080" refuses to start,
// naming both ways out, unless web.enabled is false.
func TestServeRefusesPagesOffLoopback(t *testing.T) {
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s", "MUSTER_OIDC_CLIENT_SECRET": "c"}
	for _, tc := range []struct {
		name, yaml string
		refused    bool
	}{
		{"all interfaces", "http:\n  listen: \":8080\"\n", true},
		{"0.0.0.0", "http:\n  listen: 0.0.0.0:8080\n", true},
		{"pages off", "http:\n  listen: \":8080\"\nweb:\n  enabled: false\n", false},
		{"loopback", "http:\n  listen: 127.0.0.1:8080\n", false},
		{"sign-in", "http:\n  listen: \":8080\"\nweb:\n  public_url: https://muster.example.com\n  oidc:\n    issuer: https://id.example.com\n    client_id: muster\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := tc.yaml + "store:\n  path: " + filepath.Join(t.TempDir(), "m.db") + "\n"
			cfg, err := config.Parse([]byte(yaml), "m.yaml", func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			app, err := New(cfg, Options{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string { return env[k] }})
			if tc.refused {
				if err == nil || !strings.Contains(err.Error(), "web.enabled: false") || !strings.Contains(err.Error(), "127.0.0.1") {
					t.Errorf("New = %v, want a refusal naming web.enabled: false and 127.0.0.1", err)
				}
				if app != nil {
					app.Close()
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			app.Close()
		})
	}
}

// TestConsoleServesPages: the console serves the incident pages on
// loopback and says where; an incident declared in the console is on them.
func TestConsoleServesPages(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in, typed := io.Pipe()
	out := &lockedBuffer{}
	app, err := New(testConfig(t, t.TempDir()), Options{Console: true, Stdin: in, Stdout: out, Stderr: io.Discard,
		Getenv: func(string) string { return "" }, Now: func() time.Time { return t0 }, Listener: ln})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	done := make(chan error, 1)
	go func() { done <- app.Run(context.Background()) }()
	url := "http://" + ln.Addr().String() + "/"
	fmt.Fprintln(typed, "/incident declare sev2 Search is slow")
	page := func(path string) (int, string) {
		res, err := http.Get(url + path)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	eventually(t, "the list shows the incident", func() bool {
		code, body := page("")
		return code == http.StatusOK && strings.Contains(body, "Search is slow")
	})
	if code, body := page("incidents/1"); code != http.StatusOK || !strings.Contains(body, "Declared SEV2: Search is slow") {
		t.Errorf("GET /incidents/1: %d\n%s", code, body)
	}
	if !strings.Contains(out.String(), "· Incident pages: "+url+"\n") {
		t.Errorf("the console did not print where the pages are:\n%s", out.String())
	}
	typed.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(url); err == nil {
		t.Error("the pages are still served after the console ended")
	}
}

// TestConsoleWithoutFreePort: a port already taken costs the console its
// pages, said in the log, never the console itself.
func TestConsoleWithoutFreePort(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg := testConfig(t, t.TempDir())
	cfg.HTTP.Listen = taken.Addr().String()
	var out, logs strings.Builder
	app, err := New(cfg, Options{Console: true, Stdin: strings.NewReader("/incident declare sev2 Search is slow\n"), Stdout: &out, Stderr: &logs,
		Getenv: func(string) string { return "" }, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if err := app.Run(context.Background()); err != nil {
		t.Fatalf("the console failed for want of a port: %v", err)
	}
	if !strings.Contains(out.String(), "Declared") && !strings.Contains(out.String(), "INC-1") {
		t.Errorf("the console did not run the script:\n%s", out.String())
	}
	if strings.Contains(out.String(), "Incident pages:") {
		t.Errorf("the console announced pages it does not serve:\n%s", out.String())
	}
	if !strings.Contains(logs.String(), "the incident pages are not served") {
		t.Errorf("no warning that the pages are not served:\n%s", logs.String())
	}
}

// TestConsoleAddr: the console's pages stay on loopback whatever
// http.listen says.
func TestConsoleAddr(t *testing.T) {
	for in, want := range map[string]string{
		":8080": "127.0.0.1:8080", "0.0.0.0:9000": "127.0.0.1:9000", "127.0.0.1:0": "127.0.0.1:0",
		"[::1]:8080": "[::1]:8080", "10.0.0.5:8081": "127.0.0.1:8081",
	} {
		if got := consoleAddr(in); got != want {
			t.Errorf("consoleAddr(%q) = %q, want %q", in, got, want)
		}
	}
}
