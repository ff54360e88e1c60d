package certs

import (
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// isDERWalk is isDER as readBER reads it element by element: the reference derElements
// must agree with.
func isDERWalk(e berElem, depth int) bool {
	if !e.der {
		return false
	}
	if !e.constructed {
		return true
	}
	for p := e.content; len(p) > 0; {
		var c berElem
		var ok bool
		if c, p, ok = readBER(p, depth+1); !ok || !isDERWalk(c, depth+1) {
			return false
		}
	}
	return true
}

// TestDERElementsAgrees checks the lean DER walk against readBER's on certificates, their
// BER rewritings and random mutations of both.
func TestDERElementsAgrees(t *testing.T) {
	der := ecCert(t)
	seeds := [][]byte{der, berify(t, der), {0x30, 0x80, 0x02, 0x01, 0x01, 0, 0}, {0x30, 0x81, 0x03, 0x02, 0x01, 0x01}}
	r := rand.New(rand.NewPCG(1, 2))
	check := func(b []byte) {
		e, _, ok := readBER(b, 0)
		if !ok {
			return
		}
		if got, want := isDER(e, 0), isDERWalk(e, 0); got != want {
			t.Fatalf("isDER(%x) = %v, readBER's walk says %v", b, got, want)
		}
	}
	for _, s := range seeds {
		check(s)
		for range 3000 {
			b := append([]byte(nil), s...)
			for range 1 + r.IntN(3) {
				i := r.IntN(len(b))
				switch r.IntN(4) {
				case 0:
					b[i] = byte(r.IntN(256))
				case 1:
					b[i] = []byte{0x80, 0x81, 0x82, 0x84, 0x85, 0x00, 0x7f, 0x1f, 0x3f}[r.IntN(9)]
				case 2:
					b = b[:i]
				default:
					b[i] ^= 0x20
				}
				if len(b) == 0 {
					break
				}
			}
			check(b)
		}
	}
}

// TestKnownOIDs checks that every OID served from the table renders as the formatter
// renders it.
func TestKnownOIDs(t *testing.T) {
	m := knownOIDs()
	if len(m) < 100 {
		t.Fatalf("%d known OIDs", len(m))
	}
	for der, dotted := range m {
		if got := formatOID([]byte(der)); got != dotted {
			t.Fatalf("%x: table %q, formatter %q", der, dotted, got)
		}
	}
	if got := oidString([]byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b}); got != "1.2.840.113549.1.1.11" {
		t.Fatalf("sha256WithRSAEncryption: %q", got)
	}
	for der, want := range map[string]string{derOIDSAN: "2.5.29.17", derOIDBC: "2.5.29.19"} {
		if got := formatOID([]byte(der)); got != want {
			t.Fatalf("%x: %q, want %q", der, got, want)
		}
	}
	if got := oidString([]byte{0x2a, 0x03, 0x86, 0xff, 0x7f}); got != "1.2.3.114687" {
		t.Fatalf("unknown OID: %q", got)
	}
}

// TestECDHPointCheck checks crypto/ecdh's test of uncompressed points against
// crypto/elliptic's (coordinates below the prime, point on the curve).
func TestECDHPointCheck(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for oid, ec := range ecdhCurves {
		c := goCurves[oid]
		k, err := ec.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		good := k.PublicKey().Bytes()
		fb := (len(good) - 1) / 2
		p := c.Params().P.FillBytes(make([]byte, fb))
		cases := [][]byte{good, append(append([]byte{4}, p...), good[1+fb:]...)}
		for range 200 {
			b := append([]byte(nil), good...)
			b[1+r.IntN(len(b)-1)] ^= byte(1 << r.IntN(8))
			cases = append(cases, b)
		}
		for _, b := range cases {
			x := new(big.Int).SetBytes(b[1 : 1+fb])
			y := new(big.Int).SetBytes(b[1+fb:])
			want := x.Cmp(c.Params().P) < 0 && y.Cmp(c.Params().P) < 0 && c.IsOnCurve(x, y)
			_, err := ec.NewPublicKey(b)
			if got := err == nil; got != want {
				t.Fatalf("%s %x: ecdh %v, elliptic %v", oid, b, got, want)
			}
		}
	}
}

