package validate

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/ocsp"
)

func TestOCSP(t *testing.T) {
	p := newPKI(t)
	other := newPKI(t)
	mk := func(status int, this, next time.Time, serial *big.Int, issuer *testCert) []byte {
		t.Helper()
		der, err := ocsp.CreateResponse(issuer.cert, issuer.cert, ocsp.Response{
			Status: status, SerialNumber: serial, ThisUpdate: this, NextUpdate: next,
			RevokedAt: t0.AddDate(0, -1, 0),
		}, issuer.key)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	sn := p.leaf.cert.SerialNumber
	fresh, stale := t0.Add(-time.Hour), t0.Add(24*time.Hour)
	tests := []struct {
		name     string
		chain    [][]byte
		response []byte
		want     string
	}{
		{"good", ders(p.leaf, p.inter), mk(ocsp.Good, fresh, stale, sn, p.inter), "good"},
		{"revoked", ders(p.leaf, p.inter), mk(ocsp.Revoked, fresh, stale, sn, p.inter), "revoked"},
		{"unknown", ders(p.leaf, p.inter), mk(ocsp.Unknown, fresh, stale, sn, p.inter), "unknown"},
		{"expired", ders(p.leaf, p.inter), mk(ocsp.Good, t0.Add(-48*time.Hour), t0.Add(-time.Hour), sn, p.inter), "OCSP reply expired"},
		{"future", ders(p.leaf, p.inter), mk(ocsp.Good, t0.Add(time.Hour), stale, sn, p.inter), "OCSP reply specifies time in future"},
		{"other certificate", ders(p.leaf, p.inter), mk(ocsp.Good, fresh, stale, big.NewInt(999999), p.inter), "OCSP reply is not for host certificate"},
		{"no nextUpdate", ders(p.leaf, p.inter), mk(ocsp.Good, fresh, time.Time{}, sn, p.inter), "OCSP reply missing nextUpdate field"},
		{"untrusted responder", ders(other.leaf, other.inter), mk(ocsp.Good, fresh, stale, other.leaf.cert.SerialNumber, other.inter), "unable to get local issuer certificate"},
		{"responder not found", ders(p.leaf), mk(ocsp.Good, fresh, stale, sn, p.inter), "Could not find OCSP responder certificate"},
		{"error status", ders(p.leaf, p.inter), ocsp.TryLaterErrorResponse, "trylater"},
		{"garbage", ders(p.leaf, p.inter), []byte{1, 2, 3}, "Could not parse OCSP response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newValidator(t, Config{}, p.root)
			r := v.VerifyOCSP(tt.chain, tt.response, us(t0))
			if r.Status != tt.want {
				t.Fatalf("status %q, want %q", r.Status, tt.want)
			}
			if r.OK() != (tt.want == "good") {
				t.Fatalf("OK %v", r.OK())
			}
		})
	}
	t.Run("bad signature", func(t *testing.T) {
		resp := mk(ocsp.Good, fresh, stale, sn, p.inter)
		// The signature BIT STRING ends the BasicOCSPResponse's first part; flip a
		// byte of the signature (the response has no certificates, so it is last).
		resp[len(resp)-3] ^= 0x40
		v := newValidator(t, Config{}, p.root)
		if r := v.VerifyOCSP(ders(p.leaf, p.inter), resp, us(t0)); !strings.Contains(r.Status, "signature failure") {
			t.Fatalf("status %q", r.Status)
		}
	})
}

// ctLog is a generated CT log.
type ctLog struct {
	key *ecdsa.PublicKey
	sig func([]byte) []byte
	log CTLog
}

func newCTLog(t *testing.T, operator string) *ctLog {
	k := newKey(t).(*ecdsa.PrivateKey)
	spki, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	l := &ctLog{key: &k.PublicKey, log: CTLog{ID: sha256.Sum256(spki), Key: spki, Operator: operator}}
	l.sig = func(data []byte) []byte {
		h := sha256.Sum256(data)
		s, err := ecdsa.SignASN1(rand.Reader, k, h[:])
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return l
}

// signedData builds the RFC 6962 digitally-signed structure an SCT signs.
func signedData(ts uint64, precert bool, issuerKeyHash, entry []byte) []byte {
	var b cryptobyte.Builder
	b.AddUint8(0)
	b.AddUint8(0)
	b.AddUint64(ts)
	if precert {
		b.AddUint16(1)
		b.AddBytes(issuerKeyHash)
	} else {
		b.AddUint16(0)
	}
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(entry) })
	b.AddUint16(0)
	return b.BytesOrPanic()
}

