package policy

import (
	"net/netip"
	"reflect"
	"testing"

	tlsmon "github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/certs/validate"
)

// recorder is a Forwarder that keeps what it is given.
type recorder struct {
	notices []Notice
	conns   []*tlsmon.Conn
	known   []string
	valids  []Validation
}

func (r *recorder) Validate(v *Validation) {
	c := *v
	cc := *v.Conn
	c.Conn = &cc
	r.valids = append(r.valids, c)
}

func (r *recorder) Notice(n *Notice) {
	c := *n
	if n.Conn != nil {
		cc := *n.Conn
		c.Conn = &cc
	}
	r.notices = append(r.notices, c)
}

func (r *recorder) KnownCert(ts int64, c *tlsmon.Conn, sha1 [20]byte, subject, issuer, serial string) {
	cc := *c
	r.conns = append(r.conns, &cc)
	r.known = append(r.known, string(sha1[:])+"|"+subject+"|"+issuer+"|"+serial)
	_ = ts
}

// An Encoder's lines give Decode the decisions as they were made, connections included.
func TestEncoderDecode(t *testing.T) {
	c4 := &tlsmon.Conn{UID: "CabcDEF123", StartTs: 1_700_000_000_123_456, ID: tlsmon.ConnID{
		OrigH: netip.MustParseAddr("192.0.2.1"), RespH: netip.MustParseAddr("198.51.100.7"),
		OrigP: 51234, RespP: 443, Proto: tlsmon.ProtoTCP}}
	c6 := &tlsmon.Conn{UID: "Cv6", ID: tlsmon.ConnID{OrigH: netip.MustParseAddr("2001:db8::1"),
		RespH: netip.MustParseAddr("fe80::1%eth0"), OrigP: 1, RespP: 853, Proto: tlsmon.ProtoUDP}}
	notices := []Notice{
		{Ts: 1_700_000_001_000_000, Conn: c4, Note: "SSL::Weak_Key", Msg: "Host uses weak DH parameters\nwith 1024 key bits",
			Sub: "CN=é", FileDesc: "Fingerprint: ab", Identifier: "198.51.100.7443/tcp1024", SuppressFor: oneDay},
		{Ts: -5, Conn: c6, Note: "Heartbleed::SSL_Heartbeat_Attack", N: 7, HasN: true},
		{Ts: 3, Note: "X"},
	}
	var lines [][]byte
	e := &Encoder{Put: func(line []byte) { lines = append(lines, append([]byte(nil), line...)) }}
	for i := range notices {
		e.Notice(&notices[i])
	}
	sha := [20]byte{1, 2, 3, '\n', 19: 0xff}
	e.KnownCert(42, c4, sha, "CN=a", "CN=b", "01AB")
	valids := []Validation{
		{ID: 7, Ts: 99, Conn: c4, Chain: [][]byte{[]byte("leaf\n"), nil, {}}, Subject: "CN=x", SHA1: "ab12",
			SCTs: []validate.SCT{{Version: 0, LogID: []byte{1, 2}, Timestamp: 5, HashAlg: 4, SigAlg: 3,
				Signature: []byte{9}, Source: validate.SCTFromOCSP}}, OCSPResponse: []byte{}},
		{ID: 1 << 40, OCSP: true, Ts: -1, Conn: c6, Chain: [][]byte{[]byte("l")}, OCSPResponse: []byte("resp")},
	}
	for i := range valids {
		e.Validate(&valids[i])
	}
	got := &recorder{}
	for _, l := range lines {
		if l[len(l)-1] != '\n' {
			t.Fatalf("line without its newline: %q", l)
		}
		if err := Decode(l, got); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
	}
	if !reflect.DeepEqual(got.notices, notices) {
		t.Errorf("notices:\n got %+v\nwant %+v", got.notices, notices)
	}
	if len(got.known) != 1 || got.known[0] != string(sha[:])+"|CN=a|CN=b|01AB" || !reflect.DeepEqual(got.conns[0], c4) {
		t.Errorf("known: %q %+v", got.known, got.conns)
	}
	if !reflect.DeepEqual(got.valids, valids) {
		t.Errorf("validations:\n got %+v\nwant %+v", got.valids, valids)
	}
	// Malformed lines are errors, never a panic.
	for _, l := range lines {
		for n := range len(l) - 1 {
			if err := Decode(l[:n], &recorder{}); err == nil {
				t.Errorf("%q cut at %d: no error", l, n)
			}
		}
	}
}
