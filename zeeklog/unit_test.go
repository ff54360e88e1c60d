package zeeklog

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/netip"
	"strings"
	"testing"
	"time"

	tlsmon "github.com/tlsmon/tlsmon"
)

func TestTSVEscaping(t *testing.T) {
	cols := []Column{{"a", "string"}, {"b", "vector[string]"}, {"c", "string"}, {"d", "double"}}
	var buf bytes.Buffer
	w := NewTSVWriter(&buf, "p", cols, 1)
	vals := []Value{String("x\ty\\z\x01é"), Strings([]string{"a,b", "", "-"}), String("-"), Double(2)}
	if err := w.Write(vals); err != nil {
		t.Fatal(err)
	}
	w.Write([]Value{String("#x"), Strings(nil), String("(empty)"), Double(0.1234567)})
	w.Write([]Value{String("ok é"), Unset(), Unset(), Unset()})
	w.Close(2)
	lines := strings.Split(buf.String(), "\n")
	want := []string{
		`x\x09y\\z\x01\xc3\xa9	a\x2cb,(empty),\x2d	\x2d	2.0`,
		`\x23x	(empty)	\x28empty)	0.123457`,
		"ok é	-	-	-",
	}
	for i, w := range want {
		if got := lines[8+i]; got != w {
			t.Errorf("line %d:\n got %q\nwant %q", i, got, w)
		}
	}
	if !strings.HasPrefix(lines[0], "#separator \\x09") || lines[4] != "#path\tp" || !strings.HasPrefix(lines[11], "#close\t") {
		t.Errorf("header/close: %q", lines)
	}
}

func TestTSVWritesNothingWithoutRows(t *testing.T) {
	var buf bytes.Buffer
	w := NewTSVWriter(&buf, "p", SSLColumns, 0)
	w.Close(0)
	if buf.Len() != 0 {
		t.Errorf("wrote %q", buf.String())
	}
}

func TestJSONFormatting(t *testing.T) {
	cols := []Column{{"t", "time"}, {"s", "string"}, {"u", "string"}, {"v", "vector[string]"}, {"d", "double"}, {"b", "bool"}}
	var buf bytes.Buffer
	w := NewJSONWriter(&buf, cols)
	w.Write([]Value{Time(1357328848549370), String("a\"\n\x01é"), Unset(), Strings([]string{}), Double(1e-7), Bool(false)})
	w.Write([]Value{Time(1348161979000000), String("\xff"), Unset(), Strings([]string{"x"}), Double(1e22), Bool(true)})
	want := `{"t":1357328848.54937,"s":"a\"\n\\x01\\xc3\\xa9","v":[],"d":1e-7,"b":false}` + "\n" +
		`{"t":1348161979.0,"s":"\\xff","v":["x"],"d":1e22,"b":true}` + "\n"
	if buf.String() != want {
		t.Errorf("\n got %s\nwant %s", buf.String(), want)
	}
}

func TestDoubleFormats(t *testing.T) {
	for _, tc := range []struct {
		f          float64
		tsv, jsonS string
	}{
		{0.5, "0.5", "0.5"}, {3, "3.0", "3.0"}, {123456.0000001, "123456", "123456.0000001"},
		{0.000001, "0.000001", "0.000001"}, {1.5e-7, "0", "1.5e-7"}, {-2.25, "-2.25", "-2.25"},
	} {
		if got := string(appendZeekDouble(nil, tc.f)); got != tc.tsv {
			t.Errorf("tsv %v: %s want %s", tc.f, got, tc.tsv)
		}
		if got := string(appendJSONDouble(nil, tc.f)); got != tc.jsonS {
			t.Errorf("json %v: %s want %s", tc.f, got, tc.jsonS)
		}
	}
}

