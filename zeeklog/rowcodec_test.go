package zeeklog

import (
	"bytes"
	"math"
	"net/netip"
	"reflect"
	"testing"
)

// AppendRow and DecodeRow round-trip every kind of Value, and the decoded row is written
// as the original, byte for byte, in TSV and JSON; every truncation is an error.
func TestRowCodec(t *testing.T) {
	vals := []Value{Unset(), Time(1_700_000_000_123_456), Interval(-5), IntervalBetween(1, 3), Double(math.Pi),
		String("a\tb\\c\x00é"), PlainString("deadbeef"), String(""), Enum("TLSv13"),
		Addr(netip.MustParseAddr("192.0.2.1")), Addr(netip.MustParseAddr("fe80::1%eth0")), Addr(netip.Addr{}),
		Port(443), Count(1 << 60), Int(-7), Bool(true), Bool(false),
		Strings([]string{"h2", "", "x,y"}), Strings(nil), Counts([]uint64{0, 1, 1 << 63}), Counts(nil)}
	cols := make([]Column, len(vals))
	for i := range cols {
		cols[i] = Column{Name: string(rune('a' + i)), Type: "string"}
	}
	enc := AppendRow([]byte("prefix"), vals)[len("prefix"):]
	got, err := DecodeRow(enc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, vals) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", got, vals)
	}
	for _, json := range []bool{false, true} {
		var a, b bytes.Buffer
		if err := NewRowWriter(&a, "x", cols, json).Write(vals); err != nil {
			t.Fatal(err)
		}
		if err := NewRowWriter(&b, "x", cols, json).Write(got); err != nil {
			t.Fatal(err)
		}
		if a.String() != b.String() {
			t.Errorf("json=%v: written\n%q\nwant\n%q", json, b.String(), a.String())
		}
	}
	if c, ok := got[13].CountValue(); !ok || c != 1<<60 {
		t.Errorf("CountValue %d %v", c, ok)
	}
	if _, ok := got[14].CountValue(); ok {
		t.Error("an Int is not a count")
	}
	for n := range len(enc) {
		if _, err := DecodeRow(enc[:n], nil); err == nil {
			t.Errorf("cut at %d: no error", n)
		}
	}
	if _, err := DecodeRow(append(enc[:len(enc):len(enc)], 0), nil); err == nil {
		t.Error("trailing byte: no error")
	}
}
