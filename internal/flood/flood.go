// Package flood writes seeded attack captures (classic pcap, Ethernet, IPv4): one
// generator per row of issue 10's table, to be merged with honest captures (tlsmon
// reads several -r files merged by timestamp) so a run shows what a flood costs and
// whether honest connections keep their logs. See docs/RELIABILITY.md, "Flood suite".
package flood

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// Kind names a flood.
type Kind string

// The floods, one per row of the table.
const (
	UDP      Kind = "udp"      // datagrams to port 443 from distinct flows, QUIC-Initial-like or random
	Trickle  Kind = "trickle"  // TCP connections each trickling ≈ 65 KB into a record claiming 65,535 bytes
	Claim    Kind = "claim"    // TCP connections each sending 19 bytes of a record claiming 65,535 bytes
	BigHello Kind = "bighello" // TCP connections each sending ≈ 1 MiB of a ClientHello claiming just under 1 MiB
	SYN      Kind = "syn"      // SYNs to port 443 from distinct sources, never answered
	Frag     Kind = "frag"     // first IP fragments (offset 0, more-fragments) never completed
	// QUIC: connections to UDP 443 each sending 16 Initials that decrypt, their CRYPTO
	// frames past a hole never filled (not a row of the table: the QUIC CRYPTO buffers of
	// the item 2)
	QUIC Kind = "quic"
)

// Kinds lists every flood, in the table's order.
var Kinds = []Kind{UDP, Trickle, Claim, BigHello, SYN, Frag, QUIC}

// FullSize is the size of each flood (units: datagrams, connections, SYNs or
// fragments) and the span it is spread over.
var FullSize = map[Kind]struct {
	N    int
	Span time.Duration
}{
	UDP:      {1_000_000, 100 * time.Second},
	Trickle:  {70_000, 100 * time.Second},
	Claim:    {100_000, 20 * time.Second},
	BigHello: {3_000, 100 * time.Second},
	SYN:      {1_200_000, 5 * time.Second},
	Frag:     {1_000_000, 20 * time.Second},
	QUIC:     {60_000, 100 * time.Second},
}

// Config is one flood.
type Config struct {
	Kind  Kind
	N     int           // units (datagrams, connections, SYNs, fragments)
	Span  time.Duration // the flood's packets are spread evenly over it
	Start time.Time     // timestamp of the first packet
	Seed  uint64
}

// Write writes the flood's capture to w.
func Write(w io.Writer, cfg Config) error {
	if cfg.N <= 0 {
		return fmt.Errorf("flood: N must be positive")
	}
	if cfg.Span <= 0 {
		cfg.Span = time.Second
	}
	g := &gen{rng: rand.New(rand.NewPCG(cfg.Seed, 0x7115)), bw: bufio.NewWriterSize(w, 1<<20)}
	g.start = cfg.Start.UnixMicro()
	if err := g.header(); err != nil {
		return err
	}
	var steps int
	var emit func(step int)
	switch cfg.Kind {
	case UDP:
		steps, emit = cfg.N, g.udp
	case SYN:
		steps, emit = cfg.N, g.syn
	case Frag:
		steps, emit = cfg.N, g.frag
	case QUIC:
		steps, emit = cfg.N*quicDatagrams, g.quicStep
	case Claim:
		g.conns(cfg.N, 19, 65535, false)
		steps, emit = g.tcpSteps(), g.tcpStep
	case Trickle:
		g.conns(cfg.N, 65_000, 65535, false)
		steps, emit = g.tcpSteps(), g.tcpStep
	case BigHello:
		g.conns(cfg.N, 1<<20, 1<<20-16, true)
		steps, emit = g.tcpSteps(), g.tcpStep
	default:
		return fmt.Errorf("flood: unknown kind %q", cfg.Kind)
	}
	g.per = cfg.Span.Microseconds() / int64(steps)
	for i := 0; i < steps && g.err == nil; i++ {
		g.ts = g.start + int64(i)*g.per
		emit(i)
	}
	if g.err != nil {
		return g.err
	}
	return g.bw.Flush()
}

type gen struct {
	rng        *rand.Rand
	bw         *bufio.Writer
	start, ts  int64
	per        int64
	err        error
	frame, pay []byte
	tcp        []tcpConn
	schedule   []int32 // connection index of each TCP step, in order
	quic       quicConn
}

// tcpConn is one attacking TCP connection: handshake, then its data in segments, each
// answered by an ACK from the server.
type tcpConn struct {
	src        [4]byte
	sport      uint16
	cseq, sseq uint32
	data       []byte // what the client sends in total (record header(s) and body)
	sent       int
	step       int // 0..2 handshake, then data segments
}

