package fingerprint

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/tls"
	"net/netip"
	"testing"

	"golang.org/x/crypto/cryptobyte"

	tlsmon "github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/dtls"
	"github.com/tlsmon/tlsmon/engine"
	"github.com/tlsmon/tlsmon/internal/testgen"
	"github.com/tlsmon/tlsmon/quic"
)

// parseClientHello reads a ClientHello handshake message (type, length, body) the way the
// fingerprints need it: the test's own reading of the bytes crypto/tls sent, to compare
// with what the Tracker made of the analyzer's events.
func parseClientHello(t testing.TB, msg []byte, transport byte) *ClientHello {
	t.Helper()
	h := &ClientHello{Transport: transport}
	s := cryptobyte.String(msg)
	var typ uint8
	var body, sid, ciphers, comp, exts cryptobyte.String
	if !s.ReadUint8(&typ) || typ != 1 || !s.ReadUint24LengthPrefixed(&body) ||
		!body.ReadUint16(&h.Version) || !body.Skip(32) || !body.ReadUint8LengthPrefixed(&sid) ||
		!body.ReadUint16LengthPrefixed(&ciphers) || !body.ReadUint8LengthPrefixed(&comp) ||
		!body.ReadUint16LengthPrefixed(&exts) {
		t.Fatal("malformed ClientHello")
	}
	for !ciphers.Empty() {
		var c uint16
		ciphers.ReadUint16(&c)
		h.Ciphers = append(h.Ciphers, uint32(c))
	}
	u16s := func(s cryptobyte.String) (out []uint16) {
		for !s.Empty() {
			var v uint16
			if !s.ReadUint16(&v) {
				t.Fatal("odd list")
			}
			out = append(out, v)
		}
		return out
	}
	for !exts.Empty() {
		var code uint16
		var data, list cryptobyte.String
		if !exts.ReadUint16(&code) || !exts.ReadUint16LengthPrefixed(&data) {
			t.Fatal("malformed extension")
		}
		h.Extensions = append(h.Extensions, code)
		switch code {
		case 0x002b:
			data.ReadUint8LengthPrefixed(&list)
			h.SupportedVersions = u16s(list)
		case 0x000d:
			data.ReadUint16LengthPrefixed(&list)
			h.SignatureAlgorithms = u16s(list)
		case 0x000a:
			data.ReadUint16LengthPrefixed(&list)
			h.Curves = u16s(list)
		case 0x000b:
			data.ReadUint8LengthPrefixed(&list)
			for _, b := range list {
				h.PointFormats = append(h.PointFormats, uint16(b))
			}
		case 0x0010:
			var name cryptobyte.String
			if data.ReadUint16LengthPrefixed(&list) && list.ReadUint8LengthPrefixed(&name) {
				h.ALPN = append([]byte(nil), name...)
			}
		}
	}
	return h
}

// firstClientHello returns the ClientHello message of a transcript's first client write (its
// handshake records' bodies).
func firstClientHello(t testing.TB, tr *testgen.Transcript) []byte {
	t.Helper()
	var msg []byte
	for _, c := range tr.Chunks {
		if !c.FromClient {
			continue
		}
		for rec := c.Data; len(rec) >= 5; {
			n := int(rec[3])<<8 | int(rec[4])
			if rec[0] == 22 {
				msg = append(msg, rec[5:5+n]...)
			}
			rec = rec[5+n:]
		}
		return msg
	}
	t.Fatal("no client write")
	return nil
}

// fingerprints is what the tests compare: JA4 in all forms and JA3.
type fingerprints struct{ ja4, ja4o, ja4r, ja4ro, ja3 string }

func fingerprintsOf(h *ClientHello) fingerprints {
	var b Builder
	return fingerprints{b.JA4(h).String(), b.JA4O(h).String(), string(b.AppendJA4R(nil, h)),
		string(b.AppendJA4RO(nil, h)), b.JA3(h).String()}
}

