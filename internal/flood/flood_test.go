package flood

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/tlsmon/tlsmon/capture"
)

// TestWrite checks each flood is seeded (same seed, same bytes; another seed, other
// bytes), readable, in time order and within its span.
func TestWrite(t *testing.T) {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, k := range Kinds {
		t.Run(string(k), func(t *testing.T) {
			units := 20
			if k == BigHello || k == Trickle {
				units = 2 // 1 MiB and 65 KB a connection
			}
			gen := func(seed uint64) []byte {
				var b bytes.Buffer
				if err := Write(&b, Config{Kind: k, N: units, Span: time.Second, Start: start, Seed: seed}); err != nil {
					t.Fatal(err)
				}
				return b.Bytes()
			}
			a := gen(1)
			if !bytes.Equal(a, gen(1)) {
				t.Fatal("same seed, different captures")
			}
			if bytes.Equal(a, gen(2)) {
				t.Fatal("another seed, same capture")
			}
			r, err := capture.NewReader("flood", bytes.NewReader(a))
			if err != nil {
				t.Fatal(err)
			}
			var f capture.Frame
			n, last := 0, start.UnixMicro()
			for {
				err := r.Next(&f)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if f.Ts < last || f.Ts >= start.Add(time.Second).UnixMicro() {
					t.Fatalf("frame %d at %d: out of order or outside the span", n, f.Ts)
				}
				last = f.Ts
				n++
			}
			if n < units {
				t.Fatalf("%d frames for %d units", n, units)
			}
		})
	}
	if err := Write(io.Discard, Config{Kind: "nope", N: 1}); err == nil {
		t.Fatal("unknown kind accepted")
	}
}
