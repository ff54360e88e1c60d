package capture

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// openMappedFile writes file to a temporary file and opens it with OpenMapped (pos: the
// progress position).
func openMappedFile(t *testing.T, file []byte, pos *atomic.Int64) *mappedPcap {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.pcap")
	if err := os.WriteFile(p, file, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r, err := OpenMapped("test.pcap", f, pos) // the name readAllBytes gives
	if r == nil || err != nil {
		t.Fatalf("OpenMapped: %v, %v", r, err)
	}
	t.Cleanup(func() { r.Close() })
	return r.(*mappedPcap)
}

// Every cursor reads exactly what the reader reads, frames and errors (every truncation
// of a small file and the format variants), whichever cursor goes first.
func TestCursorsMatchReader(t *testing.T) {
	recs := []pcapRec{{sec: 1, frac: 5, data: []byte("abcdef")}, {sec: 2, data: []byte("ghijklmnop"), wireLen: 99}, {sec: 3, data: []byte("q")}}
	files := map[string][]byte{
		"le":      pcapFile(binary.LittleEndian, 0xa1b2c3d4, 65535, 1, recs...),
		"be-nano": pcapFile(binary.BigEndian, 0xa1b23c4d, 65535, 1, recs...),
		"snaplen": pcapFile(binary.LittleEndian, 0xa1b2c3d4, 4, 1, recs...),
	}
	for name, file := range files {
		for n := 24; n <= len(file); n++ {
			b := file[:n]
			want, wantErr := readAllBytes(t, b)
			r := openMappedFile(t, b, nil)
			cs, ok := r.Cursors(2)
			if !ok {
				t.Fatalf("%s[:%d]: no cursors", name, n)
			}
			for _, c := range []Reader{cs[1], cs[0]} {
				got, err := readAll(t, c)
				if errString(err) != errString(wantErr) || !equalFrames(got, want) {
					t.Errorf("%s[:%d]: cursor %v, %v; buffered %v, %v", name, n, got, err, want, wantErr)
				}
				c.Close()
			}
		}
	}
}

// The progress position is the slowest cursor's, and the pages behind it are dropped only
// once every cursor has passed them.
func TestCursorsReleaseBehindSlowest(t *testing.T) {
	data := make([]byte, 60_000)
	var recs []pcapRec
	for i := range 400 { // ≈ 24 MB: beyond mappedKeep + cursorsStep
		recs = append(recs, pcapRec{sec: uint32(i), data: data})
	}
	file := pcapFile(binary.LittleEndian, 0xa1b2c3d4, 65535, 1, recs...)
	var pos atomic.Int64
	r := openMappedFile(t, file, &pos)
	cs, ok := r.Cursors(2)
	if !ok {
		t.Fatal("no cursors")
	}
	g := cs[0].(*mappedPcap).group
	var f Frame
	for cs[0].Next(&f) == nil {
	}
	if d := g.dropped.Load(); d != 0 || pos.Load() != 24 {
		t.Fatalf("one cursor at the end, one at the start: %d bytes dropped, position %d", d, pos.Load())
	}
	for range 300 {
		if err := cs[1].Next(&f); err != nil {
			t.Fatal(err)
		}
	}
	at := int64(cs[1].(*mappedPcap).posAt)
	if d := g.dropped.Load(); d == 0 || d > at-mappedKeep || pos.Load() != at {
		t.Fatalf("slowest cursor at %d (published): %d bytes dropped, position %d", at, d, pos.Load())
	}
	cs[1].Close() // a closed cursor holds nothing back
	if pos.Load() != int64(len(file)) {
		t.Errorf("every cursor done: position %d of %d", pos.Load(), len(file))
	}
	cs[0].Close()
	if err := cs[1].Next(&f); err == nil {
		t.Error("a closed cursor read a frame")
	}
}
