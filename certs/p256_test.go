package certs

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"math/big"
	"testing"
)

// p256Cases are points onP256 must judge as crypto/ecdh does: keys, keys with a
// coordinate changed, coordinates at and beyond p, the point at infinity's coordinates.
func p256Cases(t testing.TB) [][]byte {
	var cases [][]byte
	p, _ := new(big.Int).SetString("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", 16) // the field
	point := func(x, y *big.Int) []byte {
		b := []byte{4}
		b = append(b, x.FillBytes(make([]byte, 32))...)
		return append(b, y.FillBytes(make([]byte, 32))...)
	}
	for range 64 {
		k, err := ecdh.P256().GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pub := k.PublicKey().Bytes()
		cases = append(cases, pub)
		x, y := new(big.Int).SetBytes(pub[1:33]), new(big.Int).SetBytes(pub[33:])
		for _, d := range []int64{1, -1} {
			cases = append(cases, point(new(big.Int).Add(x, big.NewInt(0)), new(big.Int).Mod(new(big.Int).Add(y, big.NewInt(d)), p)))
			cases = append(cases, point(new(big.Int).Mod(new(big.Int).Add(x, big.NewInt(d)), p), y))
		}
		// -y (on the curve), y + p and x + p when they fit in 32 bytes (not reduced)
		cases = append(cases, point(x, new(big.Int).Sub(p, y)))
		if yp := new(big.Int).Add(y, p); yp.BitLen() <= 256 {
			cases = append(cases, point(x, yp))
		}
		if xp := new(big.Int).Add(x, p); xp.BitLen() <= 256 {
			cases = append(cases, point(xp, y))
		}
		flip := bytes.Clone(pub)
		flip[40] ^= 0x10
		cases = append(cases, flip)
	}
	zero, one, pm1 := big.NewInt(0), big.NewInt(1), new(big.Int).Sub(p, big.NewInt(1))
	max256 := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	for _, x := range []*big.Int{zero, one, pm1, p, max256} {
		for _, y := range []*big.Int{zero, one, pm1, p, max256} {
			cases = append(cases, point(x, y))
		}
	}
	// the generator, and a point whose x is 0 (y² = b)
	gx, _ := new(big.Int).SetString("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296", 16)
	gy, _ := new(big.Int).SetString("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5", 16)
	cases = append(cases, point(gx, gy), point(gx, new(big.Int).Sub(p, gy)))
	b, _ := new(big.Int).SetString("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b", 16)
	if y := new(big.Int).ModSqrt(b, p); y != nil {
		cases = append(cases, point(zero, y))
	}
	return cases
}

func TestOnP256MatchesECDH(t *testing.T) {
	valid := 0
	for i, pt := range p256Cases(t) {
		_, err := ecdh.P256().NewPublicKey(pt)
		if got, want := onP256(pt), err == nil; got != want {
			t.Errorf("case %d %x: onP256 %v, crypto/ecdh %v", i, pt, got, want)
		}
		if err == nil {
			valid++
		}
	}
	if valid < 128 {
		t.Errorf("only %d valid points among the cases", valid)
	}
	for _, bad := range [][]byte{nil, {4}, make([]byte, 64), make([]byte, 66), append([]byte{2}, make([]byte, 64)...)} {
		if onP256(bad) {
			t.Errorf("%x: on the curve", bad)
		}
	}
}

// FuzzOnP256 compares onP256 with crypto/ecdh on any 64 bytes of coordinates.
func FuzzOnP256(f *testing.F) {
	for _, c := range p256Cases(f)[:16] {
		f.Add(c[1:])
	}
	f.Fuzz(func(t *testing.T, xy []byte) {
		pt := append([]byte{4}, xy...)
		_, err := ecdh.P256().NewPublicKey(pt)
		if got, want := onP256(pt), err == nil; got != want {
			t.Fatalf("%x: onP256 %v, crypto/ecdh %v", pt, got, want)
		}
	})
}

func BenchmarkValidECPointP256(b *testing.B) {
	k, _ := ecdh.P256().GenerateKey(rand.Reader)
	pub := k.PublicKey().Bytes()
	for b.Loop() {
		if !validECPoint(oidP256, 256, pub) {
			b.Fatal("invalid")
		}
	}
}

func BenchmarkECDHP256(b *testing.B) {
	k, _ := ecdh.P256().GenerateKey(rand.Reader)
	pub := k.PublicKey().Bytes()
	for b.Loop() {
		if _, err := ecdh.P256().NewPublicKey(pub); err != nil {
			b.Fatal("invalid")
		}
	}
}
