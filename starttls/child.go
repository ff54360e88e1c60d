package starttls

import (
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/detect"
	"github.com/tlsmon/tlsmon/ssl"
)

func newSSL(env *analyzer.Env) analyzer.Analyzer { return ssl.New(env) }

// inner is the registry of the detection child: the SSL analyzer and its signatures.
// It is read-only once built, so connections share it.
var inner = detect.NewRegistry([]analyzer.Spec{ssl.Spec()})

// dpd is a detection child, as Zeek's PIA inside a tunnel: the first bytes of each direction
// (up to detect.BufferSize) are offered to the SSL signatures; on a match the SSL analyzer is
// attached and the buffered bytes replayed to it.
type dpd struct {
	h   *Host
	det detect.Conn
}

func newDPD(h *Host) *dpd { return &dpd{h: h} }

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
	inner.DeliverStream(&d.det, ts, isOrig, data, d)
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
func (d *dpd) Done(ts int64) { d.det.Done(ts) }
