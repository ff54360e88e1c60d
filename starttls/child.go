package starttls

import (
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/detect"
	"github.com/tlsmon/tlsmon/ssl"
)

// newSSL makes the SSL analyzer of a hand-off: the engine's (env.SSL, sharing its limits,
// memory budget and event filters), or a standalone one.
func newSSL(env *analyzer.Env) analyzer.Analyzer {
	if env.SSL != nil {
		return env.SSL(env)
	}
	return ssl.New(env)
}

// childSpec is the analyzer of the detection child: SSL, attached by its signatures
// only (no ports: the child never attaches by port).
func childSpec() []analyzer.Spec {
	return []analyzer.Spec{{Name: "SSL", Match: ssl.Match, New: newSSL}}
}

// dpd is a detection child, as Zeek's PIA inside a tunnel: the first bytes of each direction
// (up to detect.BufferSize) are offered to the SSL signatures; on a match the SSL analyzer is
// attached and the buffered bytes replayed to it.
type dpd struct {
	h   *Host
	reg *detect.Registry // the child's own (a Registry and its free lists belong to one goroutine)
	det detect.Conn
}

func newDPD(h *Host) *dpd { return &dpd{h: h, reg: detect.NewRegistry(childSpec())} }

// Env implements detect.Env: the child's analyzers report through the host's environment.
func (d *dpd) Env(spec *analyzer.Spec, slot *detect.Slot) *analyzer.Env {
	e := *d.h.env
	e.Detach = func() { slot.Detach(); d.h.Stop() }
	return &e
}

func (d *dpd) DeliverStream(ts int64, isOrig bool, data []byte) {
	if d.det.Stopped() && len(d.det.Slots()) == 0 {
		return
	}
	d.reg.DeliverStream(&d.det, ts, isOrig, data, d)
	if d.det.Stopped() && len(d.det.Slots()) == 0 {
		d.h.Stop() // the window is over and nothing matched
	}
}

func (d *dpd) Gap(ts int64, isOrig bool, n uint64) { d.det.DeliverGap(ts, isOrig, n) }

func (d *dpd) DeliverPacket(ts int64, isOrig bool, data []byte) {}

func (d *dpd) EndOfData(ts int64, isOrig bool) { d.det.EndOfData(ts, isOrig) }

// Done ends every analyzer the child attached, those that detached included (so their
// state is released and recycled, as the engine does), and returns the content-matching
// buffer to its pool.
func (d *dpd) Done(ts int64) { d.reg.Done(&d.det, ts) }
