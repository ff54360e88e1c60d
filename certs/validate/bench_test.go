package validate

import (
	"testing"
	"time"
)

// BenchmarkValidateCertsCached is the common case: a chain seen within the last five
// minutes (Zeek's result cache).
func BenchmarkValidateCertsCached(b *testing.B) {
	t := &testing.T{}
	p := newPKI(t)
	v, _ := New(Config{Roots: [][]byte{p.root.der}})
	chain := ders(p.leaf, p.inter)
	v.ValidateCerts(chain, us(t0))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v.ValidateCerts(chain, us(t0))
	}
}

// BenchmarkValidateCertsUncached verifies the chain every time (a new chain per
// connection), with Mozilla's roots loaded: parsing (cached), chain building and two
// ECDSA P-256 signature checks.
func BenchmarkValidateCertsUncached(b *testing.B) {
	t := &testing.T{}
	p := newPKI(t)
	v, _ := New(Config{Roots: [][]byte{p.root.der}, ResultExpiry: time.Nanosecond})
	chain := ders(p.leaf, p.inter)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v.ValidateCerts(chain, us(t0)+int64(i)*10)
	}
}

// BenchmarkNew is the cost of building a Validator with Mozilla's roots.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		New(Config{})
	}
}
