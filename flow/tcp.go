package flow

import (
	mbits "math/bits"

	"github.com/tlsmon/tlsmon/packet"
)

// Zeek's history masks (TCP_Endpoint::HIST_*); the responder's are shifted by 16.
const (
	histSYN     = 0x1
	histFIN     = 0x2
	histRST     = 0x4
	histFINRST  = 0x8
	histData    = 0x10
	histACK     = 0x20
	histMulti   = 0x40
	tooLargeSeq = 1048576 // TOO_LARGE_SEQ_DELTA
)

// TCPResult tells the pipeline what to do with a TCP packet after the state update.
type TCPResult struct {
	// Deliver: the payload belongs in the sender's stream at relative sequence DataSeq.
	Deliver bool
	DataSeq uint64
	// SelfAcked is the sender's highest relative sequence acknowledged by its peer
	// (data below it need not be reassembled).
	SelfAcked uint64
	// PeerAck: the packet acknowledges the peer's stream up to relative sequence Ack.
	PeerAck bool
	Ack     uint64
	// AckAdvanced: the ACK moved the peer's acknowledged position forward (Zeek's gap
	// statistics count such ACKs).
	AckAdvanced bool
	// Close: the sender closed its side (FIN or RST); call Table.CloseTCP after delivering data.
	Close    bool
	genEvent bool
	// Ended: an endpoint has ended (Endpoint.Ended), so that the caller need test neither
	// side otherwise. Never for processSteady's segments: a FIN or RST leaves its sender
	// closed or reset, never established.
	Ended bool
}

func seqDelta(a, b uint32) int32 { return int32(a - b) }

func (e *Endpoint) full(seq, wraps uint32) uint64 { return uint64(wraps)<<32 + uint64(seq) }
func (e *Endpoint) rel(seq, wraps uint32) uint64  { return e.full(seq, wraps) - uint64(e.startSeq) }

func (e *Endpoint) initSeqs(start, ack, last uint32) {
	e.startSeq = start
	e.ackSeq = ack
	e.lastSeq = last
}

func (e *Endpoint) updateLast(seq uint32) {
	if seq < e.lastSeq {
		e.seqWraps++
	}
	e.lastSeq = seq
}

func (e *Endpoint) updateAck(seq uint32) {
	if seq < e.ackSeq {
		e.ackWraps++
	}
	e.ackSeq = seq
}

// NoDataAcked reports whether the peer has acknowledged none of this endpoint's data.
func (e *Endpoint) NoDataAcked() bool {
	a := e.full(e.ackSeq, e.ackWraps)
	s := uint64(e.startSeq)
	return a == s || a == s+1
}

// RelLastSeq is the relative sequence number one past the last byte the endpoint sent.
func (e *Endpoint) RelLastSeq() uint64 { return e.rel(e.lastSeq, e.seqWraps) }

// FINSeen reports whether the endpoint sent a FIN.
func (e *Endpoint) FINSeen() bool { return e.finSeen }

// Ended reports whether the endpoint's data has an end: it sent a FIN, or it is closed or
// reset (TCPClosed and TCPReset are the last states).
func (e *Endpoint) Ended() bool { return e.finSeen || e.State >= TCPClosed }

func (e *Endpoint) setState(c *Conn, peer *Endpoint, s uint8, t *Table) {
	if s == e.State {
		return
	}
	if !isHandshake(s) && isHandshake(e.State) && isHandshake(peer.State) {
		c.setInactivity(toTCP, t)
	}
	e.PrevState = e.State
	e.State = s
}

func isHandshake(s uint8) bool { return s == TCPInactive || s == TCPSynSent || s == TCPSynAckSent }

// size is the endpoint's payload size as Zeek's TCP_Endpoint::Size computes it.
func (e *Endpoint) size(peer *Endpoint) uint64 {
	if e.PrevState == TCPSynSent && e.State == TCPReset && peer.State == TCPInactive && !e.NoDataAcked() {
		return 0
	}
	last := e.full(e.lastSeq, e.seqWraps)
	ack := e.full(e.ackSeq, e.ackWraps)
	var s uint64
	if last > ack {
		s = last - uint64(e.startSeq)
	} else {
		s = ack - uint64(e.startSeq)
	}
	if s != 0 {
		s--
	}
	if e.finSeen && s != 0 {
		s--
	}
	return s
}

