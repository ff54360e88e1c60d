package engine

import (
	"time"

	"github.com/tlsmon/tlsmon/stream"
)

// Recover configures the recovery of damaged traffic (tlsmon --recover): off by default, so
// that the default output stays Zeek's. When on:
//   - reassembly holds the data above a hole the peer already acknowledged (reordering)
//     for HoldTime and at most HoldBytes per direction, instead of declaring the gap at once
//     as Zeek does; a hole still open then is a gap (HoldBytes reached: weird
//     reassembly_hold_cap);
//   - the SSL analyzer resynchronises on the next plausible record boundary after a real
//     gap (weird SSL_resynchronized says where), instead of stopping as Zeek's does, and
//     analyses connections whose start was not captured once a boundary is found.
//
// The limits belong to the engine: every connection's reassemblers read the engine's copy.
type Recover struct {
	Enabled   bool
	HoldTime  time.Duration // how long an acknowledged hole is waited for (default 2 s of capture time)
	HoldBytes int           // bytes held above an acknowledged hole, per direction (default 256 KiB)
}

func (r *Recover) defaults() {
	if r.HoldTime == 0 {
		r.HoldTime = 2 * time.Second
	}
	if r.HoldBytes == 0 {
		r.HoldBytes = 256 << 10
	}
}

// recovery returns the reassemblers' view of the options (nil when recovery is off).
func (r *Recover) recovery() *stream.Recovery {
	if !r.Enabled {
		return nil
	}
	r.defaults()
	return &stream.Recovery{HoldTime: r.HoldTime.Microseconds(), HoldBytes: r.HoldBytes}
}

// releaseHeld delivers the data a side held until its peer delivered what the side had
// seen (stream.Reassembler.DataHeld); each delivery may open the other side's gates.
func (cs *connState) releaseHeld(ts int64) {
	for progress := true; progress; {
		progress = false
		for s := range cs.r {
			before := cs.r[s].Next()
			if cs.r[s].Release(ts, cs.sink(uint8(s))) {
				progress = true
				cs.noteDelivered(uint8(s), before)
				cs.checkEOF(uint8(s), ts)
			}
		}
	}
}

// holdData keeps a segment of side s until the peer delivered what its ACK covers (see
// stream.Reassembler.DataHeld). Held data is bounded as held holes are: past HoldBytes the
// peer's hole is declared a gap at once, which lets the data go (CapHold).
func (cs *connState) holdData(s uint8, seq uint64, data []byte, ack uint64) int {
	e := cs.e
	r := &cs.r[s]
	c := r.DataHeld(seq, data, ack)
	if r.Buffered() > e.recovery.HoldBytes {
		peer := s ^ 1
		cs.r[peer].EndHold(e.now, cs.sink(peer))
		if c == stream.CapNone {
			c = stream.CapHold
		}
	}
	return c
}