// sctList encodes SCTs as the value of an SCT list extension.
func sctList(t *testing.T, scts []SCT) []byte {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, s := range scts {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddUint8(0)
				b.AddBytes(s.LogID)
				b.AddUint64(s.Timestamp)
				b.AddUint16(0)
				b.AddUint8(uint8(s.HashAlg))
				b.AddUint8(uint8(s.SigAlg))
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(s.Signature) })
			})
		}
	})
	inner, err := asn1.Marshal(b.BytesOrPanic())
	if err != nil {
		t.Fatal(err)
	}
	return inner
}

func TestSCTs(t *testing.T) {
	p := newPKI(t)
	google, google2, other := newCTLog(t, "Google"), newCTLog(t, "Google"), newCTLog(t, "Other")
	unknown := newCTLog(t, "Unknown")
	ts := uint64(t0.UnixMilli())
	tlsSCT := func(l *ctLog, leaf []byte) SCT {
		return SCT{LogID: l.log.ID[:], Timestamp: ts, HashAlg: 4, SigAlg: 3,
			Signature: l.sig(signedData(ts, false, nil, leaf)), Source: SCTFromTLS}
	}

	// A certificate carrying embedded SCTs: they sign its TBS without the SCT list,
	// which is the TBS of the same certificate issued without it.
	key := newKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(4242), Subject: pkix.Name{CommonName: "ct.example.com"},
		NotBefore: t0.AddDate(0, -1, 0), NotAfter: t0.AddDate(0, 6, 0), DNSNames: []string{"ct.example.com"}}
	pre, err := x509.CreateCertificate(rand.Reader, tmpl, p.inter.cert, key.Public(), p.inter.key)
	if err != nil {
		t.Fatal(err)
	}
	preCert, _ := x509.ParseCertificate(pre)
	ikh := sha256.Sum256(p.inter.cert.RawSubjectPublicKeyInfo)
	embedded := []SCT{
		{LogID: google.log.ID[:], Timestamp: ts, HashAlg: 4, SigAlg: 3,
			Signature: google.sig(signedData(ts, true, ikh[:], preCert.RawTBSCertificate))},
		{LogID: other.log.ID[:], Timestamp: ts, HashAlg: 4, SigAlg: 3,
			Signature: other.sig(signedData(ts, true, ikh[:], preCert.RawTBSCertificate))},
		{LogID: unknown.log.ID[:], Timestamp: ts, HashAlg: 4, SigAlg: 3, Signature: []byte{1}},
	}
	tmpl.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}, Value: sctList(t, embedded)}}
	withSCTs, err := x509.CreateCertificate(rand.Reader, tmpl, p.inter.cert, key.Public(), p.inter.key)
	if err != nil {
		t.Fatal(err)
	}
	got := SCTsFromCertificate(withSCTs)
	if len(got) != 3 || got[0].Source != SCTFromCertificate || got[1].Timestamp != ts {
		t.Fatalf("SCTsFromCertificate: %+v", got)
	}

	v := newValidator(t, Config{CTLogs: []CTLog{google.log, google2.log, other.log}}, p.root)
	check := func(name string, chain [][]byte, scts []SCT, valid, invalid, logs, ops int) {
		t.Helper()
		res, ok := v.ValidateCerts(chain, us(t0))
		if !ok {
			t.Fatalf("%s: not validated", name)
		}
		r := v.VerifySCTs(chain, &res, scts, us(t0))
		if r.Valid != valid || r.Invalid != invalid || r.Logs != logs || r.Operators != ops {
			t.Fatalf("%s: got %+v, want valid %d invalid %d logs %d operators %d", name, r, valid, invalid, logs, ops)
		}
	}
	check("no SCTs", ders(p.leaf, p.inter), nil, 0, 0, 0, 0)
	check("TLS extension", ders(p.leaf, p.inter), []SCT{tlsSCT(google, p.leaf.der), tlsSCT(google2, p.leaf.der)}, 2, 0, 2, 1)
	check("TLS extension for another certificate", ders(p.leaf, p.inter), []SCT{tlsSCT(google, p.inter.der)}, 0, 1, 0, 0)
	bad := tlsSCT(other, p.leaf.der)
	bad.Timestamp++
	check("wrong timestamp", ders(p.leaf, p.inter), []SCT{bad}, 0, 1, 0, 0)
	check("embedded, issuer sent", [][]byte{withSCTs, p.inter.der}, got, 2, 0, 2, 2)
	// The issuer is not sent: the intermediate cache (filled by the connections
	// above) supplies its key.
	check("embedded, issuer from the cache", [][]byte{withSCTs}, got, 2, 0, 2, 2)
	// Without any issuer the precertificate entries cannot be rebuilt.
	v2 := newValidator(t, Config{CTLogs: []CTLog{google.log, other.log}}, p.root)
	res, _ := v2.ValidateCerts([][]byte{withSCTs}, us(t0))
	if r := v2.VerifySCTs([][]byte{withSCTs}, &res, got, us(t0)); r.Valid != 0 || r.Invalid != 2 {
		t.Fatalf("no issuer: %+v", r)
	}
	// SCTs of an OCSP response.
	resp, err := ocsp.CreateResponse(p.inter.cert, p.inter.cert, ocsp.Response{Status: ocsp.Good,
		SerialNumber: p.leaf.cert.SerialNumber, ThisUpdate: t0.Add(-time.Hour), NextUpdate: t0.Add(time.Hour),
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 5},
			Value: sctList(t, []SCT{tlsSCT(other, p.leaf.der)})}}}, p.inter.key)
	if err != nil {
		t.Fatal(err)
	}
	fromOCSP := SCTsFromOCSP(resp)
	if len(fromOCSP) != 1 || fromOCSP[0].Source != SCTFromOCSP {
		t.Fatalf("SCTsFromOCSP: %+v", fromOCSP)
	}
	check("OCSP", ders(p.leaf, p.inter), fromOCSP, 1, 0, 1, 1)
}

