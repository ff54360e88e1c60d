package detect

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

// delivery is one call an analyzer received (or the connection had): data or a gap.
type delivery struct {
	isOrig  bool
	gap     uint64
	data    string
	leading bool // a gap before the first byte: only analyzers attached by port see it
}

func (d delivery) String() string {
	if d.gap > 0 {
		return fmt.Sprintf("{%v gap %d}", d.isOrig, d.gap)
	}
	return fmt.Sprintf("{%v %q}", d.isOrig, d.data)
}

// logger records its deliveries and detaches itself after data containing detachByte.
type logger struct {
	env *analyzer.Env
	log []delivery
}

const detachByte = 0xdd

func (l *logger) add(d delivery) {
	l.log = append(l.log, d)
	if d.gap == 0 && bytes.IndexByte([]byte(d.data), detachByte) >= 0 {
		l.env.Detach()
	}
}
func (l *logger) DeliverStream(_ int64, o bool, b []byte) {
	l.add(delivery{isOrig: o, data: string(b)})
}
func (l *logger) DeliverPacket(_ int64, o bool, b []byte) {
	l.add(delivery{isOrig: o, data: string(b)})
}
func (l *logger) Gap(_ int64, o bool, n uint64) { l.add(delivery{isOrig: o, gap: n}) }
func (l *logger) EndOfData(int64, bool)         {}
func (l *logger) Done(int64)                    {}

// The content specs of the fuzz registry: predicates on what Match is shown.
var fuzzMatchers = []struct {
	name string
	fn   func(isOrig bool, b []byte) bool
}{
	{"orig-16", func(isOrig bool, b []byte) bool { return isOrig && len(b) > 0 && b[0] == 0x16 }},
	{"resp-ab", func(isOrig bool, b []byte) bool { return !isOrig && bytes.IndexByte(b, 0xab) >= 0 }},
	{"len-700", func(_ bool, b []byte) bool { return len(b) >= 700 }},
}

// fuzzConn is one connection of the fuzz input, with what the harness (standing in for
// the engine) delivered and the model of content matching.
type fuzzConn struct {
	det     Conn
	info    tlsmon.Conn
	history []delivery // every delivery of the connection, in order
	byName  map[string]*logger

	// model: the bytes of each direction content matching has buffered, while it runs
	active  bool
	total   int
	dir     [2][]byte
	matched map[string]bool // content specs the model expects attached
}

// FuzzDetect drives the registry as the engine does (live delivery to attached analyzers,
// content matching, replay to the analyzers it attaches, Settle, gaps, Close) over two
// interleaved connections, TCP or UDP. It checks that every attached analyzer received
// the connection's whole history in order, exactly once (up to its own detach), that
// content specs attach exactly when a model of the shared BufferSize buffer says their
// predicate held, and that the buffer stays within its cap and is released when
// matching stops.
func FuzzDetect(f *testing.F) {
	f.Add([]byte{0x00, 0x00, 3, 0x16, 3, 1, 0x40, 4, 1, 2, 0xab, 4})
	f.Add([]byte{0x0f, 0x00, 5, 0x16, 3, 3, 0, 9, 0x40, 2, 0xab, 0xdd, 0xc0, 1, 0xab})
	f.Add([]byte{0x05, 0x03, 0xff, 0x16, 0x43, 0x20, 0xab, 0x20, 3, 0x60, 1, 0x00, 1, 0x16})
	f.Add(append([]byte{0x00, 0x01, 0x90}, bytes.Repeat([]byte{0x16}, 400)...))
	// A responder delivery past BufferSize (1100 bytes, 0xab inside): kept whole for replays.
	big := bytes.Repeat([]byte{7}, 1100)
	big[10] = 0xab
	f.Add(append([]byte{0x00, 0x00, 0x01, 0x16, 0x44, 0x4c}, big...))
	f.Add(append([]byte{0x01, 0x44, 0x4c}, big...)) // the same datagram on UDP
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		cfg := b[0]
		b = b[1:]
		specs := []analyzer.Spec{{Name: "port", TCPPorts: []uint16{443}, UDPPorts: []uint16{443}}}
		for _, m := range fuzzMatchers {
			specs = append(specs, analyzer.Spec{Name: m.name, Match: m.fn})
		}
		var conns [2]*fuzzConn
		for i := range specs {
			s := &specs[i]
			s.New = func(env *analyzer.Env) analyzer.Analyzer {
				l := &logger{env: env}
				c := conns[0]
				if env.Conn == &conns[1].info {
					c = conns[1]
				}
				if c.byName[s.Name] != nil {
					t.Fatalf("%s attached twice", s.Name)
				}
				c.byName[s.Name] = l
				return l
			}
		}
		r := NewRegistry(specs)
		for i := range conns {
			c := &fuzzConn{byName: map[string]*logger{}, matched: map[string]bool{}, active: true}
			c.info.ID.Proto = tlsmon.ProtoTCP
			if cfg&(1<<i) != 0 {
				c.info.ID.Proto = tlsmon.ProtoUDP
			}
			if cfg&(4<<i) != 0 {
				c.info.ID.RespP = 443
			}
			conns[i] = c
		}
		envOf := func(c *fuzzConn) Env {
			return EnvFunc(func(_ *analyzer.Spec, s *Slot) *analyzer.Env {
				return &analyzer.Env{Conn: &c.info, Detach: s.Detach}
			})
		}
		for _, c := range conns {
			r.Start(&c.det, &c.info.ID, envOf(c))
			if (c.info.ID.RespP == 443) != (c.byName["port"] != nil) {
				t.Fatalf("port spec attached %v for port %d", c.byName["port"] != nil, c.info.ID.RespP)
			}
		}
		for len(b) >= 2 {
			op := b[0]
			c := conns[op>>7]
			isOrig := op&0x40 == 0
			n := int(op&0x0f)<<8 | int(b[1])
			b = b[2:]
			udp := c.info.ID.Proto == tlsmon.ProtoUDP
			if (op>>4)&3 == 2 {
				if !udp {
					c.gap(r, isOrig, uint64(n)+1)
				}
			} else {
				n = min(n, len(b))
				data := bytes.Clone(b[:n])
				b = b[n:]
				if len(data) > 0 {
					c.data(t, r, envOf(c), isOrig, data, udp)
				}
			}
			c.check(t)
		}
		for _, c := range conns {
			c.end(t, r)
		}
	})
}

