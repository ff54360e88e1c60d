package ssl

import (
	"slices"
	"testing"

	"github.com/tlsmon/tlsmon/analyzer"
)

// recordEnds returns the offset just past each record of a stream of TLS records.
func recordEnds(stream []byte) []int {
	var ends []int
	for off := 0; off < len(stream); {
		off += 5 + (int(stream[off+3])<<8 | int(stream[off+4]))
		ends = append(ends, off)
	}
	return ends
}

// Handshake records split over segments hand the bytes that extend a message begun in an
// earlier record to the handshake layer as they arrive (Handshake.feed), but the events,
// their order and their timestamps stay those of each record's completion: the same as
// when every record is delivered whole once its last segment came. Also with the caps on
// message size (the rest of a skipped message is dropped as it arrives) and on fragments.
func TestSplitHandshakeRecordsEventsAtCompletion(t *testing.T) {
	msgs := slices.Concat(hsMsg(hsServerHello, serverHelloBody(versionTLS12, seqRandom(9), nil, 0x2f, nil)),
		certChainMsg(1, 60000), certChainMsg(3, 9000), hsMsg(hsServerHelloDone, nil))
	var server []byte
	for len(msgs) > 0 {
		n := min(16384, len(msgs))
		server = append(server, record(ctHandshake, versionTLS12, msgs[:n])...)
		msgs = msgs[n:]
	}
	server = append(server, record(ctChangeCipherSpec, versionTLS12, []byte{1})...)
	hello := record(ctHandshake, versionTLS10,
		hsMsg(hsClientHello, clientHelloBody(versionTLS12, seqRandom(1), nil, []uint16{0x2f}, nil)))
	ends := recordEnds(server)

	for _, caps := range []struct{ msg, frags int }{{1 << 20, 4096}, {20000, 4096}, {1 << 20, 3}} {
		for _, seg := range []int{1, 7, 1000, 1460, 5000, 16389, 40000} {
			run := func(whole bool) []string {
				r := &tsRecorder{}
				env := &analyzer.Env{Conn: testConn, Events: r, Options: analyzer.Options{AnalyzeEncrypted: true}}
				env.Detach = func() {}
				a := New(env).(*Analyzer)
				a.session().hs.maxMsg, a.session().hs.maxFrags = caps.msg, caps.frags
				defer a.Done(1 << 20)
				a.DeliverStream(1, true, hello)
				sent := 0 // whole: bytes handed on (complete records only)
				for i, off := 0, 0; off < len(server); i, off = i+1, off+seg {
					end := min(off+seg, len(server))
					ts := int64(10 + i)
					if !whole {
						a.DeliverStream(ts, false, server[off:end])
						continue
					}
					sent = deliverRecords(a, ts, server, ends, sent, end)
				}
				return r.lines
			}
			want, got := run(true), run(false)
			if !slices.Equal(got, want) {
				t.Errorf("caps %+v, segments of %d bytes: events differ\n got %q\nwant %q", caps, seg, got, want)
			}
			if len(want) < 5 {
				t.Errorf("caps %+v: only %q", caps, want)
			}
		}
	}
}

