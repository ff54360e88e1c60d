package flow

import (
	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/packet"
)

// Config holds the table's timeouts (µs; zero values take Zeek's defaults) and caps.
type Config struct {
	TCPInactivity         int64 // tcp_inactivity_timeout, 5 min
	UDPInactivity         int64 // udp_inactivity_timeout, 1 min (also TCP before the handshake ends)
	InteractiveInactivity int64 // conn/inactivity.zeek port_inactivity_timeouts, 1 h
	AttemptDelay          int64 // tcp_attempt_delay, 5 s
	CloseDelay            int64 // tcp_close_delay, 5 s
	SessionTimer          int64 // tcp_session_timer, 6 s
	Linger                int64 // tcp_connection_linger, 5 s
	DNSSessionTimeout     int64 // dns_session_timeout, 10 s (UDP DNS ports)
	MaxConns              int   // 0 = unlimited; new connections beyond it are dropped and counted
	UIDSeed               uint64
}

const sec = int64(1e6)

func (c *Config) defaults() {
	set := func(v *int64, d int64) {
		if *v == 0 {
			*v = d
		}
	}
	set(&c.TCPInactivity, 300*sec)
	set(&c.UDPInactivity, 60*sec)
	set(&c.InteractiveInactivity, 3600*sec)
	set(&c.AttemptDelay, 5*sec)
	set(&c.CloseDelay, 5*sec)
	set(&c.SessionTimer, 6*sec)
	set(&c.Linger, 5*sec)
	set(&c.DNSSessionTimeout, 10*sec)
}

// Hooks receives the table's notifications. Implementations must not retain c after Removed.
type Hooks interface {
	// Removed is called when a connection leaves the table (timer or Flush) at time ts.
	Removed(c *Conn, ts int64)
	// Weird reports a Zeek weird on a connection.
	Weird(c *Conn, name string)
}

// Stats counts table activity.
type Stats struct {
	Connections   uint64 // connections created
	Active        int    // connections in the table now
	ConnCapHits   uint64 // connections refused because MaxConns was reached
	Removed       uint64
	TimersPending int
}

// Table is the connection table. It is not safe for concurrent use: shard by Key.Hash.
type Table struct {
	cfg    Config
	m      map[Key]*Conn
	timers timerHeap
	tseq   uint64
	now    int64
	uids   *UIDGen
	hooks  Hooks
	stats  Stats
}

// NewTable returns an empty table.
func NewTable(cfg Config, hooks Hooks) *Table {
	cfg.defaults()
	return &Table{cfg: cfg, m: make(map[Key]*Conn), uids: NewUIDGen(cfg.UIDSeed), hooks: hooks}
}

// Stats returns the counters.
func (t *Table) Stats() Stats {
	s := t.stats
	s.Active = len(t.m)
	s.TimersPending = len(t.timers)
	return s
}

// Len is the number of connections in the table.
func (t *Table) Len() int { return len(t.m) }

func (t *Table) weird(c *Conn, name string) {
	if t.hooks != nil {
		t.hooks.Weird(c, name)
	}
}

// Find returns the connection of a 5-tuple, if any, and the physical side of its source.
func (t *Table) Find(src, dst [16]byte, sp, dp uint16, proto uint8) (*Conn, uint8) {
	k, s := MakeKey(src, dst, sp, dp, proto)
	return t.m[k], s
}

// Result is what Packet reports about a packet.
type Result struct {
	Conn  *Conn
	Side  uint8 // physical side of the packet's source
	IsNew bool  // the packet created the connection
	TCP   TCPResult
}

// IsOrig reports whether the packet came from the originator (after any flip).
func (r *Result) IsOrig() bool { return r.Conn.origSide == r.Side }

// Packet advances timers to p.Ts, finds or creates the packet's connection and updates its
// state and counters. It returns ok=false when the packet is not a TCP/UDP packet or the
// connection cap refused a new connection.
func (t *Table) Packet(p *packet.Packet) (r Result, ok bool) {
	if p.Proto != 6 && p.Proto != 17 {
		return r, false
	}
	t.Advance(p.Ts)
	k, side := MakeKey(p.Src, p.Dst, p.SrcPort, p.DstPort, p.Proto)
	c := t.m[k]
	if c != nil && p.Proto == 6 && t.isReuse(c, side, p) {
		t.remove(c, p.Ts)
		c = nil
	}
	if c == nil {
		if t.cfg.MaxConns > 0 && len(t.m) >= t.cfg.MaxConns {
			t.stats.ConnCapHits++
			return r, false
		}
		c = t.newConn(k, side, p)
		r.IsNew = true
	}
	r.Conn, r.Side = c, side
	e := &c.ep[side]
	e.Pkts++
	e.IPBytes += uint64(p.IPLen)
	switch p.Proto {
	case 6:
		r.TCP = t.processTCP(c, side, p.Ts, p.Seq, p.Ack, p.Flags, p.Window, p.PayloadLen, len(p.Payload) >= p.PayloadLen)
	case 17:
		c.lastTs = p.Ts
		if side == c.origSide {
			c.checkHistory(0x10000000, 'D')
		} else {
			c.checkHistory(0x20000000, 'd')
		}
		if e.udpSize < 0 {
			e.udpSize = 0
		}
		e.udpSize += int64(p.PayloadLen)
	}
	return r, true
}

