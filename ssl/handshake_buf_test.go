package ssl

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/tlsmon/tlsmon"
	"golang.org/x/crypto/cryptobyte"
)

// certChainMsg builds a Certificate handshake message holding n certificates of size bytes
// each (contents are opaque to the handshake layer), each filled with a distinct byte.
//
// It is built with copies of a byte ramp rather than byte by byte: the messages of the
// cache tests reach 750 KB, and under -race a per-byte builder made TestHandshakeCacheBudget
// the slowest test of the package (docs/PERFORMANCE.md, "Test time").
func certChainMsg(n, size int) []byte {
	var ramp [512]byte
	for k := range ramp {
		ramp[k] = byte(k)
	}
	body := make([]byte, 3+n*(3+size))
	put24(body, n*(3+size))
	off := 3
	for i := 0; i < n; i++ {
		put24(body[off:], size)
		off += 3
		for j := 0; j < size; j += 256 { // byte j of certificate i is byte(i+j)
			copy(body[off+j:off+min(j+256, size)], ramp[i%256:])
		}
		off += size
	}
	return hsMsg(hsCertificate, body)
}

func put24(b []byte, v int) { b[0], b[1], b[2] = byte(v>>16), byte(v>>8), byte(v) }

// certChainMsgSlow is certChainMsg as it was first written, to check the fast one.
func certChainMsgSlow(n, size int) []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for i := 0; i < n; i++ {
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
				for j := 0; j < size; j++ {
					b.AddUint8(byte(i + j))
				}
			})
		}
	})
	return hsMsg(hsCertificate, b.BytesOrPanic())
}

func TestCertChainMsg(t *testing.T) {
	for _, c := range [][2]int{{1, 0}, {1, 1}, {2, 255}, {3, 256}, {3, 17000}, {300, 700}} {
		if !bytes.Equal(certChainMsg(c[0], c[1]), certChainMsgSlow(c[0], c[1])) {
			t.Errorf("certChainMsg%v differs from the byte-by-byte build", c)
		}
	}
}

// certRecorder notes every certificate event with a digest of its bytes.
type certRecorder struct{ lines []string }

func (r *certRecorder) HandleEvent(e tlsmon.Event) {
	switch ev := e.(type) {
	case *tlsmon.Certificate:
		sum := 0
		for i, c := range ev.DER {
			sum += (i + 1) * int(c)
		}
		r.lines = append(r.lines, fmt.Sprintf("cert %d %d %d", ev.Index, len(ev.DER), sum))
	case *tlsmon.SSLHandshakeMessage:
		r.lines = append(r.lines, fmt.Sprintf("msg %d %d", ev.MsgType, ev.Length))
	case *tlsmon.Weird:
		r.lines = append(r.lines, "weird "+ev.WeirdName)
	}
}

// deliverSplit hands data to h as the responder's handshake records of at most chunk bytes.
func deliverSplit(h *Handshake, data []byte, chunk int) {
	for len(data) > 0 {
		n := min(chunk, len(data))
		h.Deliver(1, false, versionTLS12, data[:n])
		data = data[n:]
	}
}

// A message reassembled from records of any size yields the same events as the message
// delivered whole, and a large reassembly buffer is given back once the message is parsed.
func TestHandshakeReassemblySplits(t *testing.T) {
	small := slices.Concat(certChainMsg(2, 1000), hsMsg(hsServerHelloDone, nil))
	large := slices.Concat(small, certChainMsg(40, 9000), small)
	for _, tc := range []struct {
		stream []byte
		chunks []int // records of more than MaxHandshakeFragments per message are refused
	}{{small, []int{1, 3, 4, 5, 1000}}, {large, []int{100, 777, 16384, 100000}}} {
		testSplits(t, tc.stream, tc.chunks)
	}
}

func testSplits(t *testing.T, stream []byte, chunks []int) {
	t.Helper()
	want := &certRecorder{}
	deliverSplit(NewHandshake(testConn, want, "SSL", Callbacks{}), stream, len(stream))
	for _, l := range want.lines {
		if l[0] == 'w' {
			t.Fatalf("whole delivery: %q", want.lines)
		}
	}
	for _, chunk := range chunks {
		got := &certRecorder{}
		h := NewHandshake(testConn, got, "SSL", Callbacks{})
		deliverSplit(h, stream, chunk)
		if !slices.Equal(got.lines, want.lines) {
			t.Errorf("records of %d bytes: events differ\n got %q\nwant %q", chunk, got.lines, want.lines)
		}
		if r := &h.dir[1]; len(r.buf) != 0 || cap(r.buf) > keepHandshakeBuffer {
			t.Errorf("records of %d bytes: %d bytes buffered, capacity %d kept", chunk, len(r.buf), cap(r.buf))
		}
	}
}

