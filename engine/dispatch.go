package engine

import (
	"encoding/binary"
	"io"
	"runtime/debug"
	"sync/atomic"

	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/packet"
)

// The dispatcher of a sharded run (Run): it reads and numbers the frames, finds each one's
// shard and hands the shards batches of consecutive frames.

// pairHash is the symmetric hash of a frame's outermost IP addresses (the same for both
// directions of a connection and for every fragment of a datagram), or !ok for a frame
// that goes to shard 0 whatever its addresses: frames of a link type Zeek does not
// dispatch or without an IP header, and every frame that may carry a tunnel (IP-in-IP,
// GRE, UDP to or from a tunnel port or whose payload looks like AYIYA or Teredo), since an
// inner connection can arrive through several outer ones (Teredo), which must then share a
// shard with it. d is the router's own decoder (it reassembles fragments as the shards' do).
// start reports a TCP SYN without ACK (a connection's first packet): the balancer counts it
// as a connection's work (balance.go); it is a hint only, read from the first fragment's
// bytes.
func pairHash(d *packet.Decoder, f *capture.Frame, p *packet.Packet) (h uint64, start, ok bool) {
	if f.Ts < 0 {
		return 0, false, false
	}
	if f.LinkType == 1 { // Ethernet
		if h, start, ok := etherHash(f.Data); ok {
			return h, start, true
		}
	} else if !packet.KnownLinkType(f.LinkType) {
		return 0, false, false
	}
	d.DecodeLen(f.LinkType, f.Ts, f.Data, f.WireLen, p)
	if p.IPVersion == 0 {
		return 0, false, false
	}
	switch p.Proto {
	case 4, 41, 47:
		return 0, false, false
	case 17:
		if packet.UDPTunnelByPort(p.SrcPort) != packet.TunnelNone || packet.UDPTunnelByPort(p.DstPort) != packet.TunnelNone ||
			packet.UDPTunnelDetect(p.Payload) != packet.TunnelNone {
			return 0, false, false
		}
	}
	start = p.Proto == 6 && p.Flags&(synFlag|ackFlag) == synFlag
	return pairMix(addrWords(&p.Src), addrWords(&p.Dst)), start, true
}

// TCP's SYN and ACK flag bits.
const (
	synFlag = 0x02
	ackFlag = 0x10
)

// synOnly reports whether the TCP header at b[tcp:] has SYN without ACK (false if b ends
// before its flags).
func synOnly(b []byte, tcp int) bool {
	t := tcp + 13
	return uint(t) < uint(len(b)) && b[t]&(synFlag|ackFlag) == synFlag
}

// addr is an IP address in the decoder's 16-byte form (IPv4-mapped) as two words: a
// struct, not an array, so that it travels in registers (Go passes arrays on the stack,
// and reloading them whole after word stores stalled the routing).
type addr struct{ hi, lo uint64 }

func addrWords(a *[16]byte) addr {
	return addr{binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(a[8:])}
}

// tcpAddrs finds the addresses of an Ethernet frame (VLAN tags allowed) carrying TCP in
// IPv4 or IPv6 (no extension header) without decoding it, in the decoder's 16-byte form
// (IPv4-mapped): the common case of the dispatcher's routing, which is its serial part.
// Every other frame is decoded; both ways give a connection's packets the same shard. tcp
// is where the TCP header would start.
func tcpAddrs(b []byte) (src, dst addr, tcp int, ok bool) {
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
		const mapped = 0xffff << 32 // ::ffff:a.b.c.d
		src.lo = mapped | uint64(binary.BigEndian.Uint32(ip[12:]))
		dst.lo = mapped | uint64(binary.BigEndian.Uint32(ip[16:]))
		return src, dst, off + int(ip[0]&15)*4, true
	case 0x86dd:
		if len(ip) < 40 || ip[0]>>4 != 6 || ip[6] != 6 {
			return
		}
		src = addr{binary.BigEndian.Uint64(ip[8:]), binary.BigEndian.Uint64(ip[16:])}
		dst = addr{binary.BigEndian.Uint64(ip[24:]), binary.BigEndian.Uint64(ip[32:])}
		return src, dst, off + 40, true
	}
	return
}

