package flow

import (
	"math/rand/v2"
	"testing"

	"github.com/tlsmon/tlsmon/packet"
)

// TestSteadyMatchesProcessTCP checks processSteady against processTCP: from connection
// states reached by random traffic, every segment c.steady accepts gives the same result,
// connection state and weirds through either.
func TestSteadyMatchesProcessTCP(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var hs logHooks
	tab := NewTable(Config{}, &hs)
	tab.scaled = map[*Conn]*scaledCounts{}
	src := [16]byte{10: 0xff, 11: 0xff, 12: 10, 15: 1}
	dst := [16]byte{10: 0xff, 11: 0xff, 12: 10, 15: 2}
	var seqs [2]uint32
	checked := 0
	for conn := 0; conn < 600; conn++ {
		seqs[0], seqs[1] = rng.Uint32(), rng.Uint32()
		if conn%3 == 0 { // near the wrap
			seqs[0], seqs[1] = 0xffffff00, 0xfffff000
		}
		ts := int64(conn) * 1e9
		for i := 0; i < 60; i++ {
			side := rng.IntN(2)
			p := packet.Packet{Ts: ts, Proto: 6, Src: src, Dst: dst, SrcPort: 40000 + uint16(conn), DstPort: 443}
			if side == 1 {
				p.Src, p.Dst, p.SrcPort, p.DstPort = dst, src, 443, 40000+uint16(conn)
			}
			flags := uint8(ackFlag)
			switch {
			case i == 0:
				flags = synFlag
			case i == 1:
				flags = synFlag | ackFlag
			case rng.IntN(30) == 0:
				flags |= finFlag
			case rng.IntN(60) == 0:
				flags = rstFlag
			}
			n := 0
			if rng.IntN(2) == 0 {
				n = rng.IntN(1500)
			}
			p.Flags, p.Window = flags, uint16(rng.IntN(3))
			// Mostly in order, sometimes retransmitted or ahead; ACKs sometimes behind.
			p.Seq = seqs[side] + uint32(rng.IntN(5)-2)*uint32(rng.IntN(3000))
			p.Ack = seqs[side^1] - uint32(rng.IntN(2))*uint32(rng.IntN(2000))
			if rng.IntN(50) == 0 {
				p.Ack = 0
			}
			p.PayloadLen = n
			p.Payload = make([]byte, n-rng.IntN(2)*min(n, 3))
			p.IPLen = 40 + n
			seqs[side] += uint32(n)
			ts += int64(rng.IntN(1000))

			if c, s := tab.Find(p.Src, p.Dst, p.SrcPort, p.DstPort, 6); c != nil && c.steady(p.Flags) {
				a, b := *c, *c
				var sa, sb scaledCounts // the scaled counters are the table's: c's, copied
				if sc := tab.scaled[c]; sc != nil {
					sa, sb = *sc, *sc
				}
				tab.scaled[&a], tab.scaled[&b] = &sa, &sb
				var ra, rb TCPResult
				hs.log = hs.log[:0]
				tab.processTCP(&ra, &a, s, &p)
				wa := append([]string(nil), hs.log...)
				hs.log = hs.log[:0]
				tab.processSteady(&rb, &b, s, &p)
				wb := append([]string(nil), hs.log...)
				delete(tab.scaled, &a)
				delete(tab.scaled, &b)
				if ra != rb || a.ep != b.ep || a.hx != b.hx || sa != sb || a.hist != b.hist || a.histLen != b.histLen ||
					a.histSeen != b.histSeen || a.lastTs != b.lastTs || a.firstSeen != b.firstSeen ||
					a.isPartial != b.isPartial || len(wa) != len(wb) {
					t.Fatalf("conn %d segment %d (%+v): processTCP gave %+v %+v %v, processSteady %+v %+v %v",
						conn, i, p, ra, a.ep, wa, rb, b.ep, wb)
				}
				for k := range wa {
					if wa[k] != wb[k] {
						t.Fatalf("conn %d segment %d: weirds %v and %v", conn, i, wa, wb)
					}
				}
				checked++
			}
			var r Result
			tab.Packet(&p, &r)
		}
	}
	if checked < 4000 {
		t.Fatalf("only %d steady segments checked", checked)
	}
}
