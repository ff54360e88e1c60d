package flow

import (
	"encoding/binary"
	"net/netip"

	"github.com/tlsmon/tlsmon"
)

// TCP flag bits as they appear in packet.Packet.Flags.
const (
	finFlag = 0x01
	synFlag = 0x02
	rstFlag = 0x04
	ackFlag = 0x10
	urgFlag = 0x20
)

// Zeek's TCP endpoint states (TCP_ENDPOINT_*), and the UDP ones reuse Inactive/Active.
const (
	TCPInactive uint8 = iota
	TCPSynSent
	TCPSynAckSent
	TCPPartial
	TCPEstablished
	TCPClosed
	TCPReset
)

// Endpoint is one side of a connection: counters for conn.log and, for TCP, Zeek's
// endpoint state and sequence-space bookkeeping.
type Endpoint struct {
	// Only the fields every segment reads or writes are here, so that both endpoints of a
	// connection fit in two cache lines; the rarely changed history bookkeeping is apart
	// (Conn.hx, and the table's scaled counters).
	Pkts    uint64
	IPBytes uint64

	startSeq         uint32
	lastSeq, ackSeq  uint32
	seqWraps         uint32
	ackWraps         uint32
	State, PrevState uint8
	didClose         bool
	finSeen          bool

	// dgram is, for UDP and ICMP, the sum of payload lengths as Zeek counts them (-1 before
	// any packet: the endpoint is inactive); for TCP, the relative sequence number after the
	// FIN (Zeek's FIN_seq), valid once finSeen.
	dgram int64
}

// epHistory is an endpoint's history bookkeeping, touched only by packets that add or may
// add a history letter (SYN, FIN, RST). The scaled counters ('T', 'W', 'G') are the
// table's (Table.scaled).
type epHistory struct {
	histSYN, histFIN uint32 // low 32 bits of relative sequences: enough to tell repeats
	histRST          uint32
}

// Conn is one connection of the table.
type Conn struct {
	// Info is what events carry; its address is stable for the connection's life. Its ID
	// is updated in place if Zeek would flip the roles mid-connection.
	Info tlsmon.Conn

	// The lookup and per-packet fields follow Info.ID (which the lookup compares against
	// the key), so that a packet touches as few cache lines of the connection as it can.
	next     *Conn  // hash chain
	hash     uint32 // of the key
	histSeen uint32
	// keyA, keyB are the key's addresses (Key.A, Key.B) as two little-endian words each,
	// which the lookup compares: netip.Addr's As16 costs byte swaps through the stack.
	// (Their 32 bytes are those of the scaled history counters, which the table keeps.)
	keyA, keyB [2]uint64
	lastTs     int64
	origSide   uint8
	proto      uint8
	histLen    uint8
	// TCP adapter flags.
	firstSeen uint8 // bit 1 orig, bit 2 resp (in orig/resp terms)
	isPartial bool
	timeout   uint8 // inactivity timeout class (to*)
	oneWay    bool  // ICMP message without a counterpart: the key is not canonical
	removed   bool
	ep        [2]Endpoint  // by physical side: 0 = Key.A, 1 = Key.B
	hx        [2]epHistory // by physical side, as ep
	missed    uint64
	// bornLo, bornHi: the creation key (born), 48 bits in 6 bytes so that Conn stays 320.
	bornLo uint32
	bornHi uint16
	armed  uint8 // arm* bits: which timers are pending or cancelled
	timers uint8 // entries of the timer heap pointing to it (at most 6: see schedule)
	hist   [histCap]byte
	// owner is the pipeline's per-connection state holding this Conn (SetOwner); it is
	// kept when the table reuses the Conn's memory (Config.NewConn).
	owner any
}

// SetOwner records the pipeline's state that owns c (see Owner). Call it when the Conn is
// first allocated (Config.NewConn); the table keeps it for the Conn's life and reuse.
func (c *Conn) SetOwner(o any) { c.owner = o }

// Owner returns what SetOwner recorded (nil if nothing).
func (c *Conn) Owner() any { return c.owner }

// Conn.armed bits (one byte rather than four bools, so that the timer count fits in the
// Conn's 304 bytes).
const (
	armDelete  = 1 << iota // a delete timer is pending
	armAttempt             // the attempt timer was scheduled or cancelled
	armExpire              // an expire timer is pending
	armInact               // an inactivity timer entry is pending
)

