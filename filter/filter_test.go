package filter

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
)

// frame builds an Ethernet frame (or a raw IP packet when raw) carrying IP version of src,
// protocol proto and the ports sp, dp; fragOff sets the IPv4 fragment offset.
func frame(raw bool, src, dst string, proto uint8, sp, dp uint16, fragOff uint16) []byte {
	s, d := netip.MustParseAddr(src), netip.MustParseAddr(dst)
	var b []byte
	if !raw {
		b = make([]byte, 14)
		binary.BigEndian.PutUint16(b[12:], 0x0800)
		if s.Is6() {
			binary.BigEndian.PutUint16(b[12:], 0x86dd)
		}
	}
	if s.Is4() {
		ip := make([]byte, 24) // 4 bytes of options: ports are found through the IHL
		ip[0] = 0x46
		ip[9] = proto
		binary.BigEndian.PutUint16(ip[6:], fragOff)
		copy(ip[12:], s.AsSlice())
		copy(ip[16:], d.AsSlice())
		b = append(b, ip...)
	} else {
		ip := make([]byte, 40)
		ip[0] = 0x60
		ip[6] = proto
		copy(ip[8:], s.AsSlice())
		copy(ip[24:], d.AsSlice())
		b = append(b, ip...)
	}
	l4 := make([]byte, 20)
	binary.BigEndian.PutUint16(l4, sp)
	binary.BigEndian.PutUint16(l4[2:], dp)
	return append(b, l4...)
}

func TestMatch(t *testing.T) {
	v4tcp := frame(false, "10.0.0.1", "192.168.1.2", 6, 40000, 443, 0)
	v4udp := frame(false, "10.0.0.1", "192.168.1.2", 17, 5353, 53, 0)
	v4frag := frame(false, "10.0.0.1", "192.168.1.2", 6, 40000, 443, 10)
	v6tcp := frame(false, "2001:db8::1", "2001:db8::2", 6, 40000, 8443, 0)
	rawTCP := frame(true, "10.0.0.1", "192.168.1.2", 6, 40000, 443, 0)
	arp := make([]byte, 42)
	arp[12], arp[13] = 0x08, 0x06
	tests := []struct {
		expr string
		pkt  []byte
		link uint32
		want bool
	}{
		{"tcp", v4tcp, 1, true},
		{"tcp", v4udp, 1, false},
		{"udp", v4udp, 1, true},
		{"tcp", v6tcp, 1, true},
		{"ip", v6tcp, 1, false},
		{"ip6", v6tcp, 1, true},
		{"arp", arp, 1, true},
		{"ip or ip6", arp, 1, false},
		{"port 443", v4tcp, 1, true},
		{"tcp port 443", v4tcp, 1, true},
		{"udp port 443", v4tcp, 1, false},
		{"src port 443", v4tcp, 1, false},
		{"dst port 443", v4tcp, 1, true},
		{"port 443", v4frag, 1, false},
		{"tcp", v4frag, 1, true},
		{"port 8443", v6tcp, 1, true},
		{"portrange 8000-9000", v6tcp, 1, true},
		{"portrange 444-9000", v4tcp, 1, false},
		{"portrange 400-500", v4tcp, 1, true},
		{"host 10.0.0.1", v4tcp, 1, true},
		{"host 192.168.1.2", v4tcp, 1, true},
		{"src host 192.168.1.2", v4tcp, 1, false},
		{"dst host 192.168.1.2", v4tcp, 1, true},
		{"src and dst host 10.0.0.1", v4tcp, 1, false},
		{"host 10.0.0.9 or 192.168.1.2", v4tcp, 1, true}, // inherited qualifiers
		{"net 192.168.0.0/16", v4tcp, 1, true},
		{"net 192.168", v4tcp, 1, true},
		{"net 172.16.0.0/12", v4tcp, 1, false},
		{"src net 10", v4tcp, 1, true},
		{"net 2001:db8::/32", v6tcp, 1, true},
		{"host 2001:db8::2", v6tcp, 1, true},
		{"host 2001:db8::3", v6tcp, 1, false},
		{"host 2001:db8::2", v4tcp, 1, false},
		{"not port 443", v4tcp, 1, false},
		{"! tcp", v4udp, 1, true},
		{"tcp and port 443 and host 10.0.0.1", v4tcp, 1, true},
		{"udp or port 443", v4tcp, 1, true},
		{"(udp or tcp) and not port 22", v4tcp, 1, true},
		{"udp or tcp and port 22", v4udp, 1, false}, // left to right: (udp or tcp) and port 22
		{"ip proto 6", v4tcp, 1, true},
		{"ip proto udp", v4tcp, 1, false},
		{"ip6 proto 6", v6tcp, 1, true},
		{"proto 17", v4udp, 1, true},
		{"less 50", v4tcp, 1, false},
		{"greater 50", v4tcp, 1, true},
		{"less 58", v4tcp, 1, true},
		{"tcp port 443", rawTCP, 101, true},
		{"ip6", rawTCP, 101, false},
		{"host 10.0.0.1 && dst port 443", rawTCP, 228, true},
	}
	for _, tt := range tests {
		f, err := Compile(tt.expr)
		if err != nil {
			t.Errorf("%q: %v", tt.expr, err)
			continue
		}
		got, err := NewMatcher(f).Match(tt.link, tt.pkt)
		if err != nil || got != tt.want {
			t.Errorf("%q on link %d: got %v, %v; want %v", tt.expr, tt.link, got, err, tt.want)
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"", "empty expression"},
		{"tcp and", `ends after "and"`},
		{"not", `ends after "not"`},
		{"tcp[13] & 2 != 0", `unexpected "["`},
		{"bogus", `"bogus": expected a qualifier`},
		{"vlan", "not supported"},
		{"host 10.0.0.1 and vlan", `"vlan" is not supported`},
		{"host example.com", "host names are not resolved"},
		{"host 10.0.0.0/8", "use net"},
		{"port https", "names are not resolved"},
		{"port 70000", "not a port number"},
		{"(tcp", "missing ')'"},
		{"tcp)", `unexpected ")"`},
		{"icmp port 1", "ports belong to"},
		{"ip host 2001:db8::1", "IPv6 address"},
		{"net 10.0.0.1/8", "non-network bits"},
		{"tcp proto 6", "only ip and ip6"},
		{"port", `"port" needs a value`},
	}
	for _, tt := range tests {
		_, err := Compile(tt.expr)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want one containing %q", tt.expr, err, tt.want)
		}
	}
	f, _ := Compile("tcp")
	if _, err := NewMatcher(f).Match(147, []byte{1}); err == nil {
		t.Error("unknown link type: no error")
	}
}