var (
	serverIP = [4]byte{192, 0, 2, 1}
	macA     = []byte{2, 0, 0, 0, 0, 1}
	macB     = []byte{2, 0, 0, 0, 0, 2}
)

const mss = 1448

func (g *gen) header() error {
	var h [24]byte
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 65535)
	binary.LittleEndian.PutUint32(h[20:], 1)
	_, err := g.bw.Write(h[:])
	return err
}

func (g *gen) write(frame []byte) {
	if g.err != nil {
		return
	}
	var h [16]byte
	binary.LittleEndian.PutUint32(h[0:], uint32(g.ts/1e6))
	binary.LittleEndian.PutUint32(h[4:], uint32(g.ts%1e6))
	binary.LittleEndian.PutUint32(h[8:], uint32(len(frame)))
	binary.LittleEndian.PutUint32(h[12:], uint32(len(frame)))
	if _, err := g.bw.Write(h[:]); err != nil {
		g.err = err
		return
	}
	_, g.err = g.bw.Write(frame)
}

// source is the i-th attacking address, from 100.64.0.0/10 (shared address space, which
// neither testgen nor the corpus uses).
func source(i int) [4]byte {
	i++
	return [4]byte{100, 64 + byte(i>>16)&0x3f, byte(i >> 8), byte(i)}
}

// ipv4 builds Ethernet + IPv4 around an L4 header+payload already in g.pay.
func (g *gen) ipv4(src, dst [4]byte, proto byte, id uint16, fragFlags uint16, l4 []byte) []byte {
	f := append(g.frame[:0], macB...)
	f = append(f, macA...)
	f = append(f, 0x08, 0x00)
	ip := len(f)
	f = append(f, 0x45, 0, 0, 0, byte(id>>8), byte(id), byte(fragFlags>>8), byte(fragFlags), 64, proto, 0, 0)
	f = append(f, src[:]...)
	f = append(f, dst[:]...)
	binary.BigEndian.PutUint16(f[ip+2:], uint16(20+len(l4)))
	binary.BigEndian.PutUint16(f[ip+10:], ^uint16(sum(0, f[ip:ip+20])))
	f = append(f, l4...)
	g.frame = f
	return f
}

func sum(s uint32, b []byte) uint32 {
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return s
}

// l4sum is the TCP/UDP checksum over the pseudo-header and the segment.
func l4sum(src, dst [4]byte, proto byte, seg []byte) uint16 {
	s := sum(0, src[:])
	s = sum(s, dst[:])
	s += uint32(proto) + uint32(len(seg))
	s = sum(s, seg)
	c := ^uint16(s)
	if c == 0 && proto == 17 {
		c = 0xffff
	}
	return c
}

func (g *gen) udp(i int) {
	src := source(i)
	sport := uint16(1024 + g.rng.IntN(60000))
	var pay []byte
	if i%2 == 0 {
		// QUIC-Initial-like: long header, version 1, random CIDs and body, 1200 bytes.
		pay = make([]byte, 1200)
		fillRand(g.rng, pay)
		pay[0] = 0xc0 | pay[0]&0x0f
		binary.BigEndian.PutUint32(pay[1:], 1)
		pay[5], pay[14] = 8, 8
		pay[23] = 0 // no token
	} else {
		pay = make([]byte, 20+g.rng.IntN(200))
		fillRand(g.rng, pay)
	}
	seg := make([]byte, 8, 8+len(pay))
	binary.BigEndian.PutUint16(seg[0:], sport)
	binary.BigEndian.PutUint16(seg[2:], 443)
	binary.BigEndian.PutUint16(seg[4:], uint16(8+len(pay)))
	seg = append(seg, pay...)
	binary.BigEndian.PutUint16(seg[6:], l4sum(src, serverIP, 17, seg))
	g.write(g.ipv4(src, serverIP, 17, uint16(i), 0, seg))
}

func fillRand(r *rand.Rand, b []byte) {
	for i := 0; i < len(b); i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < len(b); j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
}

func tcpSeg(src, dst [4]byte, sport, dport uint16, seq, ack uint32, flags byte, pay []byte) []byte {
	seg := make([]byte, 20, 20+len(pay))
	binary.BigEndian.PutUint16(seg[0:], sport)
	binary.BigEndian.PutUint16(seg[2:], dport)
	binary.BigEndian.PutUint32(seg[4:], seq)
	binary.BigEndian.PutUint32(seg[8:], ack)
	seg[12] = 5 << 4
	seg[13] = flags
	binary.BigEndian.PutUint16(seg[14:], 65535)
	seg = append(seg, pay...)
	binary.BigEndian.PutUint16(seg[16:], l4sum(src, dst, 6, seg))
	return seg
}

