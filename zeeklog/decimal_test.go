package zeeklog

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestAppendUint(t *testing.T) {
	vals := []uint64{0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 65535, 1e6 - 1, 1e6,
		1733561234, math.MaxUint32, 1e19 - 1, 1e19, math.MaxUint64}
	for p := uint64(1); p != 0 && p < math.MaxUint64/10; p *= 10 {
		vals = append(vals, p-1, p, p+1, 2*p, 9*p+9)
	}
	for _, u := range vals {
		got := string(appendUint([]byte("x"), u))
		if want := "x" + strconv.FormatUint(u, 10); got != want {
			t.Errorf("appendUint(%d) = %q, want %q", u, got, want)
		}
	}
}

func TestAppendUintRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		u := r.Uint64() >> r.UintN(64)
		if got, want := string(appendUint(nil, u)), strconv.FormatUint(u, 10); got != want {
			t.Fatalf("appendUint(%d) = %q, want %q", u, got, want)
		}
	}
}
