package engine

import (
	"fmt"
	"sort"
	"strings"
)

// Stats are the engine's counters.
type Stats struct {
	Packets      uint64 // frames read
	Bytes        uint64 // captured bytes read
	IPPackets    uint64 // frames that decoded to an IP packet
	Skipped      uint64 // frames that were not IP (or had nothing to deliver)
	Fragments    uint64 // IP fragments buffered
	DecodeErrors uint64 // malformed frames
	Connections  uint64 // connections created
	Active       int    // connections in the table now
	// AckEvents and GapEvents are Zeek's get_gap_stats() counts: ACKs that advanced a stream
	// of a connection established both ways, and those of them that acknowledged data never
	// seen (capture_loss.log estimates the capture's loss from their ratio).
	AckEvents, GapEvents uint64
	// CapHits counts each resource cap hit, by name (reassembly_conn, reassembly_global,
	// reassembly_blocks, reassembly_hold, max_connections, frag_bytes, frag_count, services,
	// above_hole, excessive_data); each hit is also a weird.log row, sampled (capweird.go).
	CapHits map[string]uint64
	// CapWeirds counts the weird.log rows written for cap hits (sampled per cap: capweird.go).
	CapWeirds uint64
	// UnknownLinkTypes are the link types read that Zeek's packet analysis does not
	// dispatch (their frames are decoded as raw IP, Zeek's default), in order of appearance.
	UnknownLinkTypes []uint32
}

// String is the one-line summary.
func (s Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "packets=%d bytes=%d ip=%d skipped=%d fragments=%d decode_errors=%d connections=%d active=%d",
		s.Packets, s.Bytes, s.IPPackets, s.Skipped, s.Fragments, s.DecodeErrors, s.Connections, s.Active)
	names := make([]string, 0, len(s.CapHits))
	for k, v := range s.CapHits {
		if v > 0 {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	b.WriteString(" caps_hit=")
	if len(names) == 0 {
		b.WriteString("none")
	}
	for i, k := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s:%d", k, s.CapHits[k])
	}
	if len(names) > 0 {
		fmt.Fprintf(&b, " cap_weirds=%d", s.CapWeirds)
	}
	return b.String()
}
