package main

// The muster processes under load: one, or with etcd several sharing the
// store, as behind a load balancer.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// startReplicas starts o.replicas muster processes on the store that
// storeYAML configures, one after the other.
func startReplicas(ctx context.Context, o options, bin, dir, storeYAML, apiURL string, say func(string, ...any)) ([]*child, error) {
	var bots []*child
	for i := range o.replicas {
		rdir := dir
		if o.replicas > 1 {
			say("starting muster replica %d", i)
			rdir = filepath.Join(dir, fmt.Sprintf("replica-%d", i))
			if err := os.MkdirAll(rdir, 0o700); err != nil {
				stopReplicas(bots, 5*time.Second)
				return nil, err
			}
		}
		profile := ""
		if i == 0 && o.cpuProfile != "" {
			abs, err := filepath.Abs(o.cpuProfile)
			if err != nil {
				stopReplicas(bots, 5*time.Second)
				return nil, err
			}
			profile = abs
		}
		bot, err := startMuster(ctx, bin, rdir, storeYAML, apiURL, o.secret, profile)
		if err != nil {
			stopReplicas(bots, 5*time.Second)
			return nil, err
		}
		if o.replicas > 1 {
			bot.name = fmt.Sprintf("muster replica %d", i)
		}
		bots = append(bots, bot)
	}
	return bots, nil
}

// stopReplicas stops every replica at once, SIGTERM then SIGKILL after
// limit, and waits for all; stopping a stopped one again is a no-op.
func stopReplicas(bots []*child, limit time.Duration) error {
	errs := make([]error, len(bots))
	var wg sync.WaitGroup
	for i, b := range bots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.stop(limit); err != nil {
				errs[i] = fmt.Errorf("%s did not stop cleanly: %v\n%s", b.name, err, b.stderr.String())
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// memoryFigures sums what was read of each replica's memory.
func memoryFigures(start []memory, p peaks) memoryReport {
	var r memoryReport
	for i := range start {
		one := memoryReport{StartMiB: mib(start[i].RSS), PeakRSSMiB: mib(p.each[i].RSS), HWMMiB: mib(p.each[i].HWM)}
		r.StartMiB += one.StartMiB
		r.HWMMiB += one.HWMMiB
		r.Replicas = append(r.Replicas, one)
	}
	r.PeakRSSMiB = mib(p.sumRSS)
	if len(r.Replicas) == 1 {
		r.Replicas = nil
	}
	return r
}
