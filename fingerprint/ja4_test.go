package fingerprint

import (
	"crypto/md5"
	"encoding/hex"
	"strings"
	"testing"
)

// hexes parses "1301,1302" into uint16s.
func hexes(s string) []uint16 {
	var out []uint16
	for _, f := range strings.Split(s, ",") {
		if f == "" {
			continue
		}
		b, err := hex.DecodeString(f)
		if err != nil || len(b) != 2 {
			panic(f)
		}
		out = append(out, uint16(b[0])<<8|uint16(b[1]))
	}
	return out
}

func hexes32(s string) []uint32 {
	var out []uint32
	for _, v := range hexes(s) {
		out = append(out, uint32(v))
	}
	return out
}

// specHello is the example of JA4.md: its JA4, JA4_r, JA4_o and JA4_ro are given there.
func specHello() *ClientHello {
	return &ClientHello{
		Transport:           TCP,
		Version:             0x0303,
		Ciphers:             hexes32("1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035"),
		Extensions:          hexes("001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015"),
		SupportedVersions:   []uint16{0x0304, 0x0303},
		SignatureAlgorithms: hexes("0403,0804,0401,0503,0805,0501,0806,0601"),
		ALPN:                []byte("h2"),
	}
}

func TestJA4SpecificationExample(t *testing.T) {
	var b Builder
	h := specHello()
	for _, c := range []struct{ name, got, want string }{
		{"ja4", b.JA4(h).String(), "t13d1516h2_8daaf6152771_e5627efa2ab1"},
		{"ja4_o", b.JA4O(h).String(), "t13d1516h2_acb858a92679_18f69afefd3d"},
		{"ja4_r", string(b.AppendJA4R(nil, h)), "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601"},
		{"ja4_ro", string(b.AppendJA4RO(nil, h)), "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601"},
	} {
		if c.got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, c.got, c.want)
		}
	}
	// Without signature algorithms the extension list is hashed alone (JA4.md: 6d807ffa2a79).
	h.SignatureAlgorithms = nil
	if got := b.JA4(h).String(); got[24:] != "6d807ffa2a79" {
		t.Errorf("no signature algorithms: %s", got)
	}
}

func TestJA4GREASEIgnored(t *testing.T) {
	var b Builder
	plain := specHello()
	greased := specHello()
	greased.Ciphers = append([]uint32{0x0a0a}, greased.Ciphers...)
	greased.Extensions = append([]uint16{0x1a1a}, append(greased.Extensions, 0xfafa)...)
	greased.SupportedVersions = append([]uint16{0xdada}, greased.SupportedVersions...)
	greased.SignatureAlgorithms = append(greased.SignatureAlgorithms, 0x3a3a)
	for _, f := range []func(*ClientHello) string{
		func(h *ClientHello) string { return b.JA4(h).String() },
		func(h *ClientHello) string { return b.JA4O(h).String() },
		func(h *ClientHello) string { return string(b.AppendJA4R(nil, h)) },
		func(h *ClientHello) string { return string(b.AppendJA4RO(nil, h)) },
		func(h *ClientHello) string { return string(b.AppendJA3String(nil, h)) },
	} {
		if got, want := f(greased), f(plain); got != want {
			t.Errorf("GREASE changes the fingerprint:\n got %s\nwant %s", got, want)
		}
	}
	for _, v := range []uint32{0x0a0a, 0x1a1a, 0xfafa, 0xeaea} {
		if !IsGREASE(v) {
			t.Errorf("%#x is GREASE", v)
		}
	}
	for _, v := range []uint32{0x0a1a, 0x0b0b, 0x1301, 0x0a0a0a, 0} {
		if IsGREASE(v) {
			t.Errorf("%#x is not GREASE", v)
		}
	}
}

// a returns the first part of h's JA4.
func a(h *ClientHello) string {
	var b Builder
	return b.JA4(h).String()[:10]
}

