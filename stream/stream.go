// Package stream reassembles one direction of a TCP connection as Zeek's TCP_Reassembler
// does: in-order data is delivered at once (without copying), out-of-order segments are
// buffered under a per-connection and a global cap, overlapping data keeps the first copy,
// and holes are reported as content gaps when the peer acknowledges past them (under a
// Recovery, hold.go, only once they had time to fill).
//
// Sequence numbers are 64-bit relative sequence numbers (Zeek's relative sequence space:
// the first data byte after the SYN is 1), so wraparound is resolved by the caller (package
// flow tracks the 32-bit wraps).
package stream

import (
	"math"

	"github.com/tlsmon/tlsmon/budget"
)

// Sink receives a direction's reassembled stream.
type Sink interface {
	// Deliver hands over the next in-order bytes; data aliases buffers valid during the call.
	Deliver(ts int64, data []byte)
	// Gap reports n bytes that will never be delivered.
	Gap(ts int64, n uint64)
}

// Budget caps the bytes buffered for one connection (both directions share it).
type Budget struct {
	Max  int32 // 0 = unlimited (up to 2 GiB)
	Used int32
	pool *Pool
}

// Pool caps the bytes buffered over all connections.
type Pool struct {
	Max  int64 // 0 = unlimited
	used int64
	// held: the budgets drawing on the pool are heldBudgets (SetRecovery, hold.go)
	held bool
	// Mem, if set, is the memory budget the pool's bytes are also drawn from (its
	// Reassembly account); a refusal is CapBudget.
	Mem *budget.Budget
}

// recovering reports whether the direction is under a Recovery (hold.go): a predictable
// branch on the path without --recover (Init sets a budget; the flag lives in the pool so
// that Budget, embedded in every connection, stays 16 bytes).
func (r *Reassembler) recovering() bool { p := r.budget.pool; return p != nil && p.held }

// Used returns the bytes buffered now over all connections using the pool.
func (p *Pool) Used() int64 { return p.used }

// MaxBlocks caps the number of out-of-order blocks held per direction.
const MaxBlocks = 256

// Cap kinds reported by DataSent.
const (
	CapNone       = iota
	CapConnection // the per-connection budget is exhausted
	CapGlobal     // the global pool is exhausted
	CapBlocks     // too many out-of-order blocks
	CapHold       // Recovery.HoldBytes reached: an acknowledged hole was declared a gap early
	CapBudget     // the memory budget (Pool.Mem) refused
)

type block struct {
	seq  uint64
	n    int
	data []byte // nil once the direction keeps ranges only (DropData)
	gate uint64 // Recovery: deliver only once the peer delivered up to here (DataHeld)
}

func (b *block) end() uint64 { return b.seq + uint64(b.n) }

// dropped reports whether b (a Reassembler's buf) delivers no data.
func (b *buffer) dropped() bool { return b != nil && b.noData }

// buffer holds a direction's out-of-order data; it exists only while there is some.
type buffer struct {
	blocks []block
	bytes  int
	noData bool // ranges only (DropData)
}

var (
	// skipped marks a direction that stopped delivering (SkipAll).
	skipped = new(buffer)
	// rangesOnly marks a direction in order that keeps no data (DropData).
	rangesOnly = &buffer{noData: true}
)

// Reassembler reassembles one direction. The zero value is not ready: call Init. It holds
// no buffer while the stream is in order (24 bytes in all).
//
// Once nothing needs a direction's bytes (DropData), it keeps only the sequence ranges of
// out-of-order segments: gaps, acknowledgements and caps behave exactly as before (buffered
// lengths still count against the budgets), but no byte is copied or delivered.
type Reassembler struct {
	next   uint64 // next sequence number to deliver (Zeek's last_reassem_seq)
	budget *Budget
	buf    *buffer // nil: nothing buffered; skipped: SkipAll was called
}

// Init prepares r; budget and pool may be nil (no cap). Directions sharing a budget must
// share the pool too.
func (r *Reassembler) Init(budget *Budget, pool *Pool) {
	if budget == nil {
		budget = &Budget{} // never nil after Init: recovering is one load
	}
	budget.pool = pool
	*r = Reassembler{next: 1, budget: budget}
}

