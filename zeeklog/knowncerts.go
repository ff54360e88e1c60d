package zeeklog

import "encoding/binary"

// knownCerts is x509.log's known_log_certs set: the time each (fingerprint, host_cert,
// client_cert) was last logged. idx maps one 64-bit word of the key (the fingerprint's
// first eight bytes, the two flags folded in) to the key's entry in ents, which holds the
// full key; a key whose word another key already holds goes to over. A capture of
// distinct certificates looks up every one, in vain, then adds it: with the generic map
// of 34-byte keys that was ≈ 1.5 % of unique-body's CPU, mostly cache misses in a table
// of 40,000 entries; idx's 16-byte slots make the table a third of that, and a miss
// needs no entry. Entries are never removed, as before. ents grows by blocks of
// knownBlock entries, never moved: a slice doubling copied every entry again, into
// fresh pages (≈ 1 % of unique-body's CPU).
type knownCerts struct {
	idx  map[uint64]uint32
	ents []*[knownBlock]knownCert // entry i is ents[i/knownBlock][i%knownBlock]
	n    int                      // entries in ents
	over map[certKey]int64
}

const knownBlock = 1024

type knownCert struct {
	key certKey
	ts  int64
}

func newKnownCerts() knownCerts { return knownCerts{idx: make(map[uint64]uint32)} }

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
	i, ok := s.idx[knownWord(&k)]
	if !ok {
		return 0, false
	}
	if e := &s.ents[i/knownBlock][i%knownBlock]; e.key == k {
		return e.ts, true
	}
	t, ok := s.over[k]
	return t, ok
}

// set records ts as the time k was last logged.
func (s *knownCerts) set(k certKey, ts int64) {
	w := knownWord(&k)
	i, ok := s.idx[w]
	if !ok {
		if s.n%knownBlock == 0 {
			s.ents = append(s.ents, new([knownBlock]knownCert))
		}
		*s.ent(uint32(s.n)) = knownCert{key: k, ts: ts}
		s.idx[w] = uint32(s.n)
		s.n++
		return
	}
	if e := s.ent(i); e.key == k {
		e.ts = ts
		return
	}
	if s.over == nil {
		s.over = make(map[certKey]int64)
	}
	s.over[k] = ts
}

func (s *knownCerts) ent(i uint32) *knownCert { return &s.ents[i/knownBlock][i%knownBlock] }

// len is the number of keys known.
func (s *knownCerts) len() int { return s.n + len(s.over) }