// etherHash is pairHash of an Ethernet frame whose addresses tcpAddrs finds (!ok if it
// finds none), with the most common layout (v4TCP) read and hashed in place, since this is
// the routers' per-frame work.
func etherHash(b []byte) (h uint64, start, ok bool) {
	if v4TCP(b) {
		return v4Hash(b), v4Start(b), true
	}
	a, c, tcp, ok := tcpAddrs(b)
	if !ok {
		return 0, false, false
	}
	return pairMix(a, c), synOnly(b, tcp), true
}

// v4TCP reports the most common Ethernet frame: untagged IPv4 without options carrying
// TCP, with its TCP flags in b. v4Hash and v4Start read such a frame's pair hash and SYN:
// the flags only of a packet too short to carry a payload besides its TCP header (a SYN
// carries none, but with TCP Fast Open), since a longer frame's flags are often in a
// memory line the routers' walk would not read otherwise (docs/PERFORMANCE.md, "balance").
func v4TCP(b []byte) bool {
	return len(b) >= 48 && b[12] == 0x08 && b[13] == 0 && b[14] == 0x45 && b[23] == 6
}

func v4Hash(b []byte) uint64 {
	return mixV4(binary.BigEndian.Uint32(b[26:30])) + mixV4(binary.BigEndian.Uint32(b[30:34]))
}

func v4Start(b []byte) bool {
	return binary.BigEndian.Uint16(b[16:18]) <= 20+60 && b[47]&(synFlag|ackFlag) == synFlag
}

// pairMix is the symmetric hash of an address pair: the sum of both addresses' mixes.
func pairMix(a, b addr) uint64 { return mixAddr(a) + mixAddr(b) }

// mixV4 is mixAddr of the IPv4 address x in its mapped form (addr{0, 0xffff<<32 | x}),
// with the first round, which depends on the constant word only, folded in.
func mixV4(x uint32) uint64 {
	h := (0xd674ee3ac06e57a5 ^ uint64(x)) * 0x94d049bb133111eb
	return h ^ h>>32
}

func mixAddr(a addr) uint64 {
	h := (a.hi ^ 0x9e3779b97f4a7c15) * 0xbf58476d1ce4e5b9
	h = (h ^ h>>31 ^ a.lo) * 0x94d049bb133111eb
	return h ^ h>>32
}

// batchFrames is how many frames the dispatcher hands over at once (one channel operation
// per shard and batch); batchBytes bounds the bytes copied into a batch when frames are not
// Stable. Options.Stop drops the batches not yet processed, so large batches do not delay
// a stop.
const (
	batchFrames = 1024
	batchBytes  = 4 << 20
)

// batch is a run of consecutive frames, given to every shard (read-only): frame first+k is
// frames[k] (whose Num is 0 when read by parallel readers: the index is first+k); own[s] lists the positions k of the frames shard s owns, ascending. Frames
// that were not Stable have their bytes copied into data (copied lists them).
type batch struct {
	first  uint64
	frames []capture.Frame
	// net[k] is the largest non-negative time (Ts) of frames[0..k], -1 if none: a shard
	// finds in it, without reading the other shards' frames, where its next timer may fall
	// due (shard.process).
	net    []int64
	own    [][]int32
	data   []byte
	copied []copiedFrame
	users  atomic.Int32 // shards that have not finished with it
	// bucket is what a parallel reader found of each frame's route, for the sequencer
	// (dispatchParts: routeFast).
	bucket []int32
}

// copiedFrame is a frame whose bytes were copied into its batch's data at off.
type copiedFrame struct{ k, off int32 }

