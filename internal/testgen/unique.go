package testgen

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
)

// Unique returns a server certificate chain of its own for index i: an ECDSA P-256 leaf for
// host (its CN and DNS name) issued by an ECDSA intermediate made for i alone, itself
// issued by the root. Two indexes never share a certificate, so a capture of such
// connections repeats no handshake message (unlike DefaultCerts' single chain). The keys
// are derived from i: the same i gives the same keys (the signatures differ per call).
func (c *Certs) Unique(i int, host string) (tls.Certificate, error) {
	interKey, err := deterministicECDSA(fmt.Sprintf("tlsmon testgen unique intermediate %d", i))
	if err != nil {
		return tls.Certificate{}, err
	}
	leafKey, err := deterministicECDSA(fmt.Sprintf("tlsmon testgen unique leaf %d", i))
	if err != nil {
		return tls.Certificate{}, err
	}
	inter := intermediateTemplate(int64(1000000+2*i), fmt.Sprintf("tlsmon testgen intermediate %d", i))
	interDER, err := x509.CreateCertificate(nil, inter, c.Root, &interKey.PublicKey, c.rootKey)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("testgen: unique intermediate %d: %w", i, err)
	}
	interCert, err := x509.ParseCertificate(interDER)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(int64(1000001 + 2*i)),
		Subject:      pkix.Name{CommonName: host, Organization: []string{"tlsmon"}},
		NotBefore:    certNotBefore,
		NotAfter:     certNotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{host},
	}
	leafDER, err := x509.CreateCertificate(nil, leaf, interCert, &leafKey.PublicKey, interKey)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("testgen: unique leaf %d: %w", i, err)
	}
	return tls.Certificate{Certificate: [][]byte{leafDER, interDER}, PrivateKey: leafKey}, nil
}
