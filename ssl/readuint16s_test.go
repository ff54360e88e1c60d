package ssl

import (
	"slices"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

func TestReadUint16s(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		n    int
		want []uint64
		ok   bool
		rest int
	}{
		{[]byte{1, 2, 3, 4, 5}, 2, []uint64{0x0102, 0x0304}, true, 1},
		{[]byte{1, 2, 3, 4, 5}, 3, []uint64{0x0102, 0x0304}, false, 1},
		{[]byte{1, 2}, 0, nil, true, 2},
		{[]byte{0xff}, 1, nil, false, 1},
		{[]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 5, []uint64{0x0102, 0x0304, 0x0506, 0x0708, 0x090a}, true, 1},
		{[]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}, 9, []uint64{0x0102, 0x0304, 0x0506, 0x0708, 0x090a, 0x0b0c, 0x0d0e, 0x0f10, 0x1112}, true, 0},
		{[]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 9, []uint64{0x0102, 0x0304, 0x0506, 0x0708, 0x090a}, false, 1},
	} {
		s := cryptobyte.String(tc.in)
		got, ok := readUint16s([]uint64{7}, &s, tc.n)
		if !slices.Equal(got, append([]uint64{7}, tc.want...)) || ok != tc.ok || len(s) != tc.rest {
			t.Errorf("%x, %d: %x %v, %d left; want %x %v, %d", tc.in, tc.n, got, ok, len(s), tc.want, tc.ok, tc.rest)
		}
	}
}

// readPrefixed8/16/24 agree with cryptobyte's length-prefixed reads: result, child and
// what is left of the input, on success and on each kind of failure.
func TestReadPrefixedMatchesCryptobyte(t *testing.T) {
	inputs := [][]byte{nil, {0}, {1}, {0, 0}, {0, 1, 9}, {0, 2, 9}, {0, 0, 3, 1, 2, 3, 4}, {0, 0, 4, 1, 2, 3}, {3, 1, 2, 3}, {0xff, 1}}
	for _, in := range inputs {
		for _, tc := range []struct {
			mine func(s, out *cryptobyte.String) bool
			ref  func(s *cryptobyte.String, out *cryptobyte.String) bool
		}{
			{readPrefixed8, (*cryptobyte.String).ReadUint8LengthPrefixed},
			{readPrefixed16, (*cryptobyte.String).ReadUint16LengthPrefixed},
			{readPrefixed24, (*cryptobyte.String).ReadUint24LengthPrefixed},
		} {
			s1, s2 := cryptobyte.String(in), cryptobyte.String(in)
			var o1, o2 cryptobyte.String
			ok1, ok2 := tc.mine(&s1, &o1), tc.ref(&s2, &o2)
			if ok1 != ok2 || string(o1) != string(o2) || string(s1) != string(s2) {
				t.Errorf("%x: %v %x rest %x; cryptobyte %v %x rest %x", in, ok1, o1, s1, ok2, o2, s2)
			}
		}
	}
}
