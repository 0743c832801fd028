package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/muster-bot/muster"
)

type report struct {
	Options     reportOptions `json:"options"`
	Machine     string        `json:"machine"`
	Floor       *phase        `json:"floor,omitempty"`
	Setup       setup         `json:"setup"`
	Muster      *phase        `json:"muster"`
	Memory      memoryReport  `json:"muster_memory"`
	StopSeconds float64       `json:"muster_stop_seconds"`
	Check       check         `json:"check"`
	Targets     []target      `json:"targets,omitempty"`
	Etcd        *etcdReport   `json:"etcd,omitempty"`
}

type reportOptions struct {
	Incidents   int     `json:"incidents"`
	Rate        float64 `json:"rate"`
	Duration    string  `json:"duration"`
	Rounds      int     `json:"rounds"`
	Clients     int     `json:"clients"`
	Retries     float64 `json:"retries"`
	Clicks      float64 `json:"clicks"`
	Commands    float64 `json:"commands"`
	MaxRequests int     `json:"max_requests"`
	// Only with -store etcd.
	Store         string   `json:"store,omitempty"`
	Replicas      int      `json:"replicas,omitempty"`
	EtcdEndpoints []string `json:"etcd_endpoints,omitempty"` // as given; empty: a local cluster
}

type setup struct {
	Incidents int     `json:"incidents"`
	Seconds   float64 `json:"seconds"`
}