// resultsOf runs the engine over a capture and returns each connection's result.
func resultsOf(t testing.TB, pcap []byte) []fingerprints {
	t.Helper()
	r, err := capture.NewReader("test.pcap", bytes.NewReader(pcap))
	if err != nil {
		t.Fatal(err)
	}
	var out []fingerprints
	tr := New(Options{KeepHellos: true, OnResult: func(c *tlsmon.Conn, r *Result) {
		fp := fingerprintsOf(&r.Client)
		if fp.ja4 != r.JA4.String() || fp.ja3 != r.JA3.String() {
			t.Errorf("result fields disagree with its hello: %+v", r)
		}
		out = append(out, fp)
	}})
	if err := engine.New(engine.Options{Handler: tr}).Run(r); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSplitHelloTCP fingerprints one real crypto/tls ClientHello — Go 1.26's default, whose
// X25519MLKEM768 key share makes it larger than a TCP segment — framed many ways: the result
// must be the fingerprint of the bytes crypto/tls sent, whatever the framing.
func TestSplitHelloTCP(t *testing.T) {
	tr, err := testgen.Run(testgen.Config{ServerName: "www.example.com", ALPN: []string{"h2", "http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	msg := firstClientHello(t, tr)
	if len(msg) <= 1460 {
		t.Fatalf("ClientHello of %d bytes: expected a post-quantum hello larger than a segment", len(msg))
	}
	want := fingerprintsOf(parseClientHello(t, msg, TCP))
	if want.ja4[:10] != "t13d1"+want.ja4[5:8]+"h2" {
		t.Errorf("unexpected JA4 %s", want.ja4)
	}
	for _, c := range []struct {
		name string
		f    testgen.Framing
	}{
		{"one segment per MSS", testgen.Framing{}},
		{"tiny segments", testgen.Framing{MSS: 7, MinSegment: 1, Seed: 1}},
		{"many records", testgen.Framing{MaxHandshakeRecord: 50}},
		{"many records in tiny segments", testgen.Framing{MaxHandshakeRecord: 17, MSS: 13, MinSegment: 1, Seed: 2}},
		{"retransmitted", testgen.Framing{MSS: 200, Duplicate: 0.5, Seed: 3}},
		{"overlapping retransmissions", testgen.Framing{MSS: 100, Overlap: 0.5, Seed: 4}},
		{"reordered", testgen.Framing{MSS: 300, Reorder: 0.5, Seed: 5}},
		{"IPv6", testgen.Framing{IPv6: true, MSS: 500}},
	} {
		var buf bytes.Buffer
		capt, err := testgen.NewCapture(&buf, testgen.HandshakeTime)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := capt.AddConn(tr, c.f); err != nil {
			t.Fatal(err)
		}
		got := resultsOf(t, buf.Bytes())
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, want)
		}
	}
}

// TestHelloRetryRequest: after a HelloRetryRequest the first ClientHello is fingerprinted,
// and the result says a retry happened.
func TestHelloRetryRequest(t *testing.T) {
	tr, err := testgen.Run(testgen.Config{ServerName: "retry.example.com", HelloRetry: true})
	if err != nil {
		t.Fatal(err)
	}
	if !tr.Info.HelloRetryRequest {
		t.Fatal("no HelloRetryRequest")
	}
	want := fingerprintsOf(parseClientHello(t, firstClientHello(t, tr), TCP))
	var buf bytes.Buffer
	capt, _ := testgen.NewCapture(&buf, testgen.HandshakeTime)
	if _, err := capt.AddConn(tr, testgen.Framing{MSS: 600}); err != nil {
		t.Fatal(err)
	}
	r, _ := capture.NewReader("hrr.pcap", bytes.NewReader(buf.Bytes()))
	var hellos []string
	var res *Result
	var got fingerprints
	trk := New(Options{
		KeepHellos: true,
		OnClientHello: func(e *tlsmon.SSLClientHello, h *ClientHello) {
			var b Builder
			hellos = append(hellos, string(b.AppendJA4RO(nil, h)))
		},
		OnResult: func(c *tlsmon.Conn, r *Result) {
			cp := *r
			res = &cp
			got = fingerprintsOf(&r.Client)
		},
	})
	if err := engine.New(engine.Options{Handler: trk}).Run(r); err != nil {
		t.Fatal(err)
	}
	if res == nil || !res.HelloRetryRequest || res.ClientHellos != 2 || res.ServerHellos != 2 {
		t.Fatalf("result %+v", res)
	}
	if got != want || len(hellos) != 2 || hellos[0] != want.ja4ro || res.JA4.String() != want.ja4 {
		t.Errorf("got %+v (hellos %q), want the first hello's %+v", got, hellos, want)
	}
}

// quicClientHello returns the ClientHello crypto/tls's QUIC client sends first.
func quicClientHello(t testing.TB) []byte {
	t.Helper()
	q := tls.QUICClient(&tls.QUICConfig{TLSConfig: &tls.Config{ServerName: "quic.example.com", NextProtos: []string{"h3"}, MinVersion: tls.VersionTLS13}})
	q.SetTransportParameters([]byte{0x01, 0x02, 0x40, 0x64}) // max_idle_timeout 100
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	var msg []byte
	for e := q.NextEvent(); e.Kind != tls.QUICNoEvent; e = q.NextEvent() {
		if e.Kind == tls.QUICWriteData && e.Level == tls.QUICEncryptionLevelInitial {
			msg = append(msg, e.Data...)
		}
	}
	return msg
}

// sealClientInitial builds a protected QUIC v1 client Initial carrying payload (the sender's
// side, for the test: RFC 9001 section 5).
func sealClientInitial(t testing.TB, dcid []byte, pn uint32, payload []byte) []byte {
	t.Helper()
	k, err := quic.InitialKeys(1, dcid, true)
	if err != nil {
		t.Fatal(err)
	}
	hdr := []byte{0xc3, 0, 0, 0, 1, byte(len(dcid))} // long header, Initial, 4-byte packet number
	hdr = append(hdr, dcid...)
	hdr = append(hdr, 0, 0) // no source connection ID, no token
	length := 4 + len(payload) + 16
	hdr = append(hdr, 0x40|byte(length>>8), byte(length), byte(pn>>24), byte(pn>>16), byte(pn>>8), byte(pn))
	pnOff := len(hdr) - 4
	blk, _ := aes.NewCipher(k.Key[:])
	aead, _ := cipher.NewGCM(blk)
	nonce := k.IV
	for i := range 4 {
		nonce[11-i] ^= byte(pn >> (8 * i))
	}
	pkt := aead.Seal(append([]byte{}, hdr...), nonce[:], payload, hdr)
	hp, _ := aes.NewCipher(k.HP[:])
	var mask [16]byte
	hp.Encrypt(mask[:], pkt[pnOff+4:pnOff+20])
	pkt[0] ^= mask[0] & 0x0f
	for i := range 4 {
		pkt[pnOff+i] ^= mask[1+i]
	}
	return pkt
}

// cryptoFrame is a CRYPTO frame (type 6) with two-byte varint offset and length.
func cryptoFrame(off int, data []byte) []byte {
	f := []byte{0x06, 0x40 | byte(off>>8), byte(off), 0x40 | byte(len(data)>>8), byte(len(data))}
	return append(f, data...)
}

// TestSplitHelloQUIC fingerprints crypto/tls's QUIC ClientHello (post-quantum key share: it
// spans several Initial packets) cut into CRYPTO frames spread over Initials delivered out
// of order, with a retransmitted Initial.
func TestSplitHelloQUIC(t *testing.T) {
	msg := quicClientHello(t)
	if len(msg) <= 1200 {
		t.Fatalf("QUIC ClientHello of %d bytes: expected more than one Initial", len(msg))
	}
	want := fingerprintsOf(parseClientHello(t, msg, QUIC))
	if want.ja4[:10] != "q13d"+want.ja4[4:8]+"h3" {
		t.Errorf("unexpected JA4 %s", want.ja4)
	}
	dcid := []byte{8, 7, 6, 5, 4, 3, 2, 1}
	// frames of 250 bytes, two per packet but the last, packets sent in reverse order, the
	// second packet sent twice
	var frames [][]byte
	for off := 0; off < len(msg); off += 250 {
		frames = append(frames, cryptoFrame(off, msg[off:min(off+250, len(msg))]))
	}
	var pkts [][]byte
	for i := 0; i < len(frames); i += 2 {
		payload := bytes.Join(frames[i:min(i+2, len(frames))], nil)
		payload = append(payload, make([]byte, 1100-len(payload))...) // PADDING frames
		pkts = append(pkts, sealClientInitial(t, dcid, uint32(i/2), payload))
	}
	if len(pkts) < 3 {
		t.Fatalf("%d Initials", len(pkts))
	}
	order := []int{}
	for i := len(pkts) - 1; i >= 0; i-- {
		order = append(order, i)
	}
	order = append(order, 1)

	conn := &tlsmon.Conn{UID: "Cquic", ID: tlsmon.ConnID{
		OrigH: netip.MustParseAddr("10.0.0.1"), RespH: netip.MustParseAddr("10.0.0.2"),
		OrigP: 50000, RespP: 443, Proto: tlsmon.ProtoUDP}}
	var got []fingerprints
	trk := New(Options{OnClientHello: func(e *tlsmon.SSLClientHello, h *ClientHello) {
		got = append(got, fingerprintsOf(h))
	}})
	a := quic.New(&analyzer.Env{Conn: conn, Events: trk, Detach: func() {}})
	for i, p := range order {
		a.DeliverPacket(int64(1_000_000+i), true, pkts[p])
	}
	a.Done(2_000_000)
	if len(got) != 1 || got[0] != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if res, ok := trk.Lookup(conn); !ok || res.JA4.String() != want.ja4 {
		t.Errorf("result %+v", res)
	}
}

// TestSplitHelloDTLS fingerprints a DTLS 1.2 ClientHello (crypto/tls's TLS 1.2 hello, with
// the DTLS version and an empty cookie) cut into handshake fragments, one record and one
// datagram each, delivered out of order with a retransmitted fragment.
func TestSplitHelloDTLS(t *testing.T) {
	tr, err := testgen.Run(testgen.Config{MaxVersion: tls.VersionTLS12, ServerName: "dtls.example.com", NoAppData: true})
	if err != nil {
		t.Fatal(err)
	}
	tlsMsg := firstClientHello(t, tr)
	// the DTLS body: version, random, session id, an empty cookie, then the rest as in TLS
	body := tlsMsg[4:]
	sidEnd := 2 + 32 + 1 + int(body[34])
	dbody := append([]byte{0xfe, 0xfd}, body[2:sidEnd]...)
	dbody = append(dbody, 0)
	dbody = append(dbody, body[sidEnd:]...)
	want := parseClientHello(t, tlsMsg, DTLS) // the same fields, read from the TLS form
	want.Version = 0xfefd
	wantFP := fingerprintsOf(want)
	if wantFP.ja4[0] != 'd' || wantFP.ja4[3] != 'd' { // crypto/tls lists TLS 1.2 in supported_versions: "d12d"
		t.Errorf("unexpected JA4 %s", wantFP.ja4)
	}
	const frag = 60
	var dgrams [][]byte
	for off, seq := 0, 0; off < len(dbody); off, seq = off+frag, seq+1 {
		n := min(frag, len(dbody)-off)
		u24 := func(v int) []byte { return []byte{byte(v >> 16), byte(v >> 8), byte(v)} }
		hs := append([]byte{1}, u24(len(dbody))...)
		hs = append(hs, 0, 0) // message_seq
		hs = append(hs, u24(off)...)
		hs = append(hs, u24(n)...)
		hs = append(hs, dbody[off:off+n]...)
		rec := []byte{22, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, byte(seq), byte(len(hs) >> 8), byte(len(hs))}
		dgrams = append(dgrams, append(rec, hs...))
	}
	order := []int{}
	for i := len(dgrams) - 1; i >= 0; i-- {
		order = append(order, i)
		if i == len(dgrams)/2 {
			order = append(order, i) // retransmitted
		}
	}
	conn := &tlsmon.Conn{UID: "Cdtls", ID: tlsmon.ConnID{
		OrigH: netip.MustParseAddr("10.0.0.1"), RespH: netip.MustParseAddr("10.0.0.2"),
		OrigP: 50000, RespP: 4433, Proto: tlsmon.ProtoUDP}}
	var got []fingerprints
	trk := New(Options{OnClientHello: func(e *tlsmon.SSLClientHello, h *ClientHello) {
		got = append(got, fingerprintsOf(h))
	}})
	a := dtlsAnalyzer(&analyzer.Env{Conn: conn, Events: trk, Detach: func() {}})
	for i, d := range order {
		a.DeliverPacket(int64(1_000_000+i), true, dgrams[d])
	}
	a.Done(2_000_000)
	if len(got) != 1 || got[0] != wantFP {
		t.Errorf("got %+v, want %+v", got, wantFP)
	}
}

func dtlsAnalyzer(env *analyzer.Env) analyzer.Analyzer { return dtls.NewConfig(env, dtls.Config{}) }
