package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// tuneRuntime: GOGC 200 without a memory limit, 400 with one; GOGC and GOMEMLIMIT from
// the environment win.
func TestTuneRuntime(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")

	tuneRuntime(0)
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("no limit: GOGC %d, want %d", got, gcPercent)
	}
	tuneRuntime(900 << 20)
	if got, lim := debug.SetGCPercent(100), debug.SetMemoryLimit(-1); got != gcPercentLimited || lim != 900<<20 {
		t.Errorf("limit: GOGC %d limit %d, want %d and %d", got, lim, gcPercentLimited, 900<<20)
	}

	debug.SetMemoryLimit(math.MaxInt64)
	t.Setenv("GOMEMLIMIT", "2GiB") // the runtime read it at start; tuneRuntime must not replace it
	tuneRuntime(900 << 20)
	if lim := debug.SetMemoryLimit(-1); lim != math.MaxInt64 {
		t.Errorf("GOMEMLIMIT set: limit changed to %d", lim)
	}
	t.Setenv("GOGC", "50")
	debug.SetGCPercent(50)
	tuneRuntime(0)
	if got := debug.SetGCPercent(100); got != 50 {
		t.Errorf("GOGC=50 set: GOGC changed to %d", got)
	}
}
