package filter

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// label is a position in the program, placed once.
type label int

type insn struct {
	plain bpf.Instruction // nil for a jump
	cond  bpf.JumpTest
	val   uint32
	jt    label
	jf    label
	ja    bool // an unconditional jump to jt
}

// gen emits a program with symbolic jump targets: node(n, t, f) jumps to t when n holds
// and to f when it does not; link resolves the targets (classic BPF jumps go forward only,
// conditional ones at most 255 instructions).
type gen struct {
	lay    layout
	ins    []insn
	labels []int
}

func (g *gen) newLabel() label {
	g.labels = append(g.labels, -1)
	return label(len(g.labels) - 1)
}

func (g *gen) place(l label) { g.labels[l] = len(g.ins) }

func (g *gen) emit(i bpf.Instruction) { g.ins = append(g.ins, insn{plain: i}) }

func (g *gen) jump(c bpf.JumpTest, v uint32, t, f label) {
	g.ins = append(g.ins, insn{cond: c, val: v, jt: t, jf: f})
}

func (g *gen) goTo(l label) { g.ins = append(g.ins, insn{ja: true, jt: l}) }

func (g *gen) link() ([]bpf.Instruction, error) {
	out := make([]bpf.Instruction, len(g.ins))
	for i, in := range g.ins {
		if in.plain != nil {
			out[i] = in.plain
			continue
		}
		t := g.labels[in.jt] - (i + 1)
		if in.ja {
			out[i] = bpf.Jump{Skip: uint32(t)}
			continue
		}
		f := g.labels[in.jf] - (i + 1)
		if t > 255 || f > 255 {
			return nil, fmt.Errorf("expression too long for classic BPF jumps")
		}
		out[i] = bpf.JumpIf{Cond: in.cond, Val: in.val, SkipTrue: uint8(t), SkipFalse: uint8(f)}
	}
	if len(out) > 4096 {
		return nil, fmt.Errorf("expression too long (%d instructions, the kernel takes 4096)", len(out))
	}
	return out, nil
}

func (g *gen) node(n *node, t, f label) {
	switch n.op {
	case '&':
		m := g.newLabel()
		g.node(n.l, m, f)
		g.place(m)
		g.node(n.r, t, f)
	case '|':
		m := g.newLabel()
		g.node(n.l, t, m)
		g.place(m)
		g.node(n.r, t, f)
	case '!':
		g.node(n.l, f, t)
	default:
		g.prim(&n.p, t, f)
	}
}

// isIP jumps to t if the frame carries IP version v (4 or 6).
func (g *gen) isIP(v int, t, f label) {
	if g.lay.etherType >= 0 {
		g.emit(bpf.LoadAbsolute{Off: uint32(g.lay.etherType), Size: 2})
		et := uint32(0x0800)
		if v == 6 {
			et = 0x86dd
		}
		g.jump(bpf.JumpEqual, et, t, f)
		return
	}
	g.emit(bpf.LoadAbsolute{Off: g.lay.net, Size: 1})
	g.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xf0})
	g.jump(bpf.JumpEqual, uint32(v)<<4, t, f)
}

// ipProto jumps to t if the frame is IP version v carrying protocol p (IPv6: in the fixed
// header's next header field, as libpcap).
func (g *gen) ipProto(v int, p uint32, t, f label) {
	m := g.newLabel()
	g.isIP(v, m, f)
	g.place(m)
	off := g.lay.net + 9
	if v == 6 {
		off = g.lay.net + 6
	}
	g.emit(bpf.LoadAbsolute{Off: off, Size: 1})
	g.jump(bpf.JumpEqual, p, t, f)
}

// versions returns the IP versions a protocol qualifier allows.
func versions(proto string) []int {
	switch proto {
	case "ip", "icmp":
		return []int{4}
	case "ip6", "icmp6":
		return []int{6}
	case "arp":
		return nil
	}
	return []int{4, 6}
}

// either tries each of the versions in turn: jump to t at the first that holds.
func (g *gen) either(vs []int, t, f label, one func(v int, t, f label)) {
	if len(vs) == 0 {
		g.goTo(f)
		return
	}
	for i, v := range vs {
		next := f
		if i < len(vs)-1 {
			next = g.newLabel()
		}
		one(v, t, next)
		if next != f {
			g.place(next)
		}
	}
}

