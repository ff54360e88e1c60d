//go:build unix

package engine

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time. On a machine shared with other work, CPU
// time per operation is steadier than wall time: the perfmix benchmarks report both.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
