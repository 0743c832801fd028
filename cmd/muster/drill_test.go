package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster/tracker/jira/fakejira"
)

// TestDrillScenario plays the shipped example game day: the whole flow
// runs on the console as a drill, the drill stays out of stats, and the
// run ends with each incident's cadence record and postmortem draft.
func TestDrillScenario(t *testing.T) {
	example, err := filepath.Abs("../../examples/drills/checkout-outage.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // nothing may be written where muster runs
	code, out, errs := runArgs(t, "drill", example)
	if code != 0 {
		t.Fatalf("muster drill: exit %d\nstderr: %s\nstdout:\n%s", code, errs, out)
	}
	for _, want := range []string{
		"🧪 DRILL · Checkout outage — 28 steps from 2026-12-07 09:00 UTC",
		"· Incident pages: http://127.0.0.1:",
		"Opened the room #drill-1-checkout-is-slow",
		"[announcements] muster: 🧪 DRILL · INC-1 · SEV2 — Checkout is slow",
		"⚠️ INC-1 is a drill: nothing about it goes to the status page.",
		"⏰ @bob INC-1 needs a status update",
		"[announcements] muster: 🧪 DRILL · INC-2 · SEV1 — Payments 5xx above 5%",
		"✓ drills run in the last 7d: 2",
		"══ 🧪 DRILL INC-1 — Checkout is slow (resolved) ══",
		"Cadence record: 2 status updates (SEV2 every 1h, then SEV1 every 30m): 4 due, 2 on time, 2 missed; longest stretch without an update 1h25m; reminders 2, escalations 0, snoozes 0",
		"── Postmortem draft ──\n# INC-1: Checkout is slow",
		"Alert on checkout p99 above 1s",
		"══ 🧪 DRILL INC-2 — Payments 5xx above 5% (resolved) ══",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the drill's output lacks %q", want)
		}
	}
	if strings.Contains(out, "[announcements] muster: 🚨") || strings.Contains(out, "✗") {
		t.Errorf("a drill announced as a real incident, or an expectation failed:\n%s", out)
	}
	if left, _ := os.ReadDir("."); len(left) != 0 {
		t.Errorf("the drill left files behind: %v", left)
	}
}

// TestDrillScenarioFails: a scenario is a test: an expectation the
// console did not meet fails the run (exit 1) and names its step and
// line; a malformed scenario is refused before anything runs, with the
// line of each mistake.
func TestDrillScenarioFails(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	unmet := write("unmet.yaml", "start: 2026-12-07T09:00:00Z\nsteps:\n  - say: {as: alice, text: \"/incident declare drill sev4 Quiet\"}\n  - wait: 2h\n  - expect: \"needs a status update\"\n")
	code, out, errs := runArgs(t, "drill", unmet)
	if code != 1 || !strings.Contains(out, `✗ step 3 (line 5): expected "needs a status update"`) || !strings.Contains(errs, "an expectation was not met") {
		t.Errorf("unmet expectation: exit %d\nstdout:\n%s\nstderr: %s", code, out, errs)
	}
	if !strings.Contains(out, "══ 🧪 DRILL INC-1 — Quiet (investigating) ══") {
		t.Errorf("a failed drill still prints its record:\n%s", out)
	}

	bad := write("bad.yaml", "steps:\n  - say: {as: alice, text: \"/incident declare sev1 Real outage\"}\n  - wait: soon\n  - shout: hello\n  - {wait: 1m, expect: x}\n")
	code, out, errs = runArgs(t, "drill", bad)
	for _, want := range []string{
		"bad.yaml:2: step 1: \"/incident declare sev1 Real outage\" declares a real incident; a scenario declares drills only",
		"bad.yaml:3: step 2: wait \"soon\" is not a duration",
		"bad.yaml:4: step 3:", "field shout not found",
		"bad.yaml:5: step 4: a step is exactly one of say, wait, alert, expect",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("malformed scenario: stderr lacks %q:\n%s", want, errs)
		}
	}
	if code != 1 || strings.Contains(out, "muster console") {
		t.Errorf("malformed scenario: exit %d, and it ran:\n%s", code, out)
	}

	if code, _, errs := runArgs(t, "drill"); code != 2 || !strings.Contains(errs, "drill needs a scenario file") {
		t.Errorf("muster drill without a scenario: exit %d, %q", code, errs)
	}
	if code, out, _ := runArgs(t, "help", "drill"); code != 0 || !strings.Contains(out, "Usage: muster drill [flags] <scenario.yaml>") {
		t.Errorf("muster help drill: exit %d\n%s", code, out)
	}
}

// TestDrillReachesNoTracker: a game day adds and closes an action item
// on its INC-1, a number a real incident has too; with the team's Jira
// configured and its token in the environment, the drill files nothing,
// finds nothing and closes nothing there.
func TestDrillReachesNoTracker(t *testing.T) {
	fj := fakejira.New(t, "bot@example.com", "jira-token", "OPS", func() time.Time { return t0 })
	dir := t.TempDir()
	cfg := filepath.Join(dir, "muster.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, "trackers:\n  jira:\n    url: %s\n    project: OPS\n", fj.URL), 0o600); err != nil {
		t.Fatal(err)
	}
	scenario := filepath.Join(dir, "drill.yaml")
	if err := os.WriteFile(scenario, []byte(`name: Tracker
start: 2026-12-07T09:00:00Z
steps:
  - say: {as: alice, text: "/incident declare drill sev2 Checkout is slow"}
  - say: {as: alice, text: "/incident action Alert on checkout p99 above 1s @bob p1"}
  - wait: 5m
  - say: {as: alice, text: "/incident action done 1"}
  - wait: 5m
  - say: {as: alice, text: "/incident resolve Rehearsed"}
  - wait: 20m
`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	env := map[string]string{"JIRA_USER": "bot@example.com", "JIRA_API_TOKEN": "jira-token"}
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"drill", "--config", cfg, scenario}, strings.NewReader(""), &out, &errs, func(k string) string { return env[k] }); code != 0 {
		t.Fatalf("muster drill: exit %d\n%s\n%s", code, errs.String(), out.String())
	}
	if calls := fj.Calls(); len(calls) != 0 {
		t.Errorf("the drill called Jira %d times, first %s %s", len(calls), calls[0].Method, calls[0].Path)
	}
}
