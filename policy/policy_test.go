package policy

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	tlsmon "github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/certs/validate"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// now is the network time of the tests' connections.
var now = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func us(t time.Time) int64 { return t.UnixMicro() }

var (
	keysOnce sync.Once
	rsaWeak  *rsa.PrivateKey
	ecKey    *ecdsa.PrivateKey
)

func keys(t *testing.T) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if rsaWeak, err = rsa.GenerateKey(rand.Reader, 1024); err != nil {
			panic(err)
		}
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
}

// makeCert returns a self-signed certificate for cn with key, valid from nb to na.
func makeCert(t *testing.T, key crypto.Signer, cn string, nb, na time.Time) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(0x1234), Subject: pkix.Name{CommonName: cn},
		NotBefore: nb, NotAfter: na}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// harness runs a Site's logs on JSON writers.
type harness struct {
	t    *testing.T
	site *Site
	set  *zeeklog.Set
	bufs map[string]*bytes.Buffer
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	site, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, site: site, bufs: map[string]*bytes.Buffer{}}
	h.set = zeeklog.NewSet(zeeklog.LogsWith(site.Extensions()), func(spec zeeklog.LogSpec) zeeklog.Writer {
		b := &bytes.Buffer{}
		h.bufs[spec.Path] = b
		return zeeklog.NewJSONWriter(b, spec.Columns)
	})
	return h
}

func (h *harness) ev(e tlsmon.Event) { h.set.HandleEvent(e) }

// rows closes the logs and returns the rows of one.
func (h *harness) rows(path string) []map[string]any {
	h.t.Helper()
	if err := h.set.Close(0); err != nil {
		h.t.Fatal(err)
	}
	return decodeRows(h.t, h.bufs[path])
}

func decodeRows(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	if b == nil {
		return nil
	}
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

var connN uint16

func newConn(resp string, port uint16) *tlsmon.Conn {
	connN++
	return &tlsmon.Conn{UID: "Ctest" + string(rune('A'+connN%26)), StartTs: us(now),
		ID: tlsmon.ConnID{OrigH: netip.MustParseAddr("192.168.1.10"), RespH: netip.MustParseAddr(resp),
			OrigP: 40000 + connN, RespP: port, Proto: tlsmon.ProtoTCP}}
}

// handshake feeds a server handshake with chain on c at ts: hellos, certificates,
// ssl_established, and the connection's removal.
func (h *harness) handshake(c *tlsmon.Conn, ts int64, version, cipher uint64, chain ...[]byte) {
	m := tlsmon.Meta{Ts: ts, Conn: c}
	h.ev(&tlsmon.SSLClientHello{Meta: m, Version: 0x0303, Ciphers: []uint64{0xC02F, 0x0005}, CompMethods: []uint64{0}})
	h.ev(&tlsmon.SSLServerHello{Meta: m, Version: version, Cipher: cipher})
	for i, der := range chain {
		h.ev(&tlsmon.Certificate{Meta: m, Index: i, DER: der})
	}
	h.ev(&tlsmon.SSLEstablished{Meta: m})
	h.ev(&tlsmon.ConnectionStateRemove{Meta: m})
}

func notes(rows []map[string]any) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r["note"].(string))
	}
	return out
}

