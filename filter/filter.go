// Package filter compiles tcpdump filter expressions (pcap-filter(7) syntax) to classic BPF,
// in pure Go, for the kernel (attached to a live socket) and for captures read from files
// (the same program run in user space by golang.org/x/net/bpf's VM), so that -f selects the
// same packets live and offline.
//
// Written by hand because no pure-Go module fits: libpcap's own compiler needs cgo, its
// WebAssembly build (pgaskin/go-pcapfilter) is not served by the module proxy, and
// packetcap/go-pcap's filter package silently accepts what it does not understand
// ("tcp[13] & 2 != 0" compiles to "tcp", "tcp and" to "tcp") — a sensor must refuse an
// expression rather than capture something else than asked.
//
// The language is libpcap's for the primitives a TLS sensor uses: ip, ip6, arp, tcp, udp,
// icmp, icmp6, sctp; [src|dst|src or dst|src and dst] host ADDR, net PREFIX, port N,
// portrange N-M (with an optional protocol qualifier); [ip|ip6] proto N; less N, greater N;
// and, or, not (&&, ||, !), parentheses, and qualifier inheritance ("host a or b"). And and
// or have the same precedence and group from the left, as in libpcap. Everything else
// (ether, vlan, tcp[...] arithmetic, host names, port names...) is an error naming it.
// As in libpcap, port tests skip IPv4 fragments after the first and read IPv6 ports only
// right after the fixed header; "host" matches IPv4 and IPv6 (not ARP, unlike libpcap).
package filter

import (
	"errors"
	"fmt"

	"golang.org/x/net/bpf"
)

// Error is a bad expression: the usage error the command reports.
type Error struct {
	Expr string
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("filter %q: %v", e.Expr, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// ErrLinkType is returned for a link type the compiler has no layout for.
var ErrLinkType = errors.New("link type not supported by the filter")

// snapAll is the return value that keeps a whole packet.
const snapAll = 262144

// Filter is a parsed expression; it compiles one program per link type.
type Filter struct {
	expr string
	root *node
}

// Compile parses expr and checks that it compiles (for Ethernet).
func Compile(expr string) (*Filter, error) {
	root, err := parse(expr)
	if err != nil {
		return nil, &Error{Expr: expr, Err: err}
	}
	f := &Filter{expr: expr, root: root}
	if _, err := f.Program(1); err != nil {
		return nil, err
	}
	return f, nil
}

// String returns the expression.
func (f *Filter) String() string { return f.expr }

// layout is where a link type puts the network layer.
type layout struct {
	etherType int // offset of the 16-bit EtherType, or -1: the IP version nibble tells
	net       uint32
}

func layoutOf(linkType uint32) (layout, bool) {
	switch linkType {
	case 1: // LINKTYPE_ETHERNET
		return layout{12, 14}, true
	case 113: // LINKTYPE_LINUX_SLL
		return layout{14, 16}, true
	case 276: // LINKTYPE_LINUX_SLL2
		return layout{0, 20}, true
	case 101, 12, 14, 228, 229: // raw IP (and its historical numbers)
		return layout{-1, 0}, true
	case 0, 108: // BSD loopback: a 4-byte address family
		return layout{-1, 4}, true
	}
	return layout{}, false
}

// Program returns the classic BPF program for frames of linkType (a pcap LINKTYPE_ value).
func (f *Filter) Program(linkType uint32) ([]bpf.Instruction, error) {
	lay, ok := layoutOf(linkType)
	if !ok {
		return nil, &Error{Expr: f.expr, Err: fmt.Errorf("%w: %d", ErrLinkType, linkType)}
	}
	g := &gen{lay: lay}
	accept, reject := g.newLabel(), g.newLabel()
	g.node(f.root, accept, reject)
	g.place(accept)
	g.emit(bpf.RetConstant{Val: snapAll})
	g.place(reject)
	g.emit(bpf.RetConstant{Val: 0})
	prog, err := g.link()
	if err != nil {
		return nil, &Error{Expr: f.expr, Err: err}
	}
	return prog, nil
}

// Assemble returns the program for linkType in the kernel's encoding.
func (f *Filter) Assemble(linkType uint32) ([]bpf.RawInstruction, error) {
	prog, err := f.Program(linkType)
	if err != nil {
		return nil, err
	}
	return bpf.Assemble(prog)
}

// Matcher runs a filter in user space over frames of any supported link type. It is not
// safe for concurrent use (one per engine or shard).
type Matcher struct {
	f        *Filter
	vms      map[uint32]*bpf.VM
	lastLink uint32
	last     *bpf.VM
}

// NewMatcher returns a matcher of f.
func NewMatcher(f *Filter) *Matcher { return &Matcher{f: f, vms: map[uint32]*bpf.VM{}} }

// Match reports whether the frame passes the filter. The error is for a link type the
// filter has no layout for.
func (m *Matcher) Match(linkType uint32, data []byte) (bool, error) {
	if m.last == nil || linkType != m.lastLink {
		vm, ok := m.vms[linkType]
		if !ok {
			prog, err := m.f.Program(linkType)
			if err != nil {
				return false, err
			}
			if vm, err = bpf.NewVM(prog); err != nil {
				return false, &Error{Expr: m.f.expr, Err: err}
			}
			m.vms[linkType] = vm
		}
		m.last, m.lastLink = vm, linkType
	}
	n, err := m.last.Run(data)
	return err == nil && n > 0, nil
}
