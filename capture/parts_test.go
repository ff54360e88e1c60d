package capture

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// readParts reads file (written to a temporary file, mapped) as the sharded dispatcher's
// parallel readers do, one part after the other: it splits it into parts of about size
// bytes, walks every part from its guessed start (Parts.Walk, as a walker does), keeps a
// part's frames only when its start is where the previous part's walk ended (verified),
// walks a part from that offset instead when not, and reads what follows a record out of
// the ordinary with the serial reader (Resume). split is false when Split declined.
func readParts(t *testing.T, file []byte, size, batch int) (got []gotFrame, err error, split bool) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "p.pcap")
	if err := os.WriteFile(p, file, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := OpenMapped("test.pcap", f, nil)
	if r == nil || err != nil {
		return nil, err, false
	}
	defer r.Close()
	parts, ok := r.(Splitter).Split(size)
	if !ok {
		return nil, nil, false
	}
	b := parts.Bounds
	for k := 1; k < len(b); k++ {
		if b[k] < b[k-1] {
			t.Fatalf("bounds not in order: %v", b)
		}
	}
	if b[0] != 24 || b[len(b)-1] != len(file) {
		t.Fatalf("bounds %v for a %d-byte file", b, len(file))
	}
	add := func(fs []Frame) {
		for i := range fs {
			if !fs[i].Stable || fs[i].Num != 0 {
				t.Fatalf("walked frame: Stable %v, Num %d", fs[i].Stable, fs[i].Num)
			}
			got = append(got, gotFrame{fs[i].Ts, fs[i].LinkType, string(fs[i].Data), fs[i].WireLen, uint64(len(got) + 1)})
		}
	}
	walk := func(off, end int) ([]Frame, int, bool) {
		var all []Frame
		for {
			fs, next, ok := parts.Walk(make([]Frame, 0, batch), off, end)
			all = append(all, fs...)
			if !ok || next >= end || len(fs) == 0 {
				return all, next, ok
			}
			off = next
		}
	}
	at := b[0]
	for k := 0; k+1 < len(b); k++ {
		fs, next, ok := walk(b[k], b[k+1]) // the walker's, from the guessed start
		if b[k] != at {
			fs, next, ok = walk(at, b[k+1]) // a wrong start: walked from the verified end
		}
		add(fs)
		at = next
		if !ok {
			break
		}
	}
	rest, err := readAll(t, parts.Resume(at, uint64(len(got))))
	return append(got, rest...), err, true
}

// Split's parts read exactly what the serial reader reads, on files made to trip it.
func TestPartsMatchSerial(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	recs := func(n int, fix func(i int, r *pcapRec)) []pcapRec {
		var rs []pcapRec
		for i := range n {
			r := pcapRec{sec: 1400000000 + uint32(i/7), frac: uint32(i * 13 % 1000000), data: bytes.Repeat([]byte{byte(i)}, 20+i*7%90)}
			if fix != nil {
				fix(i, &r)
			}
			rs = append(rs, r)
		}
		return rs
	}
	decoy := pcapFile(le, pcapMagicMicro, 65535, 1, recs(10, nil)...)[24:]
	cases := map[string][]byte{
		"plain":        pcapFile(le, pcapMagicMicro, 65535, 1, recs(200, nil)...),
		"big-endian":   pcapFile(be, pcapMagicMicro, 65535, 1, recs(200, nil)...),
		"nanoseconds":  pcapFile(le, pcapMagicNano, 65535, 1, recs(200, func(i int, r *pcapRec) { r.frac = uint32(i) * 4_999_999 })...),
		"snaplen-0":    pcapFile(le, pcapMagicMicro, 0, 1, recs(200, nil)...),
		"snaplen-huge": pcapFile(le, pcapMagicMicro, 0xffffffff, 1, recs(200, nil)...),
		// A record above the snaplen: kept cut by the serial reader, walked by none.
		"above-snaplen": pcapFile(le, pcapMagicMicro, 64, 1, recs(200, func(i int, r *pcapRec) {
			r.data = r.data[:min(len(r.data), 64)]
			if i == 120 {
				r.data = bytes.Repeat([]byte{9}, 100)
			}
		})...),
		// Payloads that are whole record chains: starts are guessed inside records.
		"decoys": pcapFile(le, pcapMagicMicro, 65535, 1, recs(60, func(i int, r *pcapRec) {
			if i%2 == 0 {
				r.data = bytes.Repeat(decoy, 2)
			}
		})...),
		"zeros":         pcapFile(le, pcapMagicMicro, 65535, 1, recs(100, func(i int, r *pcapRec) { r.data = make([]byte, 300) })...),
		"empty-records": pcapFile(le, pcapMagicMicro, 65535, 1, recs(100, func(i int, r *pcapRec) { r.data, r.capLen, r.rawCapLen = nil, 0, true })...),
		"no-records":    pcapFile(le, pcapMagicMicro, 65535, 1),
		"absurd-caplen": pcapFile(le, pcapMagicMicro, 65535, 1, recs(100, func(i int, r *pcapRec) {
			if i == 70 {
				r.capLen = 1 << 30
			}
		})...),
	}
	// Records that do not look like records (empty, or longer than on the wire): Split
	// may decline them (too many boundaries not found), and the serial reader reads them.
	cases["wirelen-zero"] = pcapFile(le, pcapMagicMicro, 65535, 1, recs(200, func(i int, r *pcapRec) { r.wireLen = 1 })...)
	mayDecline := map[string]bool{"empty-records": true, "wirelen-zero": true}
	plain := cases["plain"]
	cases["truncated-record"] = plain[:len(plain)-5]
	cases["truncated-header"] = plain[:len(plain)-len(recs(200, nil)[199].data)-9]
	for name, file := range cases {
		want, wantErr := readAllBytes(t, file)
		for _, size := range []int{1, 40, 333, 4096, 1 << 20} {
			got, err, split := readParts(t, file, size, 7)
			if !split {
				if !mayDecline[name] {
					t.Errorf("%s, parts of %d: not split", name, size)
				}
				continue
			}
			if errString(err) != errString(wantErr) || !equalFrames(got, want) {
				t.Errorf("%s, parts of %d: %d frames, %v; serial %d, %v", name, size, len(got), err, len(want), wantErr)
			}
		}
	}
}

