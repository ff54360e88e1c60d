package engine

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/tlsmon/tlsmon/packet"
)

// maxBytesUDPFlow is the heap a one-datagram UDP flow that is not TLS, DTLS or QUIC may
// hold with the default analyzers attached (a flood of such flows): issue 10's 1 KiB.
// docs/RELIABILITY.md ("Cheap connections") lists what it is made of.
const maxBytesUDPFlow = 1024

// TestUDPFlowMemory measures the heap held per one-datagram UDP flow: to port 443 (the
// DTLS and QUIC analyzers attached by port), with a datagram that is neither or with a
// QUIC-Initial-like one that fails decryption, and to another port (content matching
// holds the datagram).
func TestUDPFlowMemory(t *testing.T) {
	initial := make([]byte, 1200) // long header, Initial, version 1, 8-byte DCID, junk payload
	copy(initial, []byte{0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0x44, 0x96})
	for i := 18; i < len(initial); i++ {
		initial[i] = byte(i * 7)
	}
	for _, tc := range []struct {
		name    string
		port    uint16
		payload []byte
		n       int // flows (fewer where each one costs a key derivation)
	}{
		{"443/non-TLS", 443, []byte("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghij"), 50_000},
		{"443/QUIC-Initial-like", 443, initial, 10_000},
		{"40000/non-TLS", 40000, bytes.Repeat([]byte{0x5a}, 100), 50_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.n
			if testing.Short() {
				n /= 5
			}
			per := udpFlowMemory(t, n, tc.port, tc.payload)
			if per > maxBytesUDPFlow {
				t.Errorf("UDP flow memory %.0f bytes, above %d", per, maxBytesUDPFlow)
			}
		})
	}
}

// udpFlowMemory returns the heap held per flow after n flows sent pl to port, one
// datagram each.
func udpFlowMemory(t *testing.T, n int, port uint16, pl []byte) float64 {
	p := &packet.Packet{IPVersion: 4, Proto: 17, SrcPort: 40000, DstPort: port, Payload: pl, PayloadLen: len(pl),
		IPLen: 28 + len(pl), UDPLen: uint16(8 + len(pl))}
	per := connMemory(t, n, p)
	t.Logf("UDP flow memory, port %d, %d-byte datagram: %.0f bytes (%d flows)", port, len(pl), per, n)
	return per
}

// connMemory returns the heap one engine holds per connection after n copies of p, each
// from its own source address (so each makes a connection), all of them still active.
func connMemory(t *testing.T, n int, p *packet.Packet) float64 {
	e := New(Options{})
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
		t.Fatalf("%d connections active, want %d", a, n)
	}
	runtime.KeepAlive(e)
	return float64(int64(ms1.HeapAlloc)-int64(ms0.HeapAlloc)) / float64(n)
}
