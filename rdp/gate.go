package rdp

import "github.com/tlsmon/tlsmon/detect"

// gate holds back an analyzer attached by content until Zeek would have enabled it:
// dpd_rdp_client requires dpd_rdp_server to match on the opposite direction. Until then the
// analyzer records what it is given (at most detect.BufferSize bytes, Zeek's
// dpd_buffer_size, the window in which signatures are matched); when the condition holds it
// replays the record to itself. If the window fills or a gap comes first, the analyzer
// detaches without having acted.
type gate struct {
	dir    [2][]byte // each direction's recorded bytes
	chunks []gateChunk
	total  int
}

type gateChunk struct {
	isOrig bool
	n      int
}

func (a *Analyzer) gateStream(ts int64, isOrig bool, data []byte) {
	g := a.gate
	if len(data) == 0 {
		return
	}
	head := data[:min(detect.BufferSize-g.total, len(data))]
	if len(head) > 0 && g.record(isOrig, head) {
		a.open(ts, isOrig, data)
		return
	}
	if g.total >= detect.BufferSize {
		a.detach() // the signature window is over without a match
	}
}

// record appends data to a direction and reports whether the signatures now match.
func (g *gate) record(isOrig bool, data []byte) bool {
	d := dirIdx(isOrig)
	if g.dir[d] == nil {
		g.dir[d] = make([]byte, 0, 256)
	}
	g.dir[d] = append(g.dir[d], data...)
	g.chunks = append(g.chunks, gateChunk{isOrig: isOrig, n: len(data)})
	g.total += len(data)
	return (matchClient(g.dir[0]) && matchServer(g.dir[1])) ||
		(matchClient(g.dir[1]) && matchServer(g.dir[0]))
}

// open ends the wait: the recorded stream is replayed to the analyzer in arrival order,
// the last recorded chunk being replaced by the whole of the current delivery (which may
// run past the signature window).
func (a *Analyzer) open(ts int64, isOrig bool, data []byte) {
	g := a.gate
	a.gate = nil
	var off [2]int
	for _, c := range g.chunks[:len(g.chunks)-1] {
		if a.detached {
			return
		}
		d := dirIdx(c.isOrig)
		a.deliver(ts, c.isOrig, g.dir[d][off[d]:off[d]+c.n])
		off[d] += c.n
	}
	a.deliver(ts, isOrig, data)
}

// gateGap ends the wait: after a content gap Zeek's RDP analyzer does nothing more.
func (a *Analyzer) gateGap() { a.detach() }
