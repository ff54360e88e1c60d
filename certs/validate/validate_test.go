package validate

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestChainStatuses(t *testing.T) {
	p := newPKI(t)
	other := newPKI(t) // a CA the validator does not trust
	expired := mkCert(t, "old.example.com", p.inter, certOpts{notBefore: t0.AddDate(-2, 0, 0), notAfter: t0.AddDate(0, 0, -1)})
	future := mkCert(t, "new.example.com", p.inter, certOpts{notBefore: t0.AddDate(0, 0, 1)})
	expiredInter := mkCert(t, "Old Intermediate", p.root, certOpts{ca: true, notAfter: t0.Add(-time.Hour)})
	underExpiredInter := mkCert(t, "x.example.com", expiredInter, certOpts{})
	selfSigned := mkCert(t, "self.example.com", nil, certOpts{})
	notCA := mkCert(t, "Not A CA", p.root, certOpts{ca: true, isCAFalse: true})
	underNotCA := mkCert(t, "y.example.com", notCA, certOpts{})
	critical := mkCert(t, "crit.example.com", p.inter, certOpts{extra: []pkix.Extension{
		{Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Critical: true, Value: []byte{5, 0}}}})
	badSig := mkCert(t, "bad.example.com", p.inter, certOpts{})
	tampered := append([]byte(nil), badSig.der...)
	tampered[len(tampered)-5] ^= 0x55 // inside the signature

	pl0 := mkCert(t, "Path Length Zero CA", p.root, certOpts{ca: true, pathLenZero: true})
	belowPL0 := mkCert(t, "Sub CA", pl0, certOpts{ca: true})
	underSub := mkCert(t, "z.example.com", belowPL0, certOpts{})

	tests := []struct {
		name  string
		chain [][]byte
		at    time.Time
		want  string
		depth int // length of the verified chain when ok
	}{
		{"full chain", ders(p.leaf, p.inter), t0, "ok", 3},
		{"full chain with root", ders(p.leaf, p.inter, p.root), t0, "ok", 3},
		{"unknown CA", ders(other.leaf, other.inter), t0, "unable to get local issuer certificate", 0},
		{"missing intermediate", ders(p.leaf), t0, "unable to get local issuer certificate", 0},
		{"untrusted root sent", ders(other.leaf, other.inter, other.root), t0, "self-signed certificate in certificate chain", 0},
		{"self-signed leaf", ders(selfSigned), t0, "self signed certificate", 0},
		{"expired leaf", ders(expired, p.inter), t0, "certificate has expired", 0},
		{"not yet valid leaf", ders(future, p.inter), t0, "certificate is not yet valid", 0},
		{"expired intermediate", ders(underExpiredInter, expiredInter), t0, "certificate has expired", 0},
		{"root expired by then", ders(p.leaf, p.inter), t0.AddDate(2, 0, 0), "certificate has expired", 0},
		{"intermediate not a CA", ders(underNotCA, notCA), t0, "invalid CA certificate", 0},
		{"unhandled critical extension", ders(critical, p.inter), t0, "unhandled critical extension", 0},
		{"bad signature", [][]byte{tampered, p.inter.der}, t0, "certificate signature failure", 0},
		{"path length exceeded", ders(underSub, belowPL0, pl0), t0, "path length constraint exceeded", 0},
		{"unparsable certificate skipped", [][]byte{p.leaf.der, nil, p.inter.der}, t0, "ok", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newValidator(t, Config{NoIntermediateCache: true}, p.root)
			res, ok := v.ValidateCerts(tt.chain, us(tt.at))
			if !ok {
				t.Fatal("not validated")
			}
			if res.Status != tt.want {
				t.Fatalf("status %q (code %d), want %q", res.Status, res.Code, tt.want)
			}
			if res.OK() != (tt.want == "ok") || len(res.Chain) != tt.depth {
				t.Fatalf("OK %v, chain of %d, want %d", res.OK(), len(res.Chain), tt.depth)
			}
			if tt.depth > 0 && !bytes.Equal(res.Chain[len(res.Chain)-1], p.root.der) {
				t.Fatal("verified chain does not end at the root")
			}
		})
	}
}

// A trust anchor must be self-signed: a trusted intermediate alone does not make the
// chain valid (OpenSSL without X509_V_FLAG_PARTIAL_CHAIN).
func TestIntermediateAsAnchor(t *testing.T) {
	p := newPKI(t)
	v := newValidator(t, Config{}, p.inter)
	if r, _ := v.ValidateCerts(ders(p.leaf), us(t0)); r.Status != "unable to get issuer certificate" {
		t.Fatalf("%q", r.Status)
	}
}

func TestNothingToValidate(t *testing.T) {
	p := newPKI(t)
	v := newValidator(t, Config{}, p.root)
	if _, ok := v.ValidateCerts(nil, us(t0)); ok {
		t.Fatal("empty chain validated")
	}
	if _, ok := v.ValidateCerts([][]byte{nil, p.inter.der}, us(t0)); ok {
		t.Fatal("chain without a parsed leaf validated")
	}
}

