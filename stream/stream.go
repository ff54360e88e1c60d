// Package stream reassembles one direction of a TCP connection as Zeek's TCP_Reassembler
// does: in-order data is delivered at once (without copying), out-of-order segments are
// buffered under a per-connection and a global cap, overlapping data keeps the first copy,
// and holes are reported as content gaps when the peer acknowledges past them.
//
// Sequence numbers are 64-bit relative sequence numbers (Zeek's relative sequence space:
// the first data byte after the SYN is 1), so wraparound is resolved by the caller (package
// flow tracks the 32-bit wraps).
package stream

// Sink receives a direction's reassembled stream.
type Sink interface {
	// Deliver hands over the next in-order bytes; data aliases buffers valid during the call.
	Deliver(ts int64, data []byte)
	// Gap reports n bytes that will never be delivered.
	Gap(ts int64, n uint64)
}

// Budget caps the bytes buffered for one connection (both directions share it).
type Budget struct {
	Max  int // 0 = unlimited
	Used int
}

// Pool caps the bytes buffered over all connections.
type Pool struct {
	Max  int64 // 0 = unlimited
	used int64
}

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
)

type block struct {
	seq  uint64
	data []byte
}

func (b *block) end() uint64 { return b.seq + uint64(len(b.data)) }

// Reassembler reassembles one direction. The zero value is not ready: call Init.
type Reassembler struct {
	next   uint64 // next sequence number to deliver (Zeek's last_reassem_seq)
	blocks []block
	budget *Budget
	pool   *Pool
	bytes  int
	skip   bool
}

// Init prepares r; budget and pool may be nil (no cap).
func (r *Reassembler) Init(budget *Budget, pool *Pool) {
	*r = Reassembler{next: 1, budget: budget, pool: pool}
}

// Next is the next sequence number the stream expects.
func (r *Reassembler) Next() uint64 { return r.next }

// Buffered is the number of out-of-order bytes held.
func (r *Reassembler) Buffered() int { return r.bytes }

// Undelivered is the span from Next to the end of the highest buffered block.
func (r *Reassembler) Undelivered() uint64 {
	if len(r.blocks) == 0 {
		return 0
	}
	return r.blocks[len(r.blocks)-1].end() - r.next
}

// Skipping reports whether the direction stopped delivering (after SkipAll).
func (r *Reassembler) Skipping() bool { return r.skip }

// SkipAll drops everything buffered and stops all further delivery and gap reports for this
// direction (Zeek's skip_deliveries).
func (r *Reassembler) SkipAll() {
	r.clear()
	r.skip = true
}

func (r *Reassembler) clear() {
	r.release(r.bytes)
	for i := range r.blocks {
		r.blocks[i] = block{}
	}
	r.blocks = r.blocks[:0]
	if cap(r.blocks) > 16 {
		r.blocks = nil
	}
}

func (r *Reassembler) release(n int) {
	r.bytes -= n
	if r.budget != nil {
		r.budget.Used -= n
	}
	if r.pool != nil {
		r.pool.used -= int64(n)
	}
}

func (r *Reassembler) reserve(n int) int {
	if len(r.blocks) >= MaxBlocks {
		return CapBlocks
	}
	if r.budget != nil && r.budget.Max > 0 && r.budget.Used+n > r.budget.Max {
		return CapConnection
	}
	if r.pool != nil && r.pool.Max > 0 && r.pool.used+int64(n) > r.pool.Max {
		return CapGlobal
	}
	r.bytes += n
	if r.budget != nil {
		r.budget.Used += n
	}
	if r.pool != nil {
		r.pool.used += int64(n)
	}
	return CapNone
}

