package engine

import (
	"bytes"
	"errors"
	"io"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/packet"
)

// Run processes every frame of r with opts.Workers engines (shards; 0 or 1: one engine, as
// Engine.Run) and returns their summed counters and the first fatal capture error. Every
// event reaches opts.Handler in the order one engine raises it, with the same content
// (docs/SCALING.md): a dispatcher reads and numbers the frames and hands every shard every
// frame, each frame owned by one shard (ShardOf) and a tick for the others (Engine.Tick);
// the shards run in parallel and take turns, by Order, to hand their events to the Handler
// while the event is still valid. The Handler is called from the shards' goroutines, one
// call at a time.
func Run(r capture.Reader, opts Options) (Stats, error) {
	n := min(opts.Workers, maxWorkers)
	if n <= 1 {
		e := New(opts)
		err := e.Run(r)
		return e.Stats(), err
	}
	m := newTurns(n)
	shards := make([]*shard, n)
	for s := range shards {
		sh := &shard{turns: m, id: s, in: make(chan *batch, 2), next: opts.Handler}
		if sh.next == nil {
			sh.next = nopHandler{}
		}
		o := opts.perShard(n) // options.go
		o.Handler = sh
		sh.e = New(o)
		shards[s] = sh
	}
	free := make(chan *batch, 8*n)
	var wg sync.WaitGroup
	for _, sh := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sh.run(free)
		}()
	}
	err := dispatch(r, shards, free, opts)
	for _, sh := range shards {
		close(sh.in)
	}
	wg.Wait()
	st := Stats{CapHits: map[string]uint64{}}
	for _, sh := range shards {
		st.add(sh.e.Stats())
	}
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return st, err
}

// add sums another shard's counters into s.
func (s *Stats) add(o Stats) {
	s.Packets += o.Packets
	s.Bytes += o.Bytes
	s.IPPackets += o.IPPackets
	s.Skipped += o.Skipped
	s.Fragments += o.Fragments
	s.DecodeErrors += o.DecodeErrors
	s.Connections += o.Connections
	s.Active += o.Active
	s.AckEvents += o.AckEvents
	s.GapEvents += o.GapEvents
	for k, v := range o.CapHits {
		s.CapHits[k] += v
	}
	s.CapWeirds += o.CapWeirds
	for _, lt := range o.UnknownLinkTypes {
		if !slices.Contains(s.UnknownLinkTypes, lt) {
			s.UnknownLinkTypes = append(s.UnknownLinkTypes, lt)
		}
	}
}

// ShardOf returns the shard (of n) that owns a frame: the one of its outermost IP
// addresses (a symmetric hash, so both directions of a connection and every fragment of a
// datagram go to one shard). Frames of a link type Zeek does not dispatch or without an IP
// header, and every frame that may carry a tunnel (IP-in-IP, GRE, UDP to or from a tunnel
// port or whose payload looks like AYIYA or Teredo), go to shard 0: an inner connection can
// arrive through several outer ones (Teredo), which must then share a shard with it. d is
// the dispatcher's own decoder (it reassembles fragments as the shards' do).
func ShardOf(d *packet.Decoder, f *capture.Frame, n int, p *packet.Packet) int {
	if n <= 1 || !packet.KnownLinkType(f.LinkType) || f.Ts < 0 {
		return 0
	}
	if f.LinkType == 1 { // Ethernet
		if a, b, ok := tcpAddrs(f.Data); ok {
			return addrShard(&a, &b, n)
		}
	}
	d.DecodeLen(f.LinkType, f.Ts, f.Data, f.WireLen, p)
	if p.IPVersion == 0 {
		return 0
	}
	switch p.Proto {
	case 4, 41, 47:
		return 0
	case 17:
		if packet.UDPTunnelByPort(p.SrcPort) != packet.TunnelNone || packet.UDPTunnelByPort(p.DstPort) != packet.TunnelNone ||
			packet.UDPTunnelDetect(p.Payload) != packet.TunnelNone {
			return 0
		}
	}
	return addrShard(&p.Src, &p.Dst, n)
}

