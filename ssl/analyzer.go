package ssl

import (
	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/budget"
)

// Zeek's DPD ignores violations once this many bytes went through the connection
// (DPD::ignore_violations_after): the analyzer then stays attached.
const ignoreViolationsAfter = 10 * 1024

// Analyzer is the SSL/TLS analyzer of one TCP connection. Its session (the parsers and the
// emitter, a few kB) is taken on the first bytes or gap, not when the analyzer is attached,
// so a connection that never carries data (a half-open one: a SYN flood) costs only this
// struct. The session is recycled after Done; calls after Done are ignored.
type Analyzer struct {
	s    *session
	env  *analyzer.Env // until the session is taken
	sh   *Shared
	done bool
}

// session returns the analyzer's session, taking it on first use (nil after Done).
func (w *Analyzer) session() *session {
	if w.s == nil && !w.done {
		var a *session
		if w.sh != nil {
			a = w.sh.sessions.get()
		}
		if a == nil {
			a = newSession(w.sh)
		}
		a.reset(w.env)
		if b := a.hs.sh.config().Budget; b != nil {
			// the session's own memory; taken back at Done (never shed with the buffers)
			b.Force(nil, budget.Sessions, sessionCost)
			a.memSession = true
		}
		w.s, w.env = a, nil
	}
	return w.s
}

// session is the state of one connection's analysis.
type session struct {
	env *analyzer.Env
	ev  *emitter
	hs  *Handshake
	rec *RecordEvents
	dir [2]recordDir
	rs  [2]resync // Options.Recover only (resync.go)

	// recover and partial are env's Options.Recover and Partial, read on every delivery:
	// kept here, beside the record state, rather than fetched from env each time
	recover bool
	partial func() bool

	recordLayerVersion uint16 // 0 until known; versionSSLv2 for SSLv2 connections
	confirmed          bool

	skip          bool // Zeek's SetSkip: no more parsing
	hadGap        bool
	detached      bool
	pendingDetach bool
	bytes         uint64        // payload bytes seen in both directions
	mem           budget.Holder // the session's share of the memory budget (record buffers)
	memSession    bool          // sessionCost drawn from the budget
}

// sessionCost is what a session draws from the memory budget (Config.Budget): its record
// and handshake parsers and emitter, ≈ 3–4 KB (docs/RELIABILITY.md, "Cheap connections").
const sessionCost = 4096

// newSession returns a session whose handshake layer uses sh (nil: nothing shared).
func newSession(sh *Shared) *session {
	a := &session{ev: newEmitter(sh, nil, nil, "SSL")}
	a.ev.unread, a.ev.args = sh.unreadEvents(), sh.argFilter()
	a.hs = newHandshake(sh, a.ev, Callbacks{Violation: a.violation, Confirm: a.confirm})
	a.hs.cache = sh.msgCache() // TLS over TCP only: DTLS's handshakes (Shared.NewHandshake) have none
	a.rec = newRecordEvents(a.hs, a.onEstablished)
	for i := range a.hs.dir {
		a.hs.dir[i].mem = &a.mem
	}
	return a
}

// New returns an SSL analyzer for env's connection, with the default limits, no message
// cache and no recycling: see SpecShared.
func New(env *analyzer.Env) analyzer.Analyzer { return newAnalyzer(env, nil) }

// newAnalyzer returns an SSL analyzer for env's connection that uses sh's limits, message
// cache and free lists (nil: none), recycling a session of sh when there is one.
func newAnalyzer(env *analyzer.Env, sh *Shared) analyzer.Analyzer {
	return &Analyzer{env: env, sh: sh}
}

func (a *session) reset(env *analyzer.Env) {
	a.env = env
	a.recover, a.partial = env.Options.Recover, env.Partial
	h := env.Events
	if h == nil {
		h = tlsmon.HandlerFunc(func(tlsmon.Event) {})
	}
	a.ev.h, a.ev.conn, a.ev.ts, a.ev.extRaised, a.ev.plainRaised = h, env.Conn, 0, false, false
	for i := range a.dir {
		a.releaseBuf(&a.dir[i])
		a.dir[i] = recordDir{}
		r := &a.hs.dir[i]
		r.release() // keeps only a buffer of at most keepHandshakeBuffer
		*r = hsReasm{sh: r.sh, buf: r.buf[:0], chunks: r.chunks[:0], mem: r.mem}
	}
	hs := a.hs
	hs.flipped, hs.alreadyAlerted, hs.chosenCipher, hs.chosenVersion, hs.recordVersion = false, false, noChosenCipher, 0, 0
	cfg := hs.sh.config()
	hs.maxMsg, hs.maxFrags = cfg.MaxHandshakeMessage, cfg.MaxHandshakeFragments
	a.rec.reset()
	for i := range a.rs {
		a.rs[i] = resync{buf: a.rs[i].buf[:0]}
	}
	a.recordLayerVersion = 0
	a.confirmed, a.skip, a.hadGap, a.detached, a.pendingDetach = false, false, false, false, false
	a.bytes = 0
	a.mem.Init(a, env.Conn)
}

