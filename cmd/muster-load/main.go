// Command muster-load measures how fast muster acknowledges Slack's
// requests under load, next to the floor of a bare signature-checking
// server, and checks that every acknowledged message is in the store
// exactly once.
//
// It builds cmd/muster, starts it as a child process against a fake Slack
// Web API (bot/slack/fakeslack) and drives it with signed requests, all on
// 127.0.0.1. It stops by itself: each phase lasts -duration (at most 5
// minutes) or -max-requests requests, whichever comes first. The floor's
// phase and muster's alternate in -rounds rounds.
//
// With -store etcd muster keeps its store in etcd: a 3-member cluster that
// muster-load starts on loopback (internal/etcdtest, which runs the etcd
// server binary), or the one at -etcd-endpoints. With -replicas N (up to 4)
// it starts N muster processes sharing that store and sends each request to
// the next one in turn, and every Slack retry to another replica than the
// first delivery, as a load balancer in front of them would after a
// replica stopped answering.
//
//	go run ./cmd/muster-load [-incidents 50] [-rate 0] [-duration 20s] [-rounds 4] [-clients 128]
//	                         [-retries 0.05] [-clicks 0.01] [-commands 0.01] [-json]
//	                         [-store bbolt|etcd] [-etcd-endpoints URL,...] [-replicas 1]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/muster-bot/muster/bot/slack/fakeslack"
)

// Hard bounds, whatever the flags say.
const (
	maxDuration    = 5 * time.Minute
	maxRequestsCap = 5_000_000
	maxIncidents   = 1000
	maxClients     = 4096
	maxReplicas    = 4
	maxRounds      = 100
	minRound       = 100 * time.Millisecond
)

type options struct {
	incidents   int
	rate        float64
	duration    time.Duration
	clients     int
	retries     float64
	clicks      float64
	commands    float64
	maxRequests int
	json        bool
	bin         string
	skipFloor   bool
	secret      string
	cpuProfile  string // MUSTER_CPU_PROFILE of the (first) muster process
	rounds      int    // the phases alternate in this many rounds

	store         string   // "bbolt" or "etcd"
	etcdEndpoints []string // empty: start a local cluster
	replicas      int
}

const usage = `Usage: go run ./cmd/muster-load [flags]

Starts a fake Slack and the real muster (built from ./cmd/muster, run as a
child process) on 127.0.0.1, declares -incidents incidents, then sends
signed requests into their war rooms from -clients concurrent clients for
-duration: new messages, a share of them re-sent as Slack retries, role
button clicks and update commands. The same client hammers a bare server
that only verifies the signature (the floor) for as long: the two phases
alternate in -rounds rounds, so that a machine whose speed drifts (a shared
one) slows both alike.
Reports acks/s and ack latency for both, timeline entries written per
second and muster's RSS; then stops muster with SIGTERM and checks that
every acknowledged message is in its incident's timeline exactly once.
Exit status 1 if one is lost or duplicated.

With -store etcd, muster's store is an etcd cluster: a local one of three
members started for the run (needs the etcd server binary: apt-get install
etcd-server), or the one at -etcd-endpoints, under a fresh key prefix.
-replicas N starts N muster processes on that store; requests go to them
in turn, a retried delivery to another replica than the first one. The
incidents are declared through the first replica. RSS is reported summed
and per replica, with the etcd members' own figures for the phase.

Flags:
`