// Size is Zeek's TCP_Endpoint::Size for physical side s: the payload bytes the side's
// sequence numbers span (conn.log's orig_bytes / resp_bytes).
func (c *Conn) Size(s uint8) uint64 { return c.ep[s&1].size(&c.ep[(s&1)^1]) }

// relSeq is Zeek's get_relative_seq.
func relSeq(e *Endpoint, cur, last, wraps uint32) (uint64, bool) {
	if d := seqDelta(cur, last); d < 0 {
		if wraps > 0 && cur > last {
			wraps--
		}
	} else if d > 0 && cur < last {
		wraps++
	}
	if wraps == 0 {
		d := seqDelta(cur, e.startSeq)
		return uint64(int64(d)), d < 0
	}
	return uint64(wraps)<<32 + uint64(cur) - uint64(e.startSeq), false
}

func (c *Conn) epCheckHistory(side uint8, mask uint32, code byte) bool {
	if (code == 'A' || code == 'D') && c.histLen == 1 && c.hist[0] == 'H' {
		// A connection that began with a SYN-ACK now shows productive traffic: flip it.
		c.flip()
		c.hist[0], c.hist[1], c.histLen = '^', 'h', 2
		c.firstSeen |= 1
	}
	if side != c.origSide {
		mask <<= 16
		code += 'a' - 'A'
	}
	return c.checkHistory(mask, code)
}

func (c *Conn) epAddHistory(side uint8, code byte) {
	if side != c.origSide {
		code += 'a' - 'A'
	}
	c.addHistory(code)
}

// historyKnown reports whether a segment without SYN, FIN or RST adds nothing to the
// history: its letter ('D' with payload, 'A' for a bare ACK) was seen from its side already
// (and the history is not the lone 'H' that epCheckHistory flips). It inlines, so that most
// segments make no call.
func (c *Conn) historyKnown(side, flags uint8, n int) bool {
	mask := uint32(histData)
	if n == 0 {
		if flags&ackFlag == 0 {
			return true
		}
		mask = histACK
	}
	if side != c.origSide {
		mask <<= 16
	}
	return c.histSeen&mask != 0 && c.histLen != 1
}

func (c *Conn) updateHistory(side uint8, flags uint8, rel uint64, n int) {
	if flags&(synFlag|finFlag|rstFlag) == 0 { // the common case: data or a pure ACK
		if n > 0 {
			c.epCheckHistory(side, histData, 'D')
		} else if flags&ackFlag != 0 {
			c.epCheckHistory(side, histACK, 'A')
		}
		return
	}
	e := &c.hx[side]
	switch bits := mbits.OnesCount8(flags & (synFlag | finFlag | rstFlag)); {
	case bits > 1:
		if flags&finFlag != 0 && flags&rstFlag != 0 {
			c.epCheckHistory(side, histFINRST, 'I')
		} else {
			c.epCheckHistory(side, histMulti, 'Q')
		}
	case bits == 1:
		if flags&synFlag != 0 {
			code := byte('S')
			if flags&ackFlag != 0 {
				code = 'H'
			}
			if c.epCheckHistory(side, histSYN, code) && uint32(rel) != e.histSYN {
				c.epAddHistory(side, code)
			}
			e.histSYN = uint32(rel)
		}
		if flags&finFlag != 0 {
			if c.epCheckHistory(side, histFIN, 'F') && uint32(rel+uint64(n)) != e.histFIN {
				c.epAddHistory(side, 'F')
			}
			e.histFIN = uint32(rel + uint64(n))
		}
		if flags&rstFlag != 0 {
			if c.epCheckHistory(side, histRST, 'R') && uint32(rel) != e.histRST {
				c.epAddHistory(side, 'R')
			}
			e.histRST = uint32(rel)
		}
	default:
		if n > 0 {
			c.epCheckHistory(side, histData, 'D')
		} else if flags&ackFlag != 0 {
			c.epCheckHistory(side, histACK, 'A')
		}
	}
}

func (c *Conn) scaledSide(side uint8, code byte, cnt *uint32, exp *uint8) {
	if side != c.origSide {
		code += 'a' - 'A'
	}
	c.scaledHistory(code, cnt, exp)
}