// testShared returns a Shared with free lists and no message cache.
func testShared() *Shared {
	sh := NewShared(Config{})
	sh.cache = nil
	return sh
}

// The buffer of an incomplete message grows with what arrived, not with the length its
// header announces (when no free buffer is at hand).
func TestHandshakeBufferFollowsData(t *testing.T) {
	h := testShared().NewHandshake(testConn, &certRecorder{}, "SSL", Callbacks{})
	msg := certChainMsg(1, DefaultMaxHandshakeMessage-16) // announces ~1 MiB
	sent := 0
	for _, n := range []int{4, 100, 16384, 16384, 50000} {
		h.Deliver(1, false, versionTLS12, msg[sent:sent+n])
		sent += n
		if c := heldBytes(&h.dir[1]); c > sent+1<<chunkClass && c > 256 {
			t.Fatalf("after %d bytes the buffers hold %d", sent, c)
		}
	}
	deliverSplit(h, msg[sent:], 16384)
	if r := &h.dir[1]; r.size() != 0 || len(r.chunks) != 0 || r.joined != nil {
		t.Fatalf("%d bytes (%d chunks) left buffered", r.size(), len(r.chunks))
	}
}

// heldBytes is the capacity of the buffers r holds.
func heldBytes(r *hsReasm) int {
	n := cap(r.buf) + cap(r.joined)
	for _, c := range r.chunks {
		n += cap(c)
	}
	return n
}

// Once warm, reassembling large fragmented messages allocates nothing.
func TestHandshakeReassemblyAllocs(t *testing.T) {
	stream := certChainMsg(30, 10000)
	h := testShared().NewHandshake(testConn, tlsmon.HandlerFunc(func(tlsmon.Event) {}), "SSL", Callbacks{})
	allocs := testing.AllocsPerRun(20, func() { deliverSplit(h, stream, 16384) })
	if allocs > 0 {
		t.Errorf("%.1f allocations per fragmented %d-byte message", allocs, len(stream))
	}
}

// The chunks and the joined buffer of a large message go back to the free list, the next
// large message takes its chunks from there, and the free list never keeps more than
// maxFreeBytes.
func TestHandshakeFreeList(t *testing.T) {
	sh := testShared()
	msg := certChainMsg(1, 100000) // class 17 (128 KiB)
	h := sh.NewHandshake(testConn, &certRecorder{}, "SSL", Callbacks{})
	deliverSplit(h, msg, 16384)
	held := sh.bufs.bytes
	if held < 1<<17 {
		t.Fatalf("free list holds %d bytes after a 100 kB message", held)
	}
	h.Deliver(1, false, versionTLS12, msg[:16384])
	h.Deliver(1, false, versionTLS12, msg[16384:2*16384])
	after := sh.bufs.bytes
	if r := &h.dir[1]; len(r.chunks) != 1 || cap(r.chunks[0]) != 1<<chunkClass || after != held-1<<chunkClass {
		t.Fatalf("second message: %d chunks, free list %d -> %d bytes; want one chunk taken from it", len(r.chunks), held, after)
	}
	for i := 0; i < 2*maxFreeBytes>>21; i++ {
		sh.putBuf(maxBufClass, make([]byte, 0, 1<<maxBufClass))
	}
	held = sh.bufs.bytes
	if held > maxFreeBytes {
		t.Fatalf("free list holds %d bytes, cap %d", held, maxFreeBytes)
	}
}

// Empty deliveries behind a header split over records count as fragments without reading
// the incomplete header.
func TestHandshakeTooFragmentedShortHeader(t *testing.T) {
	r := &certRecorder{}
	h := NewHandshake(testConn, r, "SSL", Callbacks{})
	h.Deliver(1, true, versionTLS12, []byte{hsCertificate, 0})
	for i := 0; i <= DefaultMaxHandshakeFragments; i++ {
		h.Deliver(1, true, versionTLS12, nil)
	}
	if len(r.lines) != 1 || r.lines[0] != "weird SSL_handshake_too_fragmented" || len(h.dir[0].buf) != 0 {
		t.Fatalf("events %q, %d bytes buffered", r.lines, len(h.dir[0].buf))
	}
}
