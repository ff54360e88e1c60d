package filter

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// node is a parsed expression: and, or, not, or a primitive.
type node struct {
	op   byte // '&', '|', '!', or 0 for a primitive
	l, r *node
	p    prim
}

// Primitive kinds.
const (
	kProto     = iota // a protocol alone: ip, ip6, arp, tcp, udp, icmp, icmp6, sctp
	kHost             // host ADDR
	kNet              // net PREFIX
	kPort             // port N
	kPortRange        // portrange N-M
	kIPProto          // [ip|ip6] proto N
	kLess             // less N
	kGreater          // greater N
)

// Directions.
const (
	dSrcOrDst = iota
	dSrc
	dDst
	dSrcAndDst
)

// prim is one primitive with its qualifiers.
type prim struct {
	kind   int
	proto  string // "" (any), ip, ip6, arp, tcp, udp, icmp, icmp6, sctp
	dir    int
	addr   netip.Prefix // kHost (full length) and kNet
	lo, hi uint32       // kPort (lo==hi), kPortRange, kIPProto (lo), kLess/kGreater (lo)
}

// qual is the qualifiers in force, inherited by a bare id after and/or ("host a or b").
type qual struct {
	proto string
	dir   int
	kind  int
	set   bool
}

var protoWords = map[string]uint32{"ip": 0, "ip6": 0, "arp": 0, "tcp": 6, "udp": 17, "icmp": 1, "icmp6": 58, "sctp": 132}

// unsupportedWords are libpcap keywords this compiler does not implement: named so the
// error says so rather than calling them unknown.
var unsupportedWords = map[string]bool{
	"ether": true, "vlan": true, "mpls": true, "pppoed": true, "pppoes": true, "geneve": true,
	"broadcast": true, "multicast": true, "gateway": true, "rarp": true, "decnet": true,
	"protochain": true, "len": true, "inbound": true, "outbound": true, "ifname": true,
	"wlan": true, "type": true, "subtype": true, "dir": true, "llc": true, "atalk": true,
	"iso": true, "stp": true, "ipx": true, "netbeui": true, "mask": true, "link": true,
}

type parser struct {
	toks []string
	pos  int
	last qual
}

// tokenize splits an expression into words and the symbols ( ) ! && || [ ] and comparison
// and arithmetic operators (the latter only to be reported as unsupported).
func tokenize(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == '[' || c == ']' || c == '+' || c == '*' || c == '&' && !strings.HasPrefix(s[i:], "&&") ||
			c == '|' && !strings.HasPrefix(s[i:], "||"):
			toks = append(toks, s[i:i+1])
			i++
		case strings.HasPrefix(s[i:], "&&") || strings.HasPrefix(s[i:], "||") || strings.HasPrefix(s[i:], "!=") ||
			strings.HasPrefix(s[i:], ">=") || strings.HasPrefix(s[i:], "<=") || strings.HasPrefix(s[i:], "=="):
			toks = append(toks, s[i:i+2])
			i += 2
		case c == '!' || c == '=' || c == '<' || c == '>':
			toks = append(toks, s[i:i+1])
			i++
		case c > ' ' && c < 0x7f:
			j := i
			for j < len(s) && s[j] > ' ' && s[j] < 0x7f && !strings.ContainsRune("()[]!&|=<>+*", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q", c)
		}
	}
	return toks, nil
}

func parse(s string) (*node, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("empty expression")
	}
	p := &parser{toks: toks}
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos])
	}
	return n, nil
}

func (p *parser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *parser) next() string {
	t := p.peek()
	if t != "" {
		p.pos++
	}
	return t
}

// expr: and and or have the same precedence and group from the left, as in libpcap.
func (p *parser) expr() (*node, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		var op byte
		switch p.peek() {
		case "and", "&&":
			op = '&'
		case "or", "||":
			op = '|'
		default:
			return l, nil
		}
		w := p.next()
		if p.peek() == "" {
			return nil, fmt.Errorf("expression ends after %q", w)
		}
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &node{op: op, l: l, r: r}
	}
}

