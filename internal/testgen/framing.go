package testgen

import "math/rand/v2"

// Framing says how a transcript's bytes are laid out as TCP segments.
type Framing struct {
	// IPv6 frames the connection over IPv6 instead of IPv4.
	IPv6 bool
	// MSS is the largest TCP payload per segment; 0 means 1460.
	MSS int
	// MinSegment > 0 draws every segment's size uniformly from [MinSegment, MSS]
	// (MinSegment 1 and MSS 7 give tiny segments).
	MinSegment int
	// CoalesceRecords merges each write's cleartext handshake records into one record.
	CoalesceRecords bool
	// MaxHandshakeRecord > 0 splits cleartext handshake records into records of at most
	// that many body bytes (applied after CoalesceRecords).
	MaxHandshakeRecord int
	// CoalesceWrites sends consecutive writes of one side as one byte run, so a segment
	// may carry the end of one write and the start of the next.
	CoalesceWrites bool
	// Reorder is the probability that a data segment is swapped with the next one.
	Reorder float64
	// Duplicate is the probability that a data segment is sent twice.
	Duplicate float64
	// Overlap is the probability that, after two data segments, a retransmission covering
	// the second half of the first and the first half of the second is sent.
	Overlap float64
	// AckFlights makes the receiver of each flight answer with a pure ACK.
	AckFlights bool
	// NoTeardown leaves the connection open (no FIN exchange).
	NoTeardown bool
	// Seed drives the random choices above (with the connection's index).
	Seed uint64
}

// seg is a run of one direction's stream: bytes [off, off+n).
type seg struct{ off, n int }

// flight is a run of consecutive bytes one side sends before the other side speaks.
type flight struct {
	fromClient bool
	off        int // stream offset of the first byte
	data       []byte
}

// flights groups the chunks by direction and computes each run's stream offset.
func flights(chunks []Chunk, coalesce bool) []flight {
	var out []flight
	var off [2]int
	for _, c := range chunks {
		d := dirIndex(c.FromClient)
		if coalesce && len(out) > 0 && out[len(out)-1].fromClient == c.FromClient {
			f := &out[len(out)-1]
			f.data = append(f.data[:len(f.data):len(f.data)], c.Data...)
		} else {
			out = append(out, flight{fromClient: c.FromClient, off: off[d], data: c.Data})
		}
		off[d] += len(c.Data)
	}
	return out
}

func dirIndex(fromClient bool) int {
	if fromClient {
		return 1
	}
	return 0
}

// segments cuts n bytes into segments, then adds retransmissions and reorders.
func (f *Framing) segments(rng *rand.Rand, n int) []seg {
	mss := f.MSS
	if mss <= 0 {
		mss = 1460
	}
	var segs []seg
	for off := 0; off < n; {
		k := mss
		if f.MinSegment > 0 && f.MinSegment < mss {
			k = f.MinSegment + rng.IntN(mss-f.MinSegment+1)
		}
		k = min(k, n-off)
		segs = append(segs, seg{off, k})
		off += k
	}
	if f.Duplicate > 0 || f.Overlap > 0 {
		var out []seg
		for i, s := range segs {
			out = append(out, s)
			if f.Duplicate > 0 && rng.Float64() < f.Duplicate {
				out = append(out, s)
			}
			if i > 0 && f.Overlap > 0 && rng.Float64() < f.Overlap {
				p := segs[i-1]
				start := p.off + p.n/2
				end := s.off + (s.n+1)/2
				if end > start {
					out = append(out, seg{start, end - start})
				}
			}
		}
		segs = out
	}
	if f.Reorder > 0 {
		for i := 0; i+1 < len(segs); i++ {
			if rng.Float64() < f.Reorder {
				segs[i], segs[i+1] = segs[i+1], segs[i]
				i++
			}
		}
	}
	return segs
}