func TestExpiringCerts(t *testing.T) {
	keys(t)
	for _, tc := range []struct {
		name   string
		nb, na time.Time
		note   string
		msg    string
	}{
		{"expired", now.AddDate(-1, 0, 0), time.Date(2024, 4, 1, 8, 30, 5, 0, time.UTC), "SSL::Certificate_Expired",
			"Certificate CN=expired expired at 2024-04-01-08:30:05.000000000"},
		{"soon", now.AddDate(-1, 0, 0), now.AddDate(0, 0, 29), "SSL::Certificate_Expires_Soon",
			"Certificate CN=soon is going to expire at 2024-05-30-12:00:00.000000000"},
		{"notyet", now.AddDate(0, 0, 1), now.AddDate(1, 0, 0), "SSL::Certificate_Not_Valid_Yet",
			"Certificate CN=notyet isn't valid until 2024-05-02-12:00:00.000000000"},
		{"fine", now.AddDate(-1, 0, 0), now.AddDate(0, 0, 31), "", ""},
	} {
		h := newHarness(t, Config{Scripts: []string{ExpiringCerts}})
		c := newConn("203.0.113.5", 443)
		h.handshake(c, us(now), 0x0303, 0xC02F, makeCert(t, ecKey, tc.name, tc.nb, tc.na))
		rows := h.rows("notice")
		if tc.note == "" {
			if len(rows) != 0 {
				t.Errorf("%s: notices %v", tc.name, notes(rows))
			}
			continue
		}
		if len(rows) != 1 {
			t.Fatalf("%s: %d notices", tc.name, len(rows))
		}
		r := rows[0]
		if r["note"] != tc.note || r["msg"] != tc.msg || r["suppress_for"] != 86400.0 ||
			r["id.resp_h"] != "203.0.113.5" || r["dst"] != "203.0.113.5" || r["p"] != 443.0 || r["proto"] != "tcp" {
			t.Errorf("%s: %v", tc.name, r)
		}
	}
}

