package flow

import (
	"testing"

	"github.com/tlsmon/tlsmon/packet"
)

type countHooks struct{ removed int }

func (h *countHooks) Removed(c *Conn, ts int64) {
	if !c.Removed() {
		panic("Removed hook before the connection left the table")
	}
	h.removed++
}
func (h *countHooks) Weird(c *Conn, name string) {}

// FuzzTable drives a table with packets whose protocol, direction, ports, flags, sequence
// numbers, lengths and times the input chooses, and checks that the table never panics,
// that every connection created is removed exactly once, and that Flush empties it.
func FuzzTable(f *testing.F) {
	f.Add([]byte{0, 2, 0, 0, 0, 1, 0x12, 0, 0, 1, 1, 0x10, 5, 3, 2})
	f.Add([]byte{1, 0, 0, 0, 9, 3, 2, 0, 0, 8, 1, 200, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		h := &countHooks{}
		tb := NewTable(Config{}, h)
		var ts int64 = 1
		created := 0
		for len(in) >= 5 {
			b := in[:5]
			in = in[5:]
			p := &packet.Packet{IPVersion: 4, Window: uint16(b[4])}
			switch b[0] % 4 {
			case 0, 1:
				p.Proto = 6
			case 2:
				p.Proto = 17
			case 3:
				p.Proto = 1
			}
			p.Src, p.Dst = hA, hB
			p.SrcPort, p.DstPort = 40000+uint16(b[0]>>5), 443
			if b[0]&0x10 != 0 {
				p.Src, p.Dst, p.SrcPort, p.DstPort = p.Dst, p.Src, p.DstPort, p.SrcPort
			}
			p.Flags = b[1]
			p.Seq = uint32(b[2])<<24 | uint32(b[3])*977
			p.Ack = uint32(b[3])<<24 | uint32(b[2])*131
			n := int(b[4] % 32)
			p.Payload = make([]byte, n)
			if p.Proto == 1 {
				p.Payload = make([]byte, 8+n)
				p.Payload[0], p.Payload[1] = b[1]&15, b[2]&3
			}
			p.PayloadLen = len(p.Payload)
			p.UDPLen = uint16(8 + n)
			p.IPLen = 40 + n
			ts += int64(b[3]) * int64(b[3]) * 1000
			p.Ts = ts
			if r, ok := packetOf(tb, p); ok {
				if r.IsNew {
					created++
				}
				if p.Proto == 6 && r.TCP.Close {
					tb.CloseTCP(r.Conn, r.Side, r.TCP)
				}
				_ = r.Conn.Stats()
			}
		}
		tb.Flush(ts)
		if tb.Len() != 0 || h.removed != created {
			t.Fatalf("after flush: %d left, %d removed of %d created", tb.Len(), h.removed, created)
		}
	})
}
