package engine

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/packet"
)

// balFrame is a synthetic frame and what the test knows of it.
type balFrame struct {
	f     capture.Frame
	pair  int  // its address pair (-1: none: routed to shard 0)
	start bool // a TCP SYN without ACK
}

// frame layouts of balanceCapture
const (
	layV4 = iota
	layVLAN
	layV6
	layUDP
	layFrag // the two fragments of a UDP datagram
	numLayouts
)

// balanceCapture is a skewed synthetic capture: pairs host pairs, the first ones carrying
// far more connections and frames than the others (pair i: 1 + 20/(i+5) connections of
// 3 + 4000/(i+10) frames), their frames interleaved by a fixed pseudo-random order
// (each connection's in order, its SYN first), in the layouts the routers know (IPv4 TCP,
// VLAN-tagged, IPv6 TCP, UDP, fragmented UDP), with frames that go to shard 0 mixed in
// (ARP, GRE, UDP to a tunnel port, a negative timestamp).
func balanceCapture(pairs int) []balFrame {
	type slot struct {
		pos uint64
		fr  balFrame
	}
	var all []slot
	x := uint64(0x9e3779b97f4a7c15)
	next := func() uint64 { // xorshift: a fixed sequence
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return x
	}
	const span = 1 << 20
	for i := range pairs {
		a := [4]byte{10, byte(i >> 8), byte(i), 1}
		b := [4]byte{192, 0, 2, byte(i % 7)}
		conns := 1 + 20/(i+5)
		frames := 3 + 4000/(i+10)
		lay := i % numLayouts
		for c := range conns {
			at := next() % span
			gap := 1 + next()%(span/uint64(4*frames)+1)
			for k := range frames {
				var data []byte
				start := false
				sport := uint16(1024 + c)
				switch lay {
				case layUDP:
					data = ethIPv4(a, b, 17, udpBytes(sport, 53, 60))
				case layFrag:
					if k%2 == 0 {
						data = ethIPv4Frag(a, b, uint16(c*1000+k), 0, true, udpBytes(sport, 53, 64))
					} else {
						data = ethIPv4Frag(a, b, uint16(c*1000+k-1), 72, false, make([]byte, 40))
					}
				default:
					flags := uint8(ackFlag)
					if k == 0 {
						flags, start = synFlag, true
					} else if k == 1 {
						flags = synFlag | ackFlag
					}
					seg := tcpBytes(sport, 443, flags, int(next()%300)*b2i(k >= 2))
					switch lay {
					case layV4:
						data = ethIPv4(a, b, 6, seg)
					case layVLAN:
						data = vlan(ethIPv4(a, b, 6, seg))
					case layV6:
						data = ethIPv6(a, b, 6, seg)
					}
				}
				all = append(all, slot{at + uint64(k)*gap, balFrame{f: capture.Frame{LinkType: 1, Data: data}, pair: i, start: start}})
			}
		}
	}
	for i := range pairs / 4 { // frames routed without their addresses
		a, b := [4]byte{172, 16, 0, byte(i)}, [4]byte{172, 16, 1, byte(i)}
		f := balFrame{pair: -1, f: capture.Frame{LinkType: 1}}
		switch i % 4 {
		case 0:
			f.f.Data = append([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x06}, make([]byte, 28)...) // ARP
		case 1:
			f.f.Data = ethIPv4(a, b, 47, make([]byte, 24)) // GRE
		case 2:
			f.f.Data = ethIPv4(a, b, 17, udpBytes(4000, 4789, 40)) // VXLAN's port
		case 3:
			f.f.Data = ethIPv4(a, b, 6, tcpBytes(1, 2, synFlag, 0))
			f.f.Ts = -1
		}
		all = append(all, slot{next() % span, f})
	}
	slices.SortStableFunc(all, func(p, q slot) int {
		switch {
		case p.pos < q.pos:
			return -1
		case p.pos > q.pos:
			return 1
		}
		return 0
	})
	out := make([]balFrame, len(all))
	for k, s := range all {
		out[k] = s.fr
		if out[k].f.Ts >= 0 {
			out[k].f.Ts = 1_000_000 + int64(k)
		}
		out[k].f.WireLen = len(out[k].f.Data)
	}
	return out
}

