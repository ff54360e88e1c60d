// Command genflood writes one of the flood captures of internal/flood (docs/RELIABILITY.md,
// "Flood suite"), timed to overlap an honest capture:
//
//	go run ./internal/flood/cmd/genflood -kind syn -like honest.pcap -o /tmp/syn.pcap  # full size
//	tlsmon -r /tmp/syn.pcap -r honest.pcap -o /tmp/out
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tlsmon/tlsmon/internal/flood"
)

func main() {
	kind := flag.String("kind", "", "flood: udp, trickle, claim, bighello, syn, frag")
	n := flag.Int("n", 0, "units (datagrams, connections, SYNs, fragments); 0 = the issue's full size")
	span := flag.Duration("span", 0, "time the flood is spread over; 0 = the issue's")
	seed := flag.Uint64("seed", 1, "random seed")
	like := flag.String("like", "", "classic pcap the flood overlaps: it starts -lead before its first packet")
	lead := flag.Duration("lead", -1, "how long the flood starts before the -like capture's first packet; default half the span")
	out := flag.String("o", "", "output pcap")
	flag.Parse()
	if err := run(flood.Kind(*kind), *n, *span, *lead, *seed, *like, *out); err != nil {
		fmt.Fprintln(os.Stderr, "genflood:", err)
		os.Exit(1)
	}
}

func run(kind flood.Kind, n int, span, lead time.Duration, seed uint64, like, out string) error {
	full, ok := flood.FullSize[kind]
	if !ok {
		return fmt.Errorf("unknown -kind %q", kind)
	}
	if out == "" {
		return fmt.Errorf("-o is required")
	}
	if n == 0 {
		n = full.N
	}
	if span == 0 {
		span = full.Span
	}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	if like != "" {
		t, err := firstTimestamp(like)
		if err != nil {
			return err
		}
		if lead < 0 {
			lead = span / 2
		}
		start = t.Add(-lead)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := flood.Write(f, flood.Config{Kind: kind, N: n, Span: span, Start: start, Seed: seed}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// firstTimestamp reads the first packet's time from a classic pcap (either byte order,
// µs or ns).
func firstTimestamp(path string) (time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return time.Time{}, err
	}
	defer f.Close()
	var h [24 + 16]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return time.Time{}, fmt.Errorf("%s: %v", path, err)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	nano := false
	switch binary.LittleEndian.Uint32(h[:]) {
	case 0xa1b2c3d4:
	case 0xa1b23c4d:
		nano = true
	case 0xd4c3b2a1:
		bo = binary.BigEndian
	case 0x4d3cb2a1:
		bo, nano = binary.BigEndian, true
	default:
		return time.Time{}, fmt.Errorf("%s: not a classic pcap", path)
	}
	sec, frac := int64(bo.Uint32(h[24:])), int64(bo.Uint32(h[28:]))
	if !nano {
		frac *= 1000
	}
	return time.Unix(sec, frac).UTC(), nil
}