func (p *parser) unary() (*node, error) {
	switch t := p.peek(); t {
	case "not", "!":
		p.next()
		if p.peek() == "" {
			return nil, fmt.Errorf("expression ends after %q", t)
		}
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &node{op: '!', l: n}, nil
	case "(":
		p.next()
		n, err := p.expr()
		if err != nil {
			return nil, err
		}
		if p.next() != ")" {
			return nil, fmt.Errorf("missing ')'")
		}
		return n, nil
	case "":
		return nil, fmt.Errorf("unexpected end of expression")
	}
	return p.primitive()
}

// primitive: [proto] [dir] [type] id, a protocol alone, [proto] proto N, less/greater N,
// or a bare id inheriting the previous primitive's qualifiers.
func (p *parser) primitive() (*node, error) {
	start := p.peek()
	q := qual{kind: -1}
	if _, ok := protoWords[p.peek()]; ok {
		q.proto = p.next()
	}
	switch p.peek() {
	case "src", "dst":
		w := p.next()
		q.dir = dSrc
		if w == "dst" {
			q.dir = dDst
		}
		if (p.peek() == "or" || p.peek() == "and") && p.pos+1 < len(p.toks) && (p.toks[p.pos+1] == "src" || p.toks[p.pos+1] == "dst") {
			if p.next() == "or" {
				q.dir = dSrcOrDst
			} else {
				q.dir = dSrcAndDst
			}
			p.next()
		}
	}
	switch t := p.peek(); t {
	case "host":
		q.kind = kHost
	case "net":
		q.kind = kNet
	case "port":
		q.kind = kPort
	case "portrange":
		q.kind = kPortRange
	case "proto":
		p.next()
		return p.ipProto(q)
	case "less", "greater":
		if q.proto != "" || q.dir != dSrcOrDst {
			return nil, fmt.Errorf("%q takes no qualifier", t)
		}
		p.next()
		n, err := p.number()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", t, err)
		}
		k := kLess
		if t == "greater" {
			k = kGreater
		}
		return &node{p: prim{kind: k, lo: n}}, nil
	}
	if q.kind >= 0 {
		p.next()
	}
	id := p.peek()
	isID := id != "" && !isKeyword(id) && !strings.ContainsAny(id[:1], "()[]!&|=<>+*")
	switch {
	case q.kind < 0 && !isID && q.proto != "" && q.dir == dSrcOrDst:
		return &node{p: prim{kind: kProto, proto: q.proto}}, nil // "tcp", "ip6"...
	case q.kind < 0 && q.proto == "" && q.dir == dSrcOrDst && isID:
		if unsupportedWords[id] {
			return nil, fmt.Errorf("%q is not supported by this filter compiler", id)
		}
		if !p.last.set {
			return nil, fmt.Errorf("%q: expected a qualifier (host, net, port, tcp, ...) before it", id)
		}
		q = p.last // "host a or b": b is a host too
	case q.kind < 0:
		q.kind = kHost // "src 10.0.0.1"
	}
	if !isID {
		if id != "" && strings.ContainsAny(id[:1], "[]=<>+*&|") {
			return nil, fmt.Errorf("unexpected %q after %q (packet data accessors and arithmetic are not supported)", id, start)
		}
		if id == "" {
			return nil, fmt.Errorf("%q needs a value", start)
		}
		return nil, fmt.Errorf("%q needs a value, got %q", start, id)
	}
	p.next()
	q.set = true
	p.last = q
	return q.build(id)
}

func isKeyword(s string) bool {
	switch s {
	case "and", "or", "not", "&&", "||", "host", "net", "port", "portrange", "proto", "src", "dst", "less", "greater":
		return true
	}
	_, ok := protoWords[s]
	return ok
}

func (p *parser) number() (uint32, error) {
	t := p.next()
	n, err := strconv.ParseUint(t, 0, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", t)
	}
	return uint32(n), nil
}