// tcpAddrs finds the addresses of an Ethernet frame (VLAN tags allowed) carrying TCP in
// IPv4 or IPv6 (no extension header) without decoding it, in the decoder's 16-byte form
// (IPv4-mapped): the common case of the dispatcher's routing, which is its serial part.
// Every other frame is decoded; both ways give a connection's packets the same shard.
func tcpAddrs(b []byte) (src, dst [16]byte, ok bool) {
	if len(b) < 14 {
		return
	}
	off := 14
	et := uint16(b[12])<<8 | uint16(b[13])
	for et == 0x8100 || et == 0x88a8 {
		if len(b) < off+4 {
			return
		}
		et = uint16(b[off+2])<<8 | uint16(b[off+3])
		off += 4
	}
	ip := b[off:]
	switch et {
	case 0x0800:
		if len(ip) < 20 || ip[0]>>4 != 4 || ip[9] != 6 {
			return
		}
		src[10], src[11], dst[10], dst[11] = 0xff, 0xff, 0xff, 0xff
		copy(src[12:], ip[12:16])
		copy(dst[12:], ip[16:20])
		return src, dst, true
	case 0x86dd:
		if len(ip) < 40 || ip[0]>>4 != 6 || ip[6] != 6 {
			return
		}
		copy(src[:], ip[8:24])
		copy(dst[:], ip[24:40])
		return src, dst, true
	}
	return
}

// addrShard is the shard of an address pair: a symmetric hash.
func addrShard(a, b *[16]byte, n int) int {
	if bytes.Compare(a[:], b[:]) > 0 {
		a, b = b, a
	}
	h := uint64(14695981039346656037) // FNV-1a over both addresses
	for _, x := range a {
		h = (h ^ uint64(x)) * 1099511628211
	}
	for _, x := range b {
		h = (h ^ uint64(x)) * 1099511628211
	}
	return int(h % uint64(n))
}

// maxWorkers bounds Options.Workers (batch.owner holds shard numbers in 16 bits; more
// shards than cores only add turns).
const maxWorkers = 1024

// batchFrames is how many frames the dispatcher hands over at once. With two batches
// queued per shard, the reader runs at most ≈ 3 batches ahead of the output, so that an
// output error or a signal stops the reading soon.
const batchFrames = 64

// batch is a run of consecutive frames, given to every shard (read-only): frame first+k is
// frames[k], owned by shard owner[k]; its bytes are in data.
type batch struct {
	first  uint64
	frames []capture.Frame
	owner  []uint16
	data   []byte
	users  atomic.Int32 // shards that have not finished with it
}

// dispatch reads r, numbers the frames from 1 and hands them to the shards in batches.
func dispatch(r capture.Reader, shards []*shard, free chan *batch, opts Options) error {
	route := packet.NewDecoder(packet.Config{
		MaxFragmentBytes:        opts.Limits.MaxFragmentBytes,
		MaxFragmentsPerDatagram: opts.Limits.MaxFragmentsPerDatagram,
		VerifyChecksums:         opts.VerifyChecksums,
	})
	var p packet.Packet
	var f capture.Frame
	n := len(shards)
	var b *batch
	send := func() {
		b.fixData()
		b.users.Store(int32(n))
		for _, sh := range shards {
			sh.in <- b
		}
		b = nil
	}
	for i := uint64(1); ; i++ {
		err := r.Next(&f)
		if err != nil {
			if b != nil {
				send()
			}
			return err
		}
		if b == nil {
			select {
			case b = <-free:
				b.frames, b.owner, b.data = b.frames[:0], b.owner[:0], b.data[:0]
			default:
				b = &batch{}
			}
			b.first = i
		}
		own := ShardOf(route, &f, n, &p)
		fr := f
		fr.Data = nil
		if len(f.Data) > 0 {
			off := len(b.data)
			b.data = append(b.data, f.Data...)
			fr.Data = b.data[off:] // its length; fixData points it at the final buffer
		}
		b.frames = append(b.frames, fr)
		b.owner = append(b.owner, uint16(own))
		if len(b.frames) == batchFrames {
			send()
		}
	}
}

