package main

import (
	"runtime"
	"slices"
)

// defaultWorkers is --workers when it is not given (or given as 0). Reading files, one
// engine per usable CPU: runtime.GOMAXPROCS, which counts the CPUs the process may run on
// and its cgroup's CPU quota (GOMAXPROCS set in the environment wins); the output is the
// same for every N, and the shards build the outputs (split.go). Otherwise 1: standard
// input may be a pipe that delivers packets slowly, and the dispatcher hands frames to the
// shards in batches (a frame would wait for its batch to fill); a live worker is a socket
// of the interface's fanout group, which the operator sizes.
func defaultWorkers(cfg config) int {
	if len(cfg.sensor.ifaces) > 0 || slices.Contains(cfg.reads, "-") {
		return 1
	}
	return max(runtime.GOMAXPROCS(0), 1)
}
