package engine

import (
	"runtime"
	"testing"

	"github.com/tlsmon/tlsmon/packet"
)

// maxBytesUDPFlow is the heap a one-datagram UDP flow to port 443 that is not TLS, DTLS or
// QUIC may hold with the default analyzers attached (a flood of such flows). Issue 10 asks
// for 1 KiB: docs/RELIABILITY.md lists what the rest is.
const maxBytesUDPFlow = 3072

// TestUDPFlowMemory measures the heap held per one-datagram non-TLS UDP flow to port 443.
func TestUDPFlowMemory(t *testing.T) {
	n := 50_000
	if testing.Short() {
		n = 10_000
	}
	e := New(Options{})
	pl := []byte("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghij")
	p := &packet.Packet{IPVersion: 4, Proto: 17, SrcPort: 40000, DstPort: 443, Payload: pl, PayloadLen: len(pl),
		IPLen: 28 + len(pl), UDPLen: uint16(8 + len(pl))}
	p.Dst = [16]byte{10: 0xff, 11: 0xff, 12: 192, 13: 168, 15: 1}
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	for i := 0; i < n; i++ {
		p.Ts = int64(1_000_000 + i)
		p.Src = [16]byte{10: 0xff, 11: 0xff, 12: 10, 13: byte(i >> 16), 14: byte(i >> 8), 15: byte(i)}
		e.Packet(p)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	if a := e.Stats().Active; a != n {
		t.Fatalf("%d flows active, want %d", a, n)
	}
	per := float64(int64(ms1.HeapAlloc)-int64(ms0.HeapAlloc)) / float64(n)
	t.Logf("non-TLS UDP flow memory: %.0f bytes (%d flows)", per, n)
	if per > maxBytesUDPFlow {
		t.Errorf("UDP flow memory %.0f bytes, above %d", per, maxBytesUDPFlow)
	}
	runtime.KeepAlive(e)
}
