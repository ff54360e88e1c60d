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
	} {
		s := cryptobyte.String(tc.in)
		got, ok := readUint16s([]uint64{7}, &s, tc.n)
		if !slices.Equal(got, append([]uint64{7}, tc.want...)) || ok != tc.ok || len(s) != tc.rest {
			t.Errorf("%x, %d: %x %v, %d left; want %x %v, %d", tc.in, tc.n, got, ok, len(s), tc.want, tc.ok, tc.rest)
		}
	}
}
