package ssl

import (
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

// maxTLSCiphertext is the largest record body a TLS peer may send (RFC 5246 6.2.3).
const maxTLSCiphertext = 1<<14 + 2048

func quietAnalyzer(opts analyzer.Options) *Analyzer {
	env := &analyzer.Env{Conn: testConn, Events: tlsmon.HandlerFunc(func(tlsmon.Event) {}), Options: opts}
	env.Detach = func() {}
	return newAnalyzer(env, testShared()).(*Analyzer)
}

// streamSplit sends b in pieces of n bytes.
func streamSplit(a *Analyzer, isOrig bool, b []byte, n int) {
	for len(b) > 0 {
		k := min(n, len(b))
		a.DeliverStream(1, isOrig, b[:k])
		b = b[k:]
	}
}

// A record split over many segments is gathered in a buffer sized by the bytes received,
// not by the length the header claims (issue 10: 19 bytes of a record claiming 64 KiB must
// not hold 64 KiB), and once warm (the free list holds the sizes) gathering allocates
// nothing.
func TestSplitRecordGatheredWithoutRegrowth(t *testing.T) {
	a := quietAnalyzer(analyzer.Options{AnalyzeEncrypted: true})
	defer a.Done(2)
	a.DeliverStream(1, true, record(ctHandshake, versionTLS10,
		hsMsg(hsClientHello, clientHelloBody(versionTLS12, seqRandom(1), nil, []uint16{0x2f}, nil))))
	big := record(ctApplicationData, versionTLS12, make([]byte, maxTLSCiphertext))
	d := &a.session().dir[dirIndex(true)]

	a.DeliverStream(1, true, big[:100])
	if c := cap(d.buf); c > minRecordBuf {
		t.Fatalf("buffer capacity %d after 95 bytes of the body, want it sized by the bytes received", c)
	}
	streamSplit(a, true, big[100:len(big)-1], 1000)
	if cap(d.buf) < maxTLSCiphertext {
		t.Fatalf("buffer capacity %d, want room for the record", cap(d.buf))
	}
	a.DeliverStream(1, true, big[len(big)-1:])
	if d.inBody || len(d.buf) != 0 {
		t.Fatalf("record not complete: inBody=%v buffered=%d", d.inBody, len(d.buf))
	}
	if a.session().skip || a.session().detached {
		t.Fatal("analysis stopped")
	}
	allocs := testing.AllocsPerRun(20, func() { streamSplit(a, true, big, 1400) })
	if allocs != 0 {
		t.Errorf("%.1f allocations per split record, want 0", allocs)
	}
}

// Records longer than any TLS peer sends still complete, by growing the buffer.
func TestOversizedSplitRecordCompletes(t *testing.T) {
	var n int
	env := &analyzer.Env{Conn: testConn, Options: analyzer.Options{AnalyzeEncrypted: true},
		Events: tlsmon.HandlerFunc(func(e tlsmon.Event) {
			if ev, ok := e.(*tlsmon.SSLEncryptedData); ok && ev.Length == 0xffff {
				n++
			}
		})}
	env.Detach = func() {}
	a := New(env).(*Analyzer)
	defer a.Done(2)
	a.DeliverStream(1, true, record(ctHandshake, versionTLS10,
		hsMsg(hsClientHello, clientHelloBody(versionTLS12, seqRandom(1), nil, []uint16{0x2f}, nil))))
	streamSplit(a, true, record(ctApplicationData, versionTLS12, make([]byte, 0xffff)), 1000)
	if n != 1 {
		t.Fatalf("%d encrypted records of 65535 bytes reported, want 1", n)
	}
}

// A record's gathering buffer is held only while the record is incomplete: it goes back to
// the free list once the record was parsed, and on a detach or a reset, so that idle and
// recycled sessions hold none.
func TestRecordBufferHeldOnlyWhileIncomplete(t *testing.T) {
	a := quietAnalyzer(analyzer.Options{AnalyzeEncrypted: true})
	s := a.session()
	defer a.Done(2)
	a.DeliverStream(1, true, record(ctHandshake, versionTLS10,
		hsMsg(hsClientHello, clientHelloBody(versionTLS12, seqRandom(1), nil, []uint16{0x2f}, nil))))
	big := record(ctApplicationData, versionTLS12, make([]byte, maxTLSCiphertext))
	freeBytes := func() int {
		return s.hs.sh.bufs.bytes
	}

	a.DeliverStream(1, true, big[:len(big)-1])
	if cap(s.dir[0].buf) < maxTLSCiphertext {
		t.Fatalf("incomplete record: buffer capacity %d", cap(s.dir[0].buf))
	}
	a.DeliverStream(1, true, big[len(big)-1:])
	if s.dir[0].buf != nil || freeBytes() < maxTLSCiphertext {
		t.Fatalf("complete record: buffer capacity %d kept, free list %d bytes", cap(s.dir[0].buf), freeBytes())
	}
	// the originator is encrypted now (its records are counted, not gathered): the responder
	a.DeliverStream(1, false, big[:len(big)-1])
	held := cap(s.dir[1].buf)
	before := freeBytes()
	if held < maxTLSCiphertext {
		t.Fatalf("incomplete record: buffer capacity %d", held)
	}
	s.detach()
	if s.dir[1].buf != nil || freeBytes() != before+held {
		t.Fatalf("detach: buffer capacity %d kept, free list %d bytes, want %d", cap(s.dir[1].buf), freeBytes(), before+held)
	}
	held = freeBytes()
	s.dir[0].buf = s.hs.sh.getBuf(smallBufClass(1000))
	s.reset(&analyzer.Env{Conn: testConn})
	if s.dir[0].buf != nil || freeBytes() != held+1024 {
		t.Fatalf("reset: buffer capacity %d kept, free list %d bytes", cap(s.dir[0].buf), freeBytes())
	}
}
