package validate

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/pem"
	"fmt"
	"hash/maphash"
	"os"
	"time"
)

// Validator validates certificate chains, stapled OCSP responses and SCTs as Zeek's
// policy scripts do, keeping Zeek's caches across connections. Build it with New; it is
// not safe for concurrent use.
type Validator struct {
	store *store
	logs  map[[32]byte]*CTLog

	cacheIntermediates bool
	expiry             int64 // microseconds

	// intermediates is Zeek's SSL::intermediate_cache: SHA-256 of an intermediate's
	// subject name (DER) → the intermediates of a chain that validated through it.
	intermediates *lru[[32]byte, [][]byte]
	// results is SSL::recently_validated_certs: the chain's SHA-1s → result.
	results *lru[string, Result]
	// scts is SSL::recently_validated_scts.
	scts *lru[[20]byte, bool]

	// parsed certificates by a maphash of the DER (checked against the cached copy on a
	// hit), to spare re-parsing. Why not SHA-256: hashing every certificate of every chain
	// at each call was most of what the validate scripts cost in a sharded run's merger
	// (docs/PERFORMANCE.md, "The validate scripts in the shards").
	parsed *lru[uint64, *cert]
	seed   maphash.Seed
}

// maxParsed bounds the parsed-certificate cache.
const maxParsed = 4096

// New builds a Validator from cfg.
func New(cfg Config) (*Validator, error) {
	st := newStore()
	if !cfg.NoMozillaRoots {
		st.addMozilla()
	}
	for i, der := range cfg.Roots {
		if err := st.add(der); err != nil {
			return nil, fmt.Errorf("validate: root %d: %w", i, err)
		}
	}
	if cfg.CAFile != "" {
		if err := st.addPEMFile(cfg.CAFile); err != nil {
			return nil, err
		}
	}
	if st.len() == 0 {
		return nil, ErrNoRoots
	}
	max := cfg.MaxCacheEntries
	if max <= 0 {
		max = 10000
	}
	exp := cfg.ResultExpiry
	if exp <= 0 {
		exp = 5 * time.Minute
	}
	v := &Validator{
		store:              st,
		logs:               make(map[[32]byte]*CTLog, len(cfg.CTLogs)),
		cacheIntermediates: !cfg.NoIntermediateCache,
		expiry:             exp.Microseconds(),
		intermediates:      newLRU[[32]byte, [][]byte](max),
		results:            newLRU[string, Result](max),
		scts:               newLRU[[20]byte, bool](max),
		parsed:             newLRU[uint64, *cert](maxParsed),
		seed:               maphash.MakeSeed(),
	}
	for i := range cfg.CTLogs {
		l := cfg.CTLogs[i]
		v.logs[l.ID] = &l
	}
	return v, nil
}

// Roots returns how many trust anchors the Validator has.
func (v *Validator) Roots() int { return v.store.len() }

// ValidateCerts is validate-certs' SSL::ssl_finishing hook: it validates the server's
// chain (leaf first; nil entries are certificates Zeek could not parse and are skipped)
// at network time now (microseconds since the epoch), first with the intermediates
// cached from earlier connections for the leaf's issuer, then with the chain as sent,
// using and filling Zeek's caches. ok is false when there is nothing to validate (no
// chain, or a nil first certificate): Zeek then sets no validation_status.
//
// The slices of chain are only read during the call (what is cached is copied).
func (v *Validator) ValidateCerts(chain [][]byte, now int64) (res Result, ok bool) {
	if len(chain) == 0 || chain[0] == nil {
		return Result{}, false
	}
	leaf := v.parse(chain[0])
	if v.cacheIntermediates {
		if ic, found := v.intermediates.get(sha256.Sum256(leaf.issuerDER), now, -1); found {
			cand := make([][]byte, 0, 1+len(ic))
			cand = append(cand, chain[0])
			cand = append(cand, ic...)
			if r := v.cacheValidate(cand, now); r.OK() {
				return r, true
			}
		}
	}
	sent := make([][]byte, 0, len(chain))
	for _, c := range chain {
		if c != nil {
			sent = append(sent, c)
		}
	}
	return v.cacheValidate(sent, now), true
}

// cacheValidate is validate-certs' cache_validate: the result cache keyed by the
// chain's SHA-1s, then x509_verify, then the intermediate cache's fill.
func (v *Validator) cacheValidate(chain [][]byte, now int64) Result {
	key := make([]byte, 0, len(chain)*sha1.Size)
	for _, c := range chain {
		h := v.parse(c).sum1()
		key = append(key, h[:]...)
	}
	if r, found := v.results.get(string(key), now, v.expiry); found {
		return r
	}
	certs := make([]*cert, len(chain))
	for i, c := range chain {
		certs[i] = v.parse(c)
	}
	r := v.verify(certs, now)
	v.results.put(string(key), r, now)
	if v.cacheIntermediates && r.OK() && len(r.Chain) > 2 {
		first := v.parse(r.Chain[1])
		k := sha256.Sum256(first.subjectDER)
		if _, found := v.intermediates.get(k, now, -1); !found {
			v.intermediates.put(k, r.Chain[1:len(r.Chain)-1], now)
		}
	}
	return r
}

// parse returns the parsed form of der, from the cache when it was seen before. The
// cached certificate keeps its own copy of der.
func (v *Validator) parse(der []byte) *cert {
	k := maphash.Bytes(v.seed, der)
	if c, ok := v.parsed.get(k, 0, -1); ok && bytes.Equal(c.der, der) {
		return c
	}
	c := parseCert(append([]byte(nil), der...))
	v.parsed.put(k, c, 0)
	return c
}

// addPEMFile adds every CERTIFICATE block of a PEM file to the store.
func (s *store) addPEMFile(name string) error {
	data, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("validate: CA file: %w", err)
	}
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if err := s.add(b.Bytes); err != nil {
			return fmt.Errorf("validate: CA file %s: certificate %d: %w", name, n+1, err)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("validate: CA file %s: no PEM certificate", name)
	}
	return nil
}
