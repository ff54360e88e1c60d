package tlsmon

import (
	"net/netip"
	"testing"
)

func TestAppendTime(t *testing.T) {
	for _, tc := range []struct {
		us   int64
		want string
	}{
		{0, "0.000000"},
		{1, "0.000001"},
		{1357328848549370, "1357328848.549370"},
		{-1500000, "-1.500000"},
		{-1 << 63, "-9223372036854.775808"}, // a pcapng timestamp can be -2^63 µs
	} {
		if got := string(AppendTime(nil, tc.us)); got != tc.want {
			t.Errorf("AppendTime(%d) = %q, want %q", tc.us, got, tc.want)
		}
	}
}

func TestAppendCanonical(t *testing.T) {
	conn := &Conn{ID: ConnID{
		OrigH: netip.MustParseAddr("10.0.0.80"), OrigP: 56637,
		RespH: netip.MustParseAddr("2001:db8::1"), RespP: 443, Proto: ProtoTCP,
	}}
	for _, tc := range []struct {
		ev   SSLEvent
		want string
	}{
		{
			&SSLExtension{Meta: Meta{Ts: 1357328848549370, Conn: conn}, IsClient: true, Code: 11, Val: []byte{3, 0, 1, 2}},
			`{"ts":1357328848.549370,"event":"ssl_extension","id":{"orig_h":"10.0.0.80","orig_p":56637,"resp_h":"2001:db8::1","resp_p":443,"proto":"tcp"},"args":{"is_client":true,"code":11,"val":"03000102"}}`,
		},
		{
			&SSLExtensionSignatureAlgorithm{Meta: Meta{Ts: 1, Conn: conn}, SignatureAlgorithms: []SignatureAndHashAlgorithm{{6, 1}, {4, 3}}},
			`{"ts":0.000001,"event":"ssl_extension_signature_algorithm","id":{"orig_h":"10.0.0.80","orig_p":56637,"resp_h":"2001:db8::1","resp_p":443,"proto":"tcp"},"args":{"is_client":false,"signature_algorithms":[{"HashAlgorithm":6,"SignatureAlgorithm":1},{"HashAlgorithm":4,"SignatureAlgorithm":3}]}}`,
		},
		{
			&SSLExtensionPreSharedKeyClientHello{Meta: Meta{Conn: conn}, IsClient: true,
				Identities: []PSKIdentity{{Identity: []byte{0xab}, ObfuscatedTicketAge: 7}}, Binders: [][]byte{{1}, {}}},
			`{"ts":0.000000,"event":"ssl_extension_pre_shared_key_client_hello","id":{"orig_h":"10.0.0.80","orig_p":56637,"resp_h":"2001:db8::1","resp_p":443,"proto":"tcp"},"args":{"is_client":true,"identities":[{"identity":"ab","obfuscated_ticket_age":7}],"binders":["01",""]}}`,
		},
		{
			&SSLClientHello{Meta: Meta{Conn: conn}, Version: 771, RecordVersion: 769, PossibleTs: 1357328848, Ciphers: []uint64{}, CompMethods: []uint64{0}},
			`{"ts":0.000000,"event":"ssl_client_hello","id":{"orig_h":"10.0.0.80","orig_p":56637,"resp_h":"2001:db8::1","resp_p":443,"proto":"tcp"},"args":{"version":771,"record_version":769,"possible_ts":1357328848.000000,"client_random":"","session_id":"","ciphers":[],"comp_methods":[0]}}`,
		},
	} {
		if got := string(AppendCanonical(nil, tc.ev)); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.ev.Name(), got, tc.want)
		}
	}
}

func TestSSLEventNames(t *testing.T) {
	if len(SSLEventNames) != 35 {
		t.Fatalf("%d SSL event names, want Zeek 9's 35", len(SSLEventNames))
	}
}
