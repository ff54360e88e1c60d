// Command inputs prints the doubles (as 16-digit hex bit patterns) whose rapidjson
// rendering zeeklog/testdata/rapidjson-doubles.txt records; see README.md. It lives under
// testdata, so it is not part of the module's build.
//
//	go run ./zeeklog/testdata/rapidjson-oracle/inputs.go [json-log...]
//
// The optional arguments are Zeek JSON logs whose numbers with a fraction or exponent
// (ts, duration, …) are added to the list.
package main

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
)

func main() {
	seen := map[uint64]bool{}
	var out []uint64
	add := func(f float64) {
		u := math.Float64bits(f)
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	near := func(f float64, n int) {
		add(f)
		up, down := f, f
		for range n {
			up = math.Nextafter(up, math.Inf(1))
			down = math.Nextafter(down, math.Inf(-1))
			add(up)
			add(down)
		}
	}

	// Special values and the ends of the range.
	for _, f := range []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1),
		math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, 0x1p-1022, 0x1p-1022 - 0x1p-1074,
		0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, math.Pi, math.E, -1.5, -0.025217056274414063} {
		add(f)
	}
	// Corpus values from Zeek's own JSON logs.
	num := regexp.MustCompile(`:(-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)[,}\]]`)
	for _, path := range os.Args[1:] {
		fh, err := os.Open(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			for _, m := range num.FindAllStringSubmatch(sc.Text(), -1) {
				if m[2] == "" && m[3] == "" {
					continue // an integer field (count, port)
				}
				if f, err := strconv.ParseFloat(m[1], 64); err == nil {
					add(f)
				}
			}
		}
		fh.Close()
	}
	// Powers of two and of ten, with their neighbours.
	for e := -1074; e <= 1023; e++ {
		near(math.Ldexp(1, e), boolInt(e%16 == 0))
	}
	for e := -323; e <= 308; e++ {
		f, _ := strconv.ParseFloat("1e"+strconv.Itoa(e), 64)
		near(f, boolInt(e%4 == 0))
	}
	// Where the layout changes: 1e21 (fixed vs exponent) and 1e-6/1e-7 (0.00000d vs d e-7).
	for _, f := range []float64{1e21, 1e20, 999999999999999999999.0, 1e-6, 1e-7, 1e-5, 1.5e-7, 9.99999e-7,
		123456789012345678901.0, 1e15, 1e16, 1e17, 0x1p53, 0x1p63, 0x1p64} {
		near(f, 8)
	}
	// Integers.
	for i := range 200 {
		add(float64(i))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		add(float64(r.Int64N(1 << 53)))
	}
	// Random bit patterns over the whole exponent range (finite, positive and negative).
	for range 1500 {
		u := r.Uint64()
		if u>>52&0x7FF == 0x7FF {
			continue
		}
		add(math.Float64frombits(u))
	}
	// Subnormals.
	for range 200 {
		add(math.Float64frombits(r.Uint64N(1 << 52)))
	}
	// Timestamps and durations as tlsmon computes them: microseconds / 1e6 and their
	// differences.
	for range 200 {
		ts := 1e9 + float64(r.Int64N(8e14))/1e6
		add(ts)
		add(ts + float64(r.Int64N(1e7))/1e6 - ts)
	}
	for range 200 {
		add(float64(r.Int64N(1e7)) / 1e6)
	}
	w := bufio.NewWriter(os.Stdout)
	for _, u := range out {
		fmt.Fprintf(w, "%016x\n", u)
	}
	w.Flush()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