func (g *gen) prim(p *prim, t, f label) {
	switch p.kind {
	case kProto:
		switch p.proto {
		case "ip":
			g.isIP(4, t, f)
		case "ip6":
			g.isIP(6, t, f)
		case "arp":
			if g.lay.etherType < 0 {
				g.goTo(f)
				return
			}
			g.emit(bpf.LoadAbsolute{Off: uint32(g.lay.etherType), Size: 2})
			g.jump(bpf.JumpEqual, 0x0806, t, f)
		default:
			n := protoWords[p.proto]
			g.either(versions(p.proto), t, f, func(v int, t, f label) { g.ipProto(v, n, t, f) })
		}
	case kIPProto:
		g.either(versions(p.proto), t, f, func(v int, t, f label) { g.ipProto(v, p.lo, t, f) })
	case kLess, kGreater:
		g.emit(bpf.LoadExtension{Num: bpf.ExtLen})
		if p.kind == kLess {
			g.jump(bpf.JumpGreaterThan, p.lo, f, t)
		} else {
			g.jump(bpf.JumpGreaterOrEqual, p.lo, t, f)
		}
	case kHost, kNet:
		v := 6
		if p.addr.Addr().Is4() {
			v = 4
		}
		m := g.newLabel()
		g.isIP(v, m, f)
		g.place(m)
		src, dst := g.lay.net+12, g.lay.net+16
		if v == 6 {
			src, dst = g.lay.net+8, g.lay.net+24
		}
		g.dirs(p.dir, t, f, func(isSrc bool, t, f label) {
			off := dst
			if isSrc {
				off = src
			}
			g.addr(off, p, t, f)
		})
	case kPort, kPortRange:
		protos := []uint32{6, 17, 132}
		if p.proto != "" {
			protos = []uint32{protoWords[p.proto]}
		}
		g.either([]int{4, 6}, t, f, func(v int, t, f label) { g.port(v, protos, p, t, f) })
	}
}

// dirs combines the test of the source and of the destination as dir asks.
func (g *gen) dirs(dir int, t, f label, one func(isSrc bool, t, f label)) {
	switch dir {
	case dSrc:
		one(true, t, f)
	case dDst:
		one(false, t, f)
	case dSrcAndDst:
		m := g.newLabel()
		one(true, m, f)
		g.place(m)
		one(false, t, f)
	default:
		m := g.newLabel()
		one(true, t, m)
		g.place(m)
		one(false, t, f)
	}
}

// addr compares the address at off with the prefix of p, 32 bits at a time.
func (g *gen) addr(off uint32, p *prim, t, f label) {
	a := p.addr.Addr().AsSlice()
	bits := p.addr.Bits()
	if bits == 0 {
		g.goTo(t)
		return
	}
	for w := 0; w*32 < bits; w++ {
		val := uint32(a[4*w])<<24 | uint32(a[4*w+1])<<16 | uint32(a[4*w+2])<<8 | uint32(a[4*w+3])
		mask := ^uint32(0)
		if rest := bits - w*32; rest < 32 {
			mask <<= 32 - rest
		}
		g.emit(bpf.LoadAbsolute{Off: off + uint32(4*w), Size: 4})
		if mask != ^uint32(0) {
			g.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: mask})
		}
		next := t
		if (w+1)*32 < bits {
			next = g.newLabel()
		}
		g.jump(bpf.JumpEqual, val&mask, next, f)
		if next != t {
			g.place(next)
		}
	}
}

// port tests the transport ports of an IP version v packet of one of protos.
func (g *gen) port(v int, protos []uint32, p *prim, t, f label) {
	m := g.newLabel()
	g.isIP(v, m, f)
	g.place(m)
	protoOff := g.lay.net + 9
	if v == 6 {
		protoOff = g.lay.net + 6
	}
	g.emit(bpf.LoadAbsolute{Off: protoOff, Size: 1})
	ok := g.newLabel()
	for i, pr := range protos {
		next := f
		if i < len(protos)-1 {
			next = g.newLabel()
		}
		g.jump(bpf.JumpEqual, pr, ok, next)
		if next != f {
			g.place(next)
		}
	}
	g.place(ok)
	var load func(isSrc bool) bpf.Instruction
	if v == 4 {
		first := g.newLabel()
		g.emit(bpf.LoadAbsolute{Off: g.lay.net + 6, Size: 2})
		g.jump(bpf.JumpBitsSet, 0x1fff, f, first) // not the first fragment: no ports
		g.place(first)
		g.emit(bpf.LoadMemShift{Off: g.lay.net}) // X = IPv4 header length
		load = func(isSrc bool) bpf.Instruction {
			if isSrc {
				return bpf.LoadIndirect{Off: g.lay.net, Size: 2}
			}
			return bpf.LoadIndirect{Off: g.lay.net + 2, Size: 2}
		}
	} else {
		load = func(isSrc bool) bpf.Instruction {
			if isSrc {
				return bpf.LoadAbsolute{Off: g.lay.net + 40, Size: 2}
			}
			return bpf.LoadAbsolute{Off: g.lay.net + 42, Size: 2}
		}
	}
	g.dirs(p.dir, t, f, func(isSrc bool, t, f label) {
		g.emit(load(isSrc))
		if p.lo == p.hi {
			g.jump(bpf.JumpEqual, p.lo, t, f)
			return
		}
		m := g.newLabel()
		g.jump(bpf.JumpGreaterOrEqual, p.lo, m, f)
		g.place(m)
		g.jump(bpf.JumpGreaterThan, p.hi, f, t)
	})
}