func TestLoadCTLogList(t *testing.T) {
	l := newCTLog(t, "Example")
	js := fmt.Sprintf(`{"version":"1","operators":[{"name":"Example","email":["ct@example.com"],
		"logs":[{"description":"Example 'Log2026'","log_id":%q,"key":%q,"url":"https://ct.example.com/","mmd":86400,
		"state":{"usable":{"timestamp":"2025-01-01T00:00:00Z"}}}],
		"tiled_logs":[{"description":"tiled","log_id":%q,"key":%q}]}]}`,
		base64.StdEncoding.EncodeToString(l.log.ID[:]), base64.StdEncoding.EncodeToString(l.log.Key),
		base64.StdEncoding.EncodeToString(l.log.ID[:]), base64.StdEncoding.EncodeToString(l.log.Key))
	logs, err := LoadCTLogList(strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	if len(logs) != 1 || logs[0].ID != l.log.ID || logs[0].Operator != "Example" || logs[0].Description != "Example 'Log2026'" {
		t.Fatalf("%+v", logs)
	}
	if _, err := LoadCTLogList(strings.NewReader(`{"operators":[{"logs":[{"log_id":"AAAA"}]}]}`)); err == nil {
		t.Fatal("short log id accepted")
	}
}

// A connection with more SCTs to check than the budget: the rest count as invalid and
// the result says so.
func TestSCTBudget(t *testing.T) {
	p := newPKI(t)
	l := newCTLog(t, "Op")
	v := newValidator(t, Config{CTLogs: []CTLog{l.log}}, p.root)
	var scts []SCT
	for i := 0; i < maxSCTVerifications+44; i++ {
		scts = append(scts, SCT{LogID: l.log.ID[:], Timestamp: uint64(i), HashAlg: 4, Signature: []byte{0x30, 0}, Source: SCTFromTLS})
	}
	chain := ders(p.leaf, p.inter)
	res, _ := v.ValidateCerts(chain, us(t0))
	r := v.VerifySCTs(chain, &res, scts, us(t0))
	if !r.Capped || r.Invalid != len(scts) || r.Valid != 0 {
		t.Fatalf("%+v", r)
	}
	if r := v.VerifySCTs(chain, &res, scts[:3], us(t0)); r.Capped {
		t.Fatal("a small list is capped")
	}
}
