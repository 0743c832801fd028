package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/pprof"
)

// GC settings of the muster process, used unless GOGC or GOMEMLIMIT is set.
//
// muster's live heap is small and every request allocates, so with Go's
// default (GOGC=100) it collects often under load, each cycle scanning
// every goroutine's stack. Letting the heap grow to five times the live
// data trades memory under load for fewer cycles; at rest the
// live data is small, and so is five times it. The soft limit keeps a
// runaway from taking the machine: near it the collector works harder
// again. docs/PERFORMANCE.md has the measurements behind the numbers.
const (
	gcPercent   = 400
	memoryLimit = 512 << 20
)

// tuneGC applies the GC settings above where the environment does not
// choose its own.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

// profileCPU writes a CPU profile of the whole process to path (from
// MUSTER_CPU_PROFILE; empty: none) until the returned function is called,
// for `go tool pprof`. A profile that cannot be started is reported and
// skipped: it must not keep muster from serving.
func profileCPU(path string, stderr io.Writer) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(stderr, "muster: MUSTER_CPU_PROFILE: %v\n", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(stderr, "muster: MUSTER_CPU_PROFILE: %v\n", err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(stderr, "muster: MUSTER_CPU_PROFILE: %v\n", err)
		}
	}
}