func TestNames(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{VersionName(0x0303), "TLSv12"}, {VersionName(0xFEFD), "DTLSv12"}, {VersionName(0x7F12), "TLSv13-draft18"},
		{VersionName(0x1234), "unknown-4660"}, {CipherName(0x1301), "TLS_AES_128_GCM_SHA256"},
		{CipherName(0xC02F), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}, {CipherName(0xFFFF), "unknown-65535"},
		{CurveName(29), "x25519"}, {CurveName(23), "secp256r1"}, {AlertName(40), "handshake_failure"}, {AlertName(255), "unknown-255"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q want %q", tc.got, tc.want)
		}
	}
}

func TestHostnameMatches(t *testing.T) {
	for _, tc := range []struct {
		host, name string
		want       bool
	}{
		{"www.example.com", "www.example.com", true}, {"WWW.example.com", "www.example.com", false},
		{"a.example.com", "*.example.com", true}, {"a.b.example.com", "*.example.com", false},
		{"example.com", "*.example.com", false}, {"foo.com", "*.com", false}, {"wwwx.example.com", "www*.example.com", true},
		{"wx.example.com", "www*.example.com", false}, {"a.example.com", "a*b.example.com", false},
		{"xn--bcher-kva.example.com", "*.example.com", true},
	} {
		if got := HostnameMatches(tc.host, tc.name); got != tc.want {
			t.Errorf("HostnameMatches(%q, %q) = %v", tc.host, tc.name, got)
		}
	}
}

func testConn() *tlsmon.Conn {
	return &tlsmon.Conn{UID: "Cx", StartTs: 1_000_000, ID: tlsmon.ConnID{OrigH: netip.MustParseAddr("10.0.0.1"), OrigP: 1234,
		RespH: netip.MustParseAddr("8.8.8.8"), RespP: 443, Proto: tlsmon.ProtoTCP}}
}

func TestSSLHistoryCapAndResumption(t *testing.T) {
	var buf bytes.Buffer
	l := NewSSLLog(NewJSONWriter(&buf, SSLColumns))
	c := testConn()
	m := tlsmon.Meta{Ts: 2_000_000, Conn: c}
	sid := bytes.Repeat([]byte{7}, 32)
	l.HandleEvent(&tlsmon.SSLClientHello{Meta: m, Version: 0x0303, RecordVersion: 0x0301, SessionID: sid})
	l.HandleEvent(&tlsmon.SSLHandshakeMessage{Meta: m, IsClient: true, MsgType: 1})
	l.HandleEvent(&tlsmon.SSLServerHello{Meta: m, Version: 0x0303, SessionID: sid, Cipher: 0xC02F})
	for i := 0; i < 200; i++ {
		l.HandleEvent(&tlsmon.SSLHandshakeMessage{Meta: m, MsgType: 99})
	}
	l.HandleEvent(&tlsmon.SSLEstablished{Meta: tlsmon.Meta{Ts: 3_000_000, Conn: c}})
	l.HandleEvent(&tlsmon.SSLAlert{Meta: m, Desc: 0}) // after the row was written: no effect
	l.HandleEvent(&tlsmon.ConnectionStateRemove{Meta: m})
	l.Close(0)
	out := buf.String()
	want := `{"ts":2.0,"uid":"Cx","id.orig_h":"10.0.0.1","id.orig_p":1234,"id.resp_h":"8.8.8.8","id.resp_p":443,"version":"TLSv12","cipher":"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256","resumed":true,"established":true,"ssl_history":"C` + strings.Repeat("z", 99) + `"}` + "\n"
	if out != want {
		t.Errorf("\n got %s\nwant %s", out, want)
	}
	if l.Weirds != 1 {
		t.Errorf("weirds %d", l.Weirds)
	}
}

