package flow

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/tlsmon/tlsmon"
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
// that every connection created is removed exactly once, that Flush empties it, and that
// ConnStats (history strings cached) agrees with Stats.
func FuzzTable(f *testing.F) {
	f.Add([]byte{0, 2, 0, 0, 0, 1, 0x12, 0, 0, 1, 1, 0x10, 5, 3, 2})
	f.Add([]byte{1, 0, 0, 0, 9, 3, 2, 0, 0, 8, 1, 200, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		h := &countHooks{}
		tb := NewTable(Config{}, h)
		var ts int64 = 1
		created := 0
		for len(in) >= 5 {
			var p *packet.Packet
			p, ts = fuzzPacket(in[:5], ts, 1000)
			in = in[5:]
			if r, ok := packetOf(tb, p); ok {
				if r.IsNew {
					created++
				}
				if p.Proto == 6 && r.TCP.Close {
					tb.CloseTCP(r.Conn, r.Side, r.TCP)
				}
				var cached tlsmon.ConnectionStats
				if tb.ConnStats(r.Conn, &cached); !reflect.DeepEqual(cached, r.Conn.Stats()) {
					t.Fatalf("ConnStats %+v, Stats %+v", cached, r.Conn.Stats())
				}
			}
		}
		tb.Flush(ts)
		if tb.Len() != 0 || h.removed != created {
			t.Fatalf("after flush: %d left, %d removed of %d created", tb.Len(), h.removed, created)
		}
	})
}

// fuzzPacket makes a packet of 5 input bytes at a time after ts (steps of up to 65,025
// times unit µs) and returns it with its time.
func fuzzPacket(b []byte, ts, unit int64) (*packet.Packet, int64) {
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
	ts += int64(b[3]) * int64(b[3]) * unit
	p.Ts = ts
	return p, ts
}

// logHooks records what the table reports, to compare two tables.
type logHooks struct{ log []string }

func (h *logHooks) Removed(c *Conn, ts int64) {
	h.log = append(h.log, fmt.Sprintf("removed %s %d %+v", c.Info.UID, ts, c.Stats()))
}
func (h *logHooks) Weird(c *Conn, name string) {
	h.log = append(h.log, "weird "+c.Info.UID+" "+name)
}

// FuzzRecycle checks that recycling removed connections (Config.NewConn nil) changes
// nothing: the same packets through a table that allocates every connection afresh give
// the same results, weirds and removals (a stale timer firing on a reused Conn would not).
// Time steps reach seconds, so that every kind of timer fires.
func FuzzRecycle(f *testing.F) {
	f.Add([]byte{0, 2, 0, 0, 0, 1, 0x12, 0, 0, 1, 1, 0x10, 5, 3, 2})
	f.Add([]byte{0, 2, 0, 30, 0, 0x10, 0x12, 9, 30, 0, 0, 0x10, 1, 30, 0, 0, 0x11, 1, 60, 0, 0, 2, 7, 90, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		var hs [2]logHooks
		tabs := [2]*Table{
			NewTable(Config{}, &hs[0]),
			NewTable(Config{NewConn: func() *Conn { return new(Conn) }}, &hs[1]),
		}
		var ts int64 = 1
		for len(in) >= 5 {
			var p *packet.Packet
			p, ts = fuzzPacket(in[:5], ts, 50_000)
			in = in[5:]
			var got [2]string
			for i, tb := range tabs {
				r, ok := packetOf(tb, p)
				got[i] = fmt.Sprint(ok)
				if ok {
					got[i] = fmt.Sprintf("%s %v %d %+v %+v", r.Conn.Info.UID, r.IsNew, r.Side, r.TCP, r.Conn.Stats())
					if p.Proto == 6 && r.TCP.Close {
						tb.CloseTCP(r.Conn, r.Side, r.TCP)
					}
				}
			}
			if got[0] != got[1] {
				t.Fatalf("recycling table %s, fresh table %s", got[0], got[1])
			}
		}
		for _, tb := range tabs {
			tb.Flush(ts)
		}
		a, b := fmt.Sprint(hs[0].log), fmt.Sprint(hs[1].log)
		if a != b {
			t.Fatalf("recycling table:\n%s\nfresh table:\n%s", a, b)
		}
	})
}