// processTCP is Zeek's TCPSessionAdapter::Process for one segment of p from physical side
// s. The rare cases (a SYN, an endpoint's first segment, weirds) are calls, so that the
// common segment keeps its values in registers.
func (t *Table) processTCP(r *TCPResult, c *Conn, s uint8, p *packet.Packet) {
	*r = TCPResult{}
	s &= 1 // (no bounds checks below)
	e, peer := &c.ep[s], &c.ep[s^1]
	seq, flags, n := p.Seq, p.Flags, p.PayloadLen

	// SetPartialStatus.
	if s == c.origSide {
		if c.firstSeen&1 == 0 {
			c.isPartial = flags&synFlag == 0 || flags&ackFlag != 0
		}
	} else if c.firstSeen&2 == 0 && !c.isPartial {
		c.isPartial = flags&synFlag == 0
	}

	segLen := n
	if flags&synFlag != 0 {
		segLen++
	}
	if flags&finFlag != 0 {
		segLen++
	}
	if flags&rstFlag != 0 {
		segLen -= n
	}
	past := seq + uint32(segLen)

	if e.State == TCPInactive {
		e.initFirst(seq, past, flags)
	} else if flags&synFlag != 0 {
		t.initEndpoint(c, e, seq, past, flags)
	}

	rel, underflow := relSeq(e, seq, e.lastSeq, e.seqWraps)
	if underflow && flags&rstFlag == 0 {
		t.weird(c, "TCP_seq_underflow_or_misorder")
	}
	if flags&(synFlag|finFlag|rstFlag) != 0 || !c.historyKnown(s, flags, n) {
		c.updateHistory(s, flags, rel, n)
	}
	if p.Window == 0 && flags&rstFlag == 0 && peer.State != TCPClosed && e.State != TCPReset {
		t.scaledLetter(c, s, scaledWin0, 'W')
	}
	if !c.ep[0].didClose || !c.ep[1].didClose {
		c.lastTs = p.Ts
	}
	if flags&synFlag != 0 && (flags&(rstFlag|urgFlag) != 0 || n > 0) { // the test of synWeirds that inlines
		t.synWeirds(c, flags, n)
	}
	if flags&finFlag != 0 {
		e.finSeen = true
		e.dgram = int64(rel + uint64(segLen))
	}

	if flags&ackFlag != 0 {
		ack := p.Ack
		if peer.State == TCPInactive {
			r.Ack = 1
			peer.initSeqs(ack-1, ack-1, ack-1)
		} else {
			a, under := relSeq(peer, ack, peer.ackSeq, peer.ackWraps)
			if under {
				a = 0
				t.weird(c, "TCP_ack_underflow_or_misorder")
			} else if flags&rstFlag == 0 {
				d := seqDelta(ack, peer.ackSeq)
				if !(ack == 0 && d > tooLargeSeq) && d > 0 {
					peer.updateAck(ack)
					r.AckAdvanced = true
				}
			}
			r.Ack = a
		}
	}

	// update_last_seq.
	dl := seqDelta(past, e.lastSeq)
	switch {
	case flags&(synFlag|rstFlag) != 0 && (dl > tooLargeSeq || dl < -tooLargeSeq):
	case flags&finFlag != 0 && e.lastSeq == e.startSeq+1:
		e.updateLast(past)
	case e.State == TCPReset:
	case dl > 0:
		e.updateLast(past)
	case n > 0:
		t.scaledLetter(c, s, scaledRxmt, 'T')
	}

	// Without SYN, FIN or RST, the state machine changes nothing for an endpoint that is
	// established, partial or closed (the common case: skip the call).
	if flags&(synFlag|finFlag|rstFlag) != 0 || (e.State != TCPEstablished && e.State != TCPPartial && e.State != TCPClosed) {
		t.updateStateMachine(c, s, p.Ts, seq, p.Ack, n, dl, flags, r)
	}

	if flags&ackFlag != 0 {
		r.PeerAck = true
		if finSeq := uint64(peer.dgram); peer.finSeen && r.Ack >= finSeq {
			r.Ack = finSeq - 1
		}
	}
	if s == c.origSide {
		c.firstSeen |= 1
	} else {
		c.firstSeen |= 2
	}
	r.DataSeq = rel
	if flags&synFlag != 0 {
		r.DataSeq = rel + 1
	}
	r.SelfAcked = e.rel(e.ackSeq, e.ackWraps)
	r.Ended = e.Ended() || peer.Ended()
	if n > 0 && flags&rstFlag == 0 && !underflow {
		if len(p.Payload) >= n {
			r.Deliver = true
		} else {
			t.weird(c, "truncated_tcp_payload")
		}
	}
}

