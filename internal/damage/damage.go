// Package damage makes damaged copies of classic pcap captures, as a busy sensor sees them:
// packets dropped at random, or packets reordered within small windows. The copies test
// what tlsmon does with damaged traffic (Zeek's rule by default, --recover beyond it); the
// damage is seeded, so a copy is reproducible from its seed.
//
// The mutations are those of ../shared/damaged (README there): Reorder permutes the packets
// after the first Skip within consecutive windows of Window packets while the timestamps
// stay in capture order; Drop drops every packet after the first Skip with probability Rate.
package damage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
)

// Mode is a kind of damage.
type Mode int

const (
	Reorder Mode = iota // permute packets within windows
	Drop                // drop packets at random
)

// Config describes the damage.
type Config struct {
	Mode   Mode
	Seed   uint64
	Skip   int     // the first Skip packets are left alone (the handshake's SYNs, mostly)
	Window int     // Reorder: packets per window (default 4)
	Rate   float64 // Drop: probability that a packet is dropped
}

// record is one packet record of a classic pcap file: header and data.
type record struct {
	hdr  [16]byte
	data []byte
}

// Apply returns a damaged copy of the classic pcap file in, in the same byte order and
// timestamp resolution.
func Apply(in []byte, cfg Config) ([]byte, error) {
	if len(in) < 24 {
		return nil, errors.New("not a pcap file: too short")
	}
	var bo binary.ByteOrder
	switch binary.LittleEndian.Uint32(in) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		bo = binary.LittleEndian
	case 0xd4c3b2a1, 0x4d3cb2a1:
		bo = binary.BigEndian
	default:
		return nil, errors.New("not a classic pcap file (pcapng is not supported)")
	}
	var recs []record
	for off := 24; off < len(in); {
		if off+16 > len(in) {
			return nil, fmt.Errorf("truncated record header at byte %d", off)
		}
		n := int(bo.Uint32(in[off+8:]))
		if off+16+n > len(in) {
			return nil, fmt.Errorf("truncated record at byte %d", off)
		}
		var r record
		copy(r.hdr[:], in[off:off+16])
		r.data = in[off+16 : off+16+n]
		recs = append(recs, r)
		off += 16 + n
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	switch cfg.Mode {
	case Reorder:
		recs = reorder(recs, cfg, rng)
	case Drop:
		recs = drop(recs, cfg, rng)
	default:
		return nil, fmt.Errorf("unknown damage mode %d", cfg.Mode)
	}
	out := append([]byte(nil), in[:24]...)
	for _, r := range recs {
		out = append(out, r.hdr[:]...)
		out = append(out, r.data...)
	}
	return out, nil
}

// reorder permutes the packets of each window; the timestamps (the first 8 bytes of the
// record header) stay where they were, so the capture's clock still runs forward.
func reorder(recs []record, cfg Config, rng *rand.Rand) []record {
	w := cfg.Window
	if w <= 1 {
		w = 4
	}
	out := make([]record, len(recs))
	copy(out, recs)
	for start := max(cfg.Skip, 0); start < len(recs); start += w {
		end := min(start+w, len(recs))
		perm := rng.Perm(end - start)
		for i, p := range perm {
			r := recs[start+p]
			copy(r.hdr[:8], recs[start+i].hdr[:8])
			out[start+i] = r
		}
	}
	return out
}

func drop(recs []record, cfg Config, rng *rand.Rand) []record {
	out := recs[:0:0]
	for i, r := range recs {
		if i >= cfg.Skip && rng.Float64() < cfg.Rate {
			continue
		}
		out = append(out, r)
	}
	return out
}
