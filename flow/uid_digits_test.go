package flow

import "testing"

// TestUIDDigits checks Next's two-digits-at-a-time encoding against the digit-by-digit one.
func TestUIDDigits(t *testing.T) {
	g := NewUIDGen(0x5eed)
	for range 20000 {
		uid := g.Next()
		hi := mix64(g.seed ^ mix64(g.n))
		lo := mix64(hi ^ g.n*0x9e3779b97f4a7c15)
		want := []byte{'C'}
		for i := 1; i < uidLen; i++ {
			want = append(want, base62[lo%62])
			lo /= 62
			if i == 9 {
				lo ^= hi
			}
		}
		if uid != string(want) {
			t.Fatalf("uid %d: %s, want %s", g.n, uid, want)
		}
	}
}