// dispatch reads r, numbers the frames from 1 and hands them to the shards in batches: with
// parallel readers (dispatchParts) when r can be cut into parts and the machine has the
// CPUs for them (readersFor), else serially.
func dispatch(r capture.Reader, shards []*shard, free chan *batch, opts Options) error {
	return dispatchWith(r, shards, free, opts, readersFor(len(shards), procs()), partSize)
}

// dispatchWith is dispatch with the given number of readers (1: serial, frame by frame)
// and parts of about size bytes.
func dispatchWith(r capture.Reader, shards []*shard, free chan *batch, opts Options, readers, size int) error {
	if a, ok := r.(capture.AheadReader); ok {
		a.ReadAhead() // the reader is the serial part now
	}
	if sp, ok := r.(capture.Splitter); ok && readers >= 2 && len(shards) >= 2 {
		if p, ok := sp.Split(size); ok && len(p.Bounds) > 2 {
			return dispatchParts(p, shards, free, opts, readers)
		}
	}
	d, _ := newRouteDecoder(opts, len(shards)) // its fragments within its share of the budget
	return dispatchFrom(r, shards, free, opts, NewRouter(d, len(shards)), 1)
}

// dispatchFrom reads r serially, its next frame being frame i, and routes with route (which
// has routed frames 1 to i-1).
func dispatchFrom(r capture.Reader, shards []*shard, free chan *batch, opts Options, route *Router, i uint64) error {
	var f capture.Frame
	n := len(shards)
	var b *batch
	var net int64 // b.net's last
	send := func() {
		b.fixData()
		b.users.Store(int32(n))
		for _, sh := range shards {
			sh.in <- b
		}
		b = nil
	}
	for ; ; i++ {
		err := r.Next(&f)
		if err == nil && opts.Stop != nil && i%batchFrames == 0 && stopped(opts.Stop) {
			err = io.EOF
		}
		if err != nil {
			if b != nil {
				send()
			}
			return err
		}
		if b == nil {
			b = newBatch(free, n)
			b.first = i
			net = -1
		}
		own := route.Shard(&f)
		k := int32(len(b.frames))
		b.frames = append(b.frames, f)
		net = max(net, f.Ts)
		b.net = append(b.net, net)
		if !f.Stable && len(f.Data) > 0 {
			b.copied = append(b.copied, copiedFrame{k, int32(len(b.data))})
			b.data = append(b.data, f.Data...)
		}
		b.own[own] = append(b.own[own], k)
		if len(b.frames) == batchFrames || len(b.data) >= batchBytes {
			send()
		}
	}
}

func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// newBatch returns an empty batch, recycled if one is free.
func newBatch(free chan *batch, n int) *batch {
	var b *batch
	select {
	case b = <-free:
	default:
		b = &batch{own: make([][]int32, n)}
	}
	b.frames, b.net, b.data, b.copied, b.bucket = b.frames[:0], b.net[:0], b.data[:0], b.copied[:0], b.bucket[:0]
	for s := range b.own {
		b.own[s] = b.own[s][:0]
	}
	return b
}

// fixData points the copied frames at the batch's final data buffer (appending may have
// moved it).
func (b *batch) fixData() {
	for _, c := range b.copied {
		f := &b.frames[c.k]
		l := int(c.off) + len(f.Data)
		f.Data = b.data[c.off:l:l]
	}
}

// guardedDispatch is dispatch, with a fault on a truncated mapped capture recovered into
// its error (Engine.Run's rule; the shards then flush what they have).
func guardedDispatch(r capture.Reader, shards []*shard, free chan *batch, opts Options) error {
	return faultGuard(func() error { return dispatch(r, shards, free, opts) })
}

// faultGuard runs fn with memory faults turned into panics (SetPanicOnFault) and a fault's
// panic recovered into fn's error (capture.FaultError); other panics go on.
func faultGuard(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if v := recover(); v != nil {
			ferr, ok := capture.FaultError(v)
			if !ok {
				panic(v)
			}
			err = ferr
		}
	}()
	return fn()
}