// DataSent adds a segment's payload at relative sequence seq. acked is the highest sequence
// the peer acknowledged (data below it is not reassembled again). In-order data and any
// buffered data it makes contiguous go to sink. It returns a Cap* value when a cap stopped
// buffering: the part that did not fit is dropped and will surface as a gap when acked.
func (r *Reassembler) DataSent(ts int64, seq uint64, data []byte, acked uint64, sink Sink) int {
	if r.skip || len(data) == 0 {
		return CapNone
	}
	if acked > r.next && len(r.blocks) == 0 && seq < acked {
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
		if len(r.blocks) > 0 && r.blocks[0].seq < stop {
			stop = r.blocks[0].seq
		}
		n := stop - seq
		r.next = stop
		sink.Deliver(ts, data[:n])
		data, seq = data[n:], stop
		if r.skip {
			return CapNone
		}
		r.flush(ts, sink)
	}
	return CapNone
}

// insert buffers the parts of [seq, seq+len(data)) not already held (first copy wins).
func (r *Reassembler) insert(seq uint64, data []byte) int {
	end := seq + uint64(len(data))
	lo, hi := 0, len(r.blocks)
	for lo < hi { // first block ending after seq
		m := (lo + hi) / 2
		if r.blocks[m].end() <= seq {
			lo = m + 1
		} else {
			hi = m
		}
	}
	i, cur := lo, seq
	for cur < end {
		if i < len(r.blocks) && r.blocks[i].seq <= cur {
			cur = r.blocks[i].end()
			i++
			continue
		}
		stop := end
		if i < len(r.blocks) && r.blocks[i].seq < stop {
			stop = r.blocks[i].seq
		}
		piece := data[cur-seq : stop-seq]
		if c := r.reserve(len(piece)); c != CapNone {
			return c
		}
		b := block{seq: cur, data: append([]byte(nil), piece...)}
		r.blocks = append(r.blocks, block{})
		copy(r.blocks[i+1:], r.blocks[i:])
		r.blocks[i] = b
		i++
		cur = stop
	}
	return CapNone
}

// flush delivers buffered blocks that became contiguous.
func (r *Reassembler) flush(ts int64, sink Sink) {
	n := 0
	for n < len(r.blocks) && r.blocks[n].seq <= r.next && !r.skip {
		b := &r.blocks[n]
		if e := b.end(); e > r.next {
			d := b.data[r.next-b.seq:]
			r.next = e
			sink.Deliver(ts, d)
		}
		n++
	}
	if n == 0 {
		return
	}
	freed := 0
	for i := 0; i < n && i < len(r.blocks); i++ {
		freed += len(r.blocks[i].data)
	}
	if n > len(r.blocks) { // SkipAll ran during delivery
		return
	}
	copy(r.blocks, r.blocks[n:])
	for i := len(r.blocks) - n; i < len(r.blocks); i++ {
		r.blocks[i] = block{}
	}
	r.blocks = r.blocks[:len(r.blocks)-n]
	r.release(freed)
}

// AckReceived tells r that the peer acknowledged everything below ack: holes below it will
// never be filled, so they are reported as gaps and the data above them delivered (Zeek's
// TrimToSeq / Undelivered). It returns the total gap length reported.
func (r *Reassembler) AckReceived(ts int64, ack uint64, sink Sink) uint64 {
	if r.skip || ack <= r.next {
		return 0
	}
	var gaps uint64
	for len(r.blocks) > 0 && r.blocks[0].seq < ack && !r.skip {
		if g := r.blocks[0].seq - r.next; g > 0 {
			gaps += g
			sink.Gap(ts, g)
			r.next = r.blocks[0].seq
		}
		r.flush(ts, sink)
	}
	if ack > r.next && !r.skip {
		gaps += ack - r.next
		sink.Gap(ts, ack-r.next)
		r.next = ack
	}
	return gaps
}

// Close ends the direction: buffered data behind a hole never filled is reported as one gap
// (not delivered), and buffers are released. It returns the gap length.
func (r *Reassembler) Close(ts int64, sink Sink) uint64 {
	if r.skip || len(r.blocks) == 0 {
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
