package flow

import (
	"net/netip"

	"github.com/tlsmon/tlsmon"
)

// TCP flag bits as they appear in packet.Packet.Flags.
const (
	finFlag = 0x01
	synFlag = 0x02
	rstFlag = 0x04
	ackFlag = 0x10
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
	Pkts    uint64
	IPBytes uint64
	// UDPSize is the sum of UDP payload lengths (-1 before any packet: UDP_INACTIVE).
	udpSize int64

	startSeq         int64
	lastSeq, ackSeq  uint32
	seqWraps         uint32
	ackWraps         uint32
	finSeq           uint64
	histSYN, histFIN uint32 // low 32 bits of relative sequences: enough to tell repeats
	histRST          uint32
	finCnt, rstCnt   uint32
	rxmtCnt, rxmtThr uint32
	win0Cnt, win0Thr uint32
	gapCnt, gapThr   uint32

	State, PrevState uint8
	didClose         bool
}

// Conn is one connection of the table.
type Conn struct {
	// Info is what events carry; its address is stable for the connection's life. Its ID
	// is updated in place if Zeek would flip the roles mid-connection.
	Info tlsmon.Conn
	// User is free for the pipeline to hang its per-connection state on.
	User any

	ep       [2]Endpoint // by physical side: 0 = Key.A, 1 = Key.B
	lastTs   int64
	serial   uint32
	missed   uint64
	timeout  int64 // inactivity timeout in µs; 0 = none
	histSeen uint32
	hist     [histCap]byte
	histLen  uint8
	origSide uint8
	proto    uint8
	// TCP adapter flags.
	isPartial    bool
	firstSeen    uint8 // bit 1 orig, bit 2 resp (in orig/resp terms)
	closeDelete  bool  // a delete timer is pending
	attemptArmed bool
	expireArmed  bool
	inactArmed   bool
	removed      bool
}

const histCap = 32

// Key returns the connection's table key.
func (c *Conn) Key() Key {
	k, _ := MakeKey(c.Info.ID.OrigH.As16(), c.Info.ID.RespH.As16(), c.Info.ID.OrigP, c.Info.ID.RespP, uint8(c.Info.ID.Proto))
	return k
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

// scaledHistory adds code when counter reaches the threshold, then scales it by 10.
func (c *Conn) scaledHistory(code byte, cnt, thr *uint32) {
	*cnt++
	if *thr == 0 {
		*thr = 1
	}
	if *cnt == *thr {
		c.addHistory(code)
		if n := *thr * 10; n > *thr {
			*thr = n
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

func (c *Conn) setID(k Key, origSide uint8) {
	c.origSide = origSide
	a := netip.AddrFrom16(k.A).Unmap()
	b := netip.AddrFrom16(k.B).Unmap()
	if origSide == 0 {
		c.Info.ID = tlsmon.ConnID{OrigH: a, RespH: b, OrigP: k.PA, RespP: k.PB, Proto: tlsmon.Proto(k.Proto)}
	} else {
		c.Info.ID = tlsmon.ConnID{OrigH: b, RespH: a, OrigP: k.PB, RespP: k.PA, Proto: tlsmon.Proto(k.Proto)}
	}
}