func tcpBytes(sport, dport uint16, flags uint8, payload int) []byte {
	b := make([]byte, 20+payload)
	binary.BigEndian.PutUint16(b, sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	b[12], b[13] = 0x50, flags
	binary.BigEndian.PutUint16(b[14:], 65535)
	return b
}

func udpBytes(sport, dport uint16, payload int) []byte {
	b := make([]byte, 8+payload)
	binary.BigEndian.PutUint16(b, sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint16(b[4:], uint16(len(b)))
	return b
}

var ethHeader = []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}

func ethIPv4(src, dst [4]byte, proto byte, payload []byte) []byte {
	return ethIPv4Proto(src, dst, proto, 0, 0, false, payload)
}

// ethIPv4Frag is an Ethernet frame of a fragment of a UDP datagram, at off (bytes).
func ethIPv4Frag(src, dst [4]byte, id uint16, off int, more bool, payload []byte) []byte {
	return ethIPv4Proto(src, dst, 17, id, off, more, payload)
}

// ethIPv4Proto is an Ethernet frame of an IPv4 packet, a fragment at off (bytes) when off >
// 0 or more is set.
func ethIPv4Proto(src, dst [4]byte, proto byte, id uint16, off int, more bool, payload []byte) []byte {
	b := append(append([]byte{}, ethHeader...), 0x08, 0x00)
	ip := make([]byte, 20)
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(payload)))
	binary.BigEndian.PutUint16(ip[4:], id)
	fo := uint16(off / 8)
	if more {
		fo |= 0x2000
	}
	binary.BigEndian.PutUint16(ip[6:], fo)
	ip[8], ip[9] = 64, proto
	copy(ip[12:], src[:])
	copy(ip[16:], dst[:])
	return append(append(b, ip...), payload...)
}

func ethIPv6(src, dst [4]byte, proto byte, payload []byte) []byte {
	b := append(append([]byte{}, ethHeader...), 0x86, 0xdd)
	ip := make([]byte, 40)
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:], uint16(len(payload)))
	ip[6], ip[7] = proto, 64
	ip[8], ip[9] = 0x20, 0x01
	copy(ip[20:], src[:])
	ip[24], ip[25] = 0x20, 0x01
	copy(ip[36:], dst[:])
	return append(append(b, ip...), payload...)
}

// vlan tags an Ethernet frame.
func vlan(f []byte) []byte {
	return append(append(append([]byte{}, f[:12]...), 0x81, 0x00, 0, 7), f[12:]...)
}

// plainShard is the shard of a frame by its pair hash alone (main's routing before the
// balancer), for comparison.
func plainShard(h uint64, _, ok bool) func(n int) int {
	return func(n int) int {
		if !ok {
			return 0
		}
		h ^= h >> 29
		return int((h >> 32) * uint64(n) >> 32)
	}
}

// routeAllFrames routes every frame with a new router of n shards on decoder d.
func routeAllFrames(frames []balFrame, n int, d *packet.Decoder) []int {
	r := NewRouter(d, n)
	own := make([]int, len(frames))
	for k := range frames {
		own[k] = r.Shard(&frames[k].f)
	}
	return own
}

