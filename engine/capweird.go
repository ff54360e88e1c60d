package engine

import (
	"strconv"

	"github.com/tlsmon/tlsmon"
)

// Cap weirds are sampled per cap, as Zeek samples a weird raised too often (its
// Weird::sampling_threshold, sampling_rate and sampling_duration defaults, applied per name
// as for its "net" weirds): the first capSampleThreshold hits of a cap within
// capSampleDuration of its first hit each write a weird.log row, then one in
// capSampleRate; capSampleDuration after the first hit the count starts again. Every hit
// is counted in Stats.CapHits; Stats.CapWeirds counts the rows written. Each shard samples
// its own hits (docs/RELIABILITY.md, "Every cap reported").
const (
	capSampleThreshold = 25
	capSampleRate      = 1000
	capSampleDuration  = 10 * 60 * 1_000_000 // µs
)

// The weirds of tlsmon's own caps (source "tlsmon"; Zeek has no such caps).
const (
	weirdConnCap       = "connection_table_full"          // Limits.MaxConnections: a new connection refused
	weirdFragBytesCap  = "fragment_reassembly_memory_cap" // Limits.MaxFragmentBytes: a fragment dropped
	weirdFragCountCap  = "fragment_count_cap"             // Limits.MaxFragmentsPerDatagram: a datagram dropped
	weirdServicesCap   = "service_names_cap"              // more than maxServices service names
	capConnections     = "max_connections"
	capFragmentBytes   = "frag_bytes"
	capFragmentCount   = "frag_count"
	capServices        = "services"
	capWeirdSourceName = "tlsmon"
)

// capSample is one cap's sampling state.
type capSample struct {
	n     uint64 // hits since first
	first int64  // network time of the first hit of this round (µs)
}

// capReport records a hit of the cap counter (Stats.CapHits) unless counted is set (the
// counter lives in the decoder or the table), and writes the weird, with the connection
// where there is one, if the sampling lets it through.
func (e *Engine) capReport(c *tlsmon.Conn, counter, weird, addl string, counted bool) {
	if !counted {
		e.stats.CapHits[counter]++
	}
	s := e.capSamples[counter]
	if s == nil {
		s = &capSample{}
		e.capSamples[counter] = s
	}
	if s.n == 0 || e.now-s.first >= capSampleDuration {
		s.n, s.first = 0, e.now
	}
	s.n++
	if s.n > capSampleThreshold && (s.n-capSampleThreshold)%capSampleRate != 0 {
		return
	}
	e.stats.CapWeirds++
	e.raiseWeird(c, weird, addl, capWeirdSourceName)
}

// checkDecoderCaps reports the fragment caps the decoder hit on the current frame.
func (e *Engine) checkDecoderCaps() {
	ds := e.dec.Stats()
	for ; e.seenFragBytesCap < ds.FragBytesCapHits; e.seenFragBytesCap++ {
		e.capReport(nil, capFragmentBytes, weirdFragBytesCap, "", true)
	}
	for ; e.seenFragCountCap < ds.FragCountCapHits; e.seenFragCountCap++ {
		e.capReport(nil, capFragmentCount, weirdFragCountCap, "", true)
	}
}

// checkTunnelDecoderCaps reports the fragment caps the decoder of tunnel depth d hit on
// the current encapsulated frame.
func (e *Engine) checkTunnelDecoderCaps(d int) {
	dec := e.tun.dec[d]
	if dec == nil {
		return
	}
	ds := dec.Stats()
	seen := &e.seenTunFragCaps[d]
	for ; seen[0] < ds.FragBytesCapHits; seen[0]++ {
		e.capReport(nil, capFragmentBytes, weirdFragBytesCap, "", false)
	}
	for ; seen[1] < ds.FragCountCapHits; seen[1]++ {
		e.capReport(nil, capFragmentCount, weirdFragCountCap, "", false)
	}
}

// checkTableCap reports the connection cap the table hit on the current packet.
func (e *Engine) checkTableCap() {
	for n := e.table.Stats().ConnCapHits; e.seenConnCap < n; e.seenConnCap++ {
		e.capReport(nil, capConnections, weirdConnCap, strconv.Itoa(e.opts.Limits.MaxConnections), true)
	}
}
