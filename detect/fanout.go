package detect

// The fan-out: how a connection's (or a STARTTLS child's) bytes reach its analyzers. Every
// delivery goes first to the analyzers attached before it, then, while content matching
// runs, to the signatures; an analyzer attached by a match is replayed the buffered
// history, the delivery included. The engine and the STARTTLS detection child both use
// these functions, so attachment, replay and ending follow one set of rules.

// DeliverStream delivers stream bytes of one direction (TCP) at time ts.
func (r *Registry) DeliverStream(c *Conn, ts int64, isOrig bool, data []byte, env Env) {
	r.deliver(c, ts, isOrig, data, env, true)
}

// DeliverPacket delivers a datagram of one direction (UDP) at time ts; content matching
// sees the datagram alone.
func (r *Registry) DeliverPacket(c *Conn, ts int64, isOrig bool, data []byte, env Env) {
	r.deliver(c, ts, isOrig, data, env, false)
}

func (r *Registry) deliver(c *Conn, ts int64, isOrig bool, data []byte, env Env, stream bool) {
	for _, sl := range c.Slots() { // fixed here: analyzers attached below are replayed instead
		switch {
		case sl.Detached:
		case stream:
			sl.A.DeliverStream(ts, isOrig, data)
		default:
			sl.A.DeliverPacket(ts, isOrig, data)
		}
	}
	if c.stopped {
		return
	}
	var buf [2]*Slot
	for _, sl := range r.offer(buf[:0], c, isOrig, data, env, stream) {
		if stream {
			c.ReplayStream(sl, ts)
		} else {
			c.ReplayPackets(sl, ts)
		}
	}
	r.Settle(c)
}

// DeliverGap tells the attached analyzers of a content gap of n bytes in one direction and
// records it in the matching history (Gap).
func (c *Conn) DeliverGap(ts int64, isOrig bool, n uint64) {
	for _, sl := range c.Slots() {
		if !sl.Detached {
			sl.A.Gap(ts, isOrig, n)
		}
	}
	c.Gap(isOrig, n)
}

// EndOfData tells the attached analyzers that one direction's data is complete.
func (c *Conn) EndOfData(ts int64, isOrig bool) {
	for _, sl := range c.Slots() {
		if !sl.Detached {
			sl.A.EndOfData(ts, isOrig)
		}
	}
}

// EndDetached calls Done on the analyzers that detached since the last call, as Zeek calls
// Done on an analyzer when it is removed: their state is released (and recycled) now rather
// than when the connection ends. Call it between deliveries, never inside an analyzer's call.
func (c *Conn) EndDetached(ts int64) {
	for _, sl := range c.Slots() {
		if sl.Detached && !sl.Ended {
			sl.Ended = true
			sl.A.Done(ts)
			sl.A = nil // nothing calls an ended analyzer: its state is garbage now
		}
	}
}

// Idle reports whether no analyzer and no content matching needs the data any more.
func (c *Conn) Idle() bool {
	if !c.stopped {
		return false
	}
	for _, sl := range c.Slots() {
		if !sl.Detached {
			return false
		}
	}
	return true
}

// Done ends every analyzer, those that detached included (so their state is released and
// recycled), then releases the detection state (Close).
func (r *Registry) Done(c *Conn, ts int64) {
	for _, sl := range c.Slots() {
		sl.Detached = true
		if !sl.Ended {
			sl.Ended = true
			sl.A.Done(ts)
		}
	}
	r.Close(c)
}
