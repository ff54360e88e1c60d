package capture

import (
	"encoding/binary"
	"errors"
	"testing"
)

func TestMerge(t *testing.T) {
	le := binary.LittleEndian
	a := pcapFile(le, 0xa1b2c3d4, 65535, 1,
		pcapRec{sec: 1, data: []byte("a1")}, pcapRec{sec: 3, data: []byte("a3")}, pcapRec{sec: 5, data: []byte("a5")})
	b := cat(ngSHB(le), ngIDB(le, 101, 0),
		ngEPB(le, 0, 2_000_000, 0, []byte("b2")), ngEPB(le, 0, 3_000_000, 0, []byte("b3")), ngEPB(le, 0, 9_000_000, 0, []byte("b9")))
	c := pcapFile(le, 0xa1b2c3d4, 65535, 1)
	ra, _ := NewReader("a", bytesReader(a))
	rb, _ := NewReader("b", bytesReader(b))
	rc, _ := NewReader("c", bytesReader(c))
	got, err := readAll(t, Merge(ra, rb, rc))
	if err != nil {
		t.Fatal(err)
	}
	var order string
	for _, g := range got {
		order += g.data + " "
	}
	// Ties (a3, b3) go to the reader listed first.
	if want := "a1 b2 a3 b3 a5 b9 "; order != want {
		t.Errorf("merged order %q, want %q", order, want)
	}
	if got[1].link != 101 || got[1].num != 1 || got[2].num != 2 {
		t.Errorf("frame metadata not preserved: %+v", got)
	}
}

func TestMergeError(t *testing.T) {
	le := binary.LittleEndian
	a := pcapFile(le, 0xa1b2c3d4, 65535, 1, pcapRec{sec: 1, data: []byte("a1")}, pcapRec{sec: 4, data: []byte("a4")})
	b := pcapFile(le, 0xa1b2c3d4, 65535, 1, pcapRec{sec: 2, data: []byte("b2")}, pcapRec{sec: 3, data: []byte("b3")})
	b = b[:len(b)-1] // b's second packet is truncated
	ra, _ := NewReader("a", bytesReader(a))
	rb, _ := NewReader("b", bytesReader(b))
	m := Merge(ra, rb)
	var f Frame
	var seq []string
	var errs []error
	for range 10 {
		err := m.Next(&f)
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			errs = append(errs, err)
			continue
		}
		seq = append(seq, string(f.Data))
	}
	if len(errs) != 1 {
		t.Fatalf("errors %v, want exactly one", errs)
	}
	var ce *Error
	if !errors.As(errs[0], &ce) || ce.File != "b" || ce.Packet != 2 {
		t.Errorf("error %v", errs[0])
	}
	if len(seq) != 3 || seq[0] != "a1" || seq[1] != "b2" || seq[2] != "a4" {
		t.Errorf("frames %v", seq)
	}
	if err := m.Close(); err != nil {
		t.Error(err)
	}
}
