package certs

import "testing"

// nested returns n SEQUENCEs, each holding the next, the innermost holding inner.
func nested(n int, inner []byte) []byte {
	b := inner
	for range n {
		b = append(appendDERHeader(nil, []byte{0x30}, len(b)), b...)
	}
	return b
}

// TestDERElementsDepth checks derElements' stack of open elements against readBER's
// walk around the depth limit: empty and non-empty innermost elements, siblings after a
// deep branch, and a BER length at the bottom.
func TestDERElementsDepth(t *testing.T) {
	for n := 1; n <= maxBERDepth+3; n++ {
		for _, inner := range [][]byte{nil, {0x02, 0x01, 0x01}, {0x30, 0x00}, {0x04, 0x81, 0x01, 0x00}} {
			for _, b := range [][]byte{
				nested(n, inner),
				nested(1, append(nested(n, inner), 0x05, 0x00)),
				nested(2, append(append(nested(n, inner), nested(3, nil)...), 0x02, 0x01, 0x00)),
			} {
				for depth := 0; depth < 3; depth++ {
					e, _, ok := readBER(b, depth)
					if !ok {
						continue
					}
					if got, want := isDER(e, depth), isDERWalk(e, depth); got != want {
						t.Fatalf("n=%d depth=%d: isDER(%x) = %v, readBER's walk says %v", n, depth, b, got, want)
					}
				}
			}
		}
	}
}

func BenchmarkDERElements(b *testing.B) {
	der := ecCert(&testing.T{})
	e, _, _ := readBER(der, 0)
	b.SetBytes(int64(len(der)))
	for b.Loop() {
		if !isDER(e, 0) {
			b.Fatal("not DER")
		}
	}
}
