package engine

import (
	"strings"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/detect"
	"github.com/tlsmon/tlsmon/flow"
	"github.com/tlsmon/tlsmon/stream"
)

// connState is the pipeline's per-connection state, hung on flow.Conn.User.
type connState struct {
	e       *Engine
	c       *flow.Conn
	r       [2]stream.Reassembler // by physical side
	sinks   [2]sideSink
	budget  stream.Budget
	det     detect.Conn
	service []string
	eof     [2]bool
	closing bool
}

// sideSink receives one side's reassembled stream.
type sideSink struct {
	cs   *connState
	side uint8
}

func (s *sideSink) Deliver(ts int64, data []byte) {
	cs := s.cs
	isOrig := cs.c.IsOrigSide(s.side)
	n := len(cs.det.Slots)
	for _, sl := range cs.det.Slots[:n] {
		if !sl.Detached {
			sl.A.DeliverStream(ts, isOrig, data)
		}
	}
	if !cs.det.Stopped() {
		for _, sl := range cs.e.reg.Stream(&cs.det, isOrig, data, cs.env) {
			cs.det.ReplayStream(sl, ts)
		}
		cs.det.Settle()
	}
}

func (s *sideSink) Gap(ts int64, n uint64) {
	cs := s.cs
	if !cs.closing {
		cs.c.AddGap(s.side, n)
	}
	isOrig := cs.c.IsOrigSide(s.side)
	for _, sl := range cs.det.Slots {
		if !sl.Detached {
			sl.A.Gap(ts, isOrig, n)
		}
	}
	cs.det.Gap(isOrig, n)
}

// checkEOF raises EndOfData once a side that sent FIN/RST has had all its data delivered.
func (cs *connState) checkEOF(side uint8, ts int64) {
	if cs.eof[side] {
		return
	}
	ep := cs.c.Endpoint(side)
	if !(ep.FINSeen() || ep.State == flow.TCPClosed || ep.State == flow.TCPReset) {
		return
	}
	r := &cs.r[side]
	if !r.Skipping() {
		if r.Buffered() > 0 {
			return
		}
		if last := ep.RelLastSeq(); r.Next()+1 < last && last < r.Next()+1<<31 {
			return // data still expected
		}
	}
	cs.eof[side] = true
	isOrig := cs.c.IsOrigSide(side)
	for _, sl := range cs.det.Slots {
		if !sl.Detached {
			sl.A.EndOfData(ts, isOrig)
		}
	}
}

// done ends the connection's analysis.
func (cs *connState) done(ts int64) {
	cs.closing = true
	for s := range cs.r {
		cs.r[s].Close(ts, &cs.sinks[s])
	}
	for _, sl := range cs.det.Slots {
		if !sl.Detached {
			sl.Detached = true
			sl.A.Done(ts)
		}
	}
}

// env builds an analyzer's environment.
func (cs *connState) env(spec *analyzer.Spec, slot *detect.Slot) *analyzer.Env {
	return &analyzer.Env{
		Conn:    &cs.c.Info,
		Events:  &connEvents{cs: cs},
		Detach:  slot.Detach,
		Options: cs.e.opts.Analyzer,
		Partial: cs.c.IsPartial,
	}
}

// connEvents forwards an analyzer's events and notes confirmations (conn.log service).
type connEvents struct{ cs *connState }

func (h *connEvents) HandleEvent(ev tlsmon.Event) {
	if c, ok := ev.(*tlsmon.AnalyzerConfirmation); ok {
		name := strings.ToLower(c.Analyzer)
		found := false
		for _, s := range h.cs.service {
			found = found || s == name
		}
		if !found {
			h.cs.service = append(h.cs.service, name)
		}
	}
	h.cs.e.handler.HandleEvent(ev)
}

var _ stream.Sink = (*sideSink)(nil)
var _ = flow.TCPClosed