func main() {
	if secret := os.Getenv(floorEnv); secret != "" {
		os.Exit(serveFloor(secret))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("muster-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	fs.IntVar(&o.incidents, "incidents", 50, "incidents declared, each with its war room (at most 1000)")
	fs.Float64Var(&o.rate, "rate", 0, "requests per second over all clients, in each phase; 0: as fast as the server answers")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "length of each phase (floor and muster); at most 5m")
	fs.IntVar(&o.rounds, "rounds", 4, "the floor and muster phases alternate in this many rounds, each -duration/-rounds long, so that both see the machine alike")
	fs.IntVar(&o.clients, "clients", 128, "concurrent clients, each with its own connection")
	fs.Float64Var(&o.retries, "retries", 0.05, "share of requests that re-send a recent message as Slack's retry (same event_id, X-Slack-Retry-Num: 1); with several replicas, to another replica than the first delivery")
	fs.Float64Var(&o.clicks, "clicks", 0.01, "share of requests that press a war room's \"I'll be IC\" button")
	fs.Float64Var(&o.commands, "commands", 0.01, "share of requests that are `/incident update <text>` in a war room")
	fs.IntVar(&o.maxRequests, "max-requests", 1_000_000, "at most this many requests in each phase (at most 5,000,000)")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON")
	fs.StringVar(&o.bin, "bin", "", "muster binary to run; empty: go build github.com/muster-bot/muster/cmd/muster")
	fs.BoolVar(&o.skipFloor, "no-floor", false, "skip the floor phase")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of muster (the first replica) to this file, for go tool pprof")
	fs.StringVar(&o.store, "store", "bbolt", "muster's store: bbolt (a file) or etcd")
	var endpoints string
	fs.StringVar(&endpoints, "etcd-endpoints", "", "with -store etcd: comma-separated client URLs (http://127.0.0.1:PORT) of a running cluster; empty: start a local 3-member cluster for the run")
	fs.IntVar(&o.replicas, "replicas", 1, "muster processes sharing the store, each request to the next in turn (above 1 only with -store etcd; at most 4)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for _, e := range strings.Split(endpoints, ",") {
		if e = strings.TrimSpace(e); e != "" {
			o.etcdEndpoints = append(o.etcdEndpoints, e)
		}
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var problems []string
	if o.incidents < 1 || o.incidents > maxIncidents {
		problems = append(problems, fmt.Sprintf("-incidents must be 1..%d", maxIncidents))
	}
	if o.duration <= 0 || o.duration > maxDuration {
		problems = append(problems, fmt.Sprintf("-duration must be above 0 and at most %s", maxDuration))
	}
	if o.rounds < 1 || o.rounds > maxRounds || o.duration/time.Duration(max(o.rounds, 1)) < minRound {
		problems = append(problems, fmt.Sprintf("-rounds must be 1..%d, each round at least %s of -duration", maxRounds, minRound))
	}
	if o.clients < 1 || o.clients > maxClients {
		problems = append(problems, fmt.Sprintf("-clients must be 1..%d", maxClients))
	}
	if o.rate < 0 {
		problems = append(problems, "-rate must not be negative")
	}
	if o.maxRequests < 1 || o.maxRequests > maxRequestsCap {
		problems = append(problems, fmt.Sprintf("-max-requests must be 1..%d", maxRequestsCap))
	}
	for name, v := range map[string]float64{"-retries": o.retries, "-clicks": o.clicks, "-commands": o.commands} {
		if v < 0 || v > 1 {
			problems = append(problems, name+" must be a share from 0 to 1")
		}
	}
	if o.retries+o.clicks+o.commands > 1 {
		problems = append(problems, "-retries, -clicks and -commands add up to more than 1")
	}
	switch o.store {
	case "bbolt":
		if o.replicas > 1 {
			problems = append(problems, "-replicas above 1 needs -store etcd: one process holds a bbolt file")
		}
		if len(o.etcdEndpoints) > 0 {
			problems = append(problems, "-etcd-endpoints needs -store etcd")
		}
	case "etcd":
		for _, e := range o.etcdEndpoints {
			if err := checkEndpoint(e); err != nil {
				problems = append(problems, "-etcd-endpoints: "+err.Error())
			}
		}
	default:
		problems = append(problems, fmt.Sprintf("-store must be bbolt or etcd, not %q", o.store))
	}
	if o.replicas < 1 || o.replicas > maxReplicas {
		problems = append(problems, fmt.Sprintf("-replicas must be 1..%d", maxReplicas))
	}
	if len(problems) > 0 {
		return o, errors.New(strings.Join(problems, "; "))
	}
	o.secret = "muster-load-signing-secret"
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "muster-load: %v\n", err)
		return 2
	}
	// A bound on the whole run: two phases, the set-up and the check.
	ctx, cancel := context.WithTimeout(ctx, 2*o.duration+5*time.Minute)
	defer cancel()
	rep, err := measure(ctx, o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "muster-load: %v\n", err)
		return 1
	}
	if o.json {
		if err := rep.writeJSON(stdout); err != nil {
			fmt.Fprintf(stderr, "muster-load: %v\n", err)
			return 1
		}
	} else {
		rep.writeText(stdout)
	}
	if rep.Check.Lost > 0 || rep.Check.Duplicated > 0 {
		return 1
	}
	return 0
}

