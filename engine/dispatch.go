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

// ShardOf returns the shard (of n) that owns a frame: the one of its outermost IP
// addresses (a symmetric hash, so both directions of a connection and every fragment of a
// datagram go to one shard). Frames of a link type Zeek does not dispatch or without an IP
// header, and every frame that may carry a tunnel (IP-in-IP, GRE, UDP to or from a tunnel
// port or whose payload looks like AYIYA or Teredo), go to shard 0: an inner connection can
// arrive through several outer ones (Teredo), which must then share a shard with it. d is
// the dispatcher's own decoder (it reassembles fragments as the shards' do).
func ShardOf(d *packet.Decoder, f *capture.Frame, n int, p *packet.Packet) int {
	if n <= 1 || f.Ts < 0 {
		return 0
	}
	if f.LinkType == 1 { // Ethernet
		if s := etherShard(f.Data, n); s >= 0 {
			return s
		}
	} else if !packet.KnownLinkType(f.LinkType) {
		return 0
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
	a, b := addrWords(&p.Src), addrWords(&p.Dst)
	return addrShard(a, b, n)
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
// Every other frame is decoded; both ways give a connection's packets the same shard.
func tcpAddrs(b []byte) (src, dst addr, ok bool) {
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
		return src, dst, true
	case 0x86dd:
		if len(ip) < 40 || ip[0]>>4 != 6 || ip[6] != 6 {
			return
		}
		src = addr{binary.BigEndian.Uint64(ip[8:]), binary.BigEndian.Uint64(ip[16:])}
		dst = addr{binary.BigEndian.Uint64(ip[24:]), binary.BigEndian.Uint64(ip[32:])}
		return src, dst, true
	}
	return
}

// etherShard is the shard of an Ethernet frame whose addresses tcpAddrs finds (-1 if it
// finds none): addrShard of them, with the most common layout (untagged IPv4 carrying
// TCP) read and hashed in place, since this is the serial dispatcher's per-frame work.
func etherShard(b []byte, n int) int {
	if len(b) >= 34 && b[12] == 0x08 && b[13] == 0 && b[14]>>4 == 4 && b[23] == 6 {
		return reduceShard(mixV4(binary.BigEndian.Uint32(b[26:]))+mixV4(binary.BigEndian.Uint32(b[30:])), n)
	}
	a, c, ok := tcpAddrs(b)
	if !ok {
		return -1
	}
	return addrShard(a, c, n)
}

// addrShard is the shard of an address pair: a symmetric hash (the sum of both addresses'
// mixes), reduced to [0, n) by a multiply-shift instead of a division.
func addrShard(a, b addr, n int) int { return reduceShard(mixAddr(a)+mixAddr(b), n) }

func reduceShard(h uint64, n int) int {
	h ^= h >> 29
	return int((h >> 32) * uint64(n) >> 32)
}

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
	// later lists the frames a parallel reader left to the sequencer to route
	// (dispatchParts); laterOwn and merge are routeLater's scratch.
	later    []int32
	laterOwn [][]int32
	merge    []int32
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
	route, _ := newRouteDecoder(opts, len(shards)) // its fragments within its share of the budget
	return dispatchFrom(r, shards, free, opts, route, 1)
}

// dispatchFrom reads r serially, its next frame being frame i, and routes with route.
func dispatchFrom(r capture.Reader, shards []*shard, free chan *batch, opts Options, route *packet.Decoder, i uint64) error {
	var p packet.Packet
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
		own := ShardOf(route, &f, n, &p)
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
	b.frames, b.net, b.data, b.copied, b.later = b.frames[:0], b.net[:0], b.data[:0], b.copied[:0], b.later[:0]
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