func TestJA4Prefix(t *testing.T) {
	many := func(n int) []uint32 {
		out := make([]uint32, n)
		for i := range out {
			out[i] = uint32(i + 1)
		}
		return out
	}
	manyExt := make([]uint16, 120)
	for i := range manyExt {
		manyExt[i] = uint16(i + 100)
	}
	for _, c := range []struct {
		name string
		h    ClientHello
		want string
	}{
		{"no sni, no alpn, tls 1.2", ClientHello{Version: 0x0303, Ciphers: []uint32{1}}, "t12i010000"},
		{"sni", ClientHello{Version: 0x0303, Extensions: []uint16{0}}, "t12d000100"},
		{"sni is only the extension", ClientHello{Version: 0x0303, Extensions: []uint16{0x0a0a, 5}}, "t12i000100"},
		{"quic", ClientHello{Transport: QUIC, Version: 0x0303, SupportedVersions: []uint16{0x0304}}, "q13i000000"},
		{"dtls 1.2", ClientHello{Transport: DTLS, Version: 0xfefd}, "dd2i000000"},
		{"dtls 1.0", ClientHello{Transport: DTLS, Version: 0xfeff}, "dd1i000000"},
		{"dtls 1.3: highest version is the lowest number", ClientHello{Transport: DTLS, Version: 0xfefd, SupportedVersions: []uint16{0xfefd, 0xfefc, 0x2a2a}}, "dd3i000000"},
		{"supported_versions wins over the hello", ClientHello{Version: 0x0303, SupportedVersions: []uint16{0x0303, 0x0304, 0x0a0a}}, "t13i000000"},
		{"supported_versions unordered", ClientHello{Version: 0x0301, SupportedVersions: []uint16{0x0302, 0x0303, 0x0301}}, "t12i000000"},
		{"only GREASE in supported_versions", ClientHello{Version: 0x0302, SupportedVersions: []uint16{0x3a3a}}, "t11i000000"},
		{"tls 1.0", ClientHello{Version: 0x0301}, "t10i000000"},
		{"ssl 3", ClientHello{Version: 0x0300}, "ts3i000000"},
		{"ssl 2", ClientHello{Version: 0x0002}, "ts2i000000"},
		{"draft version", ClientHello{Version: 0x0303, SupportedVersions: []uint16{0x7f17}}, "t00i000000"},
		{"counts capped at 99", ClientHello{Version: 0x0303, Ciphers: many(150), Extensions: manyExt}, "t12i9999" + "00"},
		{"count 99 exactly", ClientHello{Version: 0x0303, Ciphers: many(99)}, "t12i990000"},
		{"GREASE not counted", ClientHello{Version: 0x0303, Ciphers: []uint32{0x0a0a, 1, 0xbaba}}, "t12i010000"},
		{"SCSV counted", ClientHello{Version: 0x0303, Ciphers: []uint32{0x00ff, 0x5600, 0xfe01}}, "t12i030000"},
	} {
		if got := a(&c.h); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}

func TestJA4ALPN(t *testing.T) {
	for _, c := range []struct {
		alpn []byte
		want string
	}{
		{nil, "00"},
		{[]byte{}, "00"},
		{[]byte("h2"), "h2"},
		{[]byte("http/1.1"), "h1"},
		{[]byte("h3-29"), "h9"},
		{[]byte("a"), "aa"}, // a single character is both first and last
		{[]byte("Z"), "ZZ"},
		// the specification's examples of non-alphanumeric first or last bytes
		{[]byte{0xab}, "ab"},
		{[]byte{0x20}, "20"},
		{[]byte{0xab, 0xcd}, "ad"},
		{[]byte{0x20, 0x61}, "21"},
		{[]byte{0x30, 0xab}, "3b"},
		{[]byte{0x61, 0x20}, "60"},
		{[]byte{0x30, 0x31, 0xab, 0xcd}, "3d"},
		{[]byte{0x30, 0xab, 0xcd, 0x31}, "01"},
	} {
		h := &ClientHello{Version: 0x0303, Extensions: []uint16{extALPN}, ALPN: c.alpn}
		if got := a(h)[8:]; got != c.want {
			t.Errorf("ALPN %q: got %s, want %s", c.alpn, got, c.want)
		}
	}
}

func TestJA4EmptyLists(t *testing.T) {
	var b Builder
	// no ciphers, no extensions
	h := &ClientHello{Version: 0x0303}
	if got := b.JA4(h).String(); got != "t12i000000_000000000000_000000000000" {
		t.Errorf("empty hello: %s", got)
	}
	if got := string(b.AppendJA4R(nil, h)); got != "t12i000000__" {
		t.Errorf("empty hello raw: %s", got)
	}
	// only SNI and ALPN: the sorted list is empty, in both orders (FoxIO's Python output)
	h = &ClientHello{Version: 0x0301, Ciphers: []uint32{0x002f}, Extensions: []uint16{0, 16}, ALPN: []byte("h2")}
	if got := b.JA4(h).String(); !strings.HasSuffix(got, "_000000000000") {
		t.Errorf("JA4 with SNI and ALPN only: %s", got)
	}
	if got := b.JA4O(h).String(); !strings.HasSuffix(got, "_000000000000") {
		t.Errorf("JA4_o with SNI and ALPN only: %s", got)
	}
	if got := string(b.AppendJA4RO(nil, h)); got != "t10d0102h2_002f_0000,0010" {
		t.Errorf("JA4_ro with SNI and ALPN only: %s", got)
	}
}

func TestJA4SortsNumerically(t *testing.T) {
	var b Builder
	h := &ClientHello{Version: 0x0303, Ciphers: []uint32{0xc02b, 0x002f, 0x1301, 0x000a},
		Extensions: []uint16{0xff01, 0x000a, 0x0005, 0x4469}}
	want := "t12i0404" + "00_000a,002f,1301,c02b_0005,000a,4469,ff01"
	if got := string(b.AppendJA4R(nil, h)); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	// the hello's own lists are not reordered
	if h.Ciphers[0] != 0xc02b || h.Extensions[0] != 0xff01 {
		t.Errorf("hello modified: %x %x", h.Ciphers, h.Extensions)
	}
}

func TestSSLv2CipherSpecs(t *testing.T) {
	var b Builder
	h := &ClientHello{Version: 0x0002, Ciphers: []uint32{0x010080, 0x0700c0, 0x000004, 0x00ff00}}
	if got, want := string(b.AppendJA4RO(nil, h)), "ts2i040000_10080,700c0,0004,ff00_"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	// SSLv2-compatible: TLS 1.0 offered, TLS suites as 0x00xxxx specs
	h = &ClientHello{Version: 0x0301, Ciphers: []uint32{0x00002f, 0x000035, 0x010080}}
	if got, want := string(b.AppendJA4R(nil, h)), "t10i030000_002f,0035,10080_"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got, want := string(b.AppendJA3String(nil, h)), "769,47-53-65664,,,"; got != want {
		t.Errorf("JA3 got %s, want %s", got, want)
	}
}

func TestJA3(t *testing.T) {
	var b Builder
	h := &ClientHello{Version: 771, Ciphers: []uint32{0x0a0a, 4865, 49195}, Extensions: []uint16{0x2a2a, 0, 23, 65281, 0xfafa},
		Curves: []uint16{0x8a8a, 29, 23}, PointFormats: []uint16{0}}
	s := "771,4865-49195,0-23-65281,29-23,0"
	if got := string(b.AppendJA3String(nil, h)); got != s {
		t.Errorf("JA3 string %s, want %s", got, s)
	}
	if got := b.JA3(h); got != MD5(md5.Sum([]byte(s))) {
		t.Errorf("JA3 %s", got)
	}
	empty := &ClientHello{Version: 0x0002}
	if got := string(b.AppendJA3String(nil, empty)); got != "2,,,," {
		t.Errorf("empty JA3 string %q", got)
	}
	sh := &ServerHello{Version: 771, Cipher: 4865, Extensions: []uint16{43, 51}}
	if got := string(b.AppendJA3SString(nil, sh)); got != "771,4865,43-51" {
		t.Errorf("JA3S string %s", got)
	}
	// tshark's JA3S of this hello (../shared/fingerprints/ja3, quic-go's server)
	if got := b.JA3S(sh).String(); got != "f4febc55ea12b31ae17cfb7e614afda8" {
		t.Errorf("JA3S %s", got)
	}
}
