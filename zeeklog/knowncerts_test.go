package zeeklog

import "testing"

// TestKnownCertsCollisions checks knownCerts against a plain map, with keys that share
// their 64-bit word (same first eight bytes, flags folded in alike) and keys that differ
// only in their flags.
func TestKnownCertsCollisions(t *testing.T) {
	s := newKnownCerts()
	ref := map[certKey]int64{}
	var keys []certKey
	for i := range 6 {
		for _, host := range []bool{false, true} {
			for _, client := range []bool{false, true} {
				var k certKey
				k.fp[8] = byte(i) // same word for every i
				if i >= 3 {
					k.fp[0] = 1 // a word equal to host^1 of another first byte
				}
				k.host, k.clientSd = host, client
				keys = append(keys, k)
			}
		}
	}
	for round := int64(1); round <= 3; round++ {
		for i, k := range keys {
			if (i+int(round))%3 == 0 {
				continue
			}
			t1, ok1 := s.get(k)
			t2, ok2 := ref[k]
			if t1 != t2 || ok1 != ok2 {
				t.Fatalf("round %d key %d: get = %d %v, want %d %v", round, i, t1, ok1, t2, ok2)
			}
			s.set(k, round*100+int64(i))
			ref[k] = round*100 + int64(i)
		}
		if s.len() != len(ref) {
			t.Fatalf("round %d: len %d, want %d", round, s.len(), len(ref))
		}
	}
	for i, k := range keys {
		t1, ok1 := s.get(k)
		t2, ok2 := ref[k]
		if t1 != t2 || ok1 != ok2 {
			t.Fatalf("key %d: get = %d %v, want %d %v", i, t1, ok1, t2, ok2)
		}
	}
}

// Keys filling several blocks of entries are all found again.
func TestKnownCertsBlocks(t *testing.T) {
	s := newKnownCerts()
	const n = 3*knownBlock + 7
	key := func(i int) (k certKey) {
		k.fp[0], k.fp[1], k.fp[31] = byte(i), byte(i>>8), 1
		return k
	}
	for i := range n {
		s.set(key(i), int64(i))
	}
	for i := range n {
		if ts, ok := s.get(key(i)); !ok || ts != int64(i) {
			t.Fatalf("key %d: %d %v", i, ts, ok)
		}
	}
	if s.len() != n || len(s.ents) != 4 {
		t.Errorf("len %d in %d blocks, want %d in 4", s.len(), len(s.ents), n)
	}
}
