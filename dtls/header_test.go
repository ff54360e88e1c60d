package dtls

import (
	"bytes"
	"testing"
)

func TestParseRecordHeader(t *testing.T) {
	b := record(ContentAlert, VersionDTLS10, 0x0102, 0x0a0b0c0d0e0f, []byte{2, 40})
	h, err := ParseRecordHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	want := RecordHeader{ContentType: ContentAlert, Version: VersionDTLS10, Epoch: 0x0102, Seq: 0x0a0b0c0d0e0f, Length: 2}
	if h != want {
		t.Fatalf("got %+v want %+v", h, want)
	}
	if _, err := ParseRecordHeader(b[:12]); err == nil {
		t.Fatal("12-byte header accepted")
	}
}

func TestSplitRecord(t *testing.T) {
	d := cat(record(20, VersionDTLS12, 0, 1, []byte{1}), record(22, VersionDTLS12, 1, 2, seqBytes(40)))
	h, body, rest, err := SplitRecord(d)
	if err != nil || h.ContentType != 20 || !bytes.Equal(body, []byte{1}) || len(rest) != 13+40 {
		t.Fatalf("first: %+v %x %d %v", h, body, len(rest), err)
	}
	h, body, rest, err = SplitRecord(rest)
	if err != nil || h.Epoch != 1 || h.Seq != 2 || !bytes.Equal(body, seqBytes(40)) || len(rest) != 0 {
		t.Fatalf("second: %+v %d %v", h, len(rest), err)
	}
	if _, _, _, err := SplitRecord(d[:13]); err == nil {
		t.Fatal("record with missing body accepted")
	}
}

func TestParseHandshakeHeader(t *testing.T) {
	f := fragmentLen(11, 0x012345, 0x0203, 0x000102, 0x000003, []byte{9, 8, 7, 6})
	h, rest, err := ParseHandshakeHeader(f)
	if err != nil {
		t.Fatal(err)
	}
	want := HandshakeHeader{MsgType: 11, Length: 0x012345, MessageSeq: 0x0203, FragmentOffset: 0x102, FragmentLength: 3}
	if h != want || !bytes.Equal(rest, []byte{9, 8, 7, 6}) {
		t.Fatalf("got %+v %x", h, rest)
	}
	if _, _, err := ParseHandshakeHeader(f[:11]); err == nil {
		t.Fatal("short header accepted")
	}
}

func TestUnifiedHeaderForms(t *testing.T) {
	payload := []byte{0xaa, 0xbb, 0xcc}
	tests := []struct {
		name    string
		in      []byte
		cidLen  int
		want    UnifiedHeader
		payload []byte
		zeek    int // length Zeek reports
		err     bool
	}{
		{name: "seq8 no length", in: cat([]byte{0x21, 0x07}, payload), want: UnifiedHeader{EpochBits: 1, Seq: 7, Length: 3, HeaderLen: 2}, payload: payload, zeek: 3},
		{name: "seq16 no length", in: cat([]byte{0x2a, 0x01, 0x02}, payload), want: UnifiedHeader{Seq16: true, EpochBits: 2, Seq: 0x102, Length: 3, HeaderLen: 3}, payload: payload, zeek: 3},
		{name: "seq8 length", in: cat([]byte{0x27, 0x05, 0x00, 0x03}, payload, []byte{0x2f}), want: UnifiedHeader{LengthPresent: true, EpochBits: 3, Seq: 5, Length: 3, HeaderLen: 4}, payload: payload, zeek: 4},
		{name: "seq16 length", in: cat([]byte{0x2e, 0x92, 0x96, 0x00, 0x03}, payload), want: UnifiedHeader{Seq16: true, LengthPresent: true, EpochBits: 2, Seq: 0x9296, Length: 3, HeaderLen: 5}, payload: payload, zeek: 3},
		{name: "cid seq16 length", in: cat([]byte{0x3e, 'i', 'd', 0x00, 0x01, 0x00, 0x03}, payload), cidLen: 2, want: UnifiedHeader{HasCID: true, Seq16: true, LengthPresent: true, EpochBits: 2, CID: []byte("id"), Seq: 1, Length: 3, HeaderLen: 7}, payload: payload, zeek: 9},
		{name: "cid seq8 no length", in: cat([]byte{0x30, 'x', 0x09}, payload), cidLen: 1, want: UnifiedHeader{HasCID: true, CID: []byte("x"), Seq: 9, Length: 3, HeaderLen: 3}, payload: payload, zeek: 5},
		{name: "length past end", in: []byte{0x2c, 0, 1, 0, 9, 1}, err: true, zeek: 1},
		{name: "missing seq", in: []byte{0x28, 0}, err: true, zeek: -1},
		{name: "missing length", in: []byte{0x24, 0, 1}, err: true, zeek: -1},
		{name: "cid past end", in: []byte{0x30, 1}, cidLen: 4, err: true, zeek: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, p, err := ParseUnifiedHeader(tc.in, tc.cidLen)
			if tc.err {
				if err == nil {
					t.Fatalf("accepted: %+v", h)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if h.HasCID != tc.want.HasCID || h.Seq16 != tc.want.Seq16 || h.LengthPresent != tc.want.LengthPresent ||
					h.EpochBits != tc.want.EpochBits || !bytes.Equal(h.CID, tc.want.CID) || h.Seq != tc.want.Seq ||
					h.Length != tc.want.Length || h.HeaderLen != tc.want.HeaderLen {
					t.Fatalf("got %+v want %+v", h, tc.want)
				}
				if !bytes.Equal(p, tc.payload) {
					t.Fatalf("payload %x", p)
				}
			}
			zp, zerr := zeekUnifiedPayload(tc.in)
			if tc.zeek < 0 {
				if zerr == nil {
					t.Fatalf("zeek payload accepted: %x", zp)
				}
			} else if zerr != nil || len(zp) != tc.zeek {
				t.Fatalf("zeek payload %d bytes (%v), want %d", len(zp), zerr, tc.zeek)
			}
		})
	}
	if IsUnifiedHeader(ContentHandshake) || IsUnifiedHeader(0x40) || !IsUnifiedHeader(0x3f) {
		t.Fatal("IsUnifiedHeader")
	}
}

func TestIsSTUN(t *testing.T) {
	stun := []byte{0, 1, 0, 8, 0x21, 0x12, 0xa4, 0x42}
	stun = append(stun, make([]byte, 20)...)
	if !IsSTUN(stun) {
		t.Fatal("STUN binding request not recognised")
	}
	if IsSTUN(stun[:20]) {
		t.Fatal("20-byte datagram taken for STUN (Zeek requires more)")
	}
	if IsSTUN(hsRecord(0, 1, 20, 0, 0, seqBytes(20))) {
		t.Fatal("DTLS record taken for STUN")
	}
}
