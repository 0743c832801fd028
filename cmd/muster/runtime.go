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
// muster's live heap is small (a few MiB at rest, tens under load) and
// every request allocates, so with Go's default (GOGC=100) it collects
// several times a second under load, each cycle scanning every
// goroutine's stack. Letting the heap grow to five times the live data
// cut the collector's share of the CPU enough to lift `muster-load`'s
// rate by about a quarter, for some 20 MiB more RSS under load; at rest
// the heap, and RSS, stay as they were. The soft limit keeps a runaway
// from taking the machine: near it the collector works harder again.
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