// histCap bounds the history string (Zeek's is unbounded; real ones rarely pass 15 letters).
const histCap = 24

// Key returns the connection's table key.
func (c *Conn) Key() Key {
	id := &c.Info.ID
	if c.origSide == 0 {
		return Key{A: id.OrigH.As16(), B: id.RespH.As16(), PA: id.OrigP, PB: id.RespP, Proto: c.proto}
	}
	return Key{A: id.RespH.As16(), B: id.OrigH.As16(), PA: id.RespP, PB: id.OrigP, Proto: c.proto}
}

// Proto returns the IP protocol number.
func (c *Conn) Proto() uint8 { return c.proto }

// IsOrigSide reports whether physical side s (0 = Key.A) is the originator.
func (c *Conn) IsOrigSide(s uint8) bool { return s == c.origSide }

// Endpoint returns the endpoint of physical side s.
func (c *Conn) Endpoint(s uint8) *Endpoint { return &c.ep[s&1] }

// LastTs is the time of the connection's last packet (µs).
func (c *Conn) LastTs() int64 { return c.lastTs }

// History returns Zeek's history string so far.
func (c *Conn) History() string { return string(c.hist[:c.histLen]) }

// Removed reports whether the connection has left the table.
func (c *Conn) Removed() bool { return c.removed }

func (c *Conn) addHistory(code byte) {
	if int(c.histLen) < histCap {
		c.hist[c.histLen] = code
		c.histLen++
	}
}

// checkHistory adds code once per mask, as Zeek's Session::CheckHistory; it reports
// whether the mask had been seen before.
func (c *Conn) checkHistory(mask uint32, code byte) bool {
	if c.histSeen&mask == 0 {
		c.histSeen |= mask
		c.addHistory(code)
		return false
	}
	return true
}

// pow10 are the thresholds of scaledHistory.
// The last is 1e10 wrapped to 32 bits, as Zeek's uint32 arithmetic computes it.
var pow10 = [...]uint32{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1410065408}

// scaledHistory adds code when the counter reaches the threshold 10^exp, then scales the
// threshold by 10 (past the largest one, the counter restarts instead).
func (c *Conn) scaledHistory(code byte, cnt *uint32, exp *uint8) {
	*cnt++
	if *cnt == pow10[*exp] {
		c.addHistory(code)
		if int(*exp) < len(pow10)-1 {
			*exp++
		} else {
			*cnt = 0
		}
	}
}

// flip swaps originator and responder (Zeek's Connection::FlipRoles).
func (c *Conn) flip() {
	c.addHistory('^')
	c.origSide ^= 1
	id := &c.Info.ID
	id.OrigH, id.RespH = id.RespH, id.OrigH
	id.OrigP, id.RespP = id.RespP, id.OrigP
	c.firstSeen = (c.firstSeen&1)<<1 | (c.firstSeen&2)>>1
	c.isPartial = false
}

func (c *Conn) setID(k *Key, origSide uint8) {
	c.origSide = origSide
	c.keyA = [2]uint64{binary.LittleEndian.Uint64(k.A[:8]), binary.LittleEndian.Uint64(k.A[8:])}
	c.keyB = [2]uint64{binary.LittleEndian.Uint64(k.B[:8]), binary.LittleEndian.Uint64(k.B[8:])}
	a := netip.AddrFrom16(k.A).Unmap()
	b := netip.AddrFrom16(k.B).Unmap()
	if origSide == 0 {
		c.Info.ID = tlsmon.ConnID{OrigH: a, RespH: b, OrigP: k.PA, RespP: k.PB, Proto: tlsmon.Proto(k.Proto)}
	} else {
		c.Info.ID = tlsmon.ConnID{OrigH: b, RespH: a, OrigP: k.PB, RespP: k.PA, Proto: tlsmon.Proto(k.Proto)}
	}
}

// born is the connection's creation key: the number of its uid (UIDGen.N) modulo 2^48 (with
// numbered frames, 2^40 frames), which orders timer ties and Flush the same in one engine
// and in shards (timers.go).
func (c *Conn) born() uint64 { return uint64(c.bornHi)<<32 | uint64(c.bornLo) }

func (c *Conn) setBorn(n uint64) { c.bornLo, c.bornHi = uint32(n), uint16(n>>32) }
