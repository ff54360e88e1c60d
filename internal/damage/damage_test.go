package damage

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// pcapOf builds a little-endian classic pcap with one record per payload, timestamps 1, 2, ...
func pcapOf(payloads ...string) []byte {
	var b bytes.Buffer
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr, 0xa1b2c3d4)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	b.Write(hdr)
	for i, p := range payloads {
		rh := make([]byte, 16)
		binary.LittleEndian.PutUint32(rh, uint32(i+1))
		binary.LittleEndian.PutUint32(rh[8:], uint32(len(p)))
		binary.LittleEndian.PutUint32(rh[12:], uint32(len(p)))
		b.Write(rh)
		b.WriteString(p)
	}
	return b.Bytes()
}

// records returns (timestamp, payload) of every record.
func records(t *testing.T, b []byte) (ts []uint32, data []string) {
	t.Helper()
	for off := 24; off < len(b); {
		n := int(binary.LittleEndian.Uint32(b[off+8:]))
		ts = append(ts, binary.LittleEndian.Uint32(b[off:]))
		data = append(data, string(b[off+16:off+16+n]))
		off += 16 + n
	}
	return ts, data
}

func TestReorder(t *testing.T) {
	in := pcapOf("a", "b", "c", "d", "e", "f", "g", "h", "i", "j")
	out, err := Apply(in, Config{Mode: Reorder, Seed: 7, Skip: 2, Window: 4})
	if err != nil {
		t.Fatal(err)
	}
	ts, data := records(t, out)
	if len(data) != 10 || data[0] != "a" || data[1] != "b" {
		t.Fatalf("records %v", data)
	}
	seen := map[string]bool{}
	for i, d := range data {
		if ts[i] != uint32(i+1) {
			t.Fatalf("timestamps out of capture order: %v", ts)
		}
		seen[d] = true
		if i >= 2 && (d[0]-'a'-2)/4 != byte(i-2)/4 {
			t.Fatalf("packet %q left its window: %v", d, data)
		}
	}
	if len(seen) != 10 {
		t.Fatalf("packets lost or duplicated: %v", data)
	}
	again, _ := Apply(in, Config{Mode: Reorder, Seed: 7, Skip: 2, Window: 4})
	if !bytes.Equal(out, again) {
		t.Fatal("same seed, different copy")
	}
}

func TestDrop(t *testing.T) {
	var ps []string
	for i := 0; i < 1000; i++ {
		ps = append(ps, "x")
	}
	out, err := Apply(pcapOf(ps...), Config{Mode: Drop, Seed: 3, Skip: 3, Rate: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := records(t, out)
	if n := len(ts); n < 850 || n > 950 || ts[0] != 1 || ts[2] != 3 {
		t.Fatalf("%d of 1000 packets kept (first %v)", n, ts[:3])
	}
	if _, err := Apply([]byte("not a pcap at all, really"), Config{}); err == nil {
		t.Fatal("no error on a non-pcap file")
	}
}
