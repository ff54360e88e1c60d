package testgen

import (
	"crypto/tls"
	"sync"
	"testing"
)

var (
	fuzzOnce sync.Once
	fuzzTr   *Transcript
	fuzzErr  error
)

// FuzzFraming: every framing writes a well-formed capture whose streams reassemble to the
// transcript.
func FuzzFraming(f *testing.F) {
	f.Add(uint64(1), uint16(7), uint16(1), uint8(30), uint8(20), uint8(30), false, false, uint16(0))
	f.Add(uint64(2), uint16(1), uint16(0), uint8(0), uint8(0), uint8(0), true, true, uint16(64))
	f.Fuzz(func(t *testing.T, seed uint64, mss, minSeg uint16, reorder, dup, overlap uint8, coalesce, v6 bool, split uint16) {
		fuzzOnce.Do(func() {
			fuzzTr, fuzzErr = Run(Config{MaxVersion: tls.VersionTLS12, ClientCert: true, ServerName: "fuzz.example.com"})
		})
		if fuzzErr != nil {
			t.Fatal(fuzzErr)
		}
		checkFramed(t, fuzzTr, Framing{
			IPv6: v6, MSS: int(mss%1500) + 1, MinSegment: int(minSeg % 1500), CoalesceWrites: coalesce,
			CoalesceRecords: coalesce, MaxHandshakeRecord: int(split % 2048), Seed: seed, AckFlights: v6,
			Reorder: float64(reorder%101) / 100, Duplicate: float64(dup%101) / 100, Overlap: float64(overlap%101) / 100,
		})
	})
}
