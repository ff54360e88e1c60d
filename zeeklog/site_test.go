package zeeklog

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// IsLocalAddr's IPv4 masks agree with netip's prefix matching on every private network's
// edges and on random addresses.
func TestIsLocalAddrMatchesPrefixes(t *testing.T) {
	ref := func(a netip.Addr) bool {
		a = a.Unmap()
		for _, p := range privateNets {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	var addrs []netip.Addr
	for _, p := range privateNets {
		a := p.Addr()
		addrs = append(addrs, a, a.Prev(), a.Next())
		if a.Is4() {
			addrs = append(addrs, netip.AddrFrom16(a.As16())) // IPv4-mapped
		}
	}
	for o := range 256 {
		for _, rest := range [][3]byte{{0, 0, 0}, {255, 255, 255}, {64, 0, 1}, {168, 1, 1}, {18, 0, 0}, {0, 2, 9}} {
			addrs = append(addrs, netip.AddrFrom4([4]byte{byte(o), rest[0], rest[1], rest[2]}))
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], rng.Uint32())
		addrs = append(addrs, netip.AddrFrom4(b))
	}
	for _, a := range addrs {
		if a.IsValid() && IsLocalAddr(a) != ref(a) {
			t.Errorf("IsLocalAddr(%v) = %v", a, !ref(a))
		}
	}
}

// appendAddr writes IPv4 addresses as netip does.
func TestAppendIPv4(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	addrs := []netip.Addr{netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("255.255.255.255"),
		netip.MustParseAddr("10.9.99.100"), netip.MustParseAddr("::ffff:1.2.3.4"), netip.MustParseAddr("2001:db8::1")}
	for range 10000 {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], rng.Uint32())
		addrs = append(addrs, netip.AddrFrom4(b))
	}
	for _, a := range addrs {
		if got, want := string(appendAddr([]byte("x"), a)), "x"+a.Unmap().String(); got != want {
			t.Errorf("appendAddr(%v) = %q, want %q", a, got, want)
		}
	}
}
