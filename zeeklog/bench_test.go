package zeeklog

import (
	"fmt"
	"io"
	"net/netip"
	"testing"

	tlsmon "github.com/tlsmon/tlsmon"
)

// benchWave builds the events of n TLS connections that run at the same time, in the
// order a capture interleaving them would raise them: each connection's handshake (a TLS
// 1.2 one with SNI, ALPN, a two-certificate chain and a resumption attempt), a few
// records of data and its removal, round-robin over the connections step by step.
func benchWave(b testing.TB, n int) []tlsmon.Event {
	leaf := testCert(b, "www.example.com", []string{"www.example.com", "example.com"}, nil)
	ca := testCert(b, "Example CA", nil, nil)
	sid := make([]byte, 32)
	for i := range sid {
		sid[i] = byte(i + 1)
	}
	perConn := make([][]tlsmon.Event, n)
	for i := range perConn {
		c := &tlsmon.Conn{UID: fmt.Sprintf("CbEnCh%012d", i), ID: tlsmon.ConnID{
			OrigH: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), OrigP: uint16(40000 + i),
			RespH: netip.AddrFrom4([4]byte{93, 184, 216, 34}), RespP: 443, Proto: tlsmon.ProtoTCP,
		}, StartTs: 1700000000123456}
		m := func(step int) tlsmon.Meta {
			return tlsmon.Meta{Ts: c.StartTs + int64(step)*1013, Conn: c}
		}
		ev := []tlsmon.Event{
			&tlsmon.NewConnection{Meta: m(0)},
			&tlsmon.SSLClientHello{Meta: m(1), Version: 0x0303, RecordVersion: 0x0301, SessionID: sid},
		}
		for _, code := range []uint64{0, 10, 11, 13, 16, 23, 35, 43, 45, 51} {
			ev = append(ev, &tlsmon.SSLExtension{Meta: m(1), IsClient: true, Code: code})
		}
		ev = append(ev,
			&tlsmon.SSLExtensionServerName{Meta: m(1), IsClient: true, Names: [][]byte{[]byte("www.example.com")}},
			&tlsmon.SSLExtensionApplicationLayerProtocolNegotiation{Meta: m(1), IsClient: true, Protocols: [][]byte{[]byte("h2"), []byte("http/1.1")}},
			&tlsmon.SSLHandshakeMessage{Meta: m(1), IsClient: true, MsgType: 1, Length: 508},
			&tlsmon.SSLServerHello{Meta: m(2), Version: 0x0303, RecordVersion: 0x0303, SessionID: sid[:16], Cipher: 0xc02f},
			&tlsmon.SSLExtension{Meta: m(2), Code: 16},
			&tlsmon.SSLExtensionApplicationLayerProtocolNegotiation{Meta: m(2), Protocols: [][]byte{[]byte("h2")}},
			&tlsmon.SSLHandshakeMessage{Meta: m(2), MsgType: 2, Length: 80},
			&tlsmon.AnalyzerConfirmation{Meta: m(2), Analyzer: "SSL"},
			&tlsmon.Certificate{Meta: m(2), Index: 0, DER: leaf},
			&tlsmon.Certificate{Meta: m(2), Index: 1, DER: ca},
			&tlsmon.SSLHandshakeMessage{Meta: m(2), MsgType: 11, Length: uint64(len(leaf) + len(ca) + 9)},
			&tlsmon.SSLECDHServerParams{Meta: m(2), Curve: 23},
			&tlsmon.SSLHandshakeMessage{Meta: m(2), MsgType: 12, Length: 300},
			&tlsmon.SSLHandshakeMessage{Meta: m(2), MsgType: 14},
			&tlsmon.SSLHandshakeMessage{Meta: m(3), IsClient: true, MsgType: 16, Length: 66},
			&tlsmon.SSLChangeCipherSpec{Meta: m(3), IsClient: true},
			&tlsmon.SSLPlaintextData{Meta: m(3), IsClient: true, RecordVersion: 0x0303, ContentType: 22, Length: 40},
			&tlsmon.SSLChangeCipherSpec{Meta: m(4)},
			&tlsmon.SSLEstablished{Meta: m(4)},
			&tlsmon.SSLPlaintextData{Meta: m(4), RecordVersion: 0x0303, ContentType: 22, Length: 40},
		)
		for step := 5; step < 9; step++ {
			ev = append(ev, &tlsmon.SSLPlaintextData{Meta: m(step), IsClient: step%2 == 0, RecordVersion: 0x0303, ContentType: 23, Length: 1400})
		}
		ev = append(ev, &tlsmon.ConnectionStateRemove{Meta: m(10), Stats: tlsmon.ConnectionStats{
			Duration: 9 * 1013, OrigPkts: 12, RespPkts: 10, OrigIPBytes: 2400, RespIPBytes: 9800, OrigBytes: 1900,
			RespBytes: 9200, State: "SF", History: "ShADadFf", Service: []string{"SSL"}, IPProto: 6, OrigBytesSet: true,
		}})
		perConn[i] = ev
	}
	var out []tlsmon.Event
	for step := 0; len(out) < n*len(perConn[0]); step++ {
		for _, ev := range perConn {
			if step < len(ev) {
				out = append(out, ev[step])
			}
		}
	}
	return out
}

// BenchmarkSetTSV and BenchmarkSetJSON measure the log builders and writers per
// connection (one ssl.log, one conn.log row and 31 events each), writing to io.Discard.
func BenchmarkSetTSV(b *testing.B)  { benchSet(b, false) }
func BenchmarkSetJSON(b *testing.B) { benchSet(b, true) }

func benchSet(b *testing.B, json bool) {
	const conns = 256
	wave := benchWave(b, conns)
	set := NewSet(Logs(), func(s LogSpec) Writer {
		if json {
			return NewJSONWriter(io.Discard, s.Columns)
		}
		return NewTSVWriter(io.Discard, s.Path, s.Columns, 1)
	})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += conns {
		for _, e := range wave {
			set.HandleEvent(e)
		}
	}
	b.StopTimer()
	if err := set.Close(1); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkTime6 compares the integer and floating-point formatting of a timestamp.
func BenchmarkTime6(b *testing.B) {
	buf := make([]byte, 0, 32)
	us := int64(1700000000123456)
	b.Run("int", func(b *testing.B) {
		for i := range b.N {
			buf = appendTime6(buf[:0], us+int64(i))
		}
	})
	b.Run("float", func(b *testing.B) {
		for i := range b.N {
			buf = appendFixed6(buf[:0], zeekSeconds(us+int64(i)))
		}
	})
}
