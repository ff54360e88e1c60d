package flow

import (
	"encoding/binary"
	"math"

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
	ICMPInactivity        int64 // icmp_inactivity_timeout, 1 min
	MaxConns              int   // 0 = unlimited; new connections beyond it are dropped and counted
	UIDSeed               uint64
	// NewConn, if set, allocates each connection (the pipeline can embed Conn in its own
	// per-connection struct and so make one allocation per connection). It must return a
	// Conn not in use; the table initialises it.
	NewConn func() *Conn
	// Admit, if set, is asked before each new connection is made (after MaxConns): false
	// refuses it, as MaxConns does, but counted by the caller (the engine's memory budget).
	// It may Evict other connections.
	Admit func(proto uint8) bool
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
	set(&c.ICMPInactivity, 60*sec)
}

// Hooks receives the table's notifications. Implementations must not retain c after Removed.
type Hooks interface {
	// Removed is called when a connection leaves the table (timer or Flush) at time ts.
	Removed(c *Conn, ts int64)
	// Weird reports a Zeek weird on a connection.
	Weird(c *Conn, name string)
}

// Releaser is an optional interface of Hooks, for callers that allocate connections
// themselves (Config.NewConn): Released is called once a removed connection is referenced
// by nothing in the table any more (its Removed hook ran and no timer points to it), so
// that its memory may be given out again by NewConn. Connections still in the table when
// it is flushed are never released.
type Releaser interface {
	Released(c *Conn)
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
	m      connMap
	timers timerHeap
	due    int64 // at most the time of timers' root (MaxInt64: none), for Advance to inline
	tseq   uint64
	cause  Cause // what the table is doing, during its hooks (Cause)
	now    int64
	uids   UIDGen // (a value: the frame index is stored with one load fewer)
	hooks  Hooks
	stats  Stats
	key    Key // scratch: the current packet's key
	// free lists connections left the table that nothing references any more (linked by
	// next), for reuse when Config.NewConn is nil; nFree is its length, at most maxFree.
	free  *Conn
	nFree int
	rel   Releaser // hooks' Releaser, if it is one
	// chk holds the bad-checksum counters of the connections that had one (checksum.go):
	// rare, so kept here rather than in every Conn.
	chk map[*Conn]*[2]scaledCount
	// scaled holds the scaled history counters of the connections that have any
	// (scaledLetter); freeScaled are cleared ones for reuse.
	scaled     map[*Conn]*scaledCounts
	freeScaled []*scaledCounts
	// evicted counts the Evict calls since the last dropStaleTimers.
	evicted int
	// stale counts the heap entries of removed connections; fireDue drops them once they
	// are at least staleDrop (minStaleDrop; tests change it) and half the heap.
	stale, staleDrop int
	gone             []*Conn // scratch of dropStaleTimers
	// attempts are attempt timers not in the heap yet (scheduleAttempt); attemptsAt is
	// their earliest deadline (MaxInt64: none).
	attempts   []timer
	attemptsAt int64
	// hists caches history strings for ConnStats, direct-mapped by a hash of the letters:
	// a few dozen distinct ones make up almost every conn.log.
	hists *[256]string
}

// maxFree bounds the free list of connections (about 380 KiB of Conns).
const maxFree = 1024

// NewTable returns an empty table.
func NewTable(cfg Config, hooks Hooks) *Table {
	cfg.defaults()
	t := &Table{cfg: cfg, uids: *NewUIDGen(cfg.UIDSeed), hooks: hooks, staleDrop: minStaleDrop,
		attemptsAt: math.MaxInt64}
	t.rel, _ = hooks.(Releaser)
	t.m.init()
	return t
}

// Stats returns the counters.
func (t *Table) Stats() Stats {
	s := t.stats
	s.Active = t.m.n
	s.TimersPending = len(t.timers) + len(t.attempts)
	return s
}

// Len is the number of connections in the table.
func (t *Table) Len() int { return t.m.n }

func (t *Table) weird(c *Conn, name string) {
	if t.hooks != nil {
		t.hooks.Weird(c, name)
	}
}