// Next is the next sequence number the stream expects.
func (r *Reassembler) Next() uint64 { return r.next }

func (r *Reassembler) blocks() []block {
	if r.buf == nil {
		return nil
	}
	return r.buf.blocks
}

// Buffered is the number of out-of-order bytes held.
func (r *Reassembler) Buffered() int {
	if r.buf == nil {
		return 0
	}
	return r.buf.bytes
}

// Undelivered is the span from Next to the end of the highest buffered block.
func (r *Reassembler) Undelivered() uint64 {
	bs := r.blocks()
	if len(bs) == 0 {
		return 0
	}
	return bs[len(bs)-1].end() - r.next
}

// Exceeds reports whether Undelivered exceeds maxUndelivered or Buffered exceeds
// maxBuffered: one test (and one load when nothing is held) for the per-packet path.
func (r *Reassembler) Exceeds(maxUndelivered uint64, maxBuffered int) bool {
	b := r.buf
	if b == nil {
		return false
	}
	n := len(b.blocks)
	return n > 0 && b.blocks[n-1].end()-r.next > maxUndelivered || b.bytes > maxBuffered
}

// Skipping reports whether the direction stopped delivering (after SkipAll).
func (r *Reassembler) Skipping() bool { return r.buf == skipped }

// SkipAll drops everything buffered and stops all further delivery and gap reports for this
// direction (Zeek's skip_deliveries).
func (r *Reassembler) SkipAll() {
	r.clear()
	r.buf = skipped
}

// DropData stops delivering data (the sink gets only gaps from now on) and frees the bytes
// held; sequence tracking goes on unchanged, as described on Reassembler.
func (r *Reassembler) DropData() {
	switch r.buf {
	case skipped, rangesOnly:
		return
	case nil:
		r.buf = rangesOnly
		return
	}
	r.buf.noData = true
	for i := range r.buf.blocks {
		r.buf.blocks[i].data = nil
	}
}

// DataDropped reports whether DropData was called (and SkipAll was not).
func (r *Reassembler) DataDropped() bool { return r.buf != nil && r.buf != skipped && r.buf.noData }

// idle reports whether nothing is buffered (and the direction still runs).
func (r *Reassembler) idle() bool { return r.buf == nil || r.buf == rangesOnly }

// empty is the buffer state with nothing buffered, in the direction's mode.
func (r *Reassembler) empty() *buffer {
	if r.buf != nil && r.buf.noData {
		return rangesOnly
	}
	return nil
}

func (r *Reassembler) clear() {
	if r.idle() || r.buf == skipped {
		return
	}
	r.release(r.buf.bytes)
	r.buf = r.empty()
}

func (r *Reassembler) release(n int) {
	r.buf.bytes -= n
	if b := r.budget; b != nil {
		b.Used -= int32(n)
		if b.pool != nil {
			b.pool.used -= int64(n)
			b.pool.Mem.Release(nil, budget.Reassembly, int64(n))
		}
	}
}

func (r *Reassembler) reserve(n int) int {
	if len(r.blocks()) >= MaxBlocks {
		return CapBlocks
	}
	b := r.budget
	if b != nil {
		if int64(b.Used)+int64(n) > math.MaxInt32 || (b.Max > 0 && int64(b.Used)+int64(n) > int64(b.Max)) {
			return CapConnection
		}
		if p := b.pool; p != nil {
			if p.Max > 0 && p.used+int64(n) > p.Max {
				return CapGlobal
			}
			if !p.Mem.DrawQuiet(budget.Reassembly, int64(n)) {
				return CapBudget
			}
		}
	}
	switch r.buf {
	case nil:
		r.buf = &buffer{}
	case rangesOnly:
		r.buf = &buffer{noData: true}
	}
	r.buf.bytes += n
	if b != nil {
		b.Used += int32(n)
		if b.pool != nil {
			b.pool.used += int64(n)
		}
	}
	return CapNone
}

