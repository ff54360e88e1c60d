package rdp

import (
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

// benchAnalyzer is an analyzer whose events are only counted.
func benchAnalyzer() (*Analyzer, *int) {
	n := new(int)
	h := tlsmon.HandlerFunc(func(tlsmon.Event) { *n++ })
	env := &analyzer.Env{Conn: testConn(3389), Events: h, Detach: func() {}, Options: analyzer.Options{AnalyzeEncrypted: true}}
	return New(env).(*Analyzer), n
}

// BenchmarkForward measures the steady state after the hand-off: TLS records forwarded to
// the SSL analyzer. It must not allocate.
func BenchmarkForward(b *testing.B) {
	a, n := benchAnalyzer()
	a.DeliverStream(1, true, connectRequest("", 1))
	a.DeliverStream(2, false, connectConfirm(1))
	a.DeliverStream(3, true, clientHello())
	rec := tlsRecord(23, make([]byte, 1400))
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.DeliverStream(4, i&1 == 0, rec)
	}
	if *n < b.N {
		b.Fatalf("%d events for %d records", *n, b.N)
	}
}

// BenchmarkFraming measures X.224 framing of frames split over deliveries.
func BenchmarkFraming(b *testing.B) {
	frame := tpkt(cotp(pduData, make([]byte, 300)))
	a, _ := benchAnalyzer()
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.DeliverStream(1, true, frame[:100])
		a.DeliverStream(1, true, frame[100:])
	}
}
