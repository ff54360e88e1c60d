package zeeklog

import "net/netip"

// privateNets is Zeek's default Site::private_address_space, which Zeek also treats as
// local (Site::private_address_space_is_local): it decides local_orig and local_resp.
var privateNets = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "2002::/24", "10.0.0.0/8", "2002:a00::/24", "100.64.0.0/10", "2002:6440::/26",
		"127.0.0.0/8", "2002:7f00::/24", "169.254.0.0/16", "2002:a9fe::/32", "172.16.0.0/12",
		"2002:ac10::/28", "192.0.0.0/24", "2002:c000::/40", "192.0.2.0/24", "2002:c000:200::/40",
		"192.168.0.0/16", "2002:c0a8::/32", "198.18.0.0/15", "2002:c612::/31", "198.51.100.0/24",
		"2002:c633:6400::/40", "203.0.113.0/24", "2002:cb00:7100::/40", "224.0.0.0/24",
		"2002:e000::/40", "239.0.0.0/8", "2002:ef00::/24", "240.0.0.0/4", "2002:f000::/20",
		"255.255.255.255/32", "2002:ffff:ffff::/48", "::/128", "::1/128", "64:ff9b:1::/48",
		"100::/64", "2001::/23", "2001:2::/48", "2001:db8::/32", "fc00::/7", "fe80::/10", "fec0::/10",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// v4Net is an IPv4 prefix of privateNets as a masked number.
type v4Net struct{ net, mask uint32 }

// privateV4 and privateV6 split privateNets by family, the IPv4 ones as masks.
var privateV4, privateV6 = func() (v4 []v4Net, v6 []netip.Prefix) {
	for _, p := range privateNets {
		if p.Addr().Is4() {
			a := p.Addr().As4()
			mask := ^uint32(0) << (32 - p.Bits())
			if p.Bits() == 0 {
				mask = 0
			}
			v4 = append(v4, v4Net{net: (uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])) & mask, mask: mask})
		} else {
			v6 = append(v6, p)
		}
	}
	return v4, v6
}()

// v4ByOctet tells, by an IPv4 address's first byte, whether it is local whatever the
// rest (v4Local), not local whatever the rest (0), or whether the prefixes of
// v4NetsByOctet decide (v4Some): most addresses need no walk of a list, the others walk
// only the few prefixes of their first byte.
var v4ByOctet, v4NetsByOctet = func() (t [256]uint8, nets [256][]v4Net) {
	for _, p := range privateV4 {
		for o := range 256 {
			if uint32(o)<<24&p.mask>>24 != p.net>>24 {
				continue
			}
			if p.mask <= 0xff000000 {
				t[o] |= v4Local
			} else {
				t[o] |= v4Some
				nets[o] = append(nets[o], p)
			}
		}
	}
	return t, nets
}()

const (
	v4Local = 1 << iota
	v4Some
)

// IsLocalAddr reports whether a is in Zeek's default local networks (its private
// address space).
func IsLocalAddr(a netip.Addr) bool {
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		switch t := v4ByOctet[b[0]]; {
		case t&v4Local != 0:
			return true
		case t == 0:
			return false
		}
		n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		for _, p := range v4NetsByOctet[b[0]] {
			if n&p.mask == p.net {
				return true
			}
		}
		return false
	}
	for _, p := range privateV6 {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