// steady reports whether a segment with flags takes the path of
// processSteady: an ACK without SYN, FIN or RST, both endpoints established and both seen
// before (most segments of most connections).
func (c *Conn) steady(flags uint8) bool {
	return flags&(synFlag|finFlag|rstFlag|ackFlag) == ackFlag && c.firstSeen == 3 &&
		c.ep[0].State == TCPEstablished && c.ep[1].State == TCPEstablished
}

// processSteady is processTCP for a segment c.steady accepts: what processTCP does then,
// without the tests and calls that cannot apply (partial status, the first segment, SYN,
// FIN and RST handling, the state machine). Its common case makes no call before the
// history update at its end (a call in the middle makes the compiler save every live value
// around it): a segment with anything rarer to do (an underflow, a retransmission, a zero
// window, a truncated payload, a one-letter history) goes to steadyRare instead.
func (t *Table) processSteady(r *TCPResult, c *Conn, s uint8, p *packet.Packet) {
	s &= 1
	e, peer := &c.ep[s], &c.ep[s^1]
	seq, n, ack := p.Seq, p.PayloadLen, p.Ack
	rel, underflow := relSeq(e, seq, e.lastSeq, e.seqWraps)
	a, under := relSeq(peer, ack, peer.ackSeq, peer.ackWraps)
	past := seq + uint32(n)
	moved := seqDelta(past, e.lastSeq) > 0
	if underflow || under || p.Window == 0 || !moved && n > 0 || len(p.Payload) < n || c.histLen == 1 {
		t.steadyRare(r, c, s, p)
		return
	}
	*r = TCPResult{PeerAck: true, DataSeq: rel, Deliver: n > 0}
	// Both endpoints are established, so neither sent a FIN nor closed (a FIN or RST leaves
	// its sender closed or reset for good): processTCP's tests of didClose (for lastTs) and
	// of the peer's FIN (to cap the acknowledgement below it) cannot apply.
	c.lastTs = p.Ts
	if d := seqDelta(ack, peer.ackSeq); !(ack == 0 && d > tooLargeSeq) && d > 0 {
		peer.updateAck(ack)
		r.AckAdvanced = true
	}
	r.Ack = a
	if moved {
		e.updateLast(past)
	}
	r.SelfAcked = e.rel(e.ackSeq, e.ackWraps)
	// Last: nothing above reads the history (the one-letter history, which epCheckHistory
	// may flip, took steadyRare).
	if !c.historyKnown(s, p.Flags, n) {
		c.updateHistory(s, p.Flags, rel, n)
	}
}

// steadyRare is processSteady for a segment with something rare to do, in processTCP's order.
func (t *Table) steadyRare(r *TCPResult, c *Conn, s uint8, p *packet.Packet) {
	*r = TCPResult{PeerAck: true}
	s &= 1
	e, peer := &c.ep[s], &c.ep[s^1]
	seq, n := p.Seq, p.PayloadLen
	rel, underflow := relSeq(e, seq, e.lastSeq, e.seqWraps)
	if underflow {
		t.weird(c, "TCP_seq_underflow_or_misorder")
	}
	if !c.historyKnown(s, p.Flags, n) {
		c.updateHistory(s, p.Flags, rel, n)
	}
	if p.Window == 0 {
		t.scaledLetter(c, s, scaledWin0, 'W')
	}
	if !c.ep[0].didClose || !c.ep[1].didClose {
		c.lastTs = p.Ts
	}
	ack := p.Ack
	a, under := relSeq(peer, ack, peer.ackSeq, peer.ackWraps)
	if under {
		a = 0
		t.weird(c, "TCP_ack_underflow_or_misorder")
	} else if d := seqDelta(ack, peer.ackSeq); !(ack == 0 && d > tooLargeSeq) && d > 0 {
		peer.updateAck(ack)
		r.AckAdvanced = true
	}
	if finSeq := uint64(peer.dgram); peer.finSeen && a >= finSeq {
		a = finSeq - 1
	}
	r.Ack = a
	if past := seq + uint32(n); seqDelta(past, e.lastSeq) > 0 {
		e.updateLast(past)
	} else if n > 0 {
		t.scaledLetter(c, s, scaledRxmt, 'T')
	}
	r.DataSeq = rel
	r.SelfAcked = e.rel(e.ackSeq, e.ackWraps)
	if n > 0 && !underflow {
		if len(p.Payload) >= n {
			r.Deliver = true
		} else {
			t.weird(c, "truncated_tcp_payload")
		}
	}
}