// DeliverStream parses the records in data.
// Like Zeek's, the SSL analyzer ignores the data of partial TCP connections, unless
// Options.Recover is set (then it looks for a record boundary first: resync.go).
func (w *Analyzer) DeliverStream(ts int64, isOrig bool, data []byte) {
	if w.s == nil && (w.ignored() || w.session() == nil) {
		return
	}
	partial := w.s.partial != nil && w.s.partial()
	if !partial || w.s.recover {
		w.s.deliverStream(ts, isOrig, data, partial)
	}
}

// Gap stops the analysis: Zeek's SSL analyzer ignores all data after a content gap. Under
// Options.Recover only the direction that lost bytes pauses, until it resynchronises on a
// record boundary (resync.go); SSLv2, which has no such boundary to find, still stops.
func (w *Analyzer) Gap(ts int64, isOrig bool, n uint64) {
	if w.s != nil || !w.ignored() && w.session() != nil {
		w.s.bytes += n
		if w.s.recover && w.s.recordLayerVersion != versionSSLv2 {
			w.s.gapRecover(isOrig, n)
			return
		}
		w.s.hadGap = true
	}
}

// ignored reports, before the analyzer made a session, whether it ignores its connection:
// the connection is partial (and Options.Recover off), so no session is made for it (a
// flood's connections, shed by the memory budget and seen again mid-stream, cost none).
func (w *Analyzer) ignored() bool {
	return w.env != nil && !w.env.Options.Recover && w.env.Partial != nil && w.env.Partial()
}

// DeliverPacket is unused: SSL runs over TCP.
func (w *Analyzer) DeliverPacket(ts int64, isOrig bool, data []byte) {}

// EndOfData needs no action: an incomplete record of the direction is never completed.
// Under Options.Recover, a direction still looking for a record boundary takes the end of
// the stream as the confirmation of its last records (resync.go).
func (w *Analyzer) EndOfData(ts int64, isOrig bool) {
	if w.s == nil { // no bytes, no gap: nothing to resynchronise
		return
	}
	if w.s.recover && !w.s.detached {
		w.s.ev.ts = ts
		w.s.resyncEnd(isOrig)
	}
}

// Done ends the analysis and recycles the analyzer's state.
func (w *Analyzer) Done(ts int64) {
	w.done, w.env = true, nil
	if w.s == nil {
		return
	}
	s := w.s
	w.s = nil
	s.env, s.partial = nil, nil
	s.ev.h, s.ev.conn = nil, nil
	for i := range s.hs.dir {
		s.hs.dir[i].release() // a message left incomplete gives its large buffer back
		s.releaseBuf(&s.dir[i])
	}
	if s.memSession {
		s.hs.sh.cfg.Budget.Release(nil, budget.Sessions, sessionCost)
		s.memSession = false
	}
	if s.hs.sh != nil {
		s.hs.sh.cfg.Budget.Forget(&s.mem)
	}
	if sh := s.hs.sh; sh != nil {
		sh.sessions.put(s)
	}
}

func (a *session) violation(reason string, skip bool) {
	a.ev.emitViolation(reason, nil, a.bytes > ignoreViolationsAfter)
	if skip {
		a.skip = true
	}
	if a.bytes <= ignoreViolationsAfter {
		a.pendingDetach = true
	}
}

func (a *session) confirm() {
	if a.confirmed {
		return
	}
	a.confirmed = true
	if b := a.hs.sh.config().Budget; b != nil {
		b.Confirm(&a.mem)
	}
	a.ev.emitConfirmation()
}

func (a *session) stopped() bool { return a.detached || a.skip || a.hadGap }

func (a *session) deliverStream(ts int64, isOrig bool, data []byte, partial bool) {
	if a.detached {
		return
	}
	a.bytes += uint64(len(data))
	if a.stopped() {
		if a.skip {
			a.detach() // shed by the memory budget while another connection drew on it
		}
		return
	}
	a.ev.ts = ts
	if a.recover && a.recoverDelivery(isOrig, data, partial) {
		a.endOfCall()
		return
	}
	a.records(isOrig, data)
	a.endOfCall()
}

// endOfCall applies what Zeek's scripts do once the events of a packet were handled:
// DPD removes the analyzer after a violation, and by default the SSL scripts remove it
// once the connection is established.
func (a *session) endOfCall() {
	if a.pendingDetach || a.skip {
		a.detach()
	}
}

func (a *session) detach() {
	if a.detached {
		return
	}
	a.detached = true
	// Done follows a detach: an incomplete record's buffer goes back to the free list now.
	for i := range a.dir {
		a.releaseBuf(&a.dir[i])
	}
	if a.env.Detach != nil {
		a.env.Detach()
	}
}

// onEstablished runs once ssl_established was raised: by default the analyzer detaches.
func (a *session) onEstablished() {
	if !a.env.Options.AnalyzeEncrypted && a.confirmed {
		a.pendingDetach = true
	}
}

var _ analyzer.Analyzer = (*Analyzer)(nil)

func (a *session) isClient(isOrig bool) bool { return isOrig != a.hs.flipped }
