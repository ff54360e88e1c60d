package zeeklog

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
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

// TestRowTimeSeconds checks rowBuf.time, which keeps the digits of the last row's
// seconds, against appendTime6 on a sequence of times that repeat, change and leave the
// integer range.
func TestRowTimeSeconds(t *testing.T) {
	var b bytes.Buffer
	r := newRowBuf(NewTSVWriter(&b, "x", []Column{{"ts", "time"}}, 1), 1)
	us := []int64{0, 1, 999999, 1000000, 1700000000123456, 1700000000999999, 1700000001000000,
		1700000000000001, -1, -1000001, int64(exactSecLimit*1e6) + 5, 1700000001000000, 1 << 62, 0, 42}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		us = append(us, 1700000000000000+rng.Int64N(5e6))
	}
	var want bytes.Buffer
	for _, u := range us {
		r.begin()
		r.time(u)
		if err := r.end(); err != nil {
			t.Fatal(err)
		}
		want.Write(append(appendTime6(nil, u), '\n'))
	}
	got := b.String()
	got = got[strings.Index(got, "#types\ttime\n")+len("#types\ttime\n"):]
	if got != want.String() {
		t.Fatalf("rows differ from appendTime6's:\n%.300s\nwant\n%.300s", got, want.String())
	}
}