// RangeInOrder is DataSent for a segment of n bytes at seq when the direction keeps
// sequence ranges only (DropData) and the segment is the next in order: it moves Next on,
// which is all DataSent would do, and reports true. Otherwise it does nothing and reports
// false (call DataSent). It inlines: most segments of a connection whose analyzers are done
// are such segments.
func (r *Reassembler) RangeInOrder(seq uint64, n int, acked uint64) bool {
	if seq != r.next || acked > seq || n <= 0 || r.buf != rangesOnly || r.recovering() {
		return false
	}
	r.next += uint64(n)
	return true
}

// DataSent adds a segment's payload at relative sequence seq. acked is the highest sequence
// the peer acknowledged (data below it is not reassembled again). In-order data and any
// buffered data it makes contiguous go to sink. It returns a Cap* value when a cap stopped
// buffering: the part that did not fit is dropped and will surface as a gap when acked.
func (r *Reassembler) DataSent(ts int64, seq uint64, data []byte, acked uint64, sink Sink) int {
	if seq == r.next && acked <= seq && len(data) > 0 && r.idle() && !r.recovering() {
		// In order with nothing buffered (most segments): the general path below, minus its loop.
		r.next += uint64(len(data))
		if r.buf == nil {
			sink.Deliver(ts, data)
			if !r.idle() {
				r.flush(ts, sink) // as dataSent does after a delivery (flush ignores skipped)
			}
		}
		return CapNone
	}
	c := r.dataSent(ts, seq, data, acked, sink)
	if h := r.hs(); h != nil && r.buf != skipped {
		if r.holdOverflow() {
			r.expire(h, ts, true, sink)
			if c == CapNone {
				c = CapHold
			}
		} else {
			r.expire(h, ts, false, sink)
		}
	}
	return c
}

func (r *Reassembler) dataSent(ts int64, seq uint64, data []byte, acked uint64, sink Sink) int {
	if r.buf == skipped || len(data) == 0 {
		return CapNone
	}
	if acked > r.next && r.idle() && seq < acked && r.hs() == nil {
		// Zeek drops the already-acknowledged part of a segment.
		if seq+uint64(len(data)) <= acked {
			return CapNone
		}
		data = data[acked-seq:]
		seq = acked
	}
	for len(data) > 0 {
		if seq < r.next {
			d := r.next - seq
			if d >= uint64(len(data)) {
				return CapNone // retransmission of delivered data: first copy wins
			}
			data, seq = data[d:], r.next
		}
		if seq > r.next {
			return r.insert(seq, data)
		}
		stop := seq + uint64(len(data))
		if bs := r.blocks(); len(bs) > 0 && bs[0].seq < stop {
			stop = bs[0].seq
		}
		n := stop - seq
		if n == 0 {
			return r.insert(seq, data) // data held for its gate starts here (hold.go)
		}
		r.next = stop
		if !r.buf.dropped() {
			sink.Deliver(ts, data[:n])
		}
		data, seq = data[n:], stop
		if r.buf == skipped {
			return CapNone
		}
		r.flush(ts, sink)
	}
	return CapNone
}

// insert buffers the parts of [seq, seq+len(data)) not already held (first copy wins).
func (r *Reassembler) insert(seq uint64, data []byte) int {
	end := seq + uint64(len(data))
	bs := r.blocks()
	lo, hi := 0, len(bs)
	for lo < hi { // first block ending after seq
		m := (lo + hi) / 2
		if bs[m].end() <= seq {
			lo = m + 1
		} else {
			hi = m
		}
	}
	i, cur := lo, seq
	for cur < end {
		bs = r.blocks()
		if i < len(bs) && bs[i].seq <= cur {
			cur = bs[i].end()
			i++
			continue
		}
		stop := end
		if i < len(bs) && bs[i].seq < stop {
			stop = bs[i].seq
		}
		piece := data[cur-seq : stop-seq]
		if c := r.reserve(len(piece)); c != CapNone {
			return c
		}
		b := block{seq: cur, n: len(piece), gate: r.gating()}
		if !r.buf.noData {
			b.data = append([]byte(nil), piece...)
		}
		bs = append(r.buf.blocks, block{})
		copy(bs[i+1:], bs[i:])
		bs[i] = b
		r.buf.blocks = bs
		i++
		cur = stop
	}
	return CapNone
}

