package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"
)

// TestMain lets the test binary serve the floor when the load command runs
// it again as its floor server (startFloor runs os.Executable).
func TestMain(m *testing.M) {
	if secret := os.Getenv(floorEnv); secret != "" {
		os.Exit(serveFloor(secret))
	}
	os.Exit(m.Run())
}

// TestLoad runs the whole command briefly, with small numbers, and checks
// that its report has both phases and no lost or duplicated message.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs muster under load; skipped with -short")
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-json", "-duration", "1s", "-incidents", "3", "-clients", "8",
		"-retries", "0.2", "-clicks", "0.05", "-commands", "0.05"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, stdout.String())
	}
	t.Logf("report:\n%s", stdout.String())
	if rep.Floor == nil || rep.Floor.Acked == 0 || rep.Muster == nil || rep.Muster.Acked == 0 {
		t.Fatalf("a phase acknowledged nothing: floor %+v, muster %+v", rep.Floor, rep.Muster)
	}
	if rep.Check.Acknowledged == 0 || rep.Check.Lost != 0 || rep.Check.Duplicated != 0 {
		t.Errorf("check = %+v, want acknowledged messages, none lost, none duplicated", rep.Check)
	}
	if rep.Setup.Incidents != 3 || len(rep.Targets) != 2 {
		t.Errorf("setup %+v, targets %+v", rep.Setup, rep.Targets)
	}
	if rep.Memory.HWMMiB <= 0 {
		t.Errorf("no RSS read for muster: %+v", rep.Memory)
	}
	kinds := map[string]bool{}
	for _, k := range rep.Muster.Kinds {
		kinds[k.Kind] = k.Acked > 0
	}
	for _, k := range []string{"events", "retries"} {
		if !kinds[k] {
			t.Errorf("no %s acknowledged by muster: %+v", k, rep.Muster.Kinds)
		}
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-duration", "6m"},
		{"-duration", "0s"},
		{"-incidents", "0"},
		{"-retries", "0.6", "-clicks", "0.6"},
		{"-max-requests", "6000000"},
		{"-clients", "0"},
		{"extra"},
	} {
		var stderr bytes.Buffer
		if code := run(context.Background(), args, &bytes.Buffer{}, &stderr); code != 2 {
			t.Errorf("%q: exit status %d, want 2 (%s)", args, code, stderr.String())
		}
	}
}
