package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tlsmon/tlsmon/engine"
)

// defaultMaxMemory is --max-memory's default.
const defaultMaxMemory = memSize(engine.DefaultMaxMemory)

// memSize is the value of --max-memory: a byte count with an optional binary suffix (K, M,
// G, T, with or without a trailing B or iB: 512M, 2G, 1.5GiB), or "none" for no budget.
type memSize int64

func (m *memSize) String() string {
	if *m < 0 {
		return "none"
	}
	return formatSize(int64(*m))
}

func (m *memSize) Set(s string) error {
	v, err := parseSize(s)
	if err != nil {
		return err
	}
	*m = memSize(v)
	return nil
}

// parseSize parses a --max-memory value (see memSize); "none" is -1.
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	if t == "NONE" {
		return -1, nil
	}
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult > 1 {
			t = t[:n-1]
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f <= 0 || f*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("invalid size %q (a number of bytes with K, M, G or T, such as 512M or 2G; or none)", s)
	}
	v := int64(f * float64(mult))
	if v < 1<<20 {
		return 0, fmt.Errorf("size %q is below 1M", s)
	}
	return v, nil
}

// formatSize writes n with the largest binary suffix that divides it.
func formatSize(n int64) string {
	for _, u := range []struct {
		s string
		v int64
	}{{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if n >= u.v && n%u.v == 0 {
			return strconv.FormatInt(n/u.v, 10) + u.s
		}
	}
	return strconv.FormatInt(n, 10)
}

// applyMaxMemory sets the Go runtime's soft memory limit to 90 % of the budget, so that
// the garbage collector works harder rather than let garbage take the process past it (the
// engine's budget bounds the live state; docs/RELIABILITY.md, "Memory budget"). It returns
// the engine's MaxMemory. A GOMEMLIMIT set in the environment is left as it is. The limit
// is set by tuneRuntime (runtime.go), with the garbage collector's percentage that goes
// with a limit.
func applyMaxMemory(m memSize) int64 {
	if m > 0 {
		tuneRuntime(int64(m) / 10 * 9)
	}
	return int64(m)
}
