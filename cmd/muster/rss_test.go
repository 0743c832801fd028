package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
	"github.com/muster-bot/muster/store"
	"github.com/muster-bot/muster/store/storetest"
)

// TestRSSLargeStore measures the memory of `muster serve`, idle, on a
// store of 10,000 incidents with 20 messages each (every message with its
// idempotency key, as a week of busy events leaves them), 1,000 of them
// open. Building the store takes a minute or two, so it runs only when
// asked:
//
//	MUSTER_RSS_PROBE=1 go test ./cmd/muster -run TestRSSLargeStore -v
func TestRSSLargeStore(t *testing.T) {
	if os.Getenv("MUSTER_RSS_PROBE") == "" {
		t.Skip("set MUSTER_RSS_PROBE=1 to build a 10,000-incident store and measure muster's RSS on it")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "muster.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sevs := muster.DefaultSeverities()
	for i := range 10_000 {
		inc, first, err := muster.NewIncident(fmt.Sprintf("Incident %d with a title of ordinary length", i), sevs[i%3], false, "U1", t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Create(ctx, inc, first); err != nil {
			t.Fatal(err)
		}
		for j := range 20 {
			e := muster.Entry{Kind: muster.EntryMessage, At: t0, Actor: "U2", MessageID: fmt.Sprintf("17000%05d.%06d", i, j),
				Text: "Rolled back checkout-api to v1.42.3; 5xx rate dropping, watching the p99 before we call it mitigated."}
			if _, _, err := db.Append(ctx, inc.ID, fmt.Sprintf("slack:Ev%d-%d", i, j), e); err != nil {
				t.Fatal(err)
			}
		}
		if i%10 != 0 { // 9 in 10 resolved: 1,000 open
			if _, _, err := db.Update(ctx, inc.ID, func(inc *muster.Incident) ([]muster.Entry, error) {
				e, err := inc.Resolve("done", "U1", t0.Add(time.Hour))
				return []muster.Entry{e}, err
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if kb := idleRSS(t, path); kb > 60*1024 {
		t.Errorf("RSS %d kB, want under 60 MB", kb)
	}
}

// TestRSSHistory measures the memory of `muster serve`, idle, on the web
// pages' benchmark history: 100,000 incidents and 2,000,000 timeline
// entries, five open. Building it takes about half a minute:
//
//	MUSTER_RSS_PROBE=1 go test ./cmd/muster -run TestRSSHistory -v
func TestRSSHistory(t *testing.T) {
	if os.Getenv("MUSTER_RSS_PROBE") == "" {
		t.Skip("set MUSTER_RSS_PROBE=1 to build a 100,000-incident store and measure muster's RSS on it")
	}
	path := filepath.Join(t.TempDir(), "muster.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	storetest.LoadHistory(t, db, storetest.History{Incidents: 100_000, Entries: 2_000_000, Open: 5, LongEntries: 1000, End: time.Now()})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if kb := idleRSS(t, path); kb > 80*1024 {
		t.Errorf("RSS %d kB, want under 80 MB", kb)
	}
}

// idleRSS starts `muster serve` on the store at path, lets it start and
// tick for a few seconds, and returns its VmRSS in kB.
func idleRSS(t *testing.T, path string) int {
	t.Helper()
	dir := t.TempDir()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}

	fake := newFakeSlack(t)
	cfg := filepath.Join(dir, "muster.yaml")
	yaml := fmt.Sprintf("http:\n  listen: 127.0.0.1:%d\nstore:\n  path: %s\nreminders:\n  tick: 1s\nlog:\n  level: warn\n", freePort(t), path)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(buildMuster(t), "--config", cfg, "serve")
	cmd.Env = []string{"SLACK_BOT_TOKEN=xoxb-test", "SLACK_SIGNING_SECRET=" + signingSecret, "SLACK_API_URL=" + fake.URL()}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	time.Sleep(6 * time.Second) // start-up and a few reminder ticks
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	kb := map[string]int{}
	for _, line := range strings.Split(string(status), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if f := strings.Fields(value); ok && len(f) == 2 && f[1] == "kB" {
			kb[name], _ = strconv.Atoi(f[0])
		}
	}
	t.Logf("store %.0f MB; muster serve idle: VmRSS %.1f MB (RssAnon %.1f MB, RssFile %.1f MB), VmHWM %.1f MB",
		float64(fi.Size())/1e6, float64(kb["VmRSS"])/1024, float64(kb["RssAnon"])/1024, float64(kb["RssFile"])/1024, float64(kb["VmHWM"])/1024)
	return kb["VmRSS"]
}
