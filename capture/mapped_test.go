package capture

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// readMapped reads file (written to a temporary file) with OpenMapped; ok is false when it
// declined the file.
func readMapped(t *testing.T, file []byte) (got []gotFrame, err error, ok bool) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "m.pcap")
	if err := os.WriteFile(p, file, 0o644); err != nil {
		t.Fatal(err)
	}
	return readMappedPath(t, p, "test.pcap")
}

func readMappedPath(t *testing.T, p, name string) (got []gotFrame, err error, ok bool) {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var pos atomic.Int64
	r, err := OpenMapped(name, f, &pos)
	if r == nil && err == nil {
		return nil, nil, false
	}
	if err != nil {
		return nil, err, true
	}
	defer r.Close()
	if len(name)%2 == 0 {
		r.(AheadReader).ReadAhead() // both ways of Next
	}
	var fr Frame
	for {
		if err = r.Next(&fr); err != nil {
			break
		}
		if !fr.Stable {
			t.Fatal("a mapped frame is not Stable")
		}
		got = append(got, gotFrame{fr.Ts, fr.LinkType, string(fr.Data), fr.WireLen, fr.Num})
	}
	if err.Error() == "EOF" {
		if fi, _ := f.Stat(); pos.Load() != fi.Size() {
			t.Errorf("position %d at the end of a %d-byte file", pos.Load(), fi.Size())
		}
		err = nil
	}
	var fr2 Frame
	if err2 := r.Next(&fr2); (err == nil && err2.Error() != "EOF") || (err != nil && err2 != err) {
		t.Errorf("Next after the end: %v (ended with %v)", err2, err)
	}
	return got, err, true
}

// The mapped reader reads exactly what the buffered reader reads, frames and errors, on
// every truncation of a small file and on the format variants.
func TestMappedMatchesBuffered(t *testing.T) {
	recs := []pcapRec{{sec: 1, frac: 5, data: []byte("abcdef")}, {sec: 2, data: []byte("ghijklmnop"), wireLen: 99}, {sec: 3, data: []byte("q")}}
	files := map[string][]byte{
		"le":      pcapFile(binary.LittleEndian, 0xa1b2c3d4, 65535, 1, recs...),
		"be-nano": pcapFile(binary.BigEndian, 0xa1b23c4d, 65535, 1, recs...),
		"snaplen": pcapFile(binary.LittleEndian, 0xa1b2c3d4, 4, 1, recs...),
	}
	huge := pcapFile(binary.LittleEndian, 0xa1b2c3d4, 65535, 1, pcapRec{sec: 1, data: []byte("ab")})
	binary.LittleEndian.PutUint32(huge[24+8:], 0x7fffffff)
	files["absurd-caplen"] = huge
	for name, file := range files {
		for n := 24; n <= len(file); n++ {
			b := file[:n]
			want, wantErr := readAllBytes(t, b)
			got, err, ok := readMapped(t, b)
			if !ok {
				t.Fatalf("%s[:%d]: not mapped", name, n)
			}
			if errString(err) != errString(wantErr) || !equalFrames(got, want) {
				t.Errorf("%s[:%d]: mapped %v, %v; buffered %v, %v", name, n, got, err, want, wantErr)
			}
		}
	}
	// Not a classic pcap: declined, left to NewReader.
	for _, b := range [][]byte{[]byte("not a capture file at all, really"), gz(t, files["le"]), files["le"][:20]} {
		if _, _, ok := readMapped(t, b); ok {
			t.Errorf("%q... mapped", b[:4])
		}
	}
}

func readAllBytes(t *testing.T, b []byte) ([]gotFrame, error) {
	r, err := openBytes(t, b)
	if err != nil {
		return nil, err
	}
	return readAll(t, r)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func equalFrames(a, b []gotFrame) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMappedConformanceCaptures(t *testing.T) {
	pcaps := filepath.Join(sharedDir(t), "conformance", "pcaps")
	entries, err := os.ReadDir(pcaps)
	if err != nil {
		t.Fatal(err)
	}
	mapped := 0
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(pcaps, e.Name())
		got, err, ok := readMappedPath(t, p, p)
		if !ok {
			continue
		}
		mapped++
		r, err2 := Open(p)
		if err2 != nil {
			t.Fatal(err2)
		}
		want, wantErr := readAll(t, r)
		r.Close()
		if errString(err) != errString(wantErr) || !equalFrames(got, want) {
			t.Errorf("%s: mapped %d frames, %v; buffered %d, %v", e.Name(), len(got), err, len(want), wantErr)
		}
	}
	if mapped == 0 {
		t.Error("no classic pcap mapped")
	}
	t.Logf("%d captures mapped", mapped)
}