// flush delivers buffered blocks that became contiguous.
func (r *Reassembler) flush(ts int64, sink Sink) {
	buf := r.buf
	if buf == nil || buf == skipped || buf == rangesOnly {
		return
	}
	n := 0
	for n < len(buf.blocks) && buf.blocks[n].seq <= r.next {
		b := &buf.blocks[n]
		if b.gate != 0 && !r.gateOpen(b.gate) {
			break
		}
		if e := b.end(); e > r.next {
			off := r.next - b.seq
			r.next = e
			if !buf.noData {
				sink.Deliver(ts, b.data[off:])
				if r.buf != buf { // SkipAll or DropData ran during delivery
					if r.buf == skipped {
						return
					}
					buf = r.buf
				}
			}
		}
		n++
	}
	if n == 0 {
		return
	}
	freed := 0
	for i := 0; i < n; i++ {
		freed += buf.blocks[i].n
	}
	if n == len(buf.blocks) {
		r.release(freed)
		r.buf = r.empty() // in order again: drop the buffer
		return
	}
	copy(buf.blocks, buf.blocks[n:])
	for i := len(buf.blocks) - n; i < len(buf.blocks); i++ {
		buf.blocks[i] = block{}
	}
	buf.blocks = buf.blocks[:len(buf.blocks)-n]
	r.release(freed)
}

// AckReceived tells r that the peer acknowledged everything below ack: holes below it will
// never be filled, so they are reported as gaps and the data above them delivered (Zeek's
// TrimToSeq / Undelivered). It returns the total gap length reported. It does nothing
// unless AckMatters(ack).
func (r *Reassembler) AckReceived(ts int64, ack uint64, sink Sink) uint64 {
	if !r.AckMatters(ack) || r.buf == skipped {
		return 0
	}
	if h := r.hs(); h != nil {
		return r.holdAck(h, ts, ack, sink)
	}
	return r.ackNow(ts, ack, sink)
}

// AckMatters reports whether an acknowledgement up to ack gives AckReceived anything to do
// (nothing unacknowledged below it is the common case). It inlines where AckReceived does
// not: callers on the per-packet path test it first and skip the call.
func (r *Reassembler) AckMatters(ack uint64) bool { return ack > r.next || r.recovering() }

// ackNow applies Zeek's rule for an acknowledgement: holes below ack are gaps at once.
func (r *Reassembler) ackNow(ts int64, ack uint64, sink Sink) uint64 {
	if r.buf == skipped || ack <= r.next {
		return 0
	}
	var gaps uint64
	for {
		bs := r.blocks()
		if len(bs) == 0 || bs[0].seq >= ack || r.buf == skipped {
			break
		}
		if g := bs[0].seq - r.next; g > 0 {
			gaps += g
			r.next = bs[0].seq
			sink.Gap(ts, g)
		}
		next := r.next
		r.flush(ts, sink)
		if r.next == next {
			return gaps // a block held for its gate (hold.go): no hole here
		}
	}
	if ack > r.next && r.buf != skipped {
		gaps += ack - r.next
		g := ack - r.next
		r.next = ack
		sink.Gap(ts, g)
	}
	return gaps
}

// Close ends the direction: buffered data behind a hole never filled is reported as one gap
// (not delivered), and buffers are released. It returns the gap length.
//
// Under a Recovery, the data held is delivered instead, after a gap for each hole.
func (r *Reassembler) Close(ts int64, sink Sink) uint64 {
	var held uint64
	if h := r.hs(); h != nil && r.buf != skipped {
		if bs := r.blocks(); len(bs) > 0 {
			h.ack = max(h.ack, bs[len(bs)-1].end())
		}
		held = r.expire(h, ts, true, sink)
	}
	return held + r.close(ts, sink)
}

func (r *Reassembler) close(ts int64, sink Sink) uint64 {
	if r.buf == skipped || len(r.blocks()) == 0 {
		r.clear()
		return 0
	}
	n := r.Undelivered()
	r.next += n
	r.clear()
	if n > 0 {
		sink.Gap(ts, n)
	}
	return n
}
