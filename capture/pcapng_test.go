package capture

import (
	"encoding/binary"
	"testing"
)

func TestPcapngInterfacesAndResolutions(t *testing.T) {
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		t.Run(order.String(), func(t *testing.T) {
			le := order
			file := cat(
				ngSHB(le),
				ngIDB(le, 1, 65535), // default µs
				ngIDB(le, 113, 0, ngOpt{optTsResol, []byte{9}}),                                       // ns
				ngIDB(le, 101, 0, ngOpt{optTsResol, []byte{0x80 | 20}}),                               // 2^-20 s
				ngIDB(le, 228, 0, ngOpt{optTsResol, []byte{3}}, ngOpt{optTsOffset, u64(le, 1000)}),    // ms + 1000 s
				ngIDB(le, 0, 0, ngOpt{optTsResol, []byte{0}}, ngOpt{2, []byte("a comment, ignored")}), // seconds
				ngBlock(le, 0x0bad, []byte("unknown block, skipped")),
				ngEPB(le, 0, 1400000000_123456, 0, []byte("e0")),
				ngEPB(le, 1, 1400000000_123456789, 99, []byte("e1")),
				ngEPB(le, 2, 3<<20|(1<<19), 0, []byte("e2")), // 3.5 s
				ngEPB(le, 3, 1_234_567, 0, []byte("e3")),     // 1234.567 s + 1000 s
				ngEPB(le, 4, 42, 0, []byte("e4")),
				ngOPB(le, 1, 2_000_000_001, []byte("opb")),
				ngSPB(le, 3, []byte("spb")),
			)
			r, err := openBytes(t, file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(t, r)
			if err != nil {
				t.Fatal(err)
			}
			want := []gotFrame{
				{1400000000_123456, 1, "e0", 2, 1},
				{1400000000_123456, 113, "e1", 99, 2},
				{3_500_000, 101, "e2", 2, 3},
				{2234_567_000, 228, "e3", 2, 4},
				{42_000_000, 0, "e4", 2, 5},
				{2_000_000, 113, "opb", 3, 6},
				{0, 1, "spb", 3, 7},
			}
			if len(got) != len(want) {
				t.Fatalf("got %d frames %+v, want %d", len(got), got, len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("frame %d: got %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
}

func TestPcapngSectionsSwitchByteOrder(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	file := cat(
		ngSHB(le), ngIDB(le, 1, 0), ngEPB(le, 0, 5, 0, []byte("a")),
		ngSHB(be), ngIDB(be, 276, 0), ngEPB(be, 0, 6, 0, []byte("b")),
	)
	r, err := openBytes(t, file)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].link != 1 || got[1].link != 276 || got[1].ts != 6 || got[1].num != 2 {
		t.Fatalf("got %+v", got)
	}
	// A new section forgets the interfaces of the previous one.
	bad := cat(ngSHB(le), ngIDB(le, 1, 0), ngSHB(le), ngEPB(le, 0, 5, 0, []byte("a")))
	r, _ = openBytes(t, bad)
	_, err = readAll(t, r)
	checkErr(t, err, 1, ErrNoInterface)
}

func TestPcapngSnaplenCutAndSPBSnaplen(t *testing.T) {
	le := binary.LittleEndian
	file := cat(ngSHB(le), ngIDB(le, 1, 2), ngEPB(le, 0, 1, 1500, []byte("ab")), ngSPB(le, 1500, []byte("abcd")))
	r, _ := openBytes(t, file)
	got, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].wireLen != 1500 || got[1].data != "ab" || got[1].wireLen != 1500 {
		t.Fatalf("got %+v", got)
	}
}

func TestPcapngErrors(t *testing.T) {
	le := binary.LittleEndian
	head := cat(ngSHB(le), ngIDB(le, 1, 0))
	pkt := ngEPB(le, 0, 1, 0, []byte("abcdefgh"))
	withLen := func(b []byte, n uint32) []byte {
		b = append([]byte(nil), b...)
		le.PutUint32(b[4:], n)
		return b
	}
	tooBig := append([]byte(nil), pkt...)
	le.PutUint32(tooBig[8+12:], 300<<10)
	overrun := append([]byte(nil), pkt...)
	le.PutUint32(overrun[8+12:], 100)
	trailer := append([]byte(nil), pkt...)
	le.PutUint32(trailer[len(trailer)-4:], 12)
	badRes := cat(ngSHB(le), ngIDB(le, 1, 0, ngOpt{optTsResol, []byte{20}}))
	badBOM := ngSHB(le)
	le.PutUint32(badBOM[8:], 0x11223344)
	badVersion := ngSHB(le)
	le.PutUint16(badVersion[12:], 2)
	cases := []struct {
		name     string
		file     []byte
		openErr  bool
		frames   int
		packet   uint64
		sentinel error
	}{
		{"zeroed-shb", cat([]byte{0x0a, 0x0d, 0x0d, 0x0a}, make([]byte, 24)), true, 0, 1, ErrBadBlock},
		{"short-shb", cat([]byte{0x0a, 0x0d, 0x0d, 0x0a}, make([]byte, 4)), true, 0, 1, ErrTruncated},
		{"bad-byte-order-magic", badBOM, true, 0, 1, ErrBadBlock},
		{"bad-version", badVersion, true, 0, 1, ErrBadBlock},
		{"length-too-small", cat(head, pkt, withLen(pkt, 8)), false, 1, 2, ErrBlockLength},
		{"length-not-multiple-of-4", cat(head, withLen(pkt, uint32(len(pkt)+1))), false, 0, 1, ErrBlockLength},
		{"length-beyond-file", cat(head, pkt, withLen(pkt, 1<<20+4)), false, 1, 2, ErrTruncated},
		{"length-beyond-cap", cat(head, withLen(pkt, MaxBlockLen+4)), false, 0, 1, ErrBlockLength},
		{"unknown-block-beyond-file", cat(head, withLen(ngBlock(le, 0x77, []byte("xxxx")), 4<<20)), false, 0, 1, ErrTruncated},
		{"trailer-mismatch", cat(head, trailer), false, 0, 1, ErrBlockLength},
		{"caplen-above-cap", cat(head, tooBig), false, 0, 1, ErrCapLen},
		{"caplen-overruns-block", cat(head, overrun), false, 0, 1, ErrBadBlock},
		{"undefined-interface", cat(ngSHB(le), pkt), false, 0, 1, ErrNoInterface},
		{"spb-without-interface", cat(ngSHB(le), ngSPB(le, 4, []byte("abcd"))), false, 0, 1, ErrNoInterface},
		{"tsresol-overflow", badRes, false, 0, 1, ErrUnsupportedTs},
		{"truncated-block-header", cat(head, pkt, pkt[:6]), false, 1, 2, ErrTruncated},
		{"truncated-block-body", cat(head, pkt, pkt[:len(pkt)-2]), false, 1, 2, ErrTruncated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := openBytes(t, c.file)
			if c.openErr {
				if err == nil {
					t.Fatal("Open succeeded")
				}
				checkErr(t, err, c.packet, c.sentinel)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(t, r)
			if len(got) != c.frames {
				t.Errorf("got %d frames before the error, want %d", len(got), c.frames)
			}
			checkErr(t, err, c.packet, c.sentinel)
		})
	}
}

func TestPcapngLargeBlock(t *testing.T) {
	// A block larger than the read buffer (big options) is read through the spare buffer.
	le := binary.LittleEndian
	body := make([]byte, 20, 2<<20)
	le.PutUint32(body[12:], 4)
	le.PutUint32(body[16:], 4)
	body = append(body, "data"...)
	body = append(body, make([]byte, 2<<20-24)...) // zero options = opt_endofopt padding
	file := cat(ngSHB(le), ngIDB(le, 1, 0), ngBlock(le, 6, body), ngEPB(le, 0, 2, 0, []byte("next")))
	r, _ := openBytes(t, file)
	got, err := readAll(t, r)
	if err != nil || len(got) != 2 || got[0].data != "data" || got[1].data != "next" {
		t.Fatalf("got %d frames, %v", len(got), err)
	}
}
