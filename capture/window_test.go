package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// Frames handed out from the buffered window (the fast path) and through bufio (records
// straddling the buffer's end, records longer than the snaplen, a truncated tail) are the
// same frames, in order, whatever the record sizes.
func TestPcapWindowAcrossBuffers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const snaplen = 9000
	var recs []pcapRec
	var want []gotFrame
	for i := 0; len(want) < 4000; i++ {
		n := rng.IntN(1600)
		if i%97 == 0 {
			n = 50000 + rng.IntN(150000) // beyond the snaplen: cut to it
		}
		data := make([]byte, n)
		for j := range data {
			data[j] = byte(i + j*7)
		}
		recs = append(recs, pcapRec{sec: uint32(1000 + i), frac: uint32(i % 1000000), data: data})
		keep := data[:min(n, snaplen)]
		want = append(want, gotFrame{ts: int64(1000+i)*1_000_000 + int64(i%1000000), link: 1,
			data: string(keep), wireLen: n, num: uint64(i + 1)})
	}
	file := pcapFile(binary.LittleEndian, 0xa1b2c3d4, snaplen, 1, recs...)
	if len(file) < 3*bufSize {
		t.Fatalf("test file of %d bytes does not cross the buffer", len(file))
	}
	check := func(name string, file []byte, want []gotFrame, wantErr error) {
		r, err := NewReader("w.pcap", bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		var f Frame
		for i := 0; ; i++ {
			err := r.Next(&f)
			if err != nil {
				if i != len(want) || !errors.Is(err, wantErr) {
					t.Fatalf("%s: after %d frames of %d: %v, want %v", name, i, len(want), err, wantErr)
				}
				return
			}
			if i >= len(want) {
				t.Fatalf("%s: extra frame %d", name, i)
			}
			got := gotFrame{f.Ts, f.LinkType, string(f.Data), f.WireLen, f.Num}
			if got != want[i] {
				t.Fatalf("%s: frame %d: got ts %d num %d len %d, want ts %d num %d len %d", name, i,
					got.ts, got.num, len(got.data), want[i].ts, want[i].num, len(want[i].data))
			}
		}
	}
	check("whole", file, want, io.EOF)
	// cut in the middle of the last record: every earlier frame, then a truncation error
	last := len(recs[len(recs)-1].data)
	check("truncated", file[:len(file)-last/2-1], want[:len(want)-1], ErrTruncated)
}
