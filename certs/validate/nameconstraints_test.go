package validate

import (
	"crypto/x509"
	"net"
	"testing"
)

func TestNameConstraints(t *testing.T) {
	root := mkCert(t, "NC Root", nil, certOpts{ca: true})
	_, tenNet, _ := net.ParseCIDR("10.0.0.0/8")
	ca := mkCert(t, "Constrained CA", root, certOpts{ca: true, tweak: func(c *x509.Certificate) {
		c.PermittedDNSDomains = []string{"example.com"}
		c.ExcludedDNSDomains = []string{"bad.example.com"}
		c.PermittedIPRanges = []*net.IPNet{tenNet}
	}})
	leaf := func(cn string, tweak func(*x509.Certificate)) [][]byte {
		return ders(mkCert(t, cn, ca, certOpts{tweak: tweak}), ca)
	}
	tests := []struct {
		name  string
		chain [][]byte
		want  string
	}{
		{"permitted", leaf("www.example.com", nil), "ok"},
		{"outside the permitted tree", leaf("www.example.org", nil), "permitted subtree violation"},
		{"label boundary", leaf("wwwexample.com", nil), "permitted subtree violation"},
		{"excluded", leaf("x.bad.example.com", nil), "excluded subtree violation"},
		{"common name checked without DNS names", leaf("host.example.org", func(c *x509.Certificate) { c.DNSNames = nil }), "permitted subtree violation"},
		{"common name that is no host name", leaf("Some Service", func(c *x509.Certificate) { c.DNSNames = nil }), "ok"},
		{"IP inside", leaf("ip.example.com", func(c *x509.Certificate) { c.IPAddresses = []net.IP{net.IPv4(10, 1, 2, 3)} }), "ok"},
		{"IP outside", leaf("ip.example.com", func(c *x509.Certificate) { c.IPAddresses = []net.IP{net.IPv4(192, 168, 1, 1)} }), "permitted subtree violation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newValidator(t, Config{}, root)
			if r, _ := v.ValidateCerts(tt.chain, us(t0)); r.Status != tt.want {
				t.Fatalf("%q, want %q", r.Status, tt.want)
			}
		})
	}
}

func TestNameConstraintMatchers(t *testing.T) {
	if ncEmail([]byte("a@Example.com"), []byte("example.com")) != errOK ||
		ncEmail([]byte("a@example.com"), []byte("b@example.com")) != errPermittedViolation ||
		ncEmail([]byte("a@x.example.com"), []byte(".example.com")) != errOK ||
		ncEmail([]byte("noat"), []byte("example.com")) != errUnsupportedNameSytax {
		t.Error("email")
	}
	if ncURI([]byte("https://www.Example.com:443/x"), []byte("www.example.com")) != errOK ||
		ncURI([]byte("https://a.example.com/"), []byte(".example.com")) != errOK ||
		ncURI([]byte("urn:x"), []byte("example.com")) != errUnsupportedNameSytax {
		t.Error("uri")
	}
	if ncDNS([]byte("anything"), nil) != errOK || ncDNS([]byte("a.example.com"), []byte(".example.com")) != errOK {
		t.Error("dns")
	}
	if ncIP([]byte{10, 0, 0, 1}, []byte{10, 0, 0, 0, 255, 0, 0, 0, 1, 2, 3, 4}) != errUnsupportedNameSytax {
		t.Error("ip")
	}
}
