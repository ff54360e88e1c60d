package rdp

import (
	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/ssl"
)

// ignoreViolationsAfter mirrors DPD::ignore_violations_after: a violation raised once more
// bytes than this went through the connection does not remove the analyzer in Zeek.
const ignoreViolationsAfter = 10 * 1024

// Analyzer is the RDP analyzer of one TCP connection.
type Analyzer struct {
	env      *analyzer.Env
	childEnv analyzer.Env
	child    analyzer.Analyzer // the SSL analyzer, once the hand-off happened
	pickup   bool              // a partial connection analysed under Options.Recover

	dir   [2]framer
	gate  *gate  // non-nil while an analyzer attached by content waits for dpd_rdp_server
	bytes uint64 // stream bytes (and gap bytes) seen in both directions

	encrypted bool   // the negotiation selected a protocol: nothing more is parsed
	method    uint32 // the selected protocol; 0 is RDP's own encryption (not analyzed)
	hadGap    bool
	failed    bool // a violation was raised: no more parsing
	detached  bool
	done      bool

	violationEv tlsmon.AnalyzerViolation
}

// New returns an RDP analyzer for env's connection. When the responder's port is not an
// RDP port the analyzer was attached by content, and it waits for the reverse signature.
func New(env *analyzer.Env) analyzer.Analyzer {
	a := &Analyzer{env: env}
	if env.Conn == nil || !isPort(env.Conn.ID.RespP) {
		a.gate = &gate{}
	}
	return a
}

func dirIdx(isOrig bool) int {
	if isOrig {
		return 0
	}
	return 1
}

// DeliverStream parses X.224 frames until the negotiation says the rest is TLS; later data
// goes to the SSL analyzer.
func (a *Analyzer) DeliverStream(ts int64, isOrig bool, data []byte) {
	if a.detached || a.done {
		return
	}
	if a.gate != nil {
		a.gateStream(ts, isOrig, data)
		return
	}
	a.deliver(ts, isOrig, data)
}

func (a *Analyzer) deliver(ts int64, isOrig bool, data []byte) {
	if a.detached {
		return
	}
	a.bytes += uint64(len(data))
	if a.env.Partial != nil && a.env.Partial() && !a.pickup {
		// Under Options.Recover a partial connection whose first delivered bytes start a
		// TPKT (its start was captured after all, e.g. a reordered handshake) is analysed.
		if !a.env.Options.Recover || a.bytes != uint64(len(data)) || len(data) < 4 || data[0] != 3 || data[1] != 0 {
			return
		}
		a.pickup = true
	}
	if a.hadGap || a.failed {
		return
	}
	if a.encrypted {
		if a.method == 0 {
			return // RDP's own encryption: nothing to analyze
		}
		if a.child == nil {
			a.startSSL()
		}
		a.child.DeliverStream(ts, isOrig, data)
		return
	}
	a.parse(ts, isOrig, data)
}

// parse frames data into TPKTs and parses each complete one. As in Zeek, the bytes of a
// delivery are all parsed as TPKTs even when a frame in it turned the connection encrypted.
func (a *Analyzer) parse(ts int64, isOrig bool, data []byte) {
	f := &a.dir[dirIdx(isOrig)]
	for len(data) > 0 {
		frame, rest := f.next(data)
		data = rest
		if frame == nil {
			return
		}
		r, err := parseFrame(frame)
		f.consumed()
		if err != nil {
			a.violation(ts, err.Error())
			return
		}
		if r.hasSelected && r.selected > 0 {
			a.encrypted = true
			a.method = r.selected
		}
	}
}

// startSSL attaches the SSL analyzer as a child, sharing the connection's environment. If
// the SSL analyzer detaches, nothing is left for this analyzer to do either.
func (a *Analyzer) startSSL() {
	a.childEnv = *a.env
	a.childEnv.Detach = a.detach
	if a.env.SSL != nil {
		a.child = a.env.SSL(&a.childEnv) // the engine's: its limits, memory budget, event filters
	} else {
		a.child = ssl.New(&a.childEnv)
	}
	a.dir[0].release()
	a.dir[1].release()
}

func (a *Analyzer) violation(ts int64, reason string) {
	a.failed = true
	a.violationEv = tlsmon.AnalyzerViolation{Meta: tlsmon.Meta{Ts: ts, Conn: a.env.Conn}, Analyzer: "RDP", Reason: reason, Ignored: a.bytes > ignoreViolationsAfter}
	a.env.Events.HandleEvent(&a.violationEv)
	// Zeek's DPD removes the analyzer unless the connection is already past
	// ignore_violations_after; this analyzer stops parsing either way.
	if a.bytes <= ignoreViolationsAfter {
		a.detach()
	}
}

func (a *Analyzer) detach() {
	if a.detached {
		return
	}
	a.detached = true
	a.dir[0].release()
	a.dir[1].release()
	a.gate = nil
	if a.env.Detach != nil {
		a.env.Detach()
	}
}

// Gap stops the analysis, as Zeek's RDP analyzer stops after a content gap in either
// direction. The SSL analyzer, if any, is told too.
func (a *Analyzer) Gap(ts int64, isOrig bool, n uint64) {
	if a.detached || a.done {
		return
	}
	if a.gate != nil {
		a.gateGap()
		return
	}
	a.gap(ts, isOrig, n)
}

func (a *Analyzer) gap(ts int64, isOrig bool, n uint64) {
	if a.env.Options.Recover && a.child != nil && !a.hadGap {
		// Under Options.Recover a gap after the hand-off to SSL is the SSL analyzer's to
		// resynchronise over.
		a.bytes += n
		a.child.Gap(ts, isOrig, n)
		return
	}
	a.bytes += n
	a.hadGap = true
	a.dir[0].release()
	a.dir[1].release()
	if a.child != nil {
		a.child.Gap(ts, isOrig, n)
	}
}

// DeliverPacket is unused: RDP's X.224 runs over TCP.
func (a *Analyzer) DeliverPacket(ts int64, isOrig bool, data []byte) {}

// EndOfData is forwarded to the SSL analyzer, if any.
func (a *Analyzer) EndOfData(ts int64, isOrig bool) {
	if a.child != nil && !a.detached && !a.done {
		a.child.EndOfData(ts, isOrig)
	}
}

// Done ends the analysis, and the SSL analyzer's.
func (a *Analyzer) Done(ts int64) {
	if a.done {
		return
	}
	a.done = true
	if a.child != nil {
		a.child.Done(ts)
		a.child = nil
	}
	a.dir[0].release()
	a.dir[1].release()
	a.gate = nil
}

var _ analyzer.Analyzer = (*Analyzer)(nil)
