package certs

import (
	"strings"
	"testing"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

type ava struct {
	oid []byte // OID content bytes
	tag asn1.Tag
	val []byte
}

var (
	oidCNBytes    = []byte{0x55, 0x04, 0x03}
	oidOBytes     = []byte{0x55, 0x04, 0x0A}
	oidCBytes     = []byte{0x55, 0x04, 0x06}
	oidEmailBytes = []byte{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x01}
)

// nameDER builds the content of a Name: one SET per rdn, its attributes in the order given.
func nameDER(rdns ...[]ava) []byte {
	var b cryptobyte.Builder
	for _, rdn := range rdns {
		b.AddASN1(asn1.SET, func(b *cryptobyte.Builder) {
			for _, a := range rdn {
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(asn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(a.oid) })
					b.AddASN1(a.tag, func(b *cryptobyte.Builder) { b.AddBytes(a.val) })
				})
			}
		})
	}
	return b.BytesOrPanic()
}

func bmp(s string) []byte {
	var out []byte
	for _, r := range s {
		out = append(out, byte(r>>8), byte(r))
	}
	return out
}

// TestDNFormatting checks names as OpenSSL's X509_NAME_print_ex(XN_FLAG_RFC2253) prints
// them: RDNs last to first, "," between RDNs and "+" inside one (its parts reversed too),
// short names, RFC 2253 escapes, UTF-8 conversion with every non-ASCII byte as \XX,
// control bytes as \XX, and unknown attribute types dumped as #hex of their DER.
func TestDNFormatting(t *testing.T) {
	ps, utf8s := asn1.Tag(19), asn1.UTF8String
	for _, tc := range []struct {
		name string
		der  []byte
		want string
	}{
		{"reverse order", nameDER([]ava{{oidCBytes, ps, []byte("US")}}, []ava{{oidOBytes, ps, []byte("Org")}}, []ava{{oidCNBytes, ps, []byte("host")}}),
			"CN=host,O=Org,C=US"},
		{"multi-valued RDN", nameDER([]ava{{oidCBytes, ps, []byte("US")}}, []ava{{oidCNBytes, ps, []byte("a")}, {oidOBytes, ps, []byte("b")}}),
			"O=b+CN=a,C=US"},
		{"specials", nameDER([]ava{{oidCNBytes, utf8s, []byte(`a,b+c"d\e<f>g;h`)}}), `CN=a\,b\+c\"d\\e\<f\>g\;h`},
		{"leading hash and spaces", nameDER([]ava{{oidCNBytes, utf8s, []byte("# mid #  ")}}), `CN=\# mid # \ `},
		{"leading space", nameDER([]ava{{oidCNBytes, utf8s, []byte(" x")}}), `CN=\ x`},
		{"control byte", nameDER([]ava{{oidCNBytes, utf8s, []byte("a\x01b\x7f")}}), `CN=a\01b\7F`},
		{"UTF-8", nameDER([]ava{{oidCNBytes, utf8s, []byte("é")}}), `CN=\C3\A9`},
		{"BMPString converted to UTF-8", nameDER([]ava{{oidCNBytes, asn1.Tag(30), bmp("aé")}}), `CN=a\C3\A9`},
		{"emailAddress", nameDER([]ava{{oidEmailBytes, asn1.Tag(22), []byte("x@example.com")}}), "emailAddress=x@example.com"},
		{"unknown attribute", nameDER([]ava{{[]byte{0x2A, 0x03, 0x04}, utf8s, []byte("abc")}}), "1.2.3.4=#0C03616263"},
		{"empty name", nil, ""},
	} {
		got := formatRFC2253(parseName(nil, cryptobyte.String(tc.der), 1<<20))
		if got != tc.want {
			t.Errorf("%s: got %s want %s", tc.name, got, tc.want)
		}
	}
}

func TestDNLengthIsCapped(t *testing.T) {
	var rdns [][]ava
	for i := 0; i < 5000; i++ {
		rdns = append(rdns, []ava{{oidCNBytes, asn1.UTF8String, []byte("x,y")}})
	}
	got := formatRFC2253(parseName(nil, cryptobyte.String(nameDER(rdns...)), 1<<20))
	if len(got) != MaxNameLen || !strings.HasPrefix(got, `CN=x\,y,CN=x\,y`) {
		t.Errorf("len %d prefix %.30q", len(got), got)
	}
}
