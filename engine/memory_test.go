package engine

import (
	"runtime"
	"testing"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/packet"
)

// maxBytesPerConn is the heap a tracked TCP connection may hold once its reassembly
// buffers are empty (no analyzer attached). The connState is in the 448-byte size class
// since it owns its connection (flow.Conn's owner link, the engine link, the tunnel state
// pointer: 32 bytes more than the 416 of the unsafe cast); the rest is the uid, the
// table's index and the timer entries (≈ 82 bytes).
const maxBytesPerConn = 544

// TestPerConnectionMemory measures the heap held per idle TCP connection (handshake done,
// one in-order segment each way, reassembly buffers empty, no analyzer attached): pipeline
// and flow state, uid, table index and timer entries (the attempt timer is still pending).
func TestPerConnectionMemory(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 20_000
	}
	e := New(Options{Analyzers: []analyzer.Spec{}})
	p := &packet.Packet{IPVersion: 4, Proto: 6, IPLen: 40, Window: 100}
	pl := []byte("hello")
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	for i := 0; i < n; i++ {
		cli := [16]byte{10: 0xff, 11: 0xff, 12: 10, 13: byte(i >> 16), 14: byte(i >> 8), 15: byte(i)}
		srv := [16]byte{10: 0xff, 11: 0xff, 12: 192, 13: 168, 15: 1}
		seg := func(ts int64, fromCli bool, flags uint8, seq, ack uint32, data []byte) {
			p.Ts, p.Flags, p.Seq, p.Ack = ts, flags, seq, ack
			p.Payload, p.PayloadLen, p.IPLen = data, len(data), 40+len(data)
			if fromCli {
				p.Src, p.Dst, p.SrcPort, p.DstPort = cli, srv, 40000, 443
			} else {
				p.Src, p.Dst, p.SrcPort, p.DstPort = srv, cli, 443, 40000
			}
			e.Packet(p)
		}
		seg(1, true, packet.SYN, 100, 0, nil)
		seg(2, false, packet.SYN|packet.ACK, 500, 101, nil)
		seg(3, true, packet.ACK, 101, 501, nil)
		seg(4, true, packet.PSH|packet.ACK, 101, 501, pl)
		seg(5, false, packet.PSH|packet.ACK, 501, 106, pl)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	if a := e.Stats().Active; a != n {
		t.Fatalf("%d connections active, want %d", a, n)
	}
	if b := e.pool.Used(); b != 0 {
		t.Fatalf("%d bytes still buffered", b)
	}
	per := float64(int64(ms1.HeapAlloc)-int64(ms0.HeapAlloc)) / float64(n)
	t.Logf("per-connection memory: %.0f bytes (%d connections)", per, n)
	if per > maxBytesPerConn {
		t.Errorf("per-connection memory %.0f bytes, above %d", per, maxBytesPerConn)
	}
	runtime.KeepAlive(e)
}
