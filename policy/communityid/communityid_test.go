package communityid

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

type baselineRow struct {
	Proto        uint8
	Saddr, Daddr string
	Sport, Dport *uint16
	ID           string
}

func (r *baselineRow) UnmarshalJSON(b []byte) error {
	var m struct {
		Proto uint8   `json:"proto"`
		Saddr string  `json:"saddr"`
		Daddr string  `json:"daddr"`
		Sport *uint16 `json:"sport"`
		Dport *uint16 `json:"dport"`
		ID    string  `json:"communityid"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*r = baselineRow{Proto: m.Proto, Saddr: m.Saddr, Daddr: m.Daddr, Sport: m.Sport, Dport: m.Dport, ID: m.ID}
	return nil
}

// TestBaseline checks every flow of the spec's published baseline, in its three settings.
func TestBaseline(t *testing.T) {
	for _, tc := range []struct {
		file string
		h    Hasher
	}{
		{"baseline_deflt.json", Hasher{}},
		{"baseline_nob64.json", Hasher{Hex: true}},
		{"baseline_seed1.json", Hasher{Seed: 1}},
	} {
		raw, err := os.ReadFile(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		var rows []baselineRow
		if err := json.Unmarshal(raw, &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) < 20 {
			t.Fatalf("%s: only %d rows", tc.file, len(rows))
		}
		for i, r := range rows {
			f := Flow{Proto: r.Proto, Src: netip.MustParseAddr(r.Saddr), Dst: netip.MustParseAddr(r.Daddr)}
			if r.Sport != nil {
				f.SrcPort, f.DstPort = *r.Sport, *r.Dport
			}
			if got := tc.h.ID(f); got != r.ID {
				t.Errorf("%s row %d %+v: got %s, want %s", tc.file, i, f, got, r.ID)
			}
		}
	}
}

func TestICMPPorts(t *testing.T) {
	for _, tc := range []struct {
		v6        bool
		typ, code uint8
		sp, dp    uint16
	}{
		{false, 8, 0, 8, 0}, {false, 0, 0, 0, 8}, {false, 3, 1, 3, 1}, {false, 13, 0, 13, 14},
		{true, 128, 0, 128, 129}, {true, 135, 0, 135, 136}, {true, 1, 4, 1, 4},
	} {
		sp, dp := ICMPPorts(tc.v6, tc.typ, tc.code)
		if sp != tc.sp || dp != tc.dp {
			t.Errorf("ICMPPorts(%v,%d,%d) = %d,%d want %d,%d", tc.v6, tc.typ, tc.code, sp, dp, tc.sp, tc.dp)
		}
	}
}

func TestMixedFamilies(t *testing.T) {
	f := Flow{Proto: TCP, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("2001:db8::1")}
	if id := (Hasher{}).ID(f); id != "" {
		t.Errorf("mixed families: %q", id)
	}
}

// TestZeekConnRows checks ICMPv6 rows of Zeek's conn.log (corpus capture communityid__icmp6,
// policy run): an echo (two-way) and a destination unreachable (one-way, not reordered).
func TestZeekConnRows(t *testing.T) {
	for _, tc := range []struct {
		src, dst string
		sp, dp   uint16
		want     string
	}{
		{"3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
		{"3ffe:501:0:1802:260:97ff:feb6:7ff0", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, "1:bnQKq8A2r//dWnkRW2EYcMhShjc="},
	} {
		f := Flow{Proto: ICMPv6, Src: netip.MustParseAddr(tc.src), Dst: netip.MustParseAddr(tc.dst), SrcPort: tc.sp, DstPort: tc.dp}
		if got := (Hasher{}).ID(f); got != tc.want {
			t.Errorf("%+v: got %s want %s", f, got, tc.want)
		}
	}
}

// TestZeekPortOrder checks flows between equal addresses against Zeek's conn.log
// (corpus captures mysql__encrypted and quic__quicdoq, policy run).
func TestZeekPortOrder(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	for _, tc := range []struct {
		proto  uint8
		sp, dp uint16
		want   string
	}{
		{TCP, 59272, 3306, "1:Un0DIblS7AY2ManBOKTl8rugXHs="},
		{UDP, 46907, 853, "1:E90IA/BNJy+XS00u9AEzsVU0xiA="},
	} {
		f := Flow{Proto: tc.proto, Src: lo, Dst: lo, SrcPort: tc.sp, DstPort: tc.dp}
		if got := (Hasher{ZeekPortOrder: true}).ID(f); got != tc.want {
			t.Errorf("%+v: got %s want %s", f, got, tc.want)
		}
		// the spec's order differs for these flows
		if got := (Hasher{}).ID(f); got == tc.want {
			t.Errorf("%+v: spec order gave Zeek's value", f)
		}
	}
}
