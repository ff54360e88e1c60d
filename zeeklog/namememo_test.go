package zeeklog

import "testing"

// A memo returns what its function returns, for any sequence of values (0 included).
func TestNameMemo(t *testing.T) {
	var m nameMemo
	for _, v := range []uint64{0, 0, 0x1301, 0x1301, 0xc02f, 0, 0x1301, 77777} {
		if got, want := m.name(v, CipherName), CipherName(v); got != want {
			t.Errorf("memo name of %#x: %q, want %q", v, got, want)
		}
	}
	var versions nameMemo
	for _, v := range []uint64{0x0303, 0x0304, 0x0304, 0x7f1c, 0x0303} {
		if got, want := versions.name(v, VersionName), VersionName(v); got != want {
			t.Errorf("memo version of %#x: %q, want %q", v, got, want)
		}
	}
}