// A server that omits its intermediate validates once an earlier connection showed a
// chain through that intermediate (Zeek's intermediate cache), and not without it.
func TestIntermediateFromEarlierConnection(t *testing.T) {
	p := newPKI(t)
	second := mkCert(t, "api.example.com", p.inter, certOpts{})
	for _, cache := range []bool{true, false} {
		v := newValidator(t, Config{NoIntermediateCache: !cache}, p.root)
		if r, _ := v.ValidateCerts(ders(second), us(t0)); r.Status != "unable to get local issuer certificate" {
			t.Fatalf("before: %q", r.Status)
		}
		if r, _ := v.ValidateCerts(ders(p.leaf, p.inter), us(t0.Add(time.Second))); !r.OK() {
			t.Fatalf("full chain: %q", r.Status)
		}
		r, _ := v.ValidateCerts(ders(second), us(t0.Add(2*time.Second)))
		want := "unable to get local issuer certificate"
		if cache {
			want = "ok"
		}
		if r.Status != want {
			t.Fatalf("cache %v: %q, want %q", cache, r.Status, want)
		}
		if cache && len(r.Chain) != 3 {
			t.Fatalf("chain of %d", len(r.Chain))
		}
	}
}

// A chain's result is reused for 5 minutes of network time after its last use, as
// Zeek's recently_validated_certs (&read_expire=5mins) is, even across its expiry.
func TestResultCache(t *testing.T) {
	p := newPKI(t)
	leaf := mkCert(t, "soon.example.com", p.inter, certOpts{notAfter: t0.Add(time.Minute)})
	v := newValidator(t, Config{}, p.root)
	chain := ders(leaf, p.inter)
	steps := []struct {
		at   time.Time
		want string
	}{
		{t0, "ok"},
		{t0.Add(4 * time.Minute), "ok"}, // expired by now, but cached
		{t0.Add(8 * time.Minute), "ok"}, // 4 minutes after the last use
		{t0.Add(14 * time.Minute), "certificate has expired"},
	}
	for _, s := range steps {
		if r, _ := v.ValidateCerts(chain, us(s.at)); r.Status != s.want {
			t.Fatalf("at %v: %q, want %q", s.at.Sub(t0), r.Status, s.want)
		}
	}
}

func TestCAFile(t *testing.T) {
	p := newPKI(t)
	dir := t.TempDir()
	name := filepath.Join(dir, "ca.pem")
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.root.der})
	if err := os.WriteFile(name, append([]byte("# site CA\n"), pemData...), 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := New(Config{CAFile: name})
	if err != nil {
		t.Fatal(err)
	}
	if v.Roots() < 100 {
		t.Fatalf("%d roots: Mozilla's are missing", v.Roots())
	}
	if r, _ := v.ValidateCerts(ders(p.leaf, p.inter), us(t0)); !r.OK() {
		t.Fatalf("site root: %q", r.Status)
	}
	if _, err := New(Config{CAFile: filepath.Join(dir, "missing.pem")}); err == nil {
		t.Fatal("missing CA file accepted")
	}
	empty := filepath.Join(dir, "empty.pem")
	os.WriteFile(empty, []byte("nothing\n"), 0o600)
	if _, err := New(Config{CAFile: empty}); err == nil {
		t.Fatal("CA file without certificates accepted")
	}
	if _, err := New(Config{NoMozillaRoots: true}); err != ErrNoRoots {
		t.Fatalf("no roots: %v", err)
	}
}

func TestMozillaRoots(t *testing.T) {
	v, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	// x509roots/fallback at the pinned version has 117 roots (Zeek's NSS 3.126 list
	// has 121; see README.md).
	if v.Roots() != 117 {
		t.Fatalf("%d Mozilla roots", v.Roots())
	}
	// Every root must be usable as a trust anchor (self-signed, parsable).
	for _, cs := range v.store.bySubject {
		for _, c := range cs {
			if !c.selfSigned || c.key == nil {
				t.Errorf("root %x: self-signed %v, key %T", c.subjectDER, c.selfSigned, c.key)
			}
		}
	}
}

// Names compare as OpenSSL's X509_NAME_cmp does: case and white space of directory
// strings and their string types do not matter; values and order do.
func TestCanonicalName(t *testing.T) {
	name := func(tag byte, v string) []byte {
		atv := append([]byte{0x06, 0x03, 0x55, 0x04, 0x03, tag, byte(len(v))}, v...)
		seq := append([]byte{0x30, byte(len(atv))}, atv...)
		set := append([]byte{0x31, byte(len(seq))}, seq...)
		return append([]byte{0x30, byte(len(set))}, set...)
	}
	same := [][2][]byte{
		{name(0x13, "Example CA"), name(0x0c, "example ca")},
		{name(0x0c, "  Example   CA "), name(0x13, "example CA")},
		{name(0x1e, "\x00A\x00b"), name(0x0c, "ab")},
	}
	for _, s := range same {
		if canonicalName(s[0]) != canonicalName(s[1]) {
			t.Errorf("%x and %x differ", s[0], s[1])
		}
	}
	if canonicalName(name(0x0c, "Example CA")) == canonicalName(name(0x0c, "Example CB")) {
		t.Error("different names compare equal")
	}
}