func TestCertificatesInLogs(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ignored.example.com"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1e9, 0), DNSNames: []string{"*.example.com"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	var sb, xb bytes.Buffer
	sl := NewSSLLog(NewJSONWriter(&sb, SSLColumns))
	xl := NewX509Log(NewTSVWriter(&xb, "x509", X509Columns, 1))
	h := tlsmon.Handlers{sl, xl}
	c := testConn()
	m := tlsmon.Meta{Ts: 2_000_000, Conn: c}
	h.HandleEvent(&tlsmon.SSLExtensionServerName{Meta: m, IsClient: true, Names: [][]byte{[]byte("www.example.com")}})
	h.HandleEvent(&tlsmon.Certificate{Meta: m, Index: 0, DER: der})
	h.HandleEvent(&tlsmon.Certificate{Meta: m, Index: 1, DER: []byte("garbage")})
	h.HandleEvent(&tlsmon.Certificate{Meta: m, Index: 0, DER: der}) // same key: not logged again
	h.HandleEvent(&tlsmon.ConnectionStateRemove{Meta: m})
	sl.Close(0)
	xl.Close(0)
	if !strings.Contains(sb.String(), `"cert_chain_fps":["`) || !strings.Contains(sb.String(), `"client_cert_chain_fps":[],"sni_matches_cert":true}`) {
		t.Errorf("ssl row %s", sb.String())
	}
	var rows []string
	for _, l := range strings.Split(xb.String(), "\n") {
		if l != "" && l[0] != '#' {
			rows = append(rows, l)
		}
	}
	if len(rows) != 1 || !strings.Contains(rows[0], "\tCN=ignored.example.com\t") ||
		!strings.Contains(rows[0], "\tid-ecPublicKey\tecdsa-with-SHA256\tecdsa\t256\t-\tprime256v1\t*.example.com\t-\t-\t-\t-\t-\tT\tF") {
		t.Errorf("x509 rows %q", rows)
	}
	if xl.Unparsable != 1 {
		t.Errorf("unparsable %d", xl.Unparsable)
	}
}

func TestConnLogRow(t *testing.T) {
	var buf bytes.Buffer
	l := NewConnLog(NewJSONWriter(&buf, ConnColumns))
	c := testConn()
	c.StartTs = 1348168976274919
	l.HandleEvent(&tlsmon.ConnectionStateRemove{Meta: tlsmon.Meta{Ts: 0, Conn: c}, Stats: tlsmon.ConnectionStats{
		Duration: 294743, OrigPkts: 22, RespPkts: 21, OrigIPBytes: 5643, RespIPBytes: 7759, OrigBytes: 4491, RespBytes: 6659,
		State: "SF", History: "ShAdDaFf", Service: []string{"FTP"}, IPProto: 6}})
	l.Close(0)
	want := `{"ts":1348168976.274919,"uid":"Cx","id.orig_h":"10.0.0.1","id.orig_p":1234,"id.resp_h":"8.8.8.8","id.resp_p":443,"proto":"tcp","service":"ftp","duration":0.29474306106567383,"orig_bytes":4491,"resp_bytes":6659,"conn_state":"SF","local_orig":true,"local_resp":false,"missed_bytes":0,"history":"ShAdDaFf","orig_pkts":22,"orig_ip_bytes":5643,"resp_pkts":21,"resp_ip_bytes":7759,"ip_proto":6}` + "\n"
	if buf.String() != want {
		t.Errorf("\n got %s\nwant %s", buf.String(), want)
	}
}

// The names of names.go are written without the escape test (rowBuf.plain): every one
// must be printable ASCII without backslash or set separator.
func TestNamesArePlain(t *testing.T) {
	for _, m := range []map[uint64]string{versionNames, cipherNames, curveNames, alertNames} {
		for _, s := range m {
			if !plainTSV(s, setSeps) || isTSVMarker(s) {
				t.Errorf("name %q needs escaping", s)
			}
		}
	}
	for _, s := range []string{VersionName(0x7F12), unknownName(1 << 63)} {
		if !plainTSV(s, setSeps) {
			t.Errorf("name %q needs escaping", s)
		}
	}
}