const (
	fin = 0x01
	syn = 0x02
	psh = 0x08
	ack = 0x10
)

func (g *gen) syn(i int) {
	src := source(i)
	seg := tcpSeg(src, serverIP, uint16(1024+g.rng.IntN(60000)), 443, g.rng.Uint32(), 0, syn, nil)
	g.write(g.ipv4(src, serverIP, 6, uint16(i), 0, seg))
}

// frag writes a first fragment (offset 0, more fragments) of a UDP datagram to 443 that
// never completes: each has its own source and IP id.
func (g *gen) frag(i int) {
	src := source(i)
	l4 := make([]byte, 8+200)
	fillRand(g.rng, l4)
	binary.BigEndian.PutUint16(l4[2:], 443)
	binary.BigEndian.PutUint16(l4[4:], 8+1400)
	g.write(g.ipv4(src, serverIP, 17, uint16(g.rng.Uint32()), 0x2000, l4))
}

// conns plans n TCP connections each sending total bytes of records whose first header
// claims claim bytes; hello makes it a handshake record carrying a ClientHello header that
// claims claimHS bytes, split into 16 KiB records.
func (g *gen) conns(n, total, claim int, hello bool) {
	g.tcp = make([]tcpConn, n)
	var data []byte
	if hello {
		hsLen := claim
		body := make([]byte, 4, total)
		body[0] = 1
		body[1], body[2], body[3] = byte(hsLen>>16), byte(hsLen>>8), byte(hsLen)
		body = append(body, 3, 3)
		body = body[:total]
		fillRand(g.rng, body[6:])
		for off := 0; off < len(body); off += 16384 {
			end := min(off+16384, len(body))
			data = append(data, 22, 3, 1, byte((end-off)>>8), byte(end-off))
			data = append(data, body[off:end]...)
		}
	} else {
		data = make([]byte, total)
		fillRand(g.rng, data)
		data[0], data[1], data[2] = 22, 3, 1
		binary.BigEndian.PutUint16(data[3:], uint16(claim))
	}
	segs := 0
	for i := range g.tcp {
		c := &g.tcp[i]
		c.src = source(i)
		c.sport = uint16(1024 + i%60000)
		c.cseq, c.sseq = g.rng.Uint32(), g.rng.Uint32()
		c.data = data // shared: every connection sends the same bytes
		segs += 3 + 2*((len(data)+mss-1)/mss)
	}
	// Interleave the connections: each connection's steps in order, connections opened
	// in turn and progressing round-robin, so all of them are open at once.
	g.schedule = make([]int32, 0, segs)
	left := make([]int, n)
	for i := range left {
		left[i] = 3 + 2*((len(data)+mss-1)/mss)
	}
	for active := n; active > 0; {
		active = 0
		for i := range left {
			if left[i] > 0 {
				g.schedule = append(g.schedule, int32(i))
				left[i]--
				active++
			}
		}
	}
}

func (g *gen) tcpSteps() int { return len(g.schedule) }

func (g *gen) tcpStep(i int) {
	c := &g.tcp[g.schedule[i]]
	var seg []byte
	var src, dst [4]byte
	switch st := c.step; {
	case st == 0:
		src, dst = c.src, serverIP
		seg = tcpSeg(src, dst, c.sport, 443, c.cseq, 0, syn, nil)
		c.cseq++
	case st == 1:
		src, dst = serverIP, c.src
		seg = tcpSeg(src, dst, 443, c.sport, c.sseq, c.cseq, syn|ack, nil)
		c.sseq++
	case st == 2:
		src, dst = c.src, serverIP
		seg = tcpSeg(src, dst, c.sport, 443, c.cseq, c.sseq, ack, nil)
	case (st-3)%2 == 0:
		n := min(mss, len(c.data)-c.sent)
		src, dst = c.src, serverIP
		seg = tcpSeg(src, dst, c.sport, 443, c.cseq, c.sseq, psh|ack, c.data[c.sent:c.sent+n])
		c.sent += n
		c.cseq += uint32(n)
	default:
		src, dst = serverIP, c.src
		seg = tcpSeg(src, dst, 443, c.sport, c.sseq, c.cseq, ack, nil)
	}
	c.step++
	g.write(g.ipv4(src, dst, 6, uint16(c.step), 0, seg))
}
