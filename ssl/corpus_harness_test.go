package ssl

// A deliberately small, test-only pipeline (pcap → TCP in-order reassembly → SSL analyzer)
// so the analyzer can be checked against Zeek's output before the real engine exists.
// It orients connections by the SYN (or the first packet), attaches the analyzer by port
// or by Match on the first payload of a direction, and replays earlier payload.

import (
	"errors"
	"io"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/capture"
)

type hDir struct {
	init    bool
	next    uint32
	pending map[uint32][]byte
	pts     map[uint32]int64
	first   []byte
	fin     bool
}

type hConn struct {
	conn     *tlsmon.Conn
	dirs     [2]hDir
	an       analyzer.Analyzer
	detached bool
	tried    bool
	replay   [][3]any // buffered deliveries before attachment: ts, isOrig, data
	lastTs   int64
	partial  bool // first packet was not a SYN: Zeek's SSL analyzer ignores such connections
}

type fourTuple struct {
	a, b netip.AddrPort
}

func runHarness(path string, h tlsmon.Handler, opts analyzer.Options) error {
	r, err := capture.Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	conns := map[fourTuple]*hConn{}
	var order []*hConn
	var f capture.Frame
	for {
		if err := r.Next(&f); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return err
		}
		pkt := gopacket.NewPacket(f.Data, layers.LinkType(f.LinkType), gopacket.NoCopy)
		var src, dst netip.Addr
		if ip4, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
			src, _ = netip.AddrFromSlice(ip4.SrcIP.To4())
			dst, _ = netip.AddrFromSlice(ip4.DstIP.To4())
		} else if ip6, ok := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6); ok {
			src, _ = netip.AddrFromSlice(ip6.SrcIP)
			dst, _ = netip.AddrFromSlice(ip6.DstIP)
		} else {
			continue
		}
		tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !ok {
			continue
		}
		s := netip.AddrPortFrom(src, uint16(tcp.SrcPort))
		d := netip.AddrPortFrom(dst, uint16(tcp.DstPort))
		c := conns[fourTuple{s, d}]
		isOrig := true
		if c == nil {
			if c = conns[fourTuple{d, s}]; c != nil {
				isOrig = false
			}
		}
		if c == nil {
			o, rr := s, d
			if tcp.SYN && tcp.ACK {
				o, rr = d, s
				isOrig = false
			}
			c = &hConn{conn: &tlsmon.Conn{ID: tlsmon.ConnID{OrigH: o.Addr(), RespH: rr.Addr(), OrigP: o.Port(), RespP: rr.Port(), Proto: tlsmon.ProtoTCP}, StartTs: f.Ts}}
			c.partial = !tcp.SYN
			conns[fourTuple{o, rr}] = c
			order = append(order, c)
		}
		c.lastTs = f.Ts
		dir := &c.dirs[dirIndex(isOrig)]
		seq := tcp.Seq
		if tcp.SYN {
			dir.init, dir.next = true, seq+1
			continue
		}
		payload := tcp.Payload
		if !dir.init {
			dir.init, dir.next = true, seq
		}
		if len(payload) > 0 {
			if dir.pending == nil {
				dir.pending = map[uint32][]byte{}
				dir.pts = map[uint32]int64{}
			}
			if int32(seq-dir.next) >= 0 {
				if old, ok := dir.pending[seq]; !ok || len(old) < len(payload) {
					dir.pending[seq] = append([]byte(nil), payload...)
					dir.pts[seq] = f.Ts
				}
			} else if int32(seq+uint32(len(payload))-dir.next) > 0 {
				cut := dir.next - seq
				dir.pending[dir.next] = append([]byte(nil), payload[cut:]...)
				dir.pts[dir.next] = f.Ts
			}
			for {
				p, ok := dir.pending[dir.next]
				if !ok {
					break
				}
				delete(dir.pending, dir.next)
				delete(dir.pts, dir.next)
				dir.next += uint32(len(p))
				c.deliver(f.Ts, isOrig, p, h, opts)
			}
		}
	}
	for _, c := range order {
		if c.an != nil && !c.detached {
			c.an.Done(c.lastTs)
		}
	}
	return nil
}

func (c *hConn) deliver(ts int64, isOrig bool, p []byte, h tlsmon.Handler, opts analyzer.Options) {
	if c.detached || c.partial {
		return
	}
	if c.an == nil {
		c.replay = append(c.replay, [3]any{ts, isOrig, p})
		match := false
		for _, port := range Ports {
			if c.conn.ID.RespP == port {
				match = true
			}
		}
		d := &c.dirs[dirIndex(isOrig)]
		if len(d.first) < 1024 {
			d.first = append(d.first, p...)
		}
		if !match && !Match(isOrig, d.first) {
			return
		}
		env := &analyzer.Env{Conn: c.conn, Events: h, Detach: func() { c.detached = true }, Options: opts}
		c.an = New(env)
		for _, r := range c.replay {
			if c.detached {
				return
			}
			c.an.DeliverStream(ts, r[1].(bool), r[2].([]byte))
		}
		c.replay = nil
		return
	}
	c.an.DeliverStream(ts, isOrig, p)
}