// Touch finds or creates the connection of a packet that will not be processed further
// (Zeek creates the connection before it drops a packet with a bad TCP header). It reports
// whether the connection is new.
func (t *Table) Touch(p *packet.Packet) (*Conn, bool) {
	if p.Proto != 6 && p.Proto != 17 {
		return nil, false
	}
	t.Advance(p.Ts)
	k, side := MakeKey(p.Src, p.Dst, p.SrcPort, p.DstPort, p.Proto)
	if c := t.m[k]; c != nil {
		return c, false
	}
	if t.cfg.MaxConns > 0 && len(t.m) >= t.cfg.MaxConns {
		t.stats.ConnCapHits++
		return nil, false
	}
	return t.newConn(k, side, p), true
}

func (t *Table) newConn(k Key, side uint8, p *packet.Packet) *Conn {
	c := &Conn{proto: p.Proto, lastTs: p.Ts}
	c.ep[0].udpSize, c.ep[1].udpSize = -1, -1
	c.setID(k, side)
	if wantFlip(p.Proto, p.SrcPort, p.DstPort, p.Flags) {
		c.flip() // Zeek's FlipRoles also records '^' in the history
	}
	c.Info.UID = t.uids.Next()
	c.Info.StartTs = p.Ts
	t.m[k] = c
	t.stats.Connections++
	c.serial = uint32(t.stats.Connections)
	// TCP starts with the UDP inactivity timeout until its handshake completes.
	c.setInactivity(t.cfg.UDPInactivity, t)
	if p.Proto == 17 {
		switch c.Info.ID.RespP {
		case 53, 137, 5353, 5355: // Zeek's DNS analyzer ports (dns/main.zeek)
			t.schedule(c, p.Ts+t.cfg.DNSSessionTimeout, timerDNS)
		}
	}
	return c
}

// isReuse is Zeek's TCPSessionAdapter::IsReuse.
func (t *Table) isReuse(c *Conn, side uint8, p *packet.Packet) bool {
	if p.Flags&synFlag == 0 {
		return false
	}
	orig, resp := &c.ep[c.origSide], &c.ep[c.origSide^1]
	connOrig := orig
	if p.Flags&ackFlag != 0 {
		if orig.State != TCPInactive {
			return false
		}
		connOrig = resp
	}
	closed := orig.didClose || resp.didClose
	if !closed {
		if p.Seq == uint32(connOrig.startSeq) {
			return false
		}
		if p.Flags&ackFlag == 0 && connOrig.State == TCPSynAckSent && resp.State == TCPInactive && p.Seq == uint32(resp.startSeq) {
			return false
		}
		if connOrig.State == TCPSynSent {
			t.weird(c, "SYN_seq_jump")
		} else {
			t.weird(c, "active_connection_reuse")
		}
	} else if (orig.active() || resp.active()) && orig.State != TCPReset && resp.State != TCPReset {
		t.weird(c, "active_connection_reuse")
	} else if p.Ts-c.lastTs < t.cfg.Linger && orig.State != TCPReset && resp.State != TCPReset {
		t.weird(c, "premature_connection_reuse")
	}
	return true
}

func (e *Endpoint) active() bool { return e.State != TCPInactive && !e.didClose }

func (t *Table) remove(c *Conn, ts int64) {
	if c.removed {
		return
	}
	c.removed = true
	if k := c.Key(); t.m[k] == c {
		delete(t.m, k)
	}
	t.stats.Removed++
	if t.hooks != nil {
		t.hooks.Removed(c, ts)
	}
}

// Flush removes every connection (end of input), in creation order.
func (t *Table) Flush(ts int64) {
	cs := make([]*Conn, 0, len(t.m))
	for _, c := range t.m {
		cs = append(cs, c)
	}
	sortByStart(cs)
	for _, c := range cs {
		t.remove(c, ts)
	}
	t.timers = t.timers[:0]
}

// Stats returns the connection's final counters as conn.log reports them.
func (c *Conn) Stats() tlsmon.ConnectionStats {
	o, r := &c.ep[c.origSide], &c.ep[c.origSide^1]
	s := tlsmon.ConnectionStats{
		Duration:    c.lastTs - c.Info.StartTs,
		OrigPkts:    o.Pkts,
		RespPkts:    r.Pkts,
		OrigIPBytes: o.IPBytes,
		RespIPBytes: r.IPBytes,
		MissedBytes: c.missed,
		History:     c.History(),
		IPProto:     c.proto,
	}
	s.OrigBytesSet = s.Duration > 0
	switch c.proto {
	case 6:
		if s.OrigBytesSet {
			s.OrigBytes, s.RespBytes = o.size(r), r.size(o)
		}
		s.State = tcpConnState(o, r, c.History())
	case 17:
		if s.OrigBytesSet {
			s.OrigBytes, s.RespBytes = uint64(max(o.udpSize, 0)), uint64(max(r.udpSize, 0))
		}
		oa, ra := o.udpSize >= 0, r.udpSize >= 0
		switch {
		case oa && ra:
			s.State = "SF"
		case oa:
			s.State = "S0"
		case ra:
			s.State = "SHR"
		default:
			s.State = "OTH"
		}
	default:
		s.State = "OTH"
	}
	return s
}
