package quic

import (
	"strconv"
	"strings"

	"github.com/tlsmon/tlsmon"
)

// Weirds of Zeek's QUIC scripts (base/protocols/quic/main.zeek) that tlsmon raises. They
// depend on the script's QUIC session record (c$quic): created by the first Initial,
// Handshake or 0-RTT packet, ended (logged and deleted) by a Retry, an unhandled version or
// a CONNECTION_CLOSE frame.
const (
	WeirdSpuriousShortHeader = "QUIC_spurious_short_header_packet_threshold_crossed"
	WeirdSpuriousDiscarded   = "QUIC_spurious_discarded_packet"
	WeirdMaxHistory          = "QUIC_max_history_length_reached"
	WeirdManyProtocols       = "QUIC_many_protocols"
)

const (
	// maxHistory is QUIC::max_history_length: entries of the session's history field.
	maxHistory = 100
	// maxDiscardedEvents is QUIC::max_discarded_packet_events.
	maxDiscardedEvents = 100
)

// session mirrors the state behind those weirds: whether the script's session record
// exists, the length of its history, and the count of decrypted packets. The counters of
// short-header and discarded packets are the Analyzer's: they run before any long header.
type session struct {
	open      bool
	history   int
	decrypted uint64
}

// addHistory is the script's add_to_history: a letter while the session record exists,
// up to maxHistory, with a weird when that length is reached.
func (a *Analyzer) addHistory() {
	s := &a.sess
	if s.history == maxHistory {
		return
	}
	s.history++
	if s.history == maxHistory {
		a.weird(WeirdMaxHistory, "")
	}
}

// longPacket notes a long-header packet of a handled version (initial_packet,
// handshake_packet, zero_rtt_packet, retry_packet).
func (a *Analyzer) longPacket(ptype int) {
	a.sess.open = true
	a.addHistory()
	if ptype == typeRetry {
		a.endSession()
	}
}

// endSession is the script logging and deleting c$quic.
func (a *Analyzer) endSession() { a.sess.open, a.sess.history = false, 0 }

// connClose is a CONNECTION_CLOSE frame (connection_close_frame): it ends the session,
// if there is one.
func (a *Analyzer) connClose() {
	if a.sess.open {
		a.addHistory()
		a.endSession()
	}
}

// shortHeader counts a short-header packet of the current direction; at 1, 2, 4, 8...
// of them (each power of two) Zeek raises short_header_packet_threshold_crossed, which
// without a session record is the weird QUIC_spurious_short_header_packet_threshold_crossed.
func (a *Analyzer) shortHeader() {
	d := dirIndex(a.isOrig)
	a.shortTotal[d]++
	n := a.shortTotal[d]
	if n&(n-1) != 0 {
		return
	}
	if a.state == nil || !a.sess.open {
		a.weird(WeirdSpuriousShortHeader, strconv.FormatUint(n, 10))
		return
	}
	a.addHistory()
}

// discardedPacket counts a datagram rest whose fixed bit is clear; once some Initial was
// decrypted Zeek raises discarded_packet (up to maxDiscardedEvents times), a weird
// without a session record.
func (a *Analyzer) discardedPacket() {
	if a.discarded <= maxDiscardedEvents {
		a.discarded++
	}
	if a.state == nil || a.sess.decrypted == 0 || a.discarded > maxDiscardedEvents {
		return
	}
	if !a.sess.open {
		a.weird(WeirdSpuriousDiscarded, "")
		return
	}
	a.addHistory()
}

// clientALPN sees the client's ALPN offer: the QUIC log keeps the first protocol, and
// more than one is the weird QUIC_many_protocols, the list formatted as Zeek's cat()
// formats a vector.
func (a *Analyzer) clientALPN(protocols [][]byte) {
	if !a.sess.open || len(protocols) < 2 {
		return
	}
	var b strings.Builder
	b.WriteByte('[')
	for i, p := range protocols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.Write(p)
	}
	b.WriteByte(']')
	a.weird(WeirdManyProtocols, b.String())
}

func (a *Analyzer) weird(name, addl string) {
	a.env.Events.HandleEvent(&tlsmon.Weird{
		Meta:      tlsmon.Meta{Ts: a.ts, Conn: a.env.Conn},
		WeirdName: name,
		Addl:      addl, // Reporter::conn_weird from the script: no source
	})
}

// childEvents passes the SSL analyzer's events on, watching the client's ALPN offer.
type childEvents struct{ a *Analyzer }

func (c childEvents) HandleEvent(ev tlsmon.Event) {
	switch x := ev.(type) {
	case *tlsmon.SSLExtensionApplicationLayerProtocolNegotiation:
		if x.IsClient {
			c.a.clientALPN(x.Protocols)
		}
	case *tlsmon.AnalyzerConfirmation:
		c.a.confirmMem()
	}
	c.a.env.Events.HandleEvent(ev)
}
