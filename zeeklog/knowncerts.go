package zeeklog

import "encoding/binary"

// knownCerts is x509.log's known_log_certs set: the time each (fingerprint, host_cert,
// client_cert) was last logged. It is a map keyed by one 64-bit word of the key (the
// fingerprint's first eight bytes, the two flags folded in), each entry holding its full
// key; a key whose word another key already holds goes to over. Keyed so, a lookup hashes
// one word instead of 34 bytes through the generic map: every certificate of a capture
// of distinct ones is looked up, then added (≈ 1.5 % of unique-body's CPU with the
// generic map). Entries are never removed, as before.
type knownCerts struct {
	m    map[uint64]knownCert
	over map[certKey]int64
}

type knownCert struct {
	key certKey
	ts  int64
}

func newKnownCerts() knownCerts { return knownCerts{m: make(map[uint64]knownCert)} }

func knownWord(k *certKey) uint64 {
	w := binary.LittleEndian.Uint64(k.fp[:8])
	if k.host {
		w ^= 1
	}
	if k.clientSd {
		w ^= 2
	}
	return w
}

// get returns the time k was last logged and whether it was.
func (s *knownCerts) get(k certKey) (int64, bool) {
	e, ok := s.m[knownWord(&k)]
	if !ok {
		return 0, false
	}
	if e.key == k {
		return e.ts, true
	}
	t, ok := s.over[k]
	return t, ok
}

// set records ts as the time k was last logged.
func (s *knownCerts) set(k certKey, ts int64) {
	w := knownWord(&k)
	if e, ok := s.m[w]; !ok || e.key == k {
		s.m[w] = knownCert{key: k, ts: ts}
		return
	}
	if s.over == nil {
		s.over = make(map[certKey]int64)
	}
	s.over[k] = ts
}

// len is the number of keys known.
func (s *knownCerts) len() int { return len(s.m) + len(s.over) }