// The balancer gives every shard about the same work (frames, and connWork a connection)
// on a skewed capture where hashing the pairs does not, in all and over every stretch of
// balanceWindow frames (the shards run at most a few batches apart, so a shard with more
// work in a stretch makes the others wait: the stretches' largest shares add up to the
// run's length), keeps every pair (its fragments, both directions) in one shard, sends the
// frames it cannot route by address to shard 0, and decides the same every time.
func TestBalanceSkewed(t *testing.T) {
	frames := balanceCapture(1000)
	hashShard := func(k, n int) int {
		var p packet.Packet
		return plainShard(pairHash(packet.NewDecoder(packet.Config{}), &frames[k].f, &p))(n)
	}
	d := packet.NewDecoder(packet.Config{})
	var p packet.Packet
	for k, fr := range frames { // what the routers read of each frame
		if _, start, ok := pairHash(d, &fr.f, &p); ok != (fr.pair >= 0) || start != fr.start {
			t.Fatalf("frame %d (pair %d, start %v): routed by address %v, start %v", k, fr.pair, fr.start, ok, start)
		}
	}
	const balanceWindow = 2048
	for _, c := range []struct {
		n       int
		maxRate float64 // largest shard's work / the mean, at most
	}{
		{1, 1},
		{2, 1.03},
		{3, 1.05},
		{4, 1.05},
		{8, 1.10},
	} {
		own := routeAllFrames(frames, c.n, packet.NewDecoder(packet.Config{}))
		if again := routeAllFrames(frames, c.n, packet.NewDecoder(packet.Config{})); !slices.Equal(own, again) {
			t.Fatalf("%d shards: two routers differ", c.n)
		}
		work := make([]float64, c.n)
		hashWork := make([]float64, c.n)
		stretch, hashStretch := make([]float64, c.n), make([]float64, c.n) // this stretch's work per shard
		var byStretch, hashByStretch float64                               // the stretches' largest shares, summed
		pairShard := map[int]int{}
		var total float64
		for k, fr := range frames {
			s := own[k]
			if s < 0 || s >= c.n {
				t.Fatalf("%d shards: frame %d to shard %d", c.n, k, s)
			}
			w := 1.0
			if fr.start {
				w += connWork
			}
			hs := hashShard(k, c.n)
			work[s] += w
			total += w
			hashWork[hs] += w
			stretch[s] += w
			hashStretch[hs] += w
			if (k+1)%balanceWindow == 0 || k == len(frames)-1 {
				byStretch += slices.Max(stretch)
				hashByStretch += slices.Max(hashStretch)
				clear(stretch)
				clear(hashStretch)
			}
			if fr.pair < 0 {
				if s != 0 {
					t.Errorf("%d shards: frame %d (no pair) to shard %d", c.n, k, s)
				}
				continue
			}
			if p, ok := pairShard[fr.pair]; ok && p != s {
				t.Fatalf("%d shards: pair %d in shards %d and %d (frame %d)", c.n, fr.pair, p, s, k)
			}
			pairShard[fr.pair] = s
		}
		mean := total / float64(c.n)
		rate, hashRate := slices.Max(work)/mean, slices.Max(hashWork)/mean
		wrate, hashWrate := byStretch/mean, hashByStretch/mean
		t.Logf("%d shards: %d frames, work max/mean %.4f, by stretches %.4f (pairs hashed to shards: %.4f, %.4f)",
			c.n, len(frames), rate, wrate, hashRate, hashWrate)
		if rate > c.maxRate {
			t.Errorf("%d shards: largest shard's work %.4f of the mean, want ≤ %.2f", c.n, rate, c.maxRate)
		}
		if c.n > 1 && (rate >= hashRate || wrate >= hashWrate) {
			t.Errorf("%d shards: balanced %.4f / by stretches %.4f, not below the hash's %.4f / %.4f", c.n, rate, wrate, hashRate, hashWrate)
		}
	}
}

// Every router of a run gives every frame the same shard: a Router on the dispatcher's
// decoder and on a self-routed shard's, the serial dispatcher and the parallel readers
// (whose walkers find the buckets and whose sequencer assigns them).
func TestBalanceRoutersAgree(t *testing.T) {
	frames := balanceCapture(300)
	path := filepath.Join(t.TempDir(), "bal.pcap")
	h := make([]byte, 24)
	binary.LittleEndian.PutUint32(h, 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 65535)
	binary.LittleEndian.PutUint32(h[20:], 1)
	var ts []int64 // the file's timestamps (a negative one cannot be written)
	for _, fr := range frames {
		var rh [16]byte
		us := max(fr.f.Ts, 0)
		binary.LittleEndian.PutUint32(rh[:], uint32(us/1_000_000))
		binary.LittleEndian.PutUint32(rh[4:], uint32(us%1_000_000))
		binary.LittleEndian.PutUint32(rh[8:], uint32(len(fr.f.Data)))
		binary.LittleEndian.PutUint32(rh[12:], uint32(len(fr.f.Data)))
		h = append(append(h, rh[:]...), fr.f.Data...)
		ts = append(ts, us)
	}
	if err := os.WriteFile(path, h, 0o644); err != nil {
		t.Fatal(err)
	}
	for k := range frames {
		frames[k].f.Ts = ts[k]
	}
	for _, n := range []int{2, 3, 8} {
		want := routeAllFrames(frames, n, func() *packet.Decoder { d, _ := newRouteDecoder(Options{}, n); return d }())
		selfDec, _ := routeDecoder(Options{}, n, n)
		if got := routeAllFrames(frames, n, selfDec); !slices.Equal(got, want) {
			t.Errorf("%d shards: a self-routed shard's router differs from the dispatcher's", n)
		}
		for _, c := range []struct{ readers, size int }{{1, partSize}, {2, 4096}, {3, 20000}} {
			fl, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			r, err := capture.OpenMapped(path, fl, nil)
			if r == nil || err != nil {
				t.Fatal("cannot map", err)
			}
			got := make([]int, len(frames))
			for k := range got {
				got[k] = -1
			}
			err = runFakeShards(n, func(s int, bt *batch) {
				for _, k := range bt.own[s] {
					got[bt.first+uint64(k)-1] = s // each index written by its one owner
				}
			}, func(shards []*shard, free chan *batch) error {
				return dispatchWith(r, shards, free, Options{}, c.readers, c.size)
			})
			r.Close()
			fl.Close()
			if !errors.Is(err, io.EOF) {
				t.Fatalf("%d shards, %d readers: %v", n, c.readers, err)
			}
			if !slices.Equal(got, want) {
				for k := range got {
					if got[k] != want[k] {
						t.Errorf("%d shards, %d readers, parts of %d: frame %d to shard %d, the router says %d", n, c.readers, c.size, k+1, got[k], want[k])
						break
					}
				}
			}
		}
	}
}

