package stream

import "unsafe"

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
	ack   uint64       // highest acknowledgement received; a hole is held while it is above next
	since int64        // capture time of the first ACK above the current hole
}

// heldBudget is the Budget of a connection under a Recovery, with its directions' state:
// a connection that is not recovering carries no byte of it.
type heldBudget struct {
	Budget // first field: hs finds the heldBudget from the Reassembler's *Budget
	h      [2]hold
	r      [2]*Reassembler
}

// SetRecovery switches the two directions of a connection (after Init, before any data)
// from Zeek's gap rule to holding acknowledged holes under rc. b may be nil (a connection
// of one direction). Their budget moves, with its limit and pool, into one allocation that
// also holds the recovery state; its pool is marked so (a pool serves either recovering
// connections only or none).
func SetRecovery(rc *Recovery, a, b *Reassembler) {
	hb := &heldBudget{}
	if old := a.budget; old != nil {
		hb.Max, hb.pool = old.Max, old.pool
	}
	if hb.pool == nil {
		hb.pool = &Pool{}
	}
	hb.pool.held = true
	a.budget = &hb.Budget
	hb.r[0], hb.h[0] = a, hold{cfg: rc, peer: b}
	if b != nil {
		b.budget = &hb.Budget
		hb.r[1], hb.h[1] = b, hold{cfg: rc, peer: a}
	}
}

// hs returns r's Recovery state (nil: Zeek's gap rule).
func (r *Reassembler) hs() *hold {
	if !r.recovering() {
		return nil
	}
	// the pool's budgets are all heldBudgets (SetRecovery): the container of the budget. Why
	// unsafe: a typed link from Budget would add 8 bytes to every connection, recovering or
	// not (TestPerConnectionMemory); SetRecovery is the only place that makes such budgets.
	hb := (*heldBudget)(unsafe.Pointer(r.budget))
	switch r {
	case hb.r[0]:
		return &hb.h[0]
	case hb.r[1]:
		return &hb.h[1]
	}
	return nil
}

func (r *Reassembler) gating() uint64 {
	if h := r.hs(); h != nil {
		return h.gate
	}
	return 0
}

// gateOpen reports whether a block held for the peer's delivery up to gate may go.
func (r *Reassembler) gateOpen(gate uint64) bool {
	h := r.hs()
	return h == nil || h.open || h.peer == nil || h.peer.next >= gate
}

// OpenGates lets every block DataHeld kept go in order from now on (the connection ends).
func (r *Reassembler) OpenGates() {
	if h := r.hs(); h != nil {
		h.open = true
	}
}

// Holding reports whether the peer acknowledged data the direction is still waiting for.
func (r *Reassembler) Holding() bool {
	h := r.hs()
	return h != nil && r.buf != skipped && h.ack > r.next
}

// holdAck notes an acknowledgement above next and declares the hole once its time is up.
func (r *Reassembler) holdAck(h *hold, ts int64, ack uint64, sink Sink) uint64 {
	if ack > h.ack {
		if h.ack <= r.next {
			h.since = ts
		}
		h.ack = ack
	}
	return r.expire(h, ts, false, sink)
}

// expire declares the held hole a gap (Zeek's rule, applied late) when its time is up, or
// when force is set; it returns the gap length.
func (r *Reassembler) expire(h *hold, ts int64, force bool, sink Sink) uint64 {
	if h.ack <= r.next {
		return 0
	}
	if !force && ts-h.since < h.cfg.HoldTime && (h.cfg.HoldBytes <= 0 || r.Buffered() <= h.cfg.HoldBytes) {
		return 0
	}
	ack := h.ack
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
	h := r.hs()
	return h != nil && h.cfg.HoldBytes > 0 && h.ack > r.next && r.Buffered() > h.cfg.HoldBytes
}

// EndHold declares the hole the peer acknowledged, if one is still held, a gap now (Zeek's
// rule, late): the engine calls it when the connection ends, before Close, so that the
// acknowledged holes count as missed bytes as they do in Zeek.
func (r *Reassembler) EndHold(ts int64, sink Sink) uint64 {
	h := r.hs()
	if h == nil || r.buf == skipped {
		return 0
	}
	return r.expire(h, ts, true, sink)
}

// DataHeld buffers a segment as out-of-order data even when it is in order, until the peer
// direction has delivered everything below gate: under a Recovery the engine holds the data
// of a segment whose ACK (gate) covers peer bytes not delivered yet, so that the two
// directions reach the analyzers in the order the endpoints saw them (a reordered capture
// can show a client's Finished before the server flight it answers).
func (r *Reassembler) DataHeld(seq uint64, data []byte, gate uint64) int {
	h := r.hs()
	if r.buf == skipped || len(data) == 0 || h == nil {
		return CapNone
	}
	if seq < r.next {
		d := r.next - seq
		if d >= uint64(len(data)) {
			return CapNone
		}
		data, seq = data[d:], r.next
	}
	h.gate = gate
	c := r.insert(seq, data)
	h.gate = 0
	return c
}

// Acked is, under a Recovery, the highest acknowledgement AckReceived was given (data
// delivered below it was acknowledged before it was delivered); 0 without a Recovery.
func (r *Reassembler) Acked() uint64 {
	if h := r.hs(); h != nil {
		return h.ack
	}
	return 0
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