func TestWeakKeys(t *testing.T) {
	keys(t)
	weak := makeCert(t, rsaWeak, "weak", now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
	strong := makeCert(t, ecKey, "ec", now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
	sum := sha256.Sum256(weak)

	h := newHarness(t, Config{Scripts: []string{WeakKeys}})
	h.handshake(newConn("203.0.113.5", 443), us(now), 0x0303, 0xC02F, weak)
	h.handshake(newConn("203.0.113.6", 443), us(now), 0x0303, 0xC02F, strong) // EC keys are not judged
	h.handshake(newConn("203.0.113.7", 443), us(now), 0x0300, 0x0005, strong) // SSLv3, RC4
	// a DHE handshake with a 512-bit prime under the 1024-bit certificate
	c := newConn("203.0.113.8", 8443)
	m := tlsmon.Meta{Ts: us(now), Conn: c}
	h.ev(&tlsmon.SSLServerHello{Meta: m, Version: 0x0303, Cipher: 0x009E})
	h.ev(&tlsmon.Certificate{Meta: m, DER: weak})
	h.ev(&tlsmon.SSLDHServerParams{Meta: m, P: make([]byte, 64), Q: []byte{2}, Ys: make([]byte, 64)})
	rows := h.rows("notice")
	want := []struct{ note, msg, resp string }{
		{"SSL::Weak_Key", "Host uses weak certificate with 1024 bit key", "203.0.113.5"},
		{"SSL::Old_Version", "Host uses protocol version SSLv3 which is lower than the safe minimum TLSv10", "203.0.113.7"},
		{"SSL::Weak_Cipher", "Host established connection using unsafe cipher suite TLS_RSA_WITH_RC4_128_SHA", "203.0.113.7"},
		{"SSL::Weak_Key", "Host uses weak DH parameters with 512 key bits", "203.0.113.8"},
		{"SSL::Weak_Key", "DH key length of 512 bits is smaller certificate key length of 1024 bits", "203.0.113.8"},
	}
	if len(rows) != len(want) {
		t.Fatalf("notices %v", notes(rows))
	}
	for i, w := range want {
		r := rows[i]
		if r["note"] != w.note || r["msg"] != w.msg || r["id.resp_h"] != w.resp {
			t.Errorf("notice %d: %v, want %+v", i, r, w)
		}
	}
	if rows[0]["file_desc"] != "Fingerprint: "+hex.EncodeToString(sum[:]) || rows[0]["sub"] != "Subject: CN=weak" {
		t.Errorf("weak key notice: %v", rows[0])
	}
}

func TestNoticeSuppression(t *testing.T) {
	keys(t)
	weak := makeCert(t, rsaWeak, "weak", now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
	h := newHarness(t, Config{Scripts: []string{WeakKeys}})
	at := []time.Time{now, now.Add(time.Hour), now.Add(23 * time.Hour), now.Add(24*time.Hour + time.Second)}
	for _, ts := range at {
		h.handshake(newConn("203.0.113.5", 443), us(ts), 0x0303, 0xC02F, weak)
	}
	h.handshake(newConn("203.0.113.5", 444), us(now.Add(time.Hour)), 0x0303, 0xC02F, weak) // another port: another identifier
	rows := h.rows("notice")
	var got []float64
	for _, r := range rows {
		got = append(got, r["ts"].(float64))
	}
	want := []float64{float64(now.Unix()), float64(now.Add(24*time.Hour + time.Second).Unix()), float64(now.Add(time.Hour).Unix())}
	if len(got) != len(want) {
		t.Fatalf("notice times %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("notice %d at %v, want %v", i, got[i], want[i])
		}
	}
}

func TestKnownCerts(t *testing.T) {
	keys(t)
	a := makeCert(t, ecKey, "a", now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
	b := makeCert(t, ecKey, "b", now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
	h := newHarness(t, Config{Scripts: []string{KnownCerts}})
	h.handshake(newConn("203.0.113.5", 443), us(now), 0x0303, 0xC02F, a)
	h.handshake(newConn("203.0.113.5", 8443), us(now.Add(time.Minute)), 0x0303, 0xC02F, a) // same host: known
	h.handshake(newConn("203.0.113.5", 443), us(now.Add(2*time.Minute)), 0x0303, 0xC02F, b)
	h.handshake(newConn("203.0.113.6", 443), us(now.Add(3*time.Minute)), 0x0303, 0xC02F, a)
	h.handshake(newConn("203.0.113.5", 443), us(now.Add(25*time.Hour)), 0x0303, 0xC02F, a) // expired from the set
	rows := h.rows("known_certs")
	type row struct {
		host    string
		port    float64
		subject string
	}
	want := []row{{"203.0.113.5", 443, "CN=a"}, {"203.0.113.5", 443, "CN=b"}, {"203.0.113.6", 443, "CN=a"}, {"203.0.113.5", 443, "CN=a"}}
	if len(rows) != len(want) {
		t.Fatalf("rows %v", rows)
	}
	for i, w := range want {
		r := rows[i]
		if r["host"] != w.host || r["port_num"] != w.port || r["subject"] != w.subject ||
			r["issuer_subject"] != w.subject || r["serial"] != "1234" {
			t.Errorf("row %d: %v, want %+v", i, r, w)
		}
	}

	// tracking local hosts only: a public server is not tracked
	h = newHarness(t, Config{Scripts: []string{KnownCerts}, CertTracking: LocalHosts})
	h.handshake(newConn("8.8.8.8", 443), us(now), 0x0303, 0xC02F, a)
	h.handshake(newConn("10.1.2.3", 443), us(now), 0x0303, 0xC02F, a)
	if rows := h.rows("known_certs"); len(rows) != 1 || rows[0]["host"] != "10.1.2.3" {
		t.Errorf("local tracking: %v", rows)
	}
}

func TestHeartbleed(t *testing.T) {
	h := newHarness(t, Config{Scripts: []string{Heartbleed}})
	// plaintext: a request whose payload length exceeds the record, then the answer
	c := newConn("203.0.113.5", 443)
	m := tlsmon.Meta{Ts: us(now), Conn: c}
	h.ev(&tlsmon.SSLClientHello{Meta: m, Version: 0x0302})
	h.ev(&tlsmon.SSLHeartbeat{Meta: m, IsClient: true, Length: 16368, HeartbeatType: 1, PayloadLength: 16365})
	m.Ts += 1000
	h.ev(&tlsmon.SSLHeartbeat{Meta: m, Length: 16384, HeartbeatType: 2, PayloadLength: 16365})
	// plaintext scan: a well-formed request
	c2 := newConn("203.0.113.6", 443)
	m2 := tlsmon.Meta{Ts: us(now), Conn: c2}
	h.ev(&tlsmon.SSLHeartbeat{Meta: m2, IsClient: true, Length: 40, HeartbeatType: 1, PayloadLength: 16})
	// encrypted: a short request before any application data, then a longer answer
	c3 := newConn("203.0.113.7", 443)
	m3 := tlsmon.Meta{Ts: us(now), Conn: c3}
	// TLS 1.1 with TLS_RSA_WITH_AES_256_CBC_SHA: heartbleed's TLS 1.1+ table (64 bytes)
	h.ev(&tlsmon.SSLServerHello{Meta: m3, Version: 0x0302, Cipher: 0x0035})
	m3.Ts += 500_000
	h.ev(&tlsmon.SSLEncryptedData{Meta: m3, IsClient: true, ContentType: 24, Length: 32})
	m3.Ts += 1000
	h.ev(&tlsmon.SSLEncryptedData{Meta: m3, ContentType: 24, Length: 16384})
	rows := h.rows("notice")
	want := []struct{ note, msg string }{
		{"Heartbleed::SSL_Heartbeat_Attack", "An TLS heartbleed attack was detected! Record length 16368. Payload length 16365"},
		{"Heartbleed::SSL_Heartbeat_Attack_Success", "An TLS heartbleed attack detected before was probably exploited. Message length: 16384. Payload length: 16365"},
		{"Heartbleed::SSL_Heartbeat_Attack", "Heartbeat request before encryption. Probable Scan without exploit attempt. Message length: 40. Payload length: 16"},
		{"Heartbleed::SSL_Heartbeat_Attack", "Heartbeat before ciphertext. Probable attack or scan. Length: 32, is_client: 1"},
		{"Heartbleed::SSL_Heartbeat_Odd_Length", "Heartbeat message smaller than minimum required length. Probable attack. Message length: 32. Required length: 64. Cipher: TLS_RSA_WITH_AES_256_CBC_SHA. Cipher match: /_256_CBC_SHA$/"},
		{"Heartbleed::SSL_Heartbeat_Attack_Success", "An encrypted TLS heartbleed attack was probably detected! First packet client record length 32, first packet server record length 16384. Time: 0.501000"},
	}
	if len(rows) != len(want) {
		t.Fatalf("notices %v", notes(rows))
	}
	for i, w := range want {
		if rows[i]["note"] != w.note || rows[i]["msg"] != w.msg {
			t.Errorf("notice %d: %v %q, want %v %q", i, rows[i]["note"], rows[i]["msg"], w.note, w.msg)
		}
	}
	if rows[2]["n"] != 40.0 || rows[0]["n"] != nil {
		t.Errorf("n: %v %v", rows[2]["n"], rows[0]["n"])
	}
}

// fakeValidator returns fixed results and records its calls.
type fakeValidator struct {
	status string
	ocsp   string
	calls  []string
}

func (f *fakeValidator) ValidateCerts(chain [][]byte, now int64) (validate.Result, bool) {
	f.calls = append(f.calls, "certs")
	code := 0
	if f.status != "ok" {
		code = 20
	}
	return validate.Result{Status: f.status, Code: code}, true
}

func (f *fakeValidator) VerifySCTs(chain [][]byte, res *validate.Result, scts []validate.SCT, now int64) validate.SCTResult {
	f.calls = append(f.calls, "scts")
	return validate.SCTResult{Valid: len(scts), Logs: len(scts), Operators: 1}
}

func (f *fakeValidator) VerifyOCSP(chain [][]byte, response []byte, now int64) validate.OCSPResult {
	f.calls = append(f.calls, "ocsp")
	return validate.OCSPResult{Status: f.ocsp}
}

func TestValidationWiring(t *testing.T) {
	keys(t)
	cert := makeCert(t, ecKey, "srv", now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
	fv := &fakeValidator{status: "unable to get local issuer certificate", ocsp: "revoked"}
	scripts, _ := ParseLoad("validate-ocsp,validate-sct")
	h := newHarness(t, Config{Scripts: scripts, Validator: fv})
	c := newConn("203.0.113.5", 443)
	m := tlsmon.Meta{Ts: us(now), Conn: c}
	h.ev(&tlsmon.SSLClientHello{Meta: m, Version: 0x0303})
	h.ev(&tlsmon.SSLServerHello{Meta: m, Version: 0x0303, Cipher: 0xC02F})
	h.ev(&tlsmon.SSLExtensionSignedCertificateTimestamp{Meta: m, LogID: make([]byte, 32), Signature: []byte{1}})
	h.ev(&tlsmon.Certificate{Meta: m, DER: cert})
	h.ev(&tlsmon.SSLStapledOCSP{Meta: m, Response: []byte{0x30, 0}})
	h.ev(&tlsmon.SSLEstablished{Meta: m})
	// a connection that never establishes: validated when its row is written at removal
	c2 := newConn("203.0.113.6", 443)
	m2 := tlsmon.Meta{Ts: us(now), Conn: c2}
	h.ev(&tlsmon.SSLServerHello{Meta: m2, Version: 0x0303, Cipher: 0xC02F})
	h.ev(&tlsmon.Certificate{Meta: m2, DER: cert})
	m2.Ts += 2_000_000
	h.ev(&tlsmon.ConnectionStateRemove{Meta: m2})
	h.ev(&tlsmon.ConnectionStateRemove{Meta: m})
	notices := h.rows("notice")
	ssl := decodeRows(t, h.bufs["ssl"])
	if strings.Join(fv.calls, ",") != "certs,scts,ocsp,certs,scts" {
		t.Errorf("calls %v", fv.calls)
	}
	if len(ssl) != 2 {
		t.Fatalf("ssl rows %v", ssl)
	}
	r := ssl[0]
	if r["validation_status"] != fv.status || r["ocsp_status"] != "revoked" || r["valid_ct_logs"] != 1.0 || r["valid_ct_operators"] != 1.0 {
		t.Errorf("ssl row %v", r)
	}
	if ssl[1]["validation_status"] != fv.status || ssl[1]["ocsp_status"] != nil {
		t.Errorf("ssl row 2 %v", ssl[1])
	}
	want := []struct {
		note, msg string
		ts        int64
	}{
		{"SSL::Invalid_Server_Cert", "SSL certificate validation failed with (unable to get local issuer certificate)", us(now)},
		{"SSL::Invalid_Ocsp_Response", "OCSP response validation failed with (revoked)", us(now)},
		{"SSL::Invalid_Server_Cert", "SSL certificate validation failed with (unable to get local issuer certificate)", us(now) + 2_000_000},
	}
	if len(notices) != len(want) {
		t.Fatalf("notices %v", notes(notices))
	}
	for i, w := range want {
		n := notices[i]
		if n["note"] != w.note || n["msg"] != w.msg || n["sub"] != "CN=srv" || n["ts"] != float64(w.ts)/1e6 || n["suppress_for"] != 3600.0 {
			t.Errorf("notice %d: %v", i, n)
		}
	}
	// the column order is Zeek's: validate-certs, validate-ocsp, validate-sct
	var names []string
	for _, col := range h.site.ssl.Columns() {
		names = append(names, col.Name)
	}
	if strings.Join(names, ",") != "validation_status,ocsp_status,valid_ct_logs,valid_ct_operators" {
		t.Errorf("columns %v", names)
	}
}

func TestSSLLogExt(t *testing.T) {
	h := newHarness(t, Config{Scripts: []string{SSLLogExt}})
	c := newConn("203.0.113.5", 443)
	m := tlsmon.Meta{Ts: us(now), Conn: c}
	h.ev(&tlsmon.SSLClientHello{Meta: m, Version: 0x0303, Ciphers: []uint64{4865, 49199}, CompMethods: []uint64{0}})
	h.ev(&tlsmon.SSLExtension{Meta: m, IsClient: true, Code: 0})
	h.ev(&tlsmon.SSLExtension{Meta: m, IsClient: true, Code: 43})
	h.ev(&tlsmon.SSLExtensionSupportedVersions{Meta: m, IsClient: true, Versions: []uint64{0x0304, 0x0303}})
	h.ev(&tlsmon.SSLExtensionApplicationLayerProtocolNegotiation{Meta: m, IsClient: true, Protocols: [][]byte{[]byte("h2"), []byte("http/1.1")}})
	h.ev(&tlsmon.SSLExtensionSignatureAlgorithm{Meta: m, IsClient: true, SignatureAlgorithms: []tlsmon.SignatureAndHashAlgorithm{{HashAlgorithm: 4, SignatureAlgorithm: 3}, {HashAlgorithm: 8, SignatureAlgorithm: 4}}})
	h.ev(&tlsmon.SSLExtensionKeyShare{Meta: m, IsClient: true, Curves: []uint64{29, 23}})
	h.ev(&tlsmon.SSLServerHello{Meta: m, Version: 0x0303, Cipher: 4865})
	h.ev(&tlsmon.SSLExtension{Meta: m, Code: 43})
	h.ev(&tlsmon.SSLExtensionSupportedVersions{Meta: m, Versions: []uint64{0x0304}})
	h.ev(&tlsmon.SSLExtensionKeyShare{Meta: m, Curves: []uint64{29}})
	h.ev(&tlsmon.SSLEstablished{Meta: m})
	h.ev(&tlsmon.ConnectionStateRemove{Meta: m})
	rows := h.rows("ssl")
	if len(rows) != 1 {
		t.Fatalf("rows %v", rows)
	}
	raw, _ := json.Marshal(rows[0])
	for _, want := range []string{`"client_ciphers":[4865,49199]`, `"client_version":771`, `"server_version":771`,
		`"ssl_client_exts":[0,43]`, `"ssl_server_exts":[43]`, `"client_supported_versions":[772,771]`,
		`"server_supported_version":772`, `"orig_alpn":["h2","http/1.1"]`, `"sigalgs":[3,4]`, `"hashalgs":[4,8]`,
		`"client_key_share_groups":[29,23]`, `"server_key_share_group":29`, `"client_comp_methods":[0]`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("row lacks %s: %s", want, raw)
		}
	}
	for _, unset := range []string{"ticket_lifetime_hint", "dh_param_size", "point_formats", "ech_kdf_id", "psk_key_exchange_modes"} {
		if _, ok := rows[0][unset]; ok {
			t.Errorf("%s set: %v", unset, rows[0][unset])
		}
	}
}

func TestCommunityIDColumn(t *testing.T) {
	h := newHarness(t, Config{Scripts: []string{CommunityIDLogging}})
	c := &tlsmon.Conn{UID: "C1", StartTs: us(now), ID: tlsmon.ConnID{OrigH: netip.MustParseAddr("127.0.0.1"),
		RespH: netip.MustParseAddr("127.0.0.1"), OrigP: 59272, RespP: 3306, Proto: tlsmon.ProtoTCP}}
	h.ev(&tlsmon.ConnectionStateRemove{Meta: tlsmon.Meta{Ts: us(now), Conn: c}, Stats: tlsmon.ConnectionStats{IPProto: 6}})
	rows := h.rows("conn")
	if len(rows) != 1 || rows[0]["community_id"] != "1:Un0DIblS7AY2ManBOKTl8rugXHs=" {
		t.Errorf("conn rows %v", rows)
	}
	if _, ok := h.bufs["notice"]; ok {
		t.Error("community-id-logging alone opened notice.log")
	}
}

func TestParseLoad(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		err  bool
	}{
		{"local", strings.Join(Scripts, ","), false},
		{"ssl-log-ext,protocols/ssl/known-certs.zeek", "known-certs,ssl-log-ext", false},
		{"validate-sct", "validate-certs,validate-sct", false},
		{"protocols/conn/community-id-logging", "community-id-logging", false},
		{"known-hosts", "", true},
	} {
		got, err := ParseLoad(tc.in)
		if (err != nil) != tc.err || strings.Join(got, ",") != tc.want {
			t.Errorf("ParseLoad(%q) = %v, %v", tc.in, got, err)
		}
	}
	if _, err := New(Config{Scripts: []string{ValidateCerts}}); err == nil {
		t.Error("validate-certs without a Validator accepted")
	}
}

func TestZeekFormats(t *testing.T) {
	for _, tc := range []struct {
		us   int64
		want string
	}{
		{0, "0 secs"}, {1_500_000, "1.0 sec 500.0 msecs"}, {61_000_000, "1.0 min 1.0 sec"},
		{2_000, "2.0 msecs"}, {90061_000_000, "1.0 day 1.0 hr 1.0 min 1.0 sec"},
	} {
		if got := zeekInterval(tc.us); got != tc.want {
			t.Errorf("zeekInterval(%d) = %q, want %q", tc.us, got, tc.want)
		}
	}
	if got := zeekTime(1348206441); got != "2012-09-21-05:47:21.000000000" {
		t.Errorf("zeekTime = %q", got)
	}
}

// A cap hit is counted and reported in weird.log.
func TestCapWeird(t *testing.T) {
	h := newHarness(t, Config{Scripts: []string{SSLLogExt}})
	c := newConn("203.0.113.5", 443)
	m := tlsmon.Meta{Ts: us(now), Conn: c}
	h.ev(&tlsmon.SSLClientHello{Meta: m, Version: 0x0303})
	for i := range maxExts + 2 {
		h.ev(&tlsmon.SSLExtension{Meta: m, IsClient: true, Code: uint64(i)})
	}
	h.ev(&tlsmon.ConnectionStateRemove{Meta: m})
	ssl := h.rows("ssl")
	if n := len(ssl[0]["ssl_client_exts"].([]any)); n != maxExts {
		t.Errorf("%d extension codes kept", n)
	}
	if h.site.Truncated != 2 {
		t.Errorf("Truncated = %d", h.site.Truncated)
	}
	weirds := decodeRows(t, h.bufs["weird"])
	if len(weirds) != 1 || weirds[0]["name"] != "policy_extension_list_cap" || weirds[0]["source"] != "tlsmon" {
		t.Errorf("weird.log %v", weirds)
	}
}

// Past the bounds of the suppression table and the known set, notices and certificates are
// logged (never lost), not remembered, and each hit is a weird.
func TestTableCaps(t *testing.T) {
	keys(t)
	h := newHarness(t, Config{Scripts: []string{KnownCerts, WeakKeys}, MaxSuppressed: 1, MaxKnownCerts: 1})
	weak := makeCert(t, rsaWeak, "weak", now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
	for _, resp := range []string{"203.0.113.5", "203.0.113.6", "203.0.113.6"} {
		h.handshake(newConn(resp, 443), us(now), 0x0303, 0xC02F, weak)
	}
	notices, known := h.rows("notice"), decodeRows(t, h.bufs["known_certs"])
	// .6 was not remembered: its second connection is logged again
	if len(notices) != 3 || len(known) != 3 || h.site.Dropped != 4 {
		t.Errorf("%d notices, %d known_certs rows, Dropped %d", len(notices), len(known), h.site.Dropped)
	}
	var names []string
	for _, w := range decodeRows(t, h.bufs["weird"]) {
		names = append(names, w["name"].(string))
	}
	// one of each per connection of .6 (weird.log de-duplicates per connection)
	if strings.Join(names, ",") != "policy_known_certs_cap,policy_notice_suppression_cap,policy_known_certs_cap,policy_notice_suppression_cap" {
		t.Errorf("weirds %v", names)
	}
}
