package testgen

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Endpoints are a connection's addresses; the client is the originator.
type Endpoints struct{ Client, Server netip.AddrPort }

// ConnRecord describes one connection written to a capture.
type ConnRecord struct {
	Endpoints
	Info            Info
	Chunks          []Chunk // the bytes as framed (after record rewriting)
	FirstTs, LastTs int64   // µs since the Unix epoch
	Packets         int
}

// Capture writes connections to a classic pcap (µs timestamps, LINKTYPE_ETHERNET).
type Capture struct {
	w     *pcapWriter
	now   int64 // µs timestamp of the last packet written
	conns int
	ipID  uint16
	buf   gopacket.SerializeBuffer
	// Conns lists every connection written, in order.
	Conns []ConnRecord
}

const (
	rttMicros    = 10_000 // delay before a packet that answers the other side
	stepMicros   = 10     // delay between packets of one flight
	connGapMicro = 100_000
)

// DefaultStart is the timestamp of the first packet of a capture made with NewCapture.
var DefaultStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// NewCapture writes the pcap file header to w; the first packet will be at start
// (DefaultStart when zero).
func NewCapture(w io.Writer, start time.Time) (*Capture, error) {
	if start.IsZero() {
		start = DefaultStart
	}
	pw, err := newPcapWriter(w)
	if err != nil {
		return nil, err
	}
	return &Capture{w: pw, now: start.UnixMicro() - connGapMicro, buf: gopacket.NewSerializeBuffer()}, nil
}

// Now is the timestamp (µs) of the last packet written.
func (c *Capture) Now() int64 { return c.now }

// Advance moves the capture clock forward.
func (c *Capture) Advance(d time.Duration) { c.now += d.Microseconds() }

// autoEndpoints gives connection n its own client address; the server is shared.
func autoEndpoints(n int, v6 bool) Endpoints {
	port := uint16(40000 + n%25000)
	if v6 {
		a := [16]byte{0: 0xfd, 11: 1}
		binary.BigEndian.PutUint32(a[12:], uint32(n)+1)
		s := [16]byte{0: 0xfd, 15: 2}
		return Endpoints{Client: netip.AddrPortFrom(netip.AddrFrom16(a), port), Server: netip.AddrPortFrom(netip.AddrFrom16(s), 443)}
	}
	cl := netip.AddrFrom4([4]byte{10, byte(1 + n/64000%200), byte(n / 250 % 256), byte(n%250 + 1)})
	return Endpoints{Client: netip.AddrPortFrom(cl, port), Server: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, 2}), 443)}
}

// AddConn writes one connection, after the previous ones, with automatic endpoints.
func (c *Capture) AddConn(tr *Transcript, f Framing) (ConnRecord, error) {
	return c.AddConnAt(tr, f, autoEndpoints(c.conns, f.IPv6))
}

// AddConnAt writes one connection between the given endpoints.
func (c *Capture) AddConnAt(tr *Transcript, f Framing, ep Endpoints) (ConnRecord, error) {
	p, err := c.plan(tr, f, ep)
	if err != nil {
		return ConnRecord{}, err
	}
	c.now += connGapMicro
	for i := range p.pkts {
		c.now += p.pkts[i].delay
		if err := c.write(p, &p.pkts[i]); err != nil {
			return ConnRecord{}, err
		}
	}
	c.Conns = append(c.Conns, p.rec)
	return p.rec, nil
}

// AddInterleaved writes several connections at once: their packets alternate round-robin,
// so all of them are open at the same time.
func (c *Capture) AddInterleaved(trs []*Transcript, f Framing) ([]ConnRecord, error) {
	plans := make([]*connPlan, len(trs))
	for i, tr := range trs {
		p, err := c.plan(tr, f, autoEndpoints(c.conns, f.IPv6))
		if err != nil {
			return nil, err
		}
		plans[i] = p
	}
	c.now += connGapMicro
	for k := 0; ; k++ {
		wrote := false
		for _, p := range plans {
			if k < len(p.pkts) {
				c.now += stepMicros
				if err := c.write(p, &p.pkts[k]); err != nil {
					return nil, err
				}
				wrote = true
			}
		}
		if !wrote {
			break
		}
	}
	recs := make([]ConnRecord, len(plans))
	for i, p := range plans {
		recs[i] = p.rec
		c.Conns = append(c.Conns, p.rec)
	}
	return recs, nil
}

// pkt is one TCP segment of a connection plan.
type pkt struct {
	fromClient bool
	flags      uint8
	seq, ack   uint32
	payload    []byte
	delay      int64 // µs after the previous packet
}

// TCP flag bits.
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagPSH = 0x08
	flagACK = 0x10
)

