package validate

import (
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// FuzzValidate feeds one input, as a certificate and as an OCSP response, to every
// parser of the package: chain validation (alone, and below a generated intermediate),
// OCSP verification, SCT list extraction and the precertificate TBS rewrite. None may
// panic; a verdict must always be one of the known strings.
func FuzzValidate(f *testing.F) {
	t := &testing.T{}
	p := newPKI(t)
	resp, err := ocsp.CreateResponse(p.inter.cert, p.inter.cert, ocsp.Response{Status: ocsp.Good,
		SerialNumber: p.leaf.cert.SerialNumber, ThisUpdate: t0.Add(-time.Hour), NextUpdate: t0.Add(time.Hour)}, p.inter.key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p.leaf.der)
	f.Add(p.root.der)
	f.Add(resp)
	v, err := New(Config{NoMozillaRoots: true, Roots: [][]byte{p.root.der}})
	if err != nil {
		f.Fatal(err)
	}
	known := map[string]bool{}
	for _, s := range statusText {
		known[s] = true
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, chain := range [][][]byte{{data}, {data, p.inter.der}, {p.leaf.der, data}} {
			r, ok := v.ValidateCerts(chain, us(t0))
			if ok && !known[r.Status] {
				t.Fatalf("unknown status %q", r.Status)
			}
			if r.OK() && len(r.Chain) == 0 {
				t.Fatal("ok without a chain")
			}
			v.VerifySCTs(chain, &r, SCTsFromCertificate(data), us(t0))
		}
		if o := v.VerifyOCSP([][]byte{p.leaf.der, p.inter.der}, data, us(t0)); o.Status == "" {
			t.Fatal("empty OCSP status")
		}
		v.VerifyOCSP([][]byte{data, p.inter.der}, resp, us(t0))
		SCTsFromOCSP(data)
		c := parseCert(data)
		if c.ok {
			tbsWithoutSCTs(c.tbs)
		}
	})
}
