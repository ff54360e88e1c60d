package quic

import "github.com/tlsmon/tlsmon/budget"

// cryptoMem is one connection's draw on the engine's memory budget (Config.Budget) for the
// CRYPTO bytes its two directions hold past holes, by bytes received (the per-connection
// cap, Config.MaxBuffered, stays in force inside it). Its holder is linked as unconfirmed
// until the SSL analyzer the handshake goes to confirms (a ClientHello parsed): until then
// the budget may shed it (Analyzer.Shed). A draw the budget refuses is reported by the
// budget (the weird memory_budget, addl "refused quic") and stops the QUIC analysis of the
// connection, as a shed does (docs/RELIABILITY.md, "Memory budget").
type cryptoMem struct {
	b *budget.Budget // nil: none
	h budget.Holder
}

func (m *cryptoMem) draw(n int) bool {
	if m == nil || m.b == nil {
		return true
	}
	return m.b.Draw(&m.h, budget.QUIC, int64(n))
}

func (m *cryptoMem) release(n int) {
	if m != nil && m.b != nil {
		m.b.Release(&m.h, budget.QUIC, int64(n))
	}
}

// init links the connection's streams to its draw on b (nil: none).
func (s *state) initMem(a *Analyzer, b *budget.Budget) {
	if b == nil {
		return
	}
	s.mem.b = b
	s.mem.h.Init(a, a.env.Conn)
	s.dir[0].cs.mem, s.dir[1].cs.mem = &s.mem, &s.mem
}

// releaseMem gives every held CRYPTO byte back and unlinks the holder (the state is
// dropped).
func (s *state) releaseMem() {
	for i := range s.dir {
		s.dir[i].cs.reset()
	}
	s.mem.b.Forget(&s.mem.h)
}

// Shed implements budget.Sheddable: the memory budget takes the connection's held CRYPTO
// bytes back (its handshake was not confirmed when memory ran short); the QUIC analysis of
// the connection stops, as after Zeek's SetSkip (its SSL analyzer is closed at Done).
func (a *Analyzer) Shed() {
	if a.state != nil {
		for i := range a.dir {
			a.dir[i].cs.reset()
		}
	}
	a.skip = true
}

// confirmMem marks the connection's draw as confirmed: the budget no longer sheds it.
func (a *Analyzer) confirmMem() {
	if a.state != nil && a.mem.b != nil && !a.mem.h.Confirmed() {
		a.mem.b.Confirm(&a.mem.h)
	}
}
