package engine

import (
	"math"

	"github.com/tlsmon/tlsmon/flow"
)

// Phases of a frame, in the order one engine goes through them (Order.Phase).
const (
	PhaseFrame  uint8 = iota // before anything else: link-type and timestamp weirds
	PhaseTimer               // timers due at the frame's time fire (Order.At, Order.Born)
	PhaseDecode              // the decoder's weirds on the outermost packet
	PhasePacket              // the packet's connection(s), tunnels included
	PhaseFlush               // the end-of-input drain (Order.Key, Order.Born; Frame is MaxUint64)
)

// Order is where an event stands in a run's output: one engine raises its events in
// non-decreasing Order, and events of different connections never share an Order except in
// PhaseFrame, PhaseDecode and PhasePacket, which a frame's outermost packet causes. So
// events raised by several engines that each see some of the connections (shards, each
// given every frame's index and time, docs/SCALING.md) merged by Order, each engine's own in
// its order, come out as one engine raises them. Read it during an event (Engine.Order).
type Order struct {
	Frame uint64 // index of the frame being processed, from 1 (0 before the first)
	Phase uint8
	At    int64    // PhaseTimer: the firing timer's deadline
	Born  uint64   // PhaseTimer, PhaseFlush: the connection's creation key (flow.UIDGen.N)
	Key   flow.Key // PhaseFlush: the connection's key
}

// Compare orders two positions: -1, 0 or +1.
func (a *Order) Compare(b *Order) int {
	switch {
	case a.Frame != b.Frame:
		return cmpU(a.Frame, b.Frame)
	case a.Phase != b.Phase:
		return cmpU(uint64(a.Phase), uint64(b.Phase))
	case a.Phase == PhaseTimer && a.At != b.At:
		if a.At < b.At {
			return -1
		}
		return 1
	case a.Phase == PhaseFlush:
		if c := flow.CompareKeys(&a.Key, &b.Key); c != 0 {
			return c
		}
	}
	return cmpU(a.Born, b.Born)
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Order returns the position of the event being raised (call it from the handler).
func (e *Engine) Order() (o Order) {
	e.orderAt(&o)
	return o
}

// orderAt sets *o, a zero Order, to Order(), field by field (Outbox.put: in place).
func (e *Engine) orderAt(o *Order) {
	c := e.table.Cause()
	switch {
	case c.Flush:
		o.Frame, o.Phase, o.Born, o.Key = math.MaxUint64, PhaseFlush, c.Born, c.Key
	case c.Timer:
		o.Frame, o.Phase, o.At, o.Born = e.frame, PhaseTimer, c.At, c.Born
	default:
		o.Frame, o.Phase = e.frame, e.phase
	}
}

// Tick tells the engine of frame i, time ts (µs), which another engine processes: network
// time moves on and the timers due fire, as they would in one engine processing every
// frame. A frame with a negative time moves nothing (Frame drops it). i must exceed the
// index of every frame given before.
func (e *Engine) Tick(i uint64, ts int64) {
	e.frame = i
	e.table.SetFrame(i)
	e.phase = PhaseTimer
	if ts < 0 {
		return
	}
	e.now = max(e.now, ts)
	e.table.Advance(e.now)
}

// tickedTo leaves the engine as Tick of frame i would when no timer is due (shard.process):
// at the end of a batch whose last frames were skipped, so that the engine's state does not
// depend on which Ticks were skipped.
func (e *Engine) tickedTo(i uint64) {
	if e.frame < i {
		e.frame, e.phase = i, PhaseTimer
		e.table.SetFrame(i)
	}
}