// initEndpoint is Zeek's init_endpoint for a segment of endpoint e (whose first segment it
// is, or a SYN) ending at sequence past.
func (t *Table) initEndpoint(c *Conn, e *Endpoint, seq, past uint32, flags uint8) {
	switch e.State {
	case TCPInactive:
		e.initFirst(seq, past, flags)
	case TCPSynSent, TCPSynAckSent:
		if flags&synFlag != 0 && seq != e.startSeq {
			t.weird(c, "SYN_seq_jump")
			e.initSeqs(seq, seq, past)
		}
	case TCPEstablished, TCPPartial:
		if flags&synFlag != 0 {
			if seq != e.startSeq {
				t.weird(c, "SYN_seq_jump")
			}
			e.initSeqs(seq, seq, past)
		}
	case TCPReset:
		if flags&synFlag != 0 && e.PrevState == TCPInactive {
			e.initSeqs(seq, seq, past)
		}
	}
}

// initFirst is initEndpoint for the endpoint's first segment (TCPInactive).
func (e *Endpoint) initFirst(seq, past uint32, flags uint8) {
	if flags&synFlag != 0 {
		e.initSeqs(seq, seq, past)
	} else {
		e.initSeqs(seq-1, seq-1, seq)
	}
}

// synWeirds is Zeek's SynWeirds for a SYN segment with n bytes of payload.
func (t *Table) synWeirds(c *Conn, flags uint8, n int) {
	if flags&rstFlag != 0 {
		t.weird(c, "TCP_christmas")
	}
	if flags&urgFlag != 0 {
		t.weird(c, "baroque_SYN")
	}
	if n > 0 {
		t.weird(c, "SYN_with_data")
	}
}

func (t *Table) updateStateMachine(c *Conn, s uint8, ts int64, seq, ack uint32, n int, dl int32, flags uint8, r *TCPResult) {
	e, peer := &c.ep[s], &c.ep[s^1]
	isOrig := s == c.origSide
	orig := &c.ep[c.origSide]
	syn, fin, rst, ackf := flags&synFlag != 0, flags&finFlag != 0, flags&rstFlag != 0, flags&ackFlag != 0
	switch e.State {
	case TCPInactive:
		if syn {
			if isOrig {
				if ackf {
					t.weird(c, "connection_originator_SYN_ack")
					e.setState(c, peer, TCPSynAckSent, t)
				} else {
					e.setState(c, peer, TCPSynSent, t)
				}
				if c.armed&armAttempt == 0 {
					c.armed |= armAttempt
					t.scheduleAttempt(c, ts+t.cfg.AttemptDelay) // from the packet's own time, as Zeek
				}
			} else {
				if ackf {
					if peer.State != TCPInactive && peer.State != TCPPartial && !seqBetween(ack, peer.startSeq, peer.lastSeq) {
						t.weird(c, "bad_SYN_ack")
					}
				} else if peer.State == TCPSynAckSent && seq == e.startSeq {
					// SYN/SYN-ACK reversal: flip and establish.
					c.isPartial = false
					c.flip()
					peer.setState(c, e, TCPEstablished, t)
					c.firstSeen |= 1
				} else {
					t.weird(c, "simultaneous_open")
				}
				if peer.State == TCPSynSent {
					peer.setState(c, e, TCPEstablished, t)
				} else if peer.State == TCPInactive {
					t.weird(c, "unsolicited_SYN_response")
				}
				e.setState(c, peer, TCPEstablished, t)
				if peer.State != TCPPartial {
					t.established(c)
				}
			}
		}
		if fin {
			e.setState(c, peer, TCPClosed, t)
			r.Close, r.genEvent = true, true
			if peer.State != TCPPartial && !syn {
				t.weird(c, "spontaneous_FIN")
			}
		}
		if rst {
			e.setState(c, peer, TCPReset, t)
			reject := false
			if isOrig {
				reject = peer.State == TCPEstablished
			} else {
				reject = peer.State == TCPSynSent || peer.State == TCPSynAckSent
			}
			r.Close, r.genEvent = true, !reject
			if !reject && peer.State == TCPInactive {
				t.weird(c, "spontaneous_RST")
			}
		}
		if e.State == TCPInactive {
			switch {
			case !isOrig && n == 0 && orig.State == TCPSynSent:
			case ackf && peer.State == TCPEstablished:
				e.setState(c, peer, TCPEstablished, t)
				c.isPartial = false
				if isOrig {
					c.firstSeen |= 1
				} else {
					c.firstSeen |= 2
				}
			default:
				e.setState(c, peer, TCPPartial, t)
			}
		}
	case TCPSynSent, TCPSynAckSent:
		if fin {
			if peer.State == TCPInactive || peer.State == TCPSynSent {
				t.weird(c, "inappropriate_FIN")
			}
			e.setState(c, peer, TCPClosed, t)
			r.Close, r.genEvent = true, true
		}
		if rst {
			e.setState(c, peer, TCPReset, t)
			r.Close = true
		} else if n > 0 {
			t.weird(c, "data_before_established")
		}
	case TCPEstablished, TCPPartial:
		if syn && e.State == TCPPartial && peer.State == TCPInactive && !ackf {
			t.weird(c, "SYN_after_partial")
			e.setState(c, peer, TCPSynSent, t)
		}
		if fin && !rst {
			e.setState(c, peer, TCPClosed, t)
			if peer.State == TCPReset && peer.PrevState == TCPClosed {
				peer.setState(c, e, TCPClosed, t)
			}
			r.Close, r.genEvent = true, true
		}
		if rst {
			e.setState(c, peer, TCPReset, t)
			r.Close = true
		}
	case TCPClosed:
		if syn {
			t.weird(c, "SYN_after_close")
		}
		if rst && peer.State != TCPClosed {
			e.setState(c, peer, TCPReset, t)
			if !e.didClose {
				r.Close = true
			}
		}
	case TCPReset: // UpdateResetState
		if syn {
			t.weird(c, "SYN_after_reset")
		}
		if fin {
			t.weird(c, "FIN_after_reset")
		}
		if n > 0 && !rst {
			t.weird(c, "data_after_reset")
		}
	}
}