// latencies are in milliseconds, over acknowledged requests.
type latencies struct {
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

type kindStats struct {
	Kind     string `json:"kind"`
	Requests int    `json:"requests"`
	Acked    int    `json:"acked"`
	latencies
}

type phase struct {
	Name          string         `json:"name"`
	Seconds       float64        `json:"seconds"`
	Requests      int            `json:"requests"`
	Acked         int            `json:"acked"`
	NotAcked      map[string]int `json:"not_acked,omitempty"` // by status ("no answer" when none came)
	AcksPerSecond float64        `json:"acks_per_second"`
	latencies
	Kinds []kindStats `json:"kinds"`
	// CPU time per request, in µs: of the server (the floor, or muster's
	// processes summed) and of muster-load itself (the clients and the
	// fake Slack). Steadier than rates on a shared machine.
	ServerCPU float64 `json:"server_cpu_us_per_request"`
	DriverCPU float64 `json:"driver_cpu_us_per_request"`
}

// memoryReport is muster's memory; with several replicas, summed over
// them, and each one's in Replicas.
type memoryReport struct {
	StartMiB   float64        `json:"start_rss_mib"`
	PeakRSSMiB float64        `json:"peak_sampled_rss_mib"` // highest VmRSS of samples every 100 ms (of the sum)
	HWMMiB     float64        `json:"vm_hwm_mib"`           // the kernel's peak (VmHWM), over the whole life so far
	Replicas   []memoryReport `json:"replicas,omitempty"`
}

type check struct {
	Sent              int     `json:"messages_sent"` // distinct messages
	Acknowledged      int     `json:"messages_acknowledged"`
	Lost              int     `json:"lost"`                     // acknowledged, not in the timeline
	Duplicated        int     `json:"duplicated"`               // in the timeline more than once
	WrittenWithoutAck int     `json:"written_without_ack"`      // in the timeline, never acknowledged (allowed)
	EntriesPerSecond  float64 `json:"entries_per_second"`       // acknowledged messages / phase length
	TimelineEntries   int     `json:"timeline_entries"`         // all entries of the incidents, any kind
	StoreMiB          float64 `json:"store_file_mib,omitempty"` // the bbolt file's size after the run
}

type target struct {
	What  string  `json:"what"`
	Want  string  `json:"want"`
	Ratio float64 `json:"ratio"`
	Met   bool    `json:"met"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func percentiles(ls []time.Duration) latencies {
	if len(ls) == 0 {
		return latencies{}
	}
	slices.Sort(ls)
	at := func(q float64) time.Duration {
		i := int(q * float64(len(ls)))
		return ls[min(i, len(ls)-1)]
	}
	return latencies{P50: ms(at(0.50)), P95: ms(at(0.95)), P99: ms(at(0.99)), Max: ms(ls[len(ls)-1])}
}

func summarize(name string, samples []sample, elapsed time.Duration) phase {
	p := phase{Name: name, Seconds: elapsed.Seconds(), Requests: len(samples), NotAcked: map[string]int{}}
	var all []time.Duration
	byKind := make([][]time.Duration, kinds)
	counts := make([]int, kinds)
	for _, s := range samples {
		counts[s.kind]++
		if s.status != http.StatusOK {
			why := "no answer"
			if s.status != 0 {
				why = fmt.Sprintf("HTTP %d", s.status)
			}
			p.NotAcked[why]++
			continue
		}
		all = append(all, s.latency)
		byKind[s.kind] = append(byKind[s.kind], s.latency)
	}
	p.Acked = len(all)
	p.AcksPerSecond = float64(p.Acked) / elapsed.Seconds()
	p.latencies = percentiles(all)
	for k := range kinds {
		if counts[k] == 0 {
			continue
		}
		p.Kinds = append(p.Kinds, kindStats{Kind: kindNames[k], Requests: counts[k], Acked: len(byKind[k]), latencies: percentiles(byKind[k])})
	}
	if len(p.NotAcked) == 0 {
		p.NotAcked = nil
	}
	return p
}

// targets are the project's goals for acknowledging events (README,
// Performance): each after its fsync, at no less than a fifth of the
// floor's rate (several times what Slack sends a workspace), p99 within
// 3×.
func targets(floor, bot *phase) []target {
	rate := bot.AcksPerSecond / floor.AcksPerSecond
	var p99 float64
	if floor.P99 > 0 {
		p99 = bot.P99 / floor.P99
	}
	return []target{
		{What: "acks/s, muster ÷ floor", Want: "≥ 0.2", Ratio: rate, Met: rate >= 0.2},
		{What: "p99, muster ÷ floor", Want: "≤ 3", Ratio: p99, Met: p99 > 0 && p99 <= 3},
	}
}

// verify reads the timelines muster left in db and checks every message
// sent: an acknowledged one must be in its incident's timeline exactly
// once, any other at most once.
func verify(ctx context.Context, db timelines, l *load) (check, error) {
	var c check
	texts := make(map[int]map[string]int, len(l.rooms))
	for _, r := range l.rooms {
		tl, err := db.Timeline(ctx, r.incident)
		if err != nil {
			return check{}, fmt.Errorf("read the timeline of INC-%d: %w", r.incident, err)
		}
		c.TimelineEntries += len(tl)
		m := map[string]int{}
		for _, e := range tl {
			if e.Kind == muster.EntryMessage {
				m[e.Text]++
			}
		}
		texts[r.incident] = m
	}
	n := min(l.seq.Load(), int64(len(l.msgs)))
	for seq := int64(1); seq <= n; seq++ {
		m := l.msgs[seq-1]
		if m.seq == 0 {
			continue // numbered but never sent (the cap was reached)
		}
		c.Sent++
		got := texts[l.rooms[m.room].incident][m.text()]
		acked := l.acked[seq-1].Load()
		if acked {
			c.Acknowledged++
		}
		switch {
		case got > 1:
			c.Duplicated++
		case got == 0 && acked:
			c.Lost++
		case got == 1 && !acked:
			c.WrittenWithoutAck++
		}
	}
	return c, nil
}

func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func (r *report) writeText(w io.Writer) {
	o := r.Options
	rate := "as fast as answered"
	if o.Rate > 0 {
		rate = fmt.Sprintf("%.0f requests/s", o.Rate)
	}
	fmt.Fprintf(w, "muster-load: %d incidents, %d clients, %s per phase, %s; retries %.0f%%, clicks %.0f%%, commands %.0f%%\n",
		o.Incidents, o.Clients, o.Duration, rate, 100*o.Retries, 100*o.Clicks, 100*o.Commands)
	if r.Etcd != nil {
		where := "the etcd cluster at " + strings.Join(r.Etcd.Endpoints, ",")
		if r.Etcd.Local {
			where = "a local 3-member etcd cluster started for the run"
		}
		replicas := "1 muster replica"
		if o.Replicas > 1 {
			replicas = fmt.Sprintf("%d muster replicas, requests round-robin, each retry to another replica than its first delivery", o.Replicas)
		}
		fmt.Fprintf(w, "store: etcd, prefix %s on %s; %s\n", r.Etcd.Prefix, where, replicas)
	}
	fmt.Fprintf(w, "machine: %s\n\n", r.Machine)
	fmt.Fprintf(w, "%-16s %9s %9s %9s %8s %8s %8s %8s\n", "", "requests", "acked", "acks/s", "p50 ms", "p95 ms", "p99 ms", "max ms")
	row := func(name string, req, acked int, perSec float64, l latencies) {
		ps := ""
		if perSec >= 0 {
			ps = fmt.Sprintf("%.0f", perSec)
		}
		fmt.Fprintf(w, "%-16s %9d %9d %9s %8.2f %8.2f %8.2f %8.2f\n", name, req, acked, ps, l.P50, l.P95, l.P99, l.Max)
	}
	for _, p := range []*phase{r.Floor, r.Muster} {
		if p == nil {
			continue
		}
		row(p.Name, p.Requests, p.Acked, p.AcksPerSecond, p.latencies)
		for _, k := range p.Kinds {
			row("  "+k.Kind, k.Requests, k.Acked, float64(k.Acked)/p.Seconds, k.latencies)
		}
		if len(p.NotAcked) > 0 {
			var why []string
			for k, v := range p.NotAcked {
				why = append(why, fmt.Sprintf("%s: %d", k, v))
			}
			sort.Strings(why)
			fmt.Fprintf(w, "  not acknowledged: %s\n", strings.Join(why, ", "))
		}
	}
	fmt.Fprintln(w)
	if r.Floor != nil {
		fmt.Fprintf(w, "phases: floor %.1fs, muster %.1fs, in %d alternating rounds (shorter than -duration when -max-requests ends it)\n", r.Floor.Seconds, r.Muster.Seconds, r.Options.Rounds)
	}
	if r.Floor != nil {
		fmt.Fprintf(w, "cpu per request: floor server %.0f µs (muster-load %.0f), muster %.0f µs (muster-load %.0f)\n",
			r.Floor.ServerCPU, r.Floor.DriverCPU, r.Muster.ServerCPU, r.Muster.DriverCPU)
	} else {
		fmt.Fprintf(w, "cpu per request: muster %.0f µs (muster-load %.0f)\n", r.Muster.ServerCPU, r.Muster.DriverCPU)
	}
	fmt.Fprintf(w, "set-up: %d incidents declared one by one in %.2fs\n", r.Setup.Incidents, r.Setup.Seconds)
	fmt.Fprintf(w, "timeline: %d messages acknowledged in %.1fs = %.0f entries/s written; the store holds %d entries in all\n",
		r.Check.Acknowledged, r.Muster.Seconds, r.Check.EntriesPerSecond, r.Check.TimelineEntries)
	if r.Etcd == nil {
		fmt.Fprintf(w, "store: %.1f MiB on disk after the run\n", r.Check.StoreMiB)
	} else {
		r.Etcd.writeText(w, r.Muster.Seconds)
	}
	if n := len(r.Memory.Replicas); n > 1 {
		fmt.Fprintf(w, "muster RSS, %d replicas summed: %.1f MiB when ready, %.1f MiB highest sampled under load, VmHWM %.1f MiB\n",
			n, r.Memory.StartMiB, r.Memory.PeakRSSMiB, r.Memory.HWMMiB)
		for i, m := range r.Memory.Replicas {
			fmt.Fprintf(w, "  replica %d: %.1f MiB when ready, %.1f MiB highest sampled, VmHWM %.1f MiB\n", i, m.StartMiB, m.PeakRSSMiB, m.HWMMiB)
		}
	} else {
		fmt.Fprintf(w, "muster RSS: %.1f MiB when ready, %.1f MiB highest sampled under load, VmHWM %.1f MiB\n",
			r.Memory.StartMiB, r.Memory.PeakRSSMiB, r.Memory.HWMMiB)
	}
	fmt.Fprintf(w, "stop: SIGTERM to exit %.2fs\n", r.StopSeconds)
	fmt.Fprintf(w, "check: %d messages sent, %d acknowledged; lost %d, duplicated %d, written without an ack %d\n",
		r.Check.Sent, r.Check.Acknowledged, r.Check.Lost, r.Check.Duplicated, r.Check.WrittenWithoutAck)
	for _, t := range r.Targets {
		met := "MISSED"
		if t.Met {
			met = "met"
		}
		fmt.Fprintf(w, "target: %s = %.2f, want %s: %s\n", t.What, t.Ratio, t.Want, met)
	}
}

// writeText says what the etcd members did during the muster phase, which
// lasted seconds.
func (e *etcdReport) writeText(w io.Writer, seconds float64) {
	if len(e.Members) == 0 {
		fmt.Fprintln(w, "store: etcd; its members' figures could not be read")
		return
	}
	fmt.Fprintf(w, "store: etcd; the members' databases hold %.1f MiB summed (etcd's db size; write-ahead logs not counted; no store file as with bbolt)\n", e.DBMiB)
	fmt.Fprintln(w, "etcd members during the muster phase:")
	for _, m := range e.Members {
		role := "follower"
		if m.Leader {
			role = "leader"
		}
		fmt.Fprintf(w, "  %s %-8s %9.0f proposals (%.0f/s), %8.0f WAL fsyncs (mean %.2f ms), %6.0f backend commits (mean %.2f ms), CPU %.1f s (%.0f%% of one core), RSS %.1f MiB, db %.1f MiB\n",
			m.Endpoint, role, m.ProposalsCommitted, m.ProposalsCommitted/seconds, m.WALFsyncs, m.WALFsyncMeanMs,
			m.BackendCommits, m.BackendCommitMeanMs, m.CPUSeconds, 100*m.CPUSeconds/seconds, m.RSSMiB, m.DBMiB)
	}
}