func (p *parser) ipProto(q qual) (*node, error) {
	if q.proto != "" && q.proto != "ip" && q.proto != "ip6" {
		return nil, fmt.Errorf("\"%s proto\": only ip and ip6 have a protocol field", q.proto)
	}
	t := p.peek()
	n, ok := protoWords[t]
	if ok && n != 0 {
		p.next()
	} else {
		var err error
		if n, err = p.number(); err != nil {
			return nil, fmt.Errorf("proto: %v", err)
		}
		if n > 255 {
			return nil, fmt.Errorf("proto %d: out of range", n)
		}
	}
	return &node{p: prim{kind: kIPProto, proto: q.proto, lo: n}}, nil
}

func (q qual) build(id string) (*node, error) {
	pr := prim{kind: q.kind, proto: q.proto, dir: q.dir}
	switch q.kind {
	case kHost, kNet:
		switch q.proto {
		case "", "ip", "ip6":
		default:
			return nil, fmt.Errorf("\"%s host/net\" is not valid", q.proto)
		}
		var err error
		if q.kind == kHost {
			a, perr := netip.ParseAddr(id)
			if perr != nil {
				if strings.Contains(id, "/") {
					return nil, fmt.Errorf("host %q: a host is one address (use net for a prefix)", id)
				}
				return nil, fmt.Errorf("host %q: not an IP address (host names are not resolved)", id)
			}
			pr.addr = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		} else {
			pr.addr, err = parseNet(id)
			if err != nil {
				return nil, err
			}
		}
		if (q.proto == "ip" && !pr.addr.Addr().Is4()) || (q.proto == "ip6" && pr.addr.Addr().Is4()) {
			return nil, fmt.Errorf("%s address %q under %q", map[bool]string{true: "IPv4", false: "IPv6"}[pr.addr.Addr().Is4()], id, q.proto)
		}
	case kPort, kPortRange:
		switch q.proto {
		case "", "tcp", "udp", "sctp":
		default:
			return nil, fmt.Errorf("\"%s port\" is not valid: ports belong to tcp, udp or sctp", q.proto)
		}
		lo, hi, err := parsePorts(id, q.kind == kPortRange)
		if err != nil {
			return nil, err
		}
		pr.lo, pr.hi = lo, hi
	}
	return &node{p: pr}, nil
}

// parseNet reads a prefix: a/len, or a partial IPv4 network as libpcap accepts ("10",
// "192.168", "10.1.2": the bytes given, /8 per byte).
func parseNet(id string) (netip.Prefix, error) {
	if pf, err := netip.ParsePrefix(id); err == nil {
		if pf.Masked() != pf {
			return netip.Prefix{}, fmt.Errorf("net %q: non-network bits set in the address", id)
		}
		return pf, nil
	}
	if a, err := netip.ParseAddr(id); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	parts := strings.Split(id, ".")
	if len(parts) <= 3 {
		var b [4]byte
		for i, s := range parts {
			v, err := strconv.ParseUint(s, 10, 8)
			if err != nil {
				return netip.Prefix{}, fmt.Errorf("net %q: not a network", id)
			}
			b[i] = byte(v)
		}
		return netip.PrefixFrom(netip.AddrFrom4(b), 8*len(parts)), nil
	}
	return netip.Prefix{}, fmt.Errorf("net %q: not a network", id)
}

func parsePorts(id string, isRange bool) (lo, hi uint32, err error) {
	one := func(s string) (uint32, error) {
		n, err := strconv.ParseUint(s, 10, 16)
		if err != nil {
			return 0, fmt.Errorf("port %q: not a port number (names are not resolved)", s)
		}
		return uint32(n), nil
	}
	if !isRange {
		lo, err = one(id)
		return lo, lo, err
	}
	a, b, ok := strings.Cut(id, "-")
	if !ok {
		return 0, 0, fmt.Errorf("portrange %q: expected N-M", id)
	}
	if lo, err = one(a); err != nil {
		return
	}
	if hi, err = one(b); err != nil {
		return
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	return lo, hi, nil
}