func seqBetween(s, lo, hi uint32) bool {
	return seqDelta(s, lo) >= 0 && seqDelta(s, hi) <= 0
}

// CloseTCP is Zeek's ConnectionClosed for physical side s, to call after the packet's data
// was delivered (when TCPResult.Close is set).
func (t *Table) CloseTCP(c *Conn, s uint8, res TCPResult) {
	e, peer := &c.ep[s], &c.ep[s^1]
	if e.didClose {
		return
	}
	e.didClose = true
	complete := e.State == TCPReset || peer.didClose || peer.State == TCPInactive
	if complete {
		// Delete the connection tcp_close_delay after its last activity.
		c.armed |= armAttempt // cancel the attempt timer (CancelTimers)
		c.armed &^= armExpire
		if c.armed&armDelete == 0 {
			c.armed |= armDelete
			t.schedule(c, c.lastTs+t.cfg.CloseDelay, timerDelete)
		}
		return
	}
	if e.PrevState != TCPInactive && c.armed&armExpire == 0 {
		c.armed |= armExpire
		t.schedule(c, c.lastTs+t.cfg.SessionTimer, timerExpire)
	}
}

// established applies conn/inactivity.zeek: interactive ports get a longer inactivity timeout.
func (t *Table) established(c *Conn) {
	p := c.Info.ID.RespP
	if c.ep[c.origSide].State == TCPInactive && !IsLikelyServerPort(6, p) && IsLikelyServerPort(6, c.Info.ID.OrigP) {
		p = c.Info.ID.OrigP
	}
	switch p {
	case 21, 22, 23, 513:
		c.setInactivity(toInteractive, t)
	}
}

// GapReportable reports whether Zeek counts a content gap now (both endpoints established or
// cleanly closing).
func (c *Conn) GapReportable() bool {
	clean := func(e *Endpoint) bool {
		return e.State == TCPEstablished || (e.State == TCPClosed && e.PrevState == TCPEstablished)
	}
	return clean(&c.ep[0]) && clean(&c.ep[1])
}

// AddGap records a content gap of n bytes in side s's stream of c (missed_bytes, 'G'
// history).
func (t *Table) AddGap(c *Conn, s uint8, n uint64) {
	if !c.GapReportable() {
		return
	}
	t.scaledLetter(c, s, scaledGap, 'G')
	c.missed += n
}

// IsPartial reports Zeek's is_partial (no initial SYN seen from the originator).
func (c *Conn) IsPartial() bool { return c.isPartial }
