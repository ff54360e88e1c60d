package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"testing"
)

// mergeInput builds up to four captures from fuzz bytes. b[0]: number of captures (low 2
// bits + 1), pcapng rather than pcap (bits 2..5, one per capture), cut the last capture
// short (bit 6). Then records of 2 bytes each plus data: the capture (top 2 bits) and the
// data length (low 6 bits), then the timestamp byte (seconds in the top 4 bits, µs in the
// low 4: many ties, and order as the bytes come, sorted or not). When bit 6 is set, the
// last byte is how many bytes to cut off the last capture.
func mergeInput(b []byte) (files [][]byte) {
	if len(b) == 0 {
		return nil
	}
	cfg := b[0]
	b = b[1:]
	n := int(cfg&3) + 1
	cut := 0
	if cfg&0x40 != 0 && len(b) > 0 {
		cut = int(b[len(b)-1])
		b = b[:len(b)-1]
	}
	le := binary.LittleEndian
	files = make([][]byte, n)
	for i := range files {
		if cfg&(4<<i) != 0 {
			files[i] = cat(ngSHB(le), ngIDB(le, 1, 0))
		} else {
			files[i] = pcapFile(le, 0xa1b2c3d4, 65535, 1)
		}
	}
	for len(b) >= 2 {
		i := int(b[0]>>6) % n
		l := min(int(b[0]&0x3f), len(b)-2)
		sec, us := uint32(b[1]>>4), uint32(b[1]&0xf)
		data := b[2 : 2+l]
		b = b[2+l:]
		if cfg&(4<<i) != 0 {
			files[i] = append(files[i], ngEPB(le, 0, uint64(sec)*1e6+uint64(us), 0, data)...)
		} else {
			rec := pcapFile(le, 0xa1b2c3d4, 65535, 1, pcapRec{sec: sec, frac: us, data: data})
			files[i] = append(files[i], rec[24:]...)
		}
	}
	last := len(files) - 1
	files[last] = files[last][:len(files[last])-min(cut, len(files[last]))]
	return files
}

type mergedFrame struct {
	ts   int64
	data string
	num  uint64
	file string
}

// readAlone reads a capture by itself: its frames and whether it ends in an error.
func readAlone(name string, b []byte) ([]mergedFrame, bool) {
	r, err := NewReader(name, bytes.NewReader(b))
	if err != nil {
		return nil, true
	}
	var out []mergedFrame
	var f Frame
	for {
		if err := r.Next(&f); err != nil {
			return out, !errors.Is(err, io.EOF)
		}
		out = append(out, mergedFrame{f.Ts, string(f.Data), f.Num, f.File})
	}
}

// FuzzMerge merges captures built from the fuzz input and checks Merge against what each
// capture yields alone: every frame comes out exactly once, each capture's frames in their
// own order; each frame is the earliest of the captures' next frames (ties to the capture
// listed first), so the output's time never goes back when each capture's does not; each
// failing capture's error comes out once, as a *Error naming it; then io.EOF for good.
func FuzzMerge(f *testing.F) {
	f.Add([]byte{0x01, 0x02, 0x10, 'a', 'b', 0x42, 0x20, 'c', 'd', 0x01, 0x30, 'e'})
	f.Add([]byte{0x0f, 0x01, 0x11, 'x', 0x41, 0x11, 'y', 0x81, 0x11, 'z', 0xc1, 0x00, 'w', 0x01, 0x05, 'v'})
	f.Add([]byte{0x42, 0x01, 0x50, 'a', 0x41, 0x40, 'b', 0x41, 0x60, 'c', 0x01, 0x70, 'd', 3})
	f.Add([]byte{0x03, 0x00, 0x90, 0x40, 0x80, 0x80, 0x70, 0xc0, 0x60, 0x00, 0x50, 0x40, 0x40})
	f.Fuzz(func(t *testing.T, b []byte) {
		files := mergeInput(b)
		if len(files) == 0 {
			return
		}
		var (
			alone   = make([][]mergedFrame, len(files))
			fails   = make([]bool, len(files))
			sorted  = true
			readers []Reader
			names   []string
		)
		for i, file := range files {
			name := fmt.Sprint("cap", i)
			alone[i], fails[i] = readAlone(name, file)
			for k := 1; k < len(alone[i]); k++ {
				sorted = sorted && alone[i][k].ts >= alone[i][k-1].ts
			}
			r, err := NewReader(name, bytes.NewReader(file))
			if err != nil {
				continue // a capture that does not open is left out, as the command does
			}
			readers = append(readers, r)
			names = append(names, name)
		}
		if len(readers) == 0 {
			return
		}
		index := map[string]int{}
		for i := range files {
			index[fmt.Sprint("cap", i)] = i
		}
		next := make([]int, len(files)) // frames of each capture handed out so far
		errored := make([]bool, len(files))
		m := Merge(readers...)
		var fr Frame
		lastTs := int64(-1 << 63)
		for calls := 0; ; calls++ {
			if calls > 10_000 {
				t.Fatal("runaway merge")
			}
			err := m.Next(&fr)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				var ce *Error
				if !errors.As(err, &ce) {
					t.Fatalf("error %T %v is not a *Error", err, err)
				}
				i, ok := index[ce.File]
				if !ok || !fails[i] || errored[i] || next[i] != len(alone[i]) {
					t.Fatalf("error %v: capture failing alone %v, already reported %v, %d of %d frames out",
						err, fails[i], errored[i], next[i], len(alone[i]))
				}
				errored[i] = true
				continue
			}
			i, ok := index[fr.File]
			if !ok || next[i] >= len(alone[i]) {
				t.Fatalf("frame %+v: unknown or past the capture's end", fr)
			}
			want := alone[i][next[i]]
			if got := (mergedFrame{fr.Ts, string(fr.Data), fr.Num, fr.File}); got != want {
				t.Fatalf("frame from %s: got %+v, want %+v", fr.File, got, want)
			}
			next[i]++
			// It was the earliest of the captures' pending frames.
			for j := range files {
				if j == i || next[j] >= len(alone[j]) {
					continue
				}
				h := alone[j][next[j]]
				if h.ts < fr.Ts || (h.ts == fr.Ts && j < i) {
					t.Fatalf("frame %+v of %s handed out before %+v of %s", want, fr.File, h, h.file)
				}
			}
			if sorted && fr.Ts < lastTs {
				t.Fatalf("time went back from %d to %d with sorted captures", lastTs, fr.Ts)
			}
			lastTs = fr.Ts
		}
		for i, name := range names {
			k := index[name]
			if next[k] != len(alone[k]) || errored[k] != fails[k] {
				t.Fatalf("%s (reader %d): %d of %d frames out, error reported %v, fails alone %v",
					name, i, next[k], len(alone[k]), errored[k], fails[k])
			}
		}
		if err := m.Next(&fr); !errors.Is(err, io.EOF) {
			t.Fatalf("after the end: %v", err)
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	})
}
