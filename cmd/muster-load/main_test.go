package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/muster-bot/muster/internal/etcdtest"
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
	if rep.Options.Rounds != 4 || rep.Floor.Seconds < 0.9 || rep.Muster.Seconds < 0.9 {
		t.Errorf("rounds %d, floor %.2fs, muster %.2fs: want 4 rounds making up -duration for each", rep.Options.Rounds, rep.Floor.Seconds, rep.Muster.Seconds)
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
		{"-rounds", "0"},
		{"-rounds", "101"},
		{"-rounds", "20", "-duration", "1s"}, // rounds of 50 ms
		{"extra"},
		{"-store", "sqlite"},
		{"-replicas", "2"}, // bbolt
		{"-store", "etcd", "-replicas", "5"},
		{"-store", "etcd", "-replicas", "0"},
		{"-etcd-endpoints", "http://127.0.0.1:2379"}, // bbolt
		{"-store", "etcd", "-etcd-endpoints", "http://10.0.0.1:2379"},
		{"-store", "etcd", "-etcd-endpoints", "https://127.0.0.1:2379"},
		{"-store", "etcd", "-etcd-endpoints", "127.0.0.1:2379"},
	} {
		var stderr bytes.Buffer
		if code := run(context.Background(), args, &bytes.Buffer{}, &stderr); code != 2 {
			t.Errorf("%q: exit status %d, want 2 (%s)", args, code, stderr.String())
		}
	}
}

// TestLoadEtcd runs the etcd path: two muster replicas on one prefix of a
// 3-member cluster, requests spread over both, retries sent to the other
// replica, at a small fixed rate for two seconds. It skips without an etcd
// binary, unless MUSTER_REQUIRE_ETCD=1.
func TestLoadEtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs muster and etcd under load; skipped with -short")
	}
	c := etcdtest.Start(t, 3)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-json", "-no-floor", "-duration", "2s", "-rate", "200", "-incidents", "3", "-clients", "8",
		"-retries", "0.2", "-clicks", "0.05", "-commands", "0.05",
		"-store", "etcd", "-replicas", "2", "-etcd-endpoints", strings.Join(c.Endpoints(), ",")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, stdout.String())
	}
	t.Logf("report:\n%s", stdout.String())
	if rep.Muster == nil || rep.Muster.Acked == 0 || rep.Floor != nil {
		t.Fatalf("muster phase %+v, floor %+v; want acknowledgements and no floor", rep.Muster, rep.Floor)
	}
	if rep.Check.Acknowledged == 0 || rep.Check.Lost != 0 || rep.Check.Duplicated != 0 {
		t.Errorf("check = %+v, want acknowledged messages, none lost, none duplicated", rep.Check)
	}
	if rep.Options.Store != "etcd" || rep.Options.Replicas != 2 || rep.Setup.Incidents != 3 {
		t.Errorf("options %+v, setup %+v", rep.Options, rep.Setup)
	}
	if len(rep.Memory.Replicas) != 2 || rep.Memory.Replicas[0].HWMMiB <= 0 || rep.Memory.Replicas[1].HWMMiB <= 0 {
		t.Errorf("want the RSS of both replicas: %+v", rep.Memory)
	}
	if rep.Etcd == nil || len(rep.Etcd.Members) != 3 || rep.Etcd.Local {
		t.Fatalf("etcd report %+v, want the three members' figures", rep.Etcd)
	}
	for _, m := range rep.Etcd.Members {
		if m.ProposalsCommitted <= 0 || m.DBMiB <= 0 {
			t.Errorf("member %+v: no proposals or no database size", m)
		}
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

func TestOtherReplica(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= maxReplicas; n++ {
		for first := range n {
			seen := map[int]bool{}
			for range 100 {
				got := otherReplica(first, n, rng)
				if got < 0 || got >= n || (n > 1 && got == first) {
					t.Fatalf("otherReplica(%d, %d) = %d", first, n, got)
				}
				seen[got] = true
			}
			if n > 1 && len(seen) != n-1 {
				t.Errorf("otherReplica(%d, %d) chose only %v of the %d others", first, n, seen, n-1)
			}
		}
	}
}

// TestEtcdGrown sums what the members' counters grew by over muster's
// rounds, leaving out what they did between them (the floor's rounds).
func TestEtcdGrown(t *testing.T) {
	at := func(v float64) etcdMetrics {
		return etcdMetrics{"http://127.0.0.1:1": {"etcd_server_proposals_committed_total": v}}
	}
	spent := etcdMetrics{}.grown(at(100), at(150)).grown(at(400), at(425))
	if got := spent["http://127.0.0.1:1"]["etcd_server_proposals_committed_total"]; got != 75 {
		t.Errorf("proposals over two rounds = %v, want 50 + 25", got)
	}
	if spent.grown(nil, at(500)) != nil {
		t.Error("a failed reading left figures standing")
	}
}
