// Package flow keeps the connection table: connections keyed by a canonical 5-tuple, oriented
// originator → responder as Zeek decides, with Zeek's TCP endpoint states, history letters,
// counters and timers (inactivity, attempt, close and delete), all driven by packet time.
package flow

import (
	"encoding/binary"
	"math/bits"
)

// Key is a canonical (direction-independent) 5-tuple: the endpoint that sorts first is A.
// It is comparable and fixed-size, so map lookups allocate nothing.
type Key struct {
	A, B   [16]byte
	PA, PB uint16
	Proto  uint8
}

// MakeKey builds the canonical key of a packet's 5-tuple and reports on which side (0 = A,
// 1 = B) the packet's source is.
func MakeKey(src, dst [16]byte, sp, dp uint16, proto uint8) (Key, uint8) {
	if addrLess(&src, &dst, sp, dp) {
		return Key{A: src, B: dst, PA: sp, PB: dp, Proto: proto}, 0
	}
	return Key{A: dst, B: src, PA: dp, PB: sp, Proto: proto}, 1
}

// set makes k the canonical key of the 5-tuple (src, sp) → (dst, dp) and returns the side
// of the source, as MakeKey, without copying the addresses through arguments.
func (k *Key) set(src, dst *[16]byte, sp, dp uint16, proto uint8) uint8 {
	k.Proto = proto
	if addrLess(src, dst, sp, dp) {
		k.A, k.B, k.PA, k.PB = *src, *dst, sp, dp
		return 0
	}
	k.A, k.B, k.PA, k.PB = *dst, *src, dp, sp
	return 1
}

// Hash returns a hash of the key for sharding connections over workers: the same for both
// directions (the key is canonical). It mixes the addresses as four 64-bit words: 8 ns
// against 22 ns for a byte-wise FNV.
func (k *Key) Hash() uint64 {
	h := mix64(binary.LittleEndian.Uint64(k.A[:8]) ^ 0x9e3779b97f4a7c15)
	h = mix64(h ^ binary.LittleEndian.Uint64(k.A[8:]))
	h = mix64(h ^ binary.LittleEndian.Uint64(k.B[:8]))
	h = mix64(h ^ binary.LittleEndian.Uint64(k.B[8:]))
	return mix64(h ^ uint64(k.PA)<<24 ^ uint64(k.PB)<<8 ^ uint64(k.Proto))
}

// addrLess orders (a, pa) before (b, pb): addresses as big-endian 128-bit numbers, then ports.
// (Equality is tested on the words as loaded; only an order needs them byte-swapped:
// IPv4-mapped addresses share their first 8 bytes.)
func addrLess(a, b *[16]byte, pa, pb uint16) bool {
	if a0, b0 := binary.LittleEndian.Uint64(a[:8]), binary.LittleEndian.Uint64(b[:8]); a0 != b0 {
		return bits.ReverseBytes64(a0) < bits.ReverseBytes64(b0)
	}
	if a1, b1 := binary.LittleEndian.Uint64(a[8:]), binary.LittleEndian.Uint64(b[8:]); a1 != b1 {
		return bits.ReverseBytes64(a1) < bits.ReverseBytes64(b1)
	}
	return pa <= pb
}