// The kernel encoding assembles, and a long expression is refused rather than mis-jumped.
func TestAssembleAndLength(t *testing.T) {
	f, err := Compile("tcp port 443 or udp port 443")
	if err != nil {
		t.Fatal(err)
	}
	if raw, err := f.Assemble(1); err != nil || len(raw) == 0 {
		t.Fatalf("Assemble: %d instructions, %v", len(raw), err)
	}
	long := "port 1" + strings.Repeat(" or port 1", 200)
	if _, err := Compile(long); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("long expression: %v", err)
	}
	mid := "port 1" + strings.Repeat(" or port 1", 3)
	if _, err := Compile(mid); err != nil {
		t.Errorf("%q: %v", mid, err)
	}
}

// Random token soups never panic: each compiles to a program that runs, or is an error.
func TestRandomExpressions(t *testing.T) {
	toks := []string{"tcp", "udp", "ip", "ip6", "arp", "icmp", "host", "net", "port", "portrange",
		"src", "dst", "and", "or", "not", "!", "(", ")", "&&", "||", "proto", "less", "greater",
		"10.0.0.1", "10.0.0.0/8", "2001:db8::1", "::/0", "443", "1-1024", "6", "vlan", "[", "]",
		"=", "tcp[13]", "bogus", "192.168", "0", "65535", "-"}
	rng := rand.New(rand.NewPCG(1, 2))
	pkt := frame(false, "10.0.0.1", "192.168.1.2", 6, 40000, 443, 0)
	for range 20000 {
		n := 1 + rng.IntN(8)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = toks[rng.IntN(len(toks))]
		}
		expr := strings.Join(parts, " ")
		f, err := Compile(expr)
		if err != nil {
			continue
		}
		for _, link := range []uint32{1, 101, 113, 276, 0} {
			if _, err := NewMatcher(f).Match(link, pkt); err != nil {
				t.Errorf("%q on link %d: %v", expr, link, err)
			}
		}
	}
}
