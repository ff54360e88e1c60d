package zeeklog

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestGrisuOracle compares appendJSONDouble with rapidjson's Writer::Double on every value
// of testdata/rapidjson-doubles.txt (printed by testdata/rapidjson-oracle), and checks
// that each rendering reads back as the same double.
func TestGrisuOracle(t *testing.T) {
	f, err := os.Open("testdata/rapidjson-doubles.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, bad := 0, 0
	for sc.Scan() {
		hex, want, ok := strings.Cut(sc.Text(), " ")
		u, err := strconv.ParseUint(hex, 16, 64)
		if !ok || err != nil {
			t.Fatalf("bad line %q", sc.Text())
		}
		v := math.Float64frombits(u)
		n++
		got := string(appendJSONDouble(nil, v))
		if got != want {
			if bad++; bad <= 20 {
				t.Errorf("%s (%v): got %s want %s", hex, v, got, want)
			}
			continue
		}
		if isFinite(v) {
			if back, err := strconv.ParseFloat(got, 64); err != nil || back != v {
				t.Errorf("%s: %s reads back as %v", hex, got, back)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 5000 {
		t.Fatalf("only %d values in the golden file", n)
	}
	if bad > 0 {
		t.Errorf("%d of %d values differ", bad, n)
	}
}

// TestGrisuCorpusDurations: conn.log durations where Zeek's Grisu2 digits are not Go's
// shortest ones (strconv would end …4406, …2813, …3063).
func TestGrisuCorpusDurations(t *testing.T) {
	for _, want := range []string{"0.025217056274414063", "0.23314285278320313",
		"0.0005922317504882813", "0.0006608963012695313", "0.0016489028930664063",
		"0.0006570816040039063"} {
		v, err := strconv.ParseFloat(want, 64)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(appendJSONDouble(nil, v)); got != want {
			t.Errorf("got %s want %s", got, want)
		}
		if short := strconv.FormatFloat(v, 'g', -1, 64); short == want {
			t.Errorf("%s is also the shortest rendering; the case tests nothing", want)
		}
	}
}

// TestCachedPowers checks the computed table against entries of rapidjson's
// kCachedPowers_F/_E (diyfp.h); all 87 matched when this was written.
func TestCachedPowers(t *testing.T) {
	t0 := cachedPows()
	for _, tc := range []struct {
		i int
		f uint64
		e int16
	}{
		{0, 0xfa8fd5a0081c0288, -1220}, {1, 0xbaaee17fa23ebf76, -1193}, {20, 0xb23867fb2a35b28e, -688},
		{43, 0xd1b71758e219652c, -77}, {44, 0x9c40000000000000, -50}, {45, 0xe8d4a51000000000, -24},
		{46, 0xad78ebc5ac620000, 3}, {47, 0x813f3978f8940984, 30}, {60, 0xb454e4a179dd1877, 375},
		{86, 0xaf87023b9bf0ee6b, 1066},
	} {
		if t0.f[tc.i] != tc.f || t0.e[tc.i] != tc.e {
			t.Errorf("entry %d: %#x·2^%d want %#x·2^%d", tc.i, t0.f[tc.i], t0.e[tc.i], tc.f, tc.e)
		}
	}
	for i := range cachedPowN {
		if t0.f[i]>>63 != 1 {
			t.Errorf("entry %d not normalized: %#x", i, t0.f[i])
		}
	}
}

func TestJSONDoubleNoAlloc(t *testing.T) {
	buf := make([]byte, 0, 64)
	v := 0.025217056274414063
	if n := testing.AllocsPerRun(100, func() { buf = appendJSONDouble(buf[:0], v) }); n != 0 {
		t.Errorf("%v allocations per call", n)
	}
}

// FuzzJSONDouble: every finite double's rendering reads back as the same double.
func FuzzJSONDouble(f *testing.F) {
	for _, u := range []uint64{0, 1, 0x000fffffffffffff, 0x0010000000000000, 0x3f99d28000000000,
		0x7fefffffffffffff, 0x444b1ae4d6e2ef50, 0x3e7ad7f29abcaf48} {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, u uint64) {
		v := math.Float64frombits(u)
		got := string(appendJSONDouble(nil, v))
		if !isFinite(v) {
			if got != "null" {
				t.Fatalf("%v: %s", v, got)
			}
			return
		}
		back, err := strconv.ParseFloat(got, 64)
		if err != nil || back != v || math.Signbit(back) != math.Signbit(v) {
			t.Fatalf("%#x: %s reads back as %v (%v)", u, got, back, err)
		}
	})
}

// BenchmarkJSONDouble compares the Grisu2 rendering with strconv's shortest one.
func BenchmarkJSONDouble(b *testing.B) {
	buf := make([]byte, 0, 64)
	vals := []float64{0.025217056274414063, 1697458696.259279, 3.0, 1.4974730014801025, 5e-7}
	b.Run("grisu2", func(b *testing.B) {
		for i := range b.N {
			buf = appendJSONDouble(buf[:0], vals[i%len(vals)])
		}
	})
	b.Run("strconv", func(b *testing.B) {
		for i := range b.N {
			buf = strconv.AppendFloat(buf[:0], vals[i%len(vals)], 'e', -1, 64)
		}
	})
}
