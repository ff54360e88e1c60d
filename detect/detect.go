// Package detect attaches protocol analyzers to connections, as Zeek's analyzer manager and
// PIA do: by the responder's port when the connection starts, and by content: the first
// bytes of each direction are buffered (up to BufferSize, Zeek's dpd_buffer_size) and offered
// to every Spec.Match of the connection's transport; on a match the analyzer is created and
// the buffered data replayed.
package detect

import (
	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

// BufferSize is the number of payload bytes buffered per connection for content matching
// (Zeek's dpd_buffer_size).
const BufferSize = 1024

// Registry holds the analyzer specs and their port index, and the free lists of the
// detection state of its connections. A Registry belongs to one goroutine (an engine's):
// the free lists are not locked.
type Registry struct {
	specs []analyzer.Spec
	tcp   map[uint16][]int
	udp   map[uint16][]int
	// specs with a Match function, by transport (Spec.MatchProto)
	matchTCP, matchUDP matchSet

	freeMatching []*matching // content-matching buffers of connections whose matching ended
	freeSlots    []*slotSet  // slot sets of closed connections
}

// matchSet lists the signatures of one transport, as offer runs them: their functions
// and attach bits copied out of the specs, so the loop each offer makes stays small.
type matchSet struct {
	list []matcher
	all  uint64 // the bits of list
	wide bool   // a spec index is 64 or more (no bit): allAttached is never true
}

type matcher struct {
	match func(isOrig bool, payload []byte) bool
	bit   uint64 // 1<<i; 0 for i >= 64, which is never marked attached
	i     int    // the spec's index
}

func (ms *matchSet) add(s *analyzer.Spec, i int) {
	m := matcher{match: s.Match, i: i}
	if i < 64 {
		m.bit = 1 << i
	} else {
		ms.wide = true
	}
	ms.list = append(ms.list, m)
	ms.all |= m.bit
}

// maxFree bounds each free list of a Registry.
const maxFree = 1024

// NewRegistry indexes specs.
func NewRegistry(specs []analyzer.Spec) *Registry {
	r := &Registry{specs: specs, tcp: map[uint16][]int{}, udp: map[uint16][]int{}}
	for i, s := range specs {
		for _, p := range s.TCPPorts {
			r.tcp[p] = append(r.tcp[p], i)
		}
		for _, p := range s.UDPPorts {
			r.udp[p] = append(r.udp[p], i)
		}
		if s.Match == nil {
			continue
		}
		tcp, udp := len(s.TCPPorts) > 0 || len(s.UDPPorts) == 0, len(s.UDPPorts) > 0 || len(s.TCPPorts) == 0
		if s.MatchProto != 0 {
			tcp, udp = s.MatchProto == tlsmon.ProtoTCP, s.MatchProto == tlsmon.ProtoUDP
		}
		if tcp {
			r.matchTCP.add(&r.specs[i], i)
		}
		if udp {
			r.matchUDP.add(&r.specs[i], i)
		}
	}
	return r
}

// Empty reports whether no analyzer is registered.
func (r *Registry) Empty() bool { return len(r.specs) == 0 }

// Env builds the environment of an analyzer attached to a connection. It is supplied by
// the connection's owner (it wraps the event handler and the detach callback), so an
// environment always reaches its own connection.
type Env interface {
	Env(spec *analyzer.Spec, slot *Slot) *analyzer.Env
}

// EnvFunc is an Env made of a function.
type EnvFunc func(spec *analyzer.Spec, slot *Slot) *analyzer.Env

// Env calls f.
func (f EnvFunc) Env(spec *analyzer.Spec, slot *Slot) *analyzer.Env { return f(spec, slot) }

// Slot is one attached analyzer.
type Slot struct {
	A        analyzer.Analyzer // nil once Ended: the analyzer's memory goes with it
	spec     *analyzer.Spec
	Detached bool
	Ended    bool // the pipeline called A.Done
}

// Name is the analyzer's name (its Spec's).
func (s *Slot) Name() string { return s.spec.Name }

// Slots returns the attached analyzers, in attach order.
func (c *Conn) Slots() []*Slot {
	if c.slots == nil {
		return nil
	}
	return c.slots.list
}

// slotSet holds a connection's attached analyzers; the first two live inline, so the usual
// connection (one or two analyzers) costs one allocation for all of them.
type slotSet struct {
	list   []*Slot
	inline [2]Slot
	ptrs   [2]*Slot
}

// Detach stops deliveries to the slot.
func (s *Slot) Detach() { s.Detached = true }

type chunk struct {
	isOrig bool
	last   bool   // the delivery that filled the buffer: its bytes are matching.last
	gap    uint64 // a gap of this many bytes instead of data
	off    int32
	n      int32
}

// Conn is the detection state of one connection. The bytes buffered for content matching
// are held only while matching runs.
type Conn struct {
	slots     *slotSet // nil until an analyzer attaches
	attached  uint64   // bit per spec index (first 64)
	m         *matching
	stopped   bool // content matching finished (buffer full, nothing left to match)
	overflow  bool
	stopAfter bool
	udp       bool // the connection's transport is UDP (its specs: Registry.matchUDP)
}

// matching is the history content matching replays to an analyzer it attaches. Its
// buffers are recycled through the Registry's free list when matching ends.
// Each direction's bytes are kept apart (so a direction's history is always contiguous for
// Match); chunks record the arrival order for replays. BufferSize caps the two together.
// A direction's buffer is sized by the bytes it received (grow), not BufferSize up front:
// a one-datagram flow holds its datagram, not 1 KiB.
type matching struct {
	dir    [2][]byte // by dirIndex
	chunks []chunk
	// last is the caller's slice of the delivery that filled the buffer. Only its first
	// bytes are copied (for Match); replays, which happen within the same call (before
	// Settle), deliver it whole from the caller's memory.
	last []byte
}

func (m *matching) total() int { return len(m.dir[0]) + len(m.dir[1]) }

func (r *Registry) newMatching() *matching {
	if n := len(r.freeMatching); n > 0 {
		m := r.freeMatching[n-1]
		r.freeMatching[n-1] = nil
		r.freeMatching = r.freeMatching[:n-1]
		m.dir[0], m.dir[1], m.chunks, m.last = m.dir[0][:0], m.dir[1][:0], m.chunks[:0], nil
		return m
	}
	// a direction's buffer is made on its first bytes (offer, grow)
	return &matching{}
}

func dirIndex(isOrig bool) int {
	if isOrig {
		return 0
	}
	return 1
}

// bytes returns the data of chunk ch.
func (m *matching) bytes(ch *chunk) []byte {
	if ch.last {
		return m.last
	}
	return m.dir[dirIndex(ch.isOrig)][ch.off : ch.off+ch.n]
}

// maxPooledChunks bounds the chunk list a recycled matching keeps (a long run of tiny
// segments grows it; such lists are left to the garbage collector).
const maxPooledChunks = 64

func (c *Conn) releaseMatching(r *Registry) {
	m := c.m
	c.m = nil
	if m != nil {
		m.last = nil
	}
	if m == nil || cap(m.dir[0]) > BufferSize || cap(m.dir[1]) > BufferSize || cap(m.chunks) > maxPooledChunks {
		return
	}
	if len(r.freeMatching) < maxFree {
		r.freeMatching = append(r.freeMatching, m)
	}
}

// Settle ends content matching of c if the last offer filled the buffer or left nothing to match;
// call it after replaying to the slots the offer returned.
func (r *Registry) Settle(c *Conn) {
	if c.stopAfter && !c.stopped {
		c.stop(r)
	}
}

// matchSpecs returns the specs whose signatures apply to c's transport.
func (r *Registry) matchSpecs(c *Conn) *matchSet {
	if c.udp {
		return &r.matchUDP
	}
	return &r.matchTCP
}

// Start attaches the analyzers registered for the responder's port. Content matching does
// not run when every signature of the transport belongs to an analyzer attached already
// (a UDP flow to port 443, whose DTLS and QUIC analyzers are attached by port, buffers
// nothing).
func (r *Registry) Start(c *Conn, id *tlsmon.ConnID, env Env) {
	var idx []int
	c.udp = id.Proto == tlsmon.ProtoUDP
	switch id.Proto {
	case tlsmon.ProtoTCP:
		idx = r.tcp[id.RespP]
	case tlsmon.ProtoUDP:
		idx = r.udp[id.RespP]
	}
	for _, i := range idx {
		r.attach(c, i, env)
	}
	if c.allAttached(r) {
		c.stopped = true
	}
}

func (r *Registry) attach(c *Conn, i int, env Env) *Slot {
	if i < 64 {
		if c.attached&(1<<i) != 0 {
			return nil
		}
		c.attached |= 1 << i
	}
	s := &r.specs[i]
	if c.slots == nil {
		if n := len(r.freeSlots); n > 0 {
			c.slots = r.freeSlots[n-1]
			r.freeSlots[n-1] = nil
			r.freeSlots = r.freeSlots[:n-1]
		} else {
			c.slots = new(slotSet)
		}
		c.slots.list = c.slots.ptrs[:0]
	}
	set := c.slots
	var slot *Slot
	if n := len(set.list); n < len(set.inline) {
		slot = &set.inline[n]
	} else {
		slot = new(Slot)
	}
	slot.spec = s
	set.list = append(set.list, slot)
	slot.A = s.New(env.Env(s, slot))
	return slot
}

// Stream offers stream bytes of one direction to content matching (TCP). It returns the
// slots of analyzers that matched now: the caller replays
// the buffer to them (ReplayStream, which includes data), then calls Settle. Data offered
// here must already have been delivered live to the slots attached before the call.
func (r *Registry) Stream(c *Conn, isOrig bool, data []byte, env Env) []*Slot {
	return r.offer(nil, c, isOrig, data, env, true)
}

// Packet offers a UDP datagram to content matching; matching sees the datagram alone.
func (r *Registry) Packet(c *Conn, isOrig bool, data []byte, env Env) []*Slot {
	return r.offer(nil, c, isOrig, data, env, false)
}

// offer appends the slots that matched to dst (the fan-out passes a buffer of its stack:
// one slice per offer was an allocation per connection) and returns it.
func (r *Registry) offer(dst []*Slot, c *Conn, isOrig bool, data []byte, env Env, stream bool) []*Slot {
	if c.stopped || len(data) == 0 {
		return nil
	}
	if c.m == nil {
		c.m = r.newMatching()
	}
	m := c.m
	room := BufferSize - m.total()
	if room <= 0 {
		c.stop(r)
		return nil
	}
	d := &m.dir[dirIndex(isOrig)]
	off := len(*d)
	m.grow(d, min(len(data), room))
	if len(data) >= room {
		// Like Zeek's PIA, the delivery that reaches BufferSize is kept whole for replays
		// (without copying it: see matching.last), and buffering ends with it.
		c.overflow = true
		*d = append(*d, data[:room]...)
		m.last = data
		m.chunks = append(m.chunks, chunk{isOrig: isOrig, last: true, off: int32(off), n: int32(len(data))})
	} else {
		*d = append(*d, data...)
		m.chunks = append(m.chunks, chunk{isOrig: isOrig, off: int32(off), n: int32(len(data))})
	}
	var view []byte
	if stream {
		view = c.dirBytes(isOrig)
	} else {
		view = data
	}
	matched := dst
	for _, sig := range r.matchSpecs(c).list {
		if c.attached&sig.bit != 0 {
			continue
		}
		if sig.match(isOrig, view) {
			if s := r.attach(c, sig.i, env); s != nil {
				matched = append(matched, s)
			}
		}
	}
	if c.overflow || m.total() >= BufferSize || c.allAttached(r) {
		c.stopAfter = true
	}
	return matched
}

// grow makes room for n more bytes in d, one direction's buffer: it holds what was
// received, doubling as it grows, never beyond BufferSize (offer caps the two directions
// together at BufferSize).
func (m *matching) grow(d *[]byte, n int) {
	need := len(*d) + n
	if need <= cap(*d) {
		return
	}
	nc := min(max(need, 2*cap(*d)), BufferSize)
	b := make([]byte, len(*d), nc)
	copy(b, *d)
	*d = b
}

func (c *Conn) allAttached(r *Registry) bool {
	ms := r.matchSpecs(c)
	return !ms.wide && c.attached&ms.all == ms.all
}

// dirBytes returns the buffered bytes of one direction (without its gaps, as Zeek's matcher
// sees them).
func (c *Conn) dirBytes(isOrig bool) []byte {
	if d := c.m.dir[dirIndex(isOrig)]; len(d) > 0 {
		return d
	}
	return nil
}

// Gap records a content gap in the buffered history (so a replay reproduces it), as Zeek's
// PIA does: only once stream data has been buffered (a gap before the first byte of either
// direction is forgotten, so an analyzer attached later never learns of it), and without
// ending content matching: the matcher goes on with the bytes after the gap as if they
// followed the bytes before it.
func (c *Conn) Gap(isOrig bool, n uint64) {
	if c.stopped || c.m == nil || len(c.m.chunks) == 0 {
		return
	}
	c.m.chunks = append(c.m.chunks, chunk{isOrig: isOrig, gap: n})
}

// ReplayStream delivers the buffered stream (data and gaps, in arrival order) to a newly
// attached analyzer, at time ts. It must be called before the buffer is released, i.e. right
// after Stream returned the slot.
func (c *Conn) ReplayStream(s *Slot, ts int64) {
	if c.m == nil {
		return
	}
	m := c.m
	for _, ch := range m.chunks {
		if s.Detached {
			return
		}
		if ch.gap > 0 {
			s.A.Gap(ts, ch.isOrig, ch.gap)
		} else {
			s.A.DeliverStream(ts, ch.isOrig, m.bytes(&ch))
		}
	}
}

// ReplayPackets delivers the buffered datagrams to a newly attached analyzer.
func (c *Conn) ReplayPackets(s *Slot, ts int64) {
	if c.m == nil {
		return
	}
	m := c.m
	for _, ch := range m.chunks {
		if s.Detached {
			return
		}
		if ch.gap == 0 {
			s.A.DeliverPacket(ts, ch.isOrig, m.bytes(&ch))
		}
	}
}

// Buffered reports how many payload bytes are held for matching.
func (c *Conn) Buffered() int {
	if c.m == nil {
		return 0
	}
	return c.m.total()
}

// Stopped reports whether content matching is over for the connection.
func (c *Conn) Stopped() bool { return c.stopped }

// Overflowed reports whether matching stopped because the buffer cap was reached.
func (c *Conn) Overflowed() bool { return c.overflow }

func (c *Conn) stop(r *Registry) {
	c.stopped = true
	c.releaseMatching(r)
}

// Close ends detection for a connection that is going away, releasing its buffers. Its
// slots are recycled: the caller has ended every analyzer (Done), keeps no Slot, and no
// longer reads Slots (which then returns nil).
func (r *Registry) Close(c *Conn) {
	c.stop(r)
	if s := c.slots; s != nil {
		c.slots = nil
		*s = slotSet{}
		if len(r.freeSlots) < maxFree {
			r.freeSlots = append(r.freeSlots, s)
		}
	}
}