// The table is fixed: a router's memory does not grow with the pairs it sees, and a
// thousand shards (maxWorkers) fit its entries.
func TestBalanceTableBounds(t *testing.T) {
	r := NewRouter(packet.NewDecoder(packet.Config{}), maxWorkers)
	for i := range 3 * (1 << bucketBits) {
		f := capture.Frame{LinkType: 1, Ts: int64(i), Data: ethIPv4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}, [4]byte{192, 0, 2, 1}, 6, tcpBytes(1, 2, synFlag, 0))}
		f.WireLen = len(f.Data)
		if s := r.Shard(&f); s < 0 || s >= maxWorkers {
			t.Fatalf("frame %d to shard %d", i, s)
		}
	}
	for s, l := range r.bal.load {
		if l == 0 {
			t.Fatalf("shard %d given nothing of %d pairs", s, 3*(1<<bucketBits))
		}
	}
	if len(r.bal.owner) != 1<<bucketBits {
		t.Fatal("table size")
	}
}

// By hand: how a capture's frames, bytes and connections (TCP SYNs without ACK) split
// between shards, by the pair hash alone and by the balancer, and the work (frames and
// connWork a connection) of the largest shard, in all and summed over stretches of 16,384
// frames (two shards run at most 16 batches apart), against the mean:
// TLSMON_BALANCE_PCAP=/tmp/perfmix.pcap go test ./engine -run TestBalanceCapture -v
func TestBalanceCapture(t *testing.T) {
	path := os.Getenv("TLSMON_BALANCE_PCAP")
	if path == "" {
		t.Skip("TLSMON_BALANCE_PCAP not set")
	}
	const stretch = 16384
	for _, n := range []int{2, 3, 4, 8} {
		r, err := capture.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := newRouteDecoder(Options{}, n)
		router := NewRouter(d, n)
		type split struct {
			frames, bytes, conns []uint64
			work, cur            []float64
			byStretch, total     float64
		}
		newSplit := func() *split {
			return &split{make([]uint64, n), make([]uint64, n), make([]uint64, n), make([]float64, n), make([]float64, n), 0, 0}
		}
		plain, bal := newSplit(), newSplit()
		hd := packet.NewDecoder(packet.Config{})
		var f capture.Frame
		var p packet.Packet
		for i := 1; r.Next(&f) == nil; i++ {
			h, start, ok := pairHash(hd, &f, &p)
			w := float64(frameWork(start))
			for _, c := range []struct {
				s int
				x *split
			}{{plainShard(h, start, ok)(n), plain}, {router.Shard(&f), bal}} {
				c.x.frames[c.s]++
				c.x.bytes[c.s] += uint64(len(f.Data))
				c.x.conns[c.s] += uint64(b2i(start))
				c.x.work[c.s] += w
				c.x.cur[c.s] += w
				c.x.total += w
				if i%stretch == 0 {
					c.x.byStretch += slices.Max(c.x.cur)
					clear(c.x.cur)
				}
			}
		}
		r.Close()
		for _, c := range []struct {
			name string
			x    *split
		}{{"pair hash", plain}, {"balancer ", bal}} {
			c.x.byStretch += slices.Max(c.x.cur)
			mean := c.x.total / float64(n)
			t.Logf("%d shards, %s: frames %v bytes %v connections %v; largest work / mean %.3f, by stretches %.3f",
				n, c.name, c.x.frames, c.x.bytes, c.x.conns, slices.Max(c.x.work)/mean, c.x.byStretch/mean)
		}
	}
}
