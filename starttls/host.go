package starttls

import (
	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

// ignoreViolationsAfter mirrors Zeek's DPD::ignore_violations_after: a violation raised
// once more bytes than this went through the connection does not remove the analyzer.
const ignoreViolationsAfter = 10 * 1024

// Parser parses one protocol's clear-text part of a connection.
type Parser interface {
	// Deliver parses the next in-order bytes of one direction and returns how many it
	// consumed. If it started a pass-through hand-off (Host.StartTLS, Host.StartDPD),
	// data[n:] goes to the child.
	Deliver(h *Host, ts int64, isOrig bool, data []byte) int
}

// Host is the analyzer of one connection for a protocol that may start TLS: it feeds its
// Parser until the parser hands the stream over, then forwards everything to the child.
type Host struct {
	env  *analyzer.Env
	name string // Zeek's analyzer name, for confirmation and violation events
	p    Parser

	child    analyzer.Analyzer // the SSL analyzer, or a detection child
	childEnv analyzer.Env
	pass     bool // every later delivery goes to the child

	bytes     uint64
	partialOK bool // the protocol is parsed on partial connections too (AnalyzePartial)
	singleCR  bool // line_terminated_with_single_CR was raised (once per connection)
	nulWeird  bool // NUL_in_line was raised (once per connection)
	confirmed bool
	hadGap    bool
	detached  bool
	done      bool

	confirmEv   tlsmon.AnalyzerConfirmation
	violationEv tlsmon.AnalyzerViolation
	weirdEv     tlsmon.Weird
}

// NewHost returns a Host running p for env's connection, reporting as analyzer name.
func NewHost(env *analyzer.Env, name string, p Parser) *Host {
	return &Host{env: env, name: name, p: p}
}

// AnalyzePartial makes the host parse partial connections too (the first packets missed
// the handshake), as Zeek's FTP, IRC and Spicy (LDAP, PostgreSQL) analyzers do; the
// others (HTTP, IMAP, MySQL, POP3, SMTP, SOCKS, XMPP) skip them.
func (h *Host) AnalyzePartial() { h.partialOK = true }

// Conn returns the connection analyzed.
func (h *Host) Conn() *tlsmon.Conn { return h.env.Conn }

// Bytes returns the stream and gap bytes seen so far, both directions.
func (h *Host) Bytes() uint64 { return h.bytes }

// Confirm raises the analyzer's confirmation (once per connection, as Zeek does).
func (h *Host) Confirm(ts int64) {
	if h.confirmed || h.detached {
		return
	}
	h.confirmed = true
	h.confirmEv = tlsmon.AnalyzerConfirmation{Meta: tlsmon.Meta{Ts: ts, Conn: h.env.Conn}, Analyzer: h.name}
	h.env.Events.HandleEvent(&h.confirmEv)
}

// ConfirmAs raises a confirmation for another analyzer name, carried by this one (a child
// Zeek runs inside it, such as WebSocket inside HTTP). The caller raises it once.
func (h *Host) ConfirmAs(ts int64, name string) {
	if h.detached {
		return
	}
	h.confirmEv = tlsmon.AnalyzerConfirmation{Meta: tlsmon.Meta{Ts: ts, Conn: h.env.Conn}, Analyzer: name}
	h.env.Events.HandleEvent(&h.confirmEv)
}

// ViolationAs raises a violation for another analyzer name carried by this one; it does
// not detach the host.
func (h *Host) ViolationAs(ts int64, name, reason string) {
	h.violationEv = tlsmon.AnalyzerViolation{Meta: tlsmon.Meta{Ts: ts, Conn: h.env.Conn}, Analyzer: name, Reason: reason, Ignored: h.bytes > ignoreViolationsAfter}
	h.env.Events.HandleEvent(&h.violationEv)
}

// Parsing reports whether stream bytes still reach the parser: no hand-off, no content
// gap, and the connection is not partial (the analyzers of Zeek these mirror skip those).
func (h *Host) Parsing() bool {
	return !h.pass && !h.detached && !h.hadGap && !h.skipPartial()
}

func (h *Host) skipPartial() bool {
	return !h.partialOK && h.env.Partial != nil && h.env.Partial()
}

// Confirmed reports whether the analyzer confirmed its protocol.
func (h *Host) Confirmed() bool { return h.confirmed }

// Violation raises a protocol violation. As Zeek's DPD, it removes the analyzer unless
// more than 10 KiB went through the connection already.
func (h *Host) Violation(ts int64, reason string) {
	if h.detached {
		return
	}
	h.violationEv = tlsmon.AnalyzerViolation{Meta: tlsmon.Meta{Ts: ts, Conn: h.env.Conn}, Analyzer: h.name, Reason: reason, Ignored: h.bytes > ignoreViolationsAfter}
	h.env.Events.HandleEvent(&h.violationEv)
	if h.bytes <= ignoreViolationsAfter {
		h.Stop()
	}
}

// Weird raises a weird attributed to the analyzer.
func (h *Host) Weird(ts int64, name, addl string) { h.WeirdFrom(ts, name, addl, h.name) }

// WeirdFrom raises a weird attributed to source.
func (h *Host) WeirdFrom(ts int64, name, addl, source string) {
	h.weirdEv = tlsmon.Weird{Meta: tlsmon.Meta{Ts: ts, Conn: h.env.Conn}, WeirdName: name, Addl: addl, Source: source}
	h.env.Events.HandleEvent(&h.weirdEv)
}

// Stop detaches the analyzer: nothing more is parsed or forwarded.
func (h *Host) Stop() {
	if h.detached {
		return
	}
	h.detached = true
	if h.env.Detach != nil {
		h.env.Detach()
	}
}

// Stopped reports whether the analyzer detached.
func (h *Host) Stopped() bool { return h.detached }

// HandedOff reports whether the stream goes to the child from now on.
func (h *Host) HandedOff() bool { return h.pass }

// DropChild ends the child (Zeek removing it); a later Attach may start a new one.
func (h *Host) DropChild(ts int64) {
	if h.child == nil || h.pass {
		return
	}
	c := h.child
	h.child = nil
	c.Done(ts)
}

// Active reports whether a child is attached.
func (h *Host) Active() bool { return h.child != nil }

// AttachSSL attaches the SSL analyzer as the child without pass-through: the parser
// feeds it through Forward. If the SSL analyzer detaches, so does the host.
func (h *Host) AttachSSL() {
	if h.child != nil {
		return
	}
	h.childEnv = *h.env
	h.childEnv.Detach = h.Stop
	h.child = newSSL(&h.childEnv)
}

// AttachDPD attaches a content-detection child (Zeek's PIA) without pass-through: the
// SSL analyzer is attached once the stream it is fed matches its signature.
func (h *Host) AttachDPD() {
	if h.child != nil {
		return
	}
	h.child = newDPD(h)
}

// StartTLS hands the rest of the stream, both directions, to the SSL analyzer.
func (h *Host) StartTLS() {
	h.AttachSSL()
	h.pass = true
}

// StartDPD hands the rest of the stream to a content-detection child.
func (h *Host) StartDPD() {
	h.AttachDPD()
	h.pass = true
}

// Forward delivers bytes of one direction to the child, if any.
func (h *Host) Forward(ts int64, isOrig bool, data []byte) {
	if h.child != nil && !h.detached && len(data) > 0 {
		h.child.DeliverStream(ts, isOrig, data)
	}
}

// DeliverStream runs the parser, or forwards to the child after a pass-through hand-off.
func (h *Host) DeliverStream(ts int64, isOrig bool, data []byte) {
	if h.detached || h.done {
		return
	}
	h.bytes += uint64(len(data))
	if h.pass {
		h.child.DeliverStream(ts, isOrig, data)
		return
	}
	if h.hadGap || h.skipPartial() {
		return
	}
	n := h.p.Deliver(h, ts, isOrig, data)
	if h.pass && n < len(data) {
		h.Forward(ts, isOrig, data[n:])
	}
}

// Gap is forwarded to the child after a hand-off; before, it ends the parsing, as the
// analyzers of Zeek these mirror do not recover a hand-off after a content gap.
func (h *Host) Gap(ts int64, isOrig bool, n uint64) {
	if h.detached || h.done {
		return
	}
	h.bytes += n
	if h.child != nil {
		h.child.Gap(ts, isOrig, n)
	}
	if !h.pass {
		h.hadGap = true
	}
}

// DeliverPacket is unused: these protocols run over TCP.
func (h *Host) DeliverPacket(ts int64, isOrig bool, data []byte) {}

// EndOfParser is implemented by parsers that act when a direction ends.
type EndOfParser interface {
	EndOfData(h *Host, ts int64, isOrig bool)
}

// EndOfData is forwarded to the child, if any, then to the parser if it wants it.
func (h *Host) EndOfData(ts int64, isOrig bool) {
	if h.detached || h.done {
		return
	}
	if h.child != nil {
		h.child.EndOfData(ts, isOrig)
	}
	if e, ok := h.p.(EndOfParser); ok && !h.detached {
		e.EndOfData(h, ts, isOrig)
	}
}

// Done ends the analysis, and the child's.
func (h *Host) Done(ts int64) {
	if h.done {
		return
	}
	h.done = true
	if h.child != nil {
		h.child.Done(ts)
	}
}

var _ analyzer.Analyzer = (*Host)(nil)
