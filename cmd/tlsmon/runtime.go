package main

import (
	"math"
	"os"
	"runtime/debug"
)

// The garbage collector's policy (docs/PERFORMANCE.md, "Process-level costs"). tlsmon's live
// heap is small against what it allocates over a run (perfmix: ≈ 10 MB live, 29 MB
// allocated; the no-repetition capture: ≈ 30 MB live, 86 MB allocated) and the collector's
// work is about proportional to allocation / GOGC, so a higher GOGC than Go's 100 buys
// back most of it for a few MB. How high is bounded by memory:
//
//   - gcPercentLimited when a soft memory limit bounds the heap (GOMEMLIMIT, or the
//     memory budget's limit, 90 % of --max-memory: the default): the heap then grows to
//     5× the live data while that is small and is held under the limit when it is not, so
//     the high GOGC costs memory only where there is room for it;
//   - gcPercent without a limit (--max-memory none): a heap of 3× the live data instead
//     of Go's 2×, for a live heap that nothing bounds.
//
// GOGC and GOMEMLIMIT in the environment win: a user's setting is not overridden.
const (
	gcPercent        = 200
	gcPercentLimited = 400
)

// tuneRuntime sets the garbage collector's policy for the run. memLimit, if positive, is
// the soft memory limit to set (the memory budget's, at 90 % of it); GOMEMLIMIT, if set,
// wins over it. Calling it again (with a limit found later) is harmless.
func tuneRuntime(memLimit int64) {
	if memLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memLimit)
	}
	if os.Getenv("GOGC") != "" {
		return
	}
	pct := gcPercent
	if debug.SetMemoryLimit(-1) < math.MaxInt64 { // a negative argument reads the limit
		pct = gcPercentLimited
	}
	debug.SetGCPercent(pct)
}