type connPlan struct {
	pkts []pkt
	rec  ConnRecord
}

func (c *Capture) plan(tr *Transcript, f Framing, ep Endpoints) (*connPlan, error) {
	if ep.Client.Addr().Is4() != ep.Server.Addr().Is4() {
		return nil, errors.New("testgen: endpoints of different IP versions")
	}
	n := c.conns
	c.conns++
	rng := rand.New(rand.NewPCG(f.Seed, uint64(n)))
	chunks := tr.Chunks
	if f.CoalesceRecords {
		chunks = CoalesceRecords(chunks)
	}
	if f.MaxHandshakeRecord > 0 {
		chunks = SplitRecords(chunks, f.MaxHandshakeRecord)
	}
	p := &connPlan{rec: ConnRecord{Endpoints: ep, Info: tr.Info, Chunks: chunks}}
	isn := [2]uint32{rng.Uint32(), rng.Uint32()} // [server, client]
	add := func(fromClient bool, flags uint8, seq, ack uint32, payload []byte, delay int64) {
		p.pkts = append(p.pkts, pkt{fromClient: fromClient, flags: flags, seq: seq, ack: ack, payload: payload, delay: delay})
	}
	const cl, sv = 1, 0
	add(true, flagSYN, isn[cl], 0, nil, 0)
	add(false, flagSYN|flagACK, isn[sv], isn[cl]+1, nil, rttMicros)
	add(true, flagACK, isn[cl]+1, isn[sv]+1, nil, rttMicros)
	var sent [2]int
	last := true // direction of the last packet
	for _, fl := range flights(chunks, f.CoalesceWrites) {
		d := dirIndex(fl.fromClient)
		o := 1 - d
		for j, s := range f.segments(rng, len(fl.data)) {
			delay := int64(stepMicros)
			if j == 0 && last != fl.fromClient {
				delay = rttMicros
			}
			add(fl.fromClient, flagACK|flagPSH, isn[d]+1+uint32(fl.off+s.off), isn[o]+1+uint32(sent[o]), fl.data[s.off:s.off+s.n], delay)
		}
		last = fl.fromClient
		sent[d] = fl.off + len(fl.data)
		if f.AckFlights {
			add(!fl.fromClient, flagACK, isn[o]+1+uint32(sent[o]), isn[d]+1+uint32(sent[d]), nil, rttMicros)
			last = !fl.fromClient
		}
	}
	if !f.NoTeardown {
		cseq, sseq := isn[cl]+1+uint32(sent[cl]), isn[sv]+1+uint32(sent[sv])
		add(true, flagFIN|flagACK, cseq, sseq, nil, rttMicros)
		add(false, flagFIN|flagACK, sseq, cseq+1, nil, rttMicros)
		add(true, flagACK, cseq+1, sseq+1, nil, rttMicros)
	}
	return p, nil
}

var (
	macClient = []byte{0x02, 0, 0, 0, 0, 0x01}
	macServer = []byte{0x02, 0, 0, 0, 0, 0x02}
)

func (c *Capture) write(p *connPlan, k *pkt) error {
	src, dst := p.rec.Client, p.rec.Server
	smac, dmac := macClient, macServer
	if !k.fromClient {
		src, dst = dst, src
		smac, dmac = dmac, smac
	}
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()),
		Seq: k.seq, Ack: k.ack, Window: 64240,
		FIN: k.flags&flagFIN != 0, SYN: k.flags&flagSYN != 0, PSH: k.flags&flagPSH != 0, ACK: k.flags&flagACK != 0,
	}
	if k.flags&flagSYN != 0 {
		tcp.Options = []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}}}
	}
	eth := &layers.Ethernet{SrcMAC: smac, DstMAC: dmac}
	var netLayer gopacket.SerializableLayer
	c.ipID++
	if src.Addr().Is4() {
		eth.EthernetType = layers.EthernetTypeIPv4
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: c.ipID, Flags: layers.IPv4DontFragment,
			Protocol: layers.IPProtocolTCP, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
		if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
			return err
		}
		netLayer = ip
	} else {
		eth.EthernetType = layers.EthernetTypeIPv6
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP,
			SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
		if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
			return err
		}
		netLayer = ip
	}
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(c.buf, opts, eth, netLayer, tcp, gopacket.Payload(k.payload)); err != nil {
		return fmt.Errorf("testgen: serialize: %w", err)
	}
	b := c.buf.Bytes()
	if err := c.w.writePacket(c.now, b); err != nil {
		return err
	}
	if p.rec.Packets == 0 {
		p.rec.FirstTs = c.now
	}
	p.rec.LastTs = c.now
	p.rec.Packets++
	return nil
}
