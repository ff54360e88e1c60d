package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

// fuzzRead reads everything and checks the invariants: no panic, frames within the caps,
// numbered 1, 2, ..., and every failure a *Error.
func fuzzRead(t *testing.T, data []byte) {
	r, err := NewReader("fuzz", bytes.NewReader(data))
	if err != nil {
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("open error %T %v is not a *Error", err, err)
		}
		return
	}
	var f Frame
	for n := uint64(1); ; n++ {
		err := r.Next(&f)
		if err == io.EOF {
			return
		}
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.File != "fuzz" {
				t.Fatalf("error %T %v is not a *Error", err, err)
			}
			return
		}
		// A plain capture cannot yield a frame longer than itself; a gzip'ed one can.
		gzipped := len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b
		if f.Num != n || len(f.Data) > MaxCapLen || (!gzipped && len(f.Data) > len(data)) {
			t.Fatalf("frame %d: num %d len %d (input %d)", n, f.Num, len(f.Data), len(data))
		}
	}
}

func FuzzPcap(f *testing.F) {
	le, be := binary.LittleEndian, binary.BigEndian
	f.Add(pcapFile(le, 0xa1b2c3d4, 65535, 1, pcapRec{sec: 1, data: []byte("abcdef")}, pcapRec{sec: 2, data: []byte("xy")}))
	f.Add(pcapFile(be, 0xa1b23c4d, 4, 101, pcapRec{sec: 1, data: []byte("abcdefgh")}))
	f.Add(gz(f, pcapFile(le, 0xa1b2c3d4, 65535, 1, pcapRec{sec: 1, data: []byte("abcdef")})))
	f.Fuzz(fuzzRead)
}

func FuzzPcapng(f *testing.F) {
	le, be := binary.LittleEndian, binary.BigEndian
	f.Add(cat(ngSHB(le), ngIDB(le, 1, 0, ngOpt{optTsResol, []byte{9}}), ngEPB(le, 0, 5, 0, []byte("pkt")), ngSPB(le, 3, []byte("abc"))))
	f.Add(cat(ngSHB(be), ngIDB(be, 1, 0, ngOpt{optTsResol, []byte{0x85}}, ngOpt{optTsOffset, u64(be, 7)}), ngOPB(be, 0, 9, []byte("opb")), ngBlock(be, 99, []byte("?"))))
	f.Fuzz(fuzzRead)
}