// Split declines what it does not walk: the modified format's 24-byte records, a file
// where too few part starts are found, and a reader that has already read a frame;
// OpenMapped declines pcapng.
func TestPartsDeclined(t *testing.T) {
	le := binary.LittleEndian
	if _, _, split := readParts(t, pcapFile(le, pcapMagicModified, 65535, 1), 100, 8); split {
		t.Error("modified pcap split")
	}
	var odd []pcapRec // captured lengths above the lengths on the wire: nothing looks like a record
	for i := range 300 {
		odd = append(odd, pcapRec{sec: uint32(i), data: make([]byte, 50), wireLen: 1})
	}
	if _, _, split := readParts(t, pcapFile(le, pcapMagicMicro, 65535, 1, odd...), 100, 8); split {
		t.Error("a file without plausible records split")
	}
	ng := cat(ngSHB(le), ngIDB(le, 1, 0), ngEPB(le, 0, 5, 0, []byte("pkt")))
	if _, _, split := readParts(t, ng, 100, 8); split {
		t.Error("pcapng split")
	}
	p := filepath.Join(t.TempDir(), "p.pcap")
	if err := os.WriteFile(p, pcapFile(le, pcapMagicMicro, 65535, 1, pcapRec{sec: 1, data: []byte("ab")}, pcapRec{sec: 2, data: []byte("cd")}), 0o644); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(p)
	defer f.Close()
	r, err := OpenMapped(p, f, nil)
	if r == nil || err != nil {
		t.Fatal(r, err)
	}
	defer r.Close()
	var fr Frame
	if err := r.Next(&fr); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.(Splitter).Split(1); ok {
		t.Error("split after a read")
	}
	if err := r.Next(&fr); err != nil || fr.Num != 2 {
		t.Errorf("after a declined split: %v, frame %d", err, fr.Num)
	}
	if err := r.Next(&fr); err != io.EOF {
		t.Errorf("end: %v", err)
	}
}

// FuzzParts: the parts of any classic pcap read exactly what the serial reader reads.
func FuzzParts(f *testing.F) {
	le, be := binary.LittleEndian, binary.BigEndian
	recs := []pcapRec{{sec: 1, frac: 5, data: []byte("abcdef")}, {sec: 2, data: []byte("ghijklmnop"), wireLen: 99}, {sec: 3, data: []byte("q")}}
	in := pcapFile(le, pcapMagicMicro, 65535, 1, recs...)
	f.Add(pcapFile(le, pcapMagicMicro, 65535, 1, append(recs, pcapRec{sec: 4, data: in[24:]}, pcapRec{sec: 5, data: in[24:]})...), uint16(20))
	f.Add(pcapFile(be, pcapMagicNano, 8, 1, recs...), uint16(3))
	f.Add(pcapFile(le, pcapMagicMicro, 65535, 101, recs...)[:60], uint16(17))
	f.Fuzz(func(t *testing.T, file []byte, size uint16) {
		if len(file) < 24 || !isPcapMagic(file) || len(file) > 1<<16 {
			return
		}
		want, wantErr := readAllBytes(t, file)
		got, err, split := readParts(t, file, int(size%2048)+1, 3)
		if !split {
			return
		}
		if errString(err) != errString(wantErr) || !equalFrames(got, want) {
			t.Errorf("parts of %d: %d frames, %v; serial %d, %v", size%2048+1, len(got), err, len(want), wantErr)
		}
	})
}
