package main

import (
	"runtime"
	"slices"

	"github.com/tlsmon/tlsmon/policy"
)

// defaultWorkers is --workers when it is not given (or given as 0). Reading files whose
// outputs the shards can build (split.go: every run but a --load with a validate script),
// one engine per usable CPU: runtime.GOMAXPROCS, which counts the CPUs the process may run
// on and its cgroup's CPU quota (GOMAXPROCS set in the environment wins). The output is the
// same for every N. Otherwise 1: a run that hands every event to one consumer in turns is
// slower with more engines (docs/SCALING.md); standard input may be a pipe that delivers
// packets slowly, and the dispatcher hands frames to the shards in batches (a frame would
// wait for its batch to fill); a live worker is a socket of the interface's fanout group,
// which the operator sizes.
func defaultWorkers(cfg config) int {
	if len(cfg.sensor.ifaces) > 0 || slices.Contains(cfg.reads, "-") ||
		(len(cfg.load) > 0 && !policy.Splittable(cfg.load)) {
		return 1
	}
	return max(runtime.GOMAXPROCS(0), 1)
}