// measure runs the floor phase, then the muster phase and the check.
func measure(ctx context.Context, o options, progress io.Writer) (*report, error) {
	say := func(format string, args ...any) {
		if !o.json {
			fmt.Fprintf(progress, "· "+format+"\n", args...)
		}
	}
	dir, err := os.MkdirTemp("", "muster-load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	rep := &report{Options: reportOptions{
		Incidents: o.incidents, Rate: o.rate, Duration: o.duration.String(), Rounds: o.rounds, Clients: o.clients,
		Retries: o.retries, Clicks: o.clicks, Commands: o.commands, MaxRequests: o.maxRequests,
	}}
	if o.store == "etcd" {
		rep.Options.Store, rep.Options.Replicas = o.store, o.replicas
	}
	rep.Machine = machine()

	bin := o.bin
	if bin == "" {
		say("building cmd/muster")
		if bin, err = buildMuster(ctx, dir); err != nil {
			return nil, err
		}
	}

	var floor *child
	if !o.skipFloor {
		if floor, err = startFloor(ctx, o.secret); err != nil {
			return nil, err
		}
		defer func() {
			if err := floor.stop(5 * time.Second); err != nil {
				say("floor server: %v", err)
			}
		}()
	}

	fake := fakeslack.New()
	defer fake.Close()
	for _, u := range []string{"UALICE", "UBOB", "UCAROL"} {
		fake.AddUser(u, strings.ToLower(u[1:]))
	}
	fake.AddChannel("CANNOUNCE", "incidents", false)
	fake.AddChannel("CGENERAL", "general", false)
	st, err := openBackend(o, dir, say)
	if err != nil {
		return nil, err
	}
	defer st.close()
	rep.Options.EtcdEndpoints = o.etcdEndpoints
	bots, err := startReplicas(ctx, o, bin, dir, st.yaml, fake.URL(), say)
	if err != nil {
		return nil, err
	}
	defer stopReplicas(bots, 5*time.Second)
	pids := make([]int, len(bots))
	startMem := make([]memory, len(bots))
	for i, b := range bots {
		pids[i] = b.cmd.Process.Pid
		startMem[i], _ = readMemory(pids[i])
	}

	say("declaring %d incidents", o.incidents)
	setupStart := time.Now()
	rooms, err := declare(ctx, o, bots[0].url, fake)
	if err != nil {
		return nil, fmt.Errorf("%w\nmuster's log:\n%s", err, bots[0].stderr.String())
	}
	rep.Setup = setup{Incidents: len(rooms), Seconds: time.Since(setupStart).Seconds()}

	urls := make([]string, len(bots))
	for i, b := range bots {
		urls[i] = b.url
	}
	var floorSide *side
	if floor != nil {
		floorRooms := make([]*room, o.incidents)
		for i := range floorRooms {
			floorRooms[i] = &room{incident: i + 1, channel: fmt.Sprintf("CFLOOR%04d", i+1), actionID: "role_ic", value: "ic", messageTS: "1700000000.000100"}
		}
		// The fake only lends response URLs here.
		floorSide = &side{name: "floor", load: newLoad(o, []string{floor.url}, fakeslack.New(), floorRooms), cpu: newCPUMeter(floor.cmd.Process.Pid)}
	}
	musterSide := &side{name: "muster", load: newLoad(o, urls, fake, rooms), cpu: newCPUMeter(pids...)}
	if floor != nil {
		say("floor (a bare server that verifies the signature) and muster in turn, %d rounds of %s each, %d clients", o.rounds, o.duration/time.Duration(o.rounds), o.clients)
	} else {
		say("muster: %d clients for %s", o.clients, o.duration)
	}
	if len(bots) > 1 {
		say("muster has %d replicas", len(bots))
	}
	// The etcd members' counters grow by what muster's rounds cost them;
	// the floor's rounds, in between, are left out.
	spent, last := etcdMetrics{}, etcdMetrics(nil)
	stopSampling := make(chan struct{})
	peak := sampleMemory(pids, 100*time.Millisecond, stopSampling)
	for r := range o.rounds {
		// Rounds split -duration evenly; the last takes what division left.
		d := o.duration / time.Duration(o.rounds)
		if r == o.rounds-1 {
			d = o.duration - d*time.Duration(o.rounds-1)
		}
		if floorSide != nil {
			floorSide.round(ctx, d)
		}
		before := st.serverFigures(ctx, say)
		musterSide.round(ctx, d)
		last = st.serverFigures(ctx, say)
		spent = spent.grown(before, last)
	}
	close(stopSampling)
	mem := <-peak
	if floorSide != nil {
		p := floorSide.summary()
		rep.Floor = &p
	}
	p := musterSide.summary()
	rep.Muster = &p
	rep.Memory = memoryFigures(startMem, mem)
	rep.Etcd = st.etcdReport(spent, last)
	elapsed := musterSide.elapsed
	l := musterSide.load

	say("stopping muster (SIGTERM) and checking the store")
	stopStart := time.Now()
	if err := stopReplicas(bots, 30*time.Second); err != nil {
		return nil, err
	}
	rep.StopSeconds = time.Since(stopStart).Seconds()
	check, err := st.verify(ctx, l)
	if err != nil {
		return nil, err
	}
	rep.Check = check
	rep.Check.EntriesPerSecond = float64(check.Acknowledged) / elapsed.Seconds()
	if rep.Floor != nil && rep.Floor.AcksPerSecond > 0 {
		rep.Targets = targets(rep.Floor, rep.Muster)
	}
	return rep, nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// machine describes where the figures were taken.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s)", numCPU(), model)
}