// fixData points the frames at the batch's final data buffer (appending may have moved it).
func (b *batch) fixData() {
	off := 0
	for k := range b.frames {
		l := len(b.frames[k].Data)
		if l > 0 {
			b.frames[k].Data = b.data[off : off+l : off+l]
		}
		off += l
	}
}

// shard runs one engine over the frames it owns, ticked by the others.
type shard struct {
	e     *Engine
	id    int
	in    chan *batch
	turns *turns
	next  tlsmon.Handler
}

func (sh *shard) run(free chan *batch) {
	for b := range sh.in {
		for k := range b.frames {
			i := b.first + uint64(k)
			sh.turns.publish(sh.id, i)
			if int(b.owner[k]) == sh.id {
				sh.e.FrameAt(i, &b.frames[k])
			} else {
				sh.e.Tick(i, b.frames[k].Ts)
			}
		}
		// Every later event of this shard is at a later frame.
		sh.turns.publish(sh.id, b.first+uint64(len(b.frames)))
		if b.users.Add(-1) == 0 {
			select {
			case free <- b:
			default:
			}
		}
	}
	sh.turns.publish(sh.id, math.MaxUint64-1) // below the flush's events (Frame MaxUint64)
	sh.e.Flush()
	sh.turns.done(sh.id)
}

// HandleEvent waits for the shard's turn, then passes the event on.
func (sh *shard) HandleEvent(ev tlsmon.Event) {
	o := sh.e.Order()
	sh.turns.wait(sh.id, o)
	sh.next.HandleEvent(ev)
}

// turns orders the shards' events. Each shard publishes the frame it is at (frame: every
// later event of it has a Frame at least that) and, while it waits for its turn, the Order
// of its pending event. A shard may hand over an event of Order o once o is below every
// other shard's bound (or equal, for the lower-numbered shard: events of two shards never
// share an Order, but a bound may equal one). The common case, o's frame below every other
// shard's frame, takes no lock; waiting spins and yields (waits are short: the shards
// walk the same frames).
type turns struct {
	at   []shardAt
	mu   sync.Mutex // guards pend and waiting
	pend []Order
	// waiting[s]: shard s waits with its event's Order in pend[s].
	waiting []bool
}

// shardAt is a shard's published frame, alone in its cache line (written at every frame).
type shardAt struct {
	frame atomic.Uint64
	done  atomic.Bool // the shard has raised its last event
	_     [48]byte
}

func newTurns(n int) *turns {
	return &turns{at: make([]shardAt, n), pend: make([]Order, n), waiting: make([]bool, n)}
}

// publish records that every later event of shard s is at frame i or after.
func (t *turns) publish(s int, i uint64) { t.at[s].frame.Store(i) }

func (t *turns) wait(s int, o Order) {
	if t.below(s, o.Frame) {
		return
	}
	t.mu.Lock()
	t.pend[s], t.waiting[s] = o, true
	t.mu.Unlock()
	for spins := 0; ; spins++ {
		t.mu.Lock()
		ok := t.mine(s, &o)
		if ok {
			t.waiting[s] = false
		}
		t.mu.Unlock()
		if ok {
			return
		}
		if spins < 1000 {
			runtime.Gosched()
		} else {
			time.Sleep(20 * time.Microsecond) // a long wait (a blocked consumer): no busy loop
		}
	}
}

// done records that shard s raises no more events.
func (t *turns) done(s int) { t.at[s].done.Store(true) }

// below reports whether frame i is below every other shard's frame.
func (t *turns) below(s int, i uint64) bool {
	for u := range t.at {
		if u != s && t.at[u].frame.Load() <= i && !t.at[u].done.Load() {
			return false
		}
	}
	return true
}

func (t *turns) mine(s int, o *Order) bool {
	for u := range t.at {
		if u == s || t.at[u].done.Load() {
			continue
		}
		b := Order{Frame: t.at[u].frame.Load()}
		if t.waiting[u] {
			b = t.pend[u]
		}
		c := o.Compare(&b)
		if c > 0 || (c == 0 && u < s) {
			return false
		}
	}
	return true
}
