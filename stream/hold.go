package stream

// Recovery configures how a direction treats an acknowledged hole when tlsmon recovers what
// Zeek throws away (engine option Recover). Zeek declares a content gap as soon as the peer
// acknowledges data above a hole, and so loses every reordered segment whose ACK was captured
// first. With a Recovery, the segments above such a hole are held for the hole to fill, within
// the bounds below; only then is the hole declared a gap and the data above it delivered.
// When the direction ends, what is still held is delivered after a gap (Zeek drops it).
// The engine owns the Recovery (one per engine); reassemblers only read it.
type Recovery struct {
	// HoldTime is how long (capture time, in the unit of the timestamps given to the
	// Reassembler: µs in the engine) a hole is waited for after the first ACK
	// above it.
	HoldTime int64
	// HoldBytes caps the bytes held above an acknowledged hole in one direction; reaching
	// it declares the gap at once (DataSent returns CapHold, which the engine reports).
	HoldBytes int
}

// hold is a direction's state under a Recovery.
type hold struct {
	cfg   *Recovery
	peer  *Reassembler // the other direction, whose delivery gates DataHeld's blocks
	gate  uint64       // the gate of the blocks DataHeld is inserting
	open  bool         // gates ignored (the connection ends)
	ack   uint64       // highest acknowledgement above next (0: none pending)
	since int64        // capture time of the first ACK above the current hole
}

// SetRecovery switches r (after Init) from Zeek's gap rule to holding acknowledged holes
// under rc (nil: Zeek's rule); peer is the connection's other direction.
func (r *Reassembler) SetRecovery(rc *Recovery, peer *Reassembler) {
	if rc == nil {
		r.hold = nil
		return
	}
	r.hold = &hold{cfg: rc, peer: peer}
}

func (r *Reassembler) gating() uint64 {
	if r.hold == nil {
		return 0
	}
	return r.hold.gate
}

// gateOpen reports whether a block held for the peer's delivery up to gate may go.
func (r *Reassembler) gateOpen(gate uint64) bool {
	h := r.hold
	return h == nil || h.open || h.peer == nil || h.peer.next >= gate
}

// OpenGates lets every block DataHeld kept go in order from now on (the connection ends).
func (r *Reassembler) OpenGates() {
	if r.hold != nil {
		r.hold.open = true
	}
}

// Holding reports whether the peer acknowledged data the direction is still waiting for.
func (r *Reassembler) Holding() bool { return r.hold != nil && r.buf != skipped && r.hold.ack > r.next }

// holdAck notes an acknowledgement above next and declares the hole once its time is up.
func (r *Reassembler) holdAck(ts int64, ack uint64, sink Sink) uint64 {
	h := r.hold
	if ack > h.ack {
		if h.ack <= r.next {
			h.since = ts
		}
		h.ack = ack
	}
	return r.expire(ts, false, sink)
}

// expire declares the held hole a gap (Zeek's rule, applied late) when its time is up, or
// when force is set; it returns the gap length.
func (r *Reassembler) expire(ts int64, force bool, sink Sink) uint64 {
	h := r.hold
	if h.ack <= r.next {
		h.ack = 0
		return 0
	}
	if !force && ts-h.since < h.cfg.HoldTime && (h.cfg.HoldBytes <= 0 || r.Buffered() <= h.cfg.HoldBytes) {
		return 0
	}
	ack := h.ack
	h.ack = 0
	// Time is up: blocks waiting for the peer go too, so that two directions waiting for
	// each other (a capture no real exchange gives) cannot hold data for ever.
	open := h.open
	h.open = true
	g := r.ackNow(ts, ack, sink)
	h.open = open
	return g
}

// holdOverflow reports whether the bytes held exceed the Recovery's cap.
func (r *Reassembler) holdOverflow() bool {
	return r.hold != nil && r.hold.cfg.HoldBytes > 0 && r.hold.ack > r.next && r.Buffered() > r.hold.cfg.HoldBytes
}

// EndHold declares the hole the peer acknowledged, if one is still held, a gap now (Zeek's
// rule, late): the engine calls it when the connection ends, before Close, so that the
// acknowledged holes count as missed bytes as they do in Zeek.
func (r *Reassembler) EndHold(ts int64, sink Sink) uint64 {
	if r.hold == nil || r.buf == skipped {
		return 0
	}
	return r.expire(ts, true, sink)
}

// DataHeld buffers a segment as out-of-order data even when it is in order, until the peer
// direction has delivered everything below gate: under a Recovery the engine holds the data
// of a segment whose ACK (gate) covers peer bytes not delivered yet, so that the two
// directions reach the analyzers in the order the endpoints saw them (a reordered capture
// can show a client's Finished before the server flight it answers).
func (r *Reassembler) DataHeld(seq uint64, data []byte, gate uint64) int {
	if r.buf == skipped || len(data) == 0 || r.hold == nil {
		return CapNone
	}
	if seq < r.next {
		d := r.next - seq
		if d >= uint64(len(data)) {
			return CapNone
		}
		data, seq = data[d:], r.next
	}
	r.hold.gate = gate
	c := r.insert(seq, data)
	r.hold.gate = 0
	return c
}

// Release delivers the data DataHeld kept whose gate opened and that is in order now; it
// reports whether it delivered anything.
func (r *Reassembler) Release(ts int64, sink Sink) bool {
	if bs := r.blocks(); len(bs) > 0 && bs[0].seq <= r.next && r.buf != skipped {
		next := r.next
		r.flush(ts, sink)
		return r.next != next
	}
	return false
}