// Find returns the connection of a 5-tuple, if any, and the physical side of its source.
func (t *Table) Find(src, dst [16]byte, sp, dp uint16, proto uint8) (*Conn, uint8) {
	k, s := MakeKey(src, dst, sp, dp, proto)
	c, _ := t.m.get(&k)
	return c, s
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

// packetKey sets k to the table key of a packet and returns the physical side of its
// source; ok is false when the packet has no connection (not TCP, UDP or ICMP; ICMP shorter
// than its header).
func packetKey(p *packet.Packet, k *Key) (side uint8, oneWay, ok bool) {
	switch p.Proto {
	case 6, 17:
		return k.set(&p.Src, &p.Dst, p.SrcPort, p.DstPort, p.Proto), false, true
	case 1, 58:
		if len(p.Payload) < icmpMinLen || (p.PayloadLen != 0 && p.PayloadLen < icmpMinLen) {
			return 0, false, false
		}
		typ := uint16(p.Payload[0])
		counter, oneWay := icmpCounterpart(p.Proto, p.Payload[0], p.Payload[1])
		if oneWay {
			*k = Key{A: p.Src, B: p.Dst, PA: typ, PB: counter, Proto: p.Proto}
			return 0, true, true
		}
		return k.set(&p.Src, &p.Dst, typ, counter, p.Proto), false, true
	}
	return 0, false, false
}

// Packet advances timers to p.Ts, finds or creates the packet's connection, updates its
// state and counters and fills r. It returns false when the packet has no connection (not
// TCP, UDP or ICMP, or an ICMP message shorter than its header: see ICMPTruncated) or the
// connection cap refused a new connection.
func (t *Table) Packet(p *packet.Packet, r *Result) bool {
	var c *Conn
	var side uint8
	if p.Proto == 6 || p.Proto == 17 {
		// The common path: hash and look up the canonical 5-tuple in place; the key is
		// copied out only to create a connection (connOf, which also has the SYNs: few
		// values live across its call).
		a, b, pa, pb := &p.Src, &p.Dst, p.SrcPort, p.DstPort
		if !addrLess(a, b, pa, pb) {
			a, b, pa, pb, side = b, a, pb, pa, 1
		}
		t.Advance(p.Ts)
		var h uint32
		c, h = t.m.getTuple(a, b, pa, pb, p.Proto)
		if c == nil || p.Flags&synFlag != 0 && p.Proto == 6 {
			c = t.connOf(p, r, c, h, side)
		} else {
			r.IsNew = false
		}
	} else {
		c, side = t.otherConn(p, r)
	}
	if c == nil {
		return false
	}
	r.Conn, r.Side = c, side
	e := &c.ep[side&1] // (side is 0 or 1: no bounds check)
	e.Pkts++
	e.IPBytes += uint64(p.IPLen)
	switch p.Proto {
	case 6:
		if c.steady(p.Flags) {
			t.processSteady(&r.TCP, c, side, p)
		} else {
			t.processTCP(&r.TCP, c, side, p)
		}
	case 17:
		c.lastTs = p.Ts
		if side == c.origSide {
			c.checkHistory(0x10000000, 'D')
		} else {
			c.checkHistory(0x20000000, 'd')
		}
		// Zeek counts the UDP header's length field, not the IP length.
		e.addSize(int64(p.UDPLen) - 8)
	case 1, 58:
		c.lastTs = p.Ts
		n := p.PayloadLen
		if n == 0 { // segmentation offload: Zeek takes what was captured
			n = len(p.Payload)
		}
		e.addSize(int64(n) - icmpMinLen)
	}
	return true
}

// connOf is Packet's rarer half for a TCP or UDP packet whose lookup found c (hash h):
// nil, or a SYN, which may reuse c's 5-tuple for a new connection. It returns the
// packet's connection, made if need be (r.IsNew), or nil when the caps refuse it.
func (t *Table) connOf(p *packet.Packet, r *Result, c *Conn, h uint32, side uint8) *Conn {
	r.IsNew = false
	if c != nil {
		if p.Proto != 6 || !t.isReuse(c, side, p) {
			return c
		}
		t.remove(c, p.Ts)
	}
	k := &t.key
	packetKey(p, k)
	return t.create(k, h, side, false, p, r)
}

// otherConn is Packet for a packet neither TCP nor UDP: its connection and the physical
// side of its source (nil when it has none or the caps refuse it).
func (t *Table) otherConn(p *packet.Packet, r *Result) (*Conn, uint8) {
	k := &t.key
	side, oneWay, ok := packetKey(p, k)
	if !ok {
		return nil, 0
	}
	t.Advance(p.Ts)
	c, h := t.m.get(k)
	r.IsNew = false
	if c == nil {
		c = t.create(k, h, side, oneWay, p, r)
	}
	return c, side
}

// create makes the connection of key k (hash h) for packet p, unless a cap refuses it
// (then nil), and sets r.IsNew.
func (t *Table) create(k *Key, h uint32, side uint8, oneWay bool, p *packet.Packet, r *Result) *Conn {
	if t.cfg.MaxConns > 0 && t.m.n >= t.cfg.MaxConns {
		t.stats.ConnCapHits++
		return nil
	}
	if t.cfg.Admit != nil && !t.cfg.Admit(p.Proto) {
		return nil
	}
	r.IsNew = true
	return t.newConn(k, h, side, oneWay, p)
}

func (e *Endpoint) addSize(n int64) {
	if e.dgram < 0 {
		e.dgram = n
	} else {
		e.dgram += n
	}
}

// Touch finds or creates the connection of a packet that will not be processed further
// (Zeek creates the connection before it drops a packet with a bad TCP header). It reports
// whether the connection is new.
func (t *Table) Touch(p *packet.Packet) (*Conn, bool) {
	k := &t.key
	side, oneWay, ok := packetKey(p, k)
	if !ok {
		return nil, false
	}
	t.Advance(p.Ts)
	c, h := t.m.get(k)
	if c != nil {
		return c, false
	}
	var r Result
	c = t.create(k, h, side, oneWay, p, &r)
	return c, c != nil
}

func (t *Table) newConn(k *Key, h uint32, side uint8, oneWay bool, p *packet.Packet) *Conn {
	var c *Conn
	switch {
	case t.cfg.NewConn != nil:
		c = t.cfg.NewConn()
	case t.free != nil:
		c, t.free = t.free, t.free.next
		t.nFree--
	default:
		c = new(Conn)
	}
	*c = Conn{proto: p.Proto, lastTs: p.Ts, hash: h, oneWay: oneWay, owner: c.owner}
	c.ep[0].dgram, c.ep[1].dgram = -1, -1
	c.setID(k, side)
	if wantFlip(p.Proto, p.SrcPort, p.DstPort, p.Flags) && !isBroadcast(p.Dst) {
		c.flip() // Zeek's FlipRoles also records '^' in the history
	}
	c.Info.UID = t.uids.Next()
	c.setBorn(t.uids.N())
	c.Info.StartTs = p.Ts
	t.m.put(c)
	t.stats.Connections++
	switch p.Proto {
	case 1, 58:
		c.setInactivity(toICMP, t)
		return c
	}
	// TCP starts with the UDP inactivity timeout until its handshake completes.
	c.setInactivity(toUDP, t)
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
		if p.Seq == connOrig.startSeq {
			return false
		}
		if p.Flags&ackFlag == 0 && connOrig.State == TCPSynAckSent && resp.State == TCPInactive && p.Seq == resp.startSeq {
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

// Evict removes c from the table at time ts now (its Removed hook runs), as a timer would:
// for a caller shedding connections to stay within a memory budget. The timers of evicted
// connections, which would keep them in memory until they fire, are dropped from time to
// time (dropStaleTimers).
func (t *Table) Evict(c *Conn, ts int64) {
	t.remove(c, ts)
	t.evicted++
	if t.evicted >= 1024 && t.evicted >= len(t.timers)/4 {
		t.dropStaleTimers()
	}
}

func (t *Table) remove(c *Conn, ts int64) {
	if c.removed {
		return
	}
	c.removed = true
	t.stale += int(c.timers)
	if t.chk != nil {
		delete(t.chk, c)
	}
	if t.scaled != nil {
		t.dropScaled(c)
	}
	t.m.del(c)
	t.stats.Removed++
	if t.hooks != nil {
		t.hooks.Removed(c, ts)
	}
	t.release(c)
}

// release puts a removed connection on the free list once no timer entry points to it any
// more (remove, or the pop of its last stale timer). Only the table's own connections are
// recycled here (Config.NewConn nil); the caller owns the memory of the others and learns
// through Releaser when it may reuse them. Reuse matters because connections churn:
// perfmix.pcap creates 31,200 but never holds more than 2,400, and fresh memory costs page
// faults (≈ 5 µs each on the reference VM) and GC work.
func (t *Table) release(c *Conn) {
	if c.timers != 0 || !c.removed {
		return
	}
	if t.cfg.NewConn != nil {
		if t.rel != nil {
			t.rel.Released(c)
		}
		return
	}
	if t.nFree >= maxFree {
		return
	}
	c.Info = tlsmon.Conn{} // drop the uid's reference (its slab)
	c.next = t.free
	t.free = c
	t.nFree++
}

// Each calls fn for every connection in the table, in no particular order; fn must not
// change the table.
func (t *Table) Each(fn func(c *Conn)) { t.m.each(fn) }

// Flush removes every connection (end of input), in creation order.
func (t *Table) Flush(ts int64) {
	cs := make([]*Conn, 0, t.m.n)
	t.m.each(func(c *Conn) { cs = append(cs, c) })
	sortByKey(cs)
	for _, c := range cs {
		t.cause = Cause{Flush: true, Key: c.Key(), Born: c.born()}
		t.remove(c, ts)
	}
	t.cause = Cause{}
	t.timers = t.timers[:0]
	clear(t.attempts)
	t.attempts = t.attempts[:0]
	t.attemptsAt = math.MaxInt64
	t.stale = 0
}

// Cause is what the table is doing while it calls its hooks, so that the events a removal
// causes can be placed in a run's output order (docs/SCALING.md). The zero Cause: the table
// is processing a packet.
type Cause struct {
	Timer bool   // a timer of the connection created with key Born, due At, is firing
	Flush bool   // the end-of-input drain is removing the connection (Key, Born)
	At    int64  // the firing timer's deadline
	Born  uint64 // the connection's creation key (the number of its uid, UIDGen.N)
	Key   Key    // the connection's key (Flush)
}

// Cause returns what the table is doing (valid during its hooks).
func (t *Table) Cause() Cause { return t.cause }

// Stats returns the connection's final counters as conn.log reports them.
func (c *Conn) Stats() tlsmon.ConnectionStats {
	var s tlsmon.ConnectionStats
	c.stats(&s, c.History())
	return s
}

// ConnStats sets *s to c.Stats() with the history string taken from the table's cache:
// the same strings recur, and one allocation per connection fed the garbage collector.
func (t *Table) ConnStats(c *Conn, s *tlsmon.ConnectionStats) {
	if t.hists == nil {
		t.hists = new([256]string)
	}
	b := c.hist[:c.histLen]
	// hash all 24 letters (those past histLen are zero: a Conn is cleared for reuse); the
	// slot's string is compared in full, so a collision only costs an allocation
	w := binary.LittleEndian.Uint64(c.hist[:8]) ^ binary.LittleEndian.Uint64(c.hist[8:16])*0x9e3779b97f4a7c15 ^
		binary.LittleEndian.Uint64(c.hist[16:])*0xc2b2ae3d27d4eb4f
	slot := &t.hists[uint8((w*0x9e3779b97f4a7c15)>>56)]
	if *slot != string(b) {
		*slot = string(b)
	}
	c.stats(s, *slot)
}

// stats sets *s (in place: the struct is large) to the counters, with history hist.
func (c *Conn) stats(s *tlsmon.ConnectionStats, hist string) {
	o, r := &c.ep[c.origSide], &c.ep[c.origSide^1]
	*s = tlsmon.ConnectionStats{
		Duration:    c.lastTs - c.Info.StartTs,
		OrigPkts:    o.Pkts,
		RespPkts:    r.Pkts,
		OrigIPBytes: o.IPBytes,
		RespIPBytes: r.IPBytes,
		MissedBytes: c.missed,
		History:     hist,
		IPProto:     c.proto,
	}
	s.OrigBytesSet = s.Duration > 0
	switch c.proto {
	case 6:
		if s.OrigBytesSet {
			s.OrigBytes, s.RespBytes = o.size(r), r.size(o)
		}
		s.State = tcpConnState(o, r, hist)
	case 17:
		if s.OrigBytesSet {
			s.OrigBytes, s.RespBytes = uint64(max(o.dgram, 0)), uint64(max(r.dgram, 0))
		}
		oa, ra := o.dgram >= 0, r.dgram >= 0
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
	case 1, 58:
		if s.OrigBytesSet {
			s.OrigBytes, s.RespBytes = uint64(max(o.dgram, 0)), uint64(max(r.dgram, 0))
		}
		s.State = "OTH"
	default:
		s.State = "OTH"
	}
}