func (c *fuzzConn) data(t *testing.T, r *Registry, env Env, isOrig bool, data []byte, udp bool) {
	c.history = append(c.history, delivery{isOrig: isOrig, data: string(data)})
	for _, s := range c.det.Slots() {
		if !s.Detached {
			if udp {
				s.A.DeliverPacket(0, isOrig, data)
			} else {
				s.A.DeliverStream(0, isOrig, data)
			}
		}
	}
	c.model(isOrig, data, udp)
	var matched []*Slot
	if !c.det.Stopped() {
		if udp {
			matched = r.Packet(&c.det, isOrig, data, env)
		} else {
			matched = r.Stream(&c.det, isOrig, data, env)
		}
	}
	if c.det.Buffered() > BufferSize {
		t.Fatalf("%d bytes buffered", c.det.Buffered())
	}
	for _, s := range matched {
		if udp {
			c.det.ReplayPackets(s, 0)
		} else {
			c.det.ReplayStream(s, 0)
		}
	}
	r.Settle(&c.det)
	data[0] ^= 0xff // the caller's buffer is reused: nothing may keep it
}

// model updates the expected content matching: the delivery reaching BufferSize (both
// directions together) is the last matched; TCP specs see their direction's buffered
// bytes, UDP specs the datagram alone; a gap does not end matching.
func (c *fuzzConn) model(isOrig bool, data []byte, udp bool) {
	if !c.active {
		return
	}
	room := BufferSize - c.total
	take := min(len(data), room)
	i := dirIndex(isOrig)
	c.dir[i] = append(c.dir[i], data[:take]...)
	c.total += take
	view := c.dir[i]
	if udp {
		view = data
	}
	all := true
	for _, m := range fuzzMatchers {
		if !c.matched[m.name] && m.fn(isOrig, view) {
			c.matched[m.name] = true
		}
		all = all && c.matched[m.name]
	}
	if len(data) >= room || all {
		c.active = false
	}
}

func (c *fuzzConn) gap(r *Registry, isOrig bool, n uint64) {
	// A gap before the first byte is forgotten by content matching (Zeek's PIA): the replay
	// to the analyzers it attaches later leaves it out.
	c.history = append(c.history, delivery{isOrig: isOrig, gap: n, leading: c.active && c.total == 0})
	for _, s := range c.det.Slots() {
		if !s.Detached {
			s.A.Gap(0, isOrig, n)
		}
	}
	c.det.Gap(isOrig, n) // matching goes on after a gap
}

func (c *fuzzConn) check(t *testing.T) {
	if c.det.Stopped() && c.det.Buffered() != 0 {
		t.Fatalf("matching stopped with %d bytes buffered", c.det.Buffered())
	}
	if c.det.Stopped() == c.active {
		t.Fatalf("matching stopped %v, model active %v", c.det.Stopped(), c.active)
	}
	for _, m := range fuzzMatchers {
		if c.matched[m.name] != (c.byName[m.name] != nil) {
			t.Fatalf("spec %s attached %v, want %v", m.name, c.byName[m.name] != nil, c.matched[m.name])
		}
	}
}

// checkLogs checks that every attached analyzer received the connection's history, up to
// its detach.
func (c *fuzzConn) checkLogs(t *testing.T) {
	for name, l := range c.byName {
		var want []delivery
		for _, d := range c.history {
			if d.leading && name != "port" {
				continue
			}
			d.leading = false
			want = append(want, d)
		}
		for i, d := range want {
			if d.gap == 0 && bytes.IndexByte([]byte(d.data), detachByte) >= 0 {
				want = want[:i+1]
				break
			}
		}
		if !slices.Equal(l.log, want) {
			t.Fatalf("%s received\n%v\nwant\n%v", name, l.log, want)
		}
	}
}

func (c *fuzzConn) end(t *testing.T, r *Registry) {
	c.checkLogs(t)
	for _, s := range c.det.Slots() {
		s.A.Done(0)
	}
	r.Close(&c.det)
	if c.det.Slots() != nil || c.det.Buffered() != 0 || !c.det.Stopped() {
		t.Fatal("Close left state behind")
	}
}