// A large message (one the message cache takes) that begins a clear handshake record split
// over segments is started by the handshake layer as the record's first segments arrive
// (Handshake.feedStart) instead of being gathered by the record layer: the events, their
// order and timestamps stay those of whole records, on a first connection (the cache
// learns the messages) and on later ones (the messages are compared with the cache's), with
// a message that ends exactly at its record's end (an oversized record) among them.
func TestSplitRecordStartsCachedMessage(t *testing.T) {
	var server []byte
	server = append(server, record(ctHandshake, versionTLS12, hsMsg(hsServerHello, serverHelloBody(versionTLS12, seqRandom(9), nil, 0x2f, nil)))...)
	msgs := certChainMsg(1, 60000) // in records of 16 KiB, the first beginning with it
	for len(msgs) > 0 {
		n := min(16384, len(msgs))
		server = append(server, record(ctHandshake, versionTLS12, msgs[:n])...)
		msgs = msgs[n:]
	}
	server = append(server, record(ctHandshake, versionTLS12, certChainMsg(2, 10000))...) // one record, ends with its message
	server = append(server, record(ctHandshake, versionTLS12, hsMsg(hsServerHelloDone, nil))...)
	server = append(server, record(ctChangeCipherSpec, versionTLS12, []byte{1})...)
	hello := record(ctHandshake, versionTLS10,
		hsMsg(hsClientHello, clientHelloBody(versionTLS12, seqRandom(1), nil, []uint16{0x2f}, nil)))
	ends := recordEnds(server)

	for _, seg := range []int{3, 1000, 1460, 16389, 40000} {
		sh := NewShared(Config{})
		run := func(whole bool) []string {
			r := &tsRecorder{}
			env := &analyzer.Env{Conn: testConn, Events: r, Options: analyzer.Options{AnalyzeEncrypted: true}}
			env.Detach = func() {}
			a := newAnalyzer(env, sh).(*Analyzer)
			defer a.Done(1 << 20)
			a.DeliverStream(1, true, hello)
			sent := 0
			for i, off := 0, 0; off < len(server); i, off = i+1, off+seg {
				end := min(off+seg, len(server))
				ts := int64(10 + i)
				if !whole {
					a.DeliverStream(ts, false, server[off:end])
					if s := a.session(); seg == 1460 && off < ends[0] && end > ends[0]+9 && end < ends[1] {
						// the certificate message's first bytes: started, not gathered
						if s.dir[1].buf != nil || s.hs.dir[1].ver == nil {
							t.Errorf("first segment of the certificate's record: record layer holds %d bytes, verify mode %v",
								len(s.dir[1].buf), s.hs.dir[1].ver != nil)
						}
					}
					continue
				}
				sent = deliverRecords(a, ts, server, ends, sent, end)
			}
			return r.lines
		}
		for conn := range 3 {
			want, got := run(true), run(false)
			if !slices.Equal(got, want) {
				t.Errorf("connection %d, segments of %d bytes: events differ\n got %q\nwant %q", conn, seg, got, want)
			}
			if len(want) < 6 {
				t.Errorf("only %q", want)
			}
		}
		if sh.cache.hits == 0 {
			t.Errorf("segments of %d bytes: no message parsed from the cache", seg)
		}
	}
}

// A record of a few segments is gathered in one buffer, taken when its first segment comes
// (four times the bytes at hand, within the record): no copy into a larger one.
func TestSplitRecordGatheredOnce(t *testing.T) {
	a := quietAnalyzer(analyzer.Options{AnalyzeEncrypted: true})
	defer a.Done(2)
	a.DeliverStream(1, true, record(ctHandshake, versionTLS10,
		hsMsg(hsClientHello, clientHelloBody(versionTLS12, seqRandom(1), nil, []uint16{0x2f}, nil))))
	rec := record(ctApplicationData, versionTLS12, make([]byte, 4000))
	d := &a.session().dir[dirIndex(true)]
	a.DeliverStream(1, true, rec[:1448])
	first, at := cap(d.buf), &d.buf[0]
	if first < 4000 {
		t.Fatalf("buffer capacity %d after the first segment of a 4000-byte record", first)
	}
	a.DeliverStream(1, true, rec[1448:2896])
	if cap(d.buf) != first || &d.buf[0] != at {
		t.Fatalf("buffer regrown from %d to %d", first, cap(d.buf))
	}
}

// deliverRecords hands a the complete records of server (record ends at ends) that the bytes
// up to end have completed, beyond the sent bytes already handed on, and returns the new
// count: the whole-record delivery the split-record tests compare with.
func deliverRecords(a *Analyzer, ts int64, server []byte, ends []int, sent, end int) int {
	upTo := sent
	for _, e := range ends {
		if e <= end {
			upTo = e
		}
	}
	if upTo > sent {
		a.DeliverStream(ts, false, server[sent:upTo])
	}
	return upTo
}
