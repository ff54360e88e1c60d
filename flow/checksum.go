package flow

import "github.com/tlsmon/tlsmon/packet"

// ChecksumError handles a TCP, UDP or ICMP packet whose checksum is bad (with checksum
// verification on), as Zeek without -C does: the packet's connection is found or created
// (a new one is reported as such), nothing of the packet is counted, and for TCP and UDP
// the history gets 'C' (originator) or 'c' (responder), scaled as Zeek's other repeated
// letters (1st, 10th, 100th... bad checksum of a side). It returns the connection (nil
// when none could be had: not a connection's packet, or the connection cap) and whether
// it is new; the caller raises the weird.
func (t *Table) ChecksumError(p *packet.Packet) (*Conn, bool) {
	c, isNew := t.Touch(p)
	if c == nil || (p.Proto != 6 && p.Proto != 17) {
		return c, isNew
	}
	var side uint8
	if !addrLess(&p.Src, &p.Dst, p.SrcPort, p.DstPort) {
		side = 1
	}
	if t.chk == nil {
		t.chk = map[*Conn]*[2]scaledCount{}
	}
	n := t.chk[c]
	if n == nil {
		n = new([2]scaledCount)
		t.chk[c] = n
	}
	c.scaledSide(side, 'C', &n[side].cnt, &n[side].exp)
	return c, isNew
}

// scaledCount is a scaled history counter (see Conn.scaledHistory).
type scaledCount struct {
	cnt uint32
	exp uint8
}

// The scaled history letters of TCP, by their index in scaledCounts.
const (
	scaledRxmt = iota // 'T', retransmissions
	scaledWin0        // 'W', zero windows
	scaledGap         // 'G', content gaps
)

// scaledCounts are a connection's scaled history counters of TCP, by physical side and
// scaled* letter. The table keeps them (Table.scaled) for the connections that have any
// (retransmissions, zero windows and gaps are rare), so that a Conn need not carry them.
type scaledCounts [2][3]scaledCount

// scaledLetter counts a scaled history letter (code, upper case) of side s of c.
func (t *Table) scaledLetter(c *Conn, s uint8, kind int, code byte) {
	sc := t.scaled[c]
	if sc == nil {
		if t.scaled == nil {
			t.scaled = map[*Conn]*scaledCounts{}
		}
		if n := len(t.freeScaled); n > 0 {
			sc = t.freeScaled[n-1]
			t.freeScaled = t.freeScaled[:n-1]
		} else {
			sc = new(scaledCounts)
		}
		t.scaled[c] = sc
	}
	n := &sc[s&1][kind]
	c.scaledSide(s&1, code, &n.cnt, &n.exp)
}

// dropScaled forgets the scaled counters of a connection leaving the table.
func (t *Table) dropScaled(c *Conn) {
	if sc := t.scaled[c]; sc != nil {
		delete(t.scaled, c)
		if len(t.freeScaled) < maxFree {
			*sc = scaledCounts{}
			t.freeScaled = append(t.freeScaled, sc)
		}
	}
}
