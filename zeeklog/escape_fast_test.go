package zeeklog

import (
	"math/rand/v2"
	"testing"
)

// TestPrintableNoBackslash checks the eight-bytes-at-a-time test against a byte loop, on
// every byte value at every position of strings of up to 24 bytes.
func TestPrintableNoBackslash(t *testing.T) {
	slow := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 32 || c >= 127 || c == '\\' {
				return false
			}
		}
		return true
	}
	r := rand.New(rand.NewPCG(5, 6))
	for n := range 25 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(32 + r.IntN(95))
		}
		for pos := range n {
			for c := range 256 {
				old := b[pos]
				b[pos] = byte(c)
				if got, want := printableNoBackslash(string(b)), slow(string(b)); got != want {
					t.Fatalf("%q: %v, want %v", b, got, want)
				}
				if got := printableNoBackslash(b); got != slow(string(b)) {
					t.Fatalf("[]byte %q: %v", b, got)
				}
				b[pos] = old
			}
		}
		// neighbours that carry or borrow into each other
		for range 2000 {
			for i := range b {
				b[i] = []byte{0xff, 0x00, 0x7f, 0x80, 0x1f, 0x20, 0x7e, 0x5c, 0x5b, 0x5d, 'a'}[r.IntN(11)]
			}
			if got, want := printableNoBackslash(string(b)), slow(string(b)); got != want {
				t.Fatalf("%q: %v, want %v", b, got, want)
			}
		}
	}
}
