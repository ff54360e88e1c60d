package dtls

import (
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

// BenchmarkDeliverPacket measures one datagram of three records (a handshake message, a
// CCS, an encrypted record) through the analyzer with the ssl sink.
func BenchmarkDeliverPacket(b *testing.B) {
	env := &analyzer.Env{Conn: &tlsmon.Conn{}, Events: tlsmon.HandlerFunc(func(tlsmon.Event) {}), Detach: func() {},
		Options: analyzer.Options{AnalyzeEncrypted: true}}
	a := New(env, NewSSLSink)
	d := cat(hsRecord(1, 14, 0, 2, 0, nil), record(ContentChangeCipherSpec, VersionDTLS12, 0, 2, []byte{1}),
		record(ContentHandshake, VersionDTLS12, 1, 0, seqBytes(1200)))
	b.SetBytes(int64(len(d)))
	b.ReportAllocs()
	for b.Loop() {
		a.DeliverPacket(1, true, d)
	}
}
