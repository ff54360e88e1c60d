package engine

import (
	"runtime"
	"testing"

	"github.com/tlsmon/tlsmon/packet"
)

// maxBytesHalfOpen is the heap a half-open TCP connection to port 443 may hold with the
// default analyzers attached (issue 10: ≤ 1 KiB): the analyzers' sessions are taken on the
// first bytes, so a SYN costs the connection state, its timers and the analyzer shells.
const maxBytesHalfOpen = 1024

// TestHalfOpenMemory measures the heap held per half-open TCP connection (one SYN to port
// 443, the default analyzers: a SYN flood).
func TestHalfOpenMemory(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 20_000
	}
	e := New(Options{})
	p := &packet.Packet{IPVersion: 4, Proto: 6, IPLen: 40, Window: 100, Flags: packet.SYN, SrcPort: 40000, DstPort: 443}
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
	per := float64(int64(ms1.HeapAlloc)-int64(ms0.HeapAlloc)) / float64(n)
	t.Logf("half-open connection memory: %.0f bytes (%d connections)", per, n)
	if per > maxBytesHalfOpen {
		t.Errorf("half-open connection memory %.0f bytes, above %d", per, maxBytesHalfOpen)
	}
	runtime.KeepAlive(e)
}
