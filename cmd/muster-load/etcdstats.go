package main

// The etcd members' own figures for the muster phase, from the Prometheus
// metrics every member serves on its client URL: what the cluster did for
// the acknowledgements muster gave.

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// etcdReport is the cluster's side of the muster phase.
type etcdReport struct {
	Endpoints []string `json:"endpoints"`
	Local     bool     `json:"local_cluster"` // started by muster-load for the run
	Prefix    string   `json:"prefix"`
	// DBMiB sums the members' database sizes after the phase (etcd's
	// etcd_mvcc_db_total_size_in_bytes: the bbolt file inside each member;
	// its write-ahead log is not counted). On a cluster that muster-load
	// did not start, it includes whatever else the cluster holds.
	DBMiB   float64      `json:"db_mib"`
	Members []etcdMember `json:"members,omitempty"`
}

// etcdMember is one member's counters over the muster phase (differences
// between the starts and ends of the phase), and its state at the end.
type etcdMember struct {
	Endpoint            string  `json:"endpoint"`
	Leader              bool    `json:"leader"`
	ProposalsCommitted  float64 `json:"proposals_committed"`
	WALFsyncs           float64 `json:"wal_fsyncs"`
	WALFsyncMeanMs      float64 `json:"wal_fsync_mean_ms"`
	BackendCommits      float64 `json:"backend_commits"`
	BackendCommitMeanMs float64 `json:"backend_commit_mean_ms"`
	CPUSeconds          float64 `json:"cpu_seconds"`
	RSSMiB              float64 `json:"rss_mib"`
	DBMiB               float64 `json:"db_mib"`
}

// etcdMetrics are the members' metrics at one moment, by endpoint; nil
// when they could not all be read.
type etcdMetrics map[string]map[string]float64

// grown adds to spent what every metric of every member grew by from
// before to after, and returns it; nil when one of them is nil (a reading
// failed, or the store is bbolt).
func (spent etcdMetrics) grown(before, after etcdMetrics) etcdMetrics {
	if spent == nil || before == nil || after == nil {
		return nil
	}
	for e, y := range after {
		if spent[e] == nil {
			spent[e] = map[string]float64{}
		}
		for name, v := range y {
			spent[e][name] += v - before[e][name]
		}
	}
	return spent
}

var etcdMetricNames = []string{
	"etcd_server_is_leader",
	"etcd_server_proposals_committed_total",
	"etcd_disk_wal_fsync_duration_seconds_count",
	"etcd_disk_wal_fsync_duration_seconds_sum",
	"etcd_disk_backend_commit_duration_seconds_count",
	"etcd_disk_backend_commit_duration_seconds_sum",
	"etcd_mvcc_db_total_size_in_bytes",
	"process_cpu_seconds_total",
	"process_resident_memory_bytes",
}

// serverFigures reads every member's metrics; nil with bbolt, or when a
// member does not answer (the run goes on without the etcd figures).
func (b *backend) serverFigures(ctx context.Context, say func(string, ...any)) etcdMetrics {
	if b.etcd == nil {
		return nil
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: loopbackTransport(1)}
	defer client.CloseIdleConnections()
	all := etcdMetrics{}
	for _, e := range b.etcd.endpoints {
		m, err := scrape(ctx, client, strings.TrimSuffix(e, "/")+"/metrics")
		if err != nil {
			say("etcd figures left out: %v", err)
			return nil
		}
		all[e] = m
	}
	return all
}

// scrape reads the metrics in etcdMetricNames from a Prometheus text
// endpoint; all of them are without labels.
func scrape(ctx context.Context, client *http.Client, u string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
	}
	want := map[string]bool{}
	for _, n := range etcdMetricNames {
		want[n] = true
	}
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 || !want[f[0]] {
			continue
		}
		if v, err := strconv.ParseFloat(f[1], 64); err == nil {
			m[f[0]] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	return m, nil
}

// etcdReport makes the report of what the members' counters grew by over
// muster's rounds (spent, see grown) and their state at the end (last);
// nil with bbolt.
func (b *backend) etcdReport(spent, last etcdMetrics) *etcdReport {
	if b.etcd == nil {
		return nil
	}
	r := &etcdReport{Endpoints: b.etcd.endpoints, Local: b.etcd.local, Prefix: b.etcd.prefix}
	if spent == nil || last == nil {
		return r
	}
	for _, e := range b.etcd.endpoints {
		x, y := spent[e], last[e]
		d := func(name string) float64 { return x[name] }
		mean := func(count, sum string) float64 {
			if n := d(count); n > 0 {
				return 1000 * d(sum) / n
			}
			return 0
		}
		m := etcdMember{
			Endpoint:            e,
			Leader:              y["etcd_server_is_leader"] == 1,
			ProposalsCommitted:  d("etcd_server_proposals_committed_total"),
			WALFsyncs:           d("etcd_disk_wal_fsync_duration_seconds_count"),
			WALFsyncMeanMs:      mean("etcd_disk_wal_fsync_duration_seconds_count", "etcd_disk_wal_fsync_duration_seconds_sum"),
			BackendCommits:      d("etcd_disk_backend_commit_duration_seconds_count"),
			BackendCommitMeanMs: mean("etcd_disk_backend_commit_duration_seconds_count", "etcd_disk_backend_commit_duration_seconds_sum"),
			CPUSeconds:          d("process_cpu_seconds_total"),
			RSSMiB:              y["process_resident_memory_bytes"] / (1 << 20),
			DBMiB:               y["etcd_mvcc_db_total_size_in_bytes"] / (1 << 20),
		}
		r.DBMiB += m.DBMiB
		r.Members = append(r.Members, m)
	}
	return r
}