// TestPlainRFC2253 checks that a value plainRFC2253 passes is one the per-byte escaping
// and UTF-8 conversion leave unchanged, on every byte value at every position.
func TestPlainRFC2253(t *testing.T) {
	perByte := func(v []byte, w int) []byte {
		var b []byte
		var ub [8]byte
		for i, c := range v {
			enc := []byte{c}
			if w == 1 {
				enc = putUTF8(ub[:0], uint32(c))
			}
			for j, e := range enc {
				b = appendEscChar(b, e, i == 0 && j == 0, i == len(v)-1 && j == len(enc)-1)
			}
		}
		return b
	}
	base := []byte("CN x#y")
	for n := range len(base) + 1 {
		v := append([]byte(nil), base[:n]...)
		for pos := range n {
			for c := range 256 {
				old := v[pos]
				v[pos] = byte(c)
				if plainRFC2253(v) {
					for _, w := range []int{0, 1} {
						if got := perByte(v, w); string(got) != string(v) {
							t.Fatalf("%q (width %d) is plain but renders %q", v, w, got)
						}
					}
				} else if strings.Trim(string(v), "CNxyabcdefghijklmnopqrstuvwz") == "" {
					t.Fatalf("%q not plain", v)
				}
				v[pos] = old
			}
		}
	}
}

// readASN1, readAnyASN1 and readAnyASN1Element agree with cryptobyte's readers on short
// and long forms, wrong tags, truncated input, high tag numbers, and with s and out one
// variable.
func TestASN1ReadersMatchCryptobyte(t *testing.T) {
	inputs := [][]byte{nil, {0x30}, {0x30, 0}, {0x30, 2, 1, 2, 3}, {0x30, 3, 1}, {0x31, 1, 9},
		{0x30, 0x81, 0x80}, {0x30, 0x81, 0x7f}, {0x1f, 1, 0}, {0xa3, 1, 5}, {0x04, 0x82, 0, 1, 7}}
	long := append([]byte{0x30, 0x81, 0x80}, make([]byte, 0x80)...)
	inputs = append(inputs, long)
	same := func(in []byte, ok1, ok2 bool, o1, o2, s1, s2 cryptobyte.String, t1, t2 asn1.Tag) {
		t.Helper()
		if ok1 != ok2 || string(o1) != string(o2) || string(s1) != string(s2) || t1 != t2 {
			t.Errorf("%x: %v %x rest %x tag %x; cryptobyte %v %x rest %x tag %x", in, ok1, o1, s1, t1, ok2, o2, s2, t2)
		}
	}
	for _, in := range inputs {
		for _, tag := range []asn1.Tag{asn1.SEQUENCE, asn1.SET, asn1.OCTET_STRING} {
			s1, s2 := cryptobyte.String(in), cryptobyte.String(in)
			var o1, o2 cryptobyte.String
			ok1, ok2 := readASN1(&s1, &o1, tag), s2.ReadASN1(&o2, tag)
			same(in, ok1, ok2, o1, o2, s1, s2, 0, 0)
		}
		s1, s2 := cryptobyte.String(in), cryptobyte.String(in)
		var o1, o2 cryptobyte.String
		var t1, t2 asn1.Tag
		ok1, ok2 := readAnyASN1(&s1, &o1, &t1), s2.ReadAnyASN1(&o2, &t2)
		same(in, ok1, ok2, o1, o2, s1, s2, t1, t2)
		s1, s2, t1, t2 = cryptobyte.String(in), cryptobyte.String(in), 0, 0
		ok1, ok2 = readAnyASN1Element(&s1, &o1, &t1), s2.ReadAnyASN1Element(&o2, &t2)
		same(in, ok1, ok2, o1, o2, s1, s2, t1, t2)
		s1, s2, t1, t2 = cryptobyte.String(in), cryptobyte.String(in), 0, 0
		ok1, ok2 = readAnyASN1(&s1, &s1, &t1), s2.ReadAnyASN1(&s2, &t2)
		same(in, ok1, ok2, s1, s2, s1, s2, t1, t2)
	}
}
