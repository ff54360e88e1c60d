package testgen

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"math/rand/v2"
	"sync"
	"time"
)

// Certs holds the generated PKI: an RSA root, an RSA intermediate, server leaves (ECDSA
// P-256 and RSA-2048, each sent with the intermediate) and a client leaf (ECDSA P-256,
// signed by the root). Everything is deterministic: the same bytes on every call.
type Certs struct {
	Root        *x509.Certificate
	Roots       *x509.CertPool
	ServerECDSA tls.Certificate // chain: leaf, intermediate
	ServerRSA   tls.Certificate // chain: leaf, intermediate
	Client      tls.Certificate // chain: leaf

	rootKey *rsa.PrivateKey // issues Unique's intermediates
}

var (
	certsOnce sync.Once
	certsVal  *Certs
	certsErr  error
)

// DefaultCerts returns the deterministic test PKI, built once per process.
func DefaultCerts() (*Certs, error) {
	certsOnce.Do(func() { certsVal, certsErr = buildCerts() })
	return certsVal, certsErr
}

// certEpoch bounds every certificate's validity; the handshake clock lies inside it.
var (
	certNotBefore = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	certNotAfter  = time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
)

func buildCerts() (*Certs, error) {
	rootKey, err := deterministicRSA("tlsmon testgen root", 2048)
	if err != nil {
		return nil, err
	}
	interKey, err := deterministicRSA("tlsmon testgen intermediate", 2048)
	if err != nil {
		return nil, err
	}
	srvRSAKey, err := deterministicRSA("tlsmon testgen server rsa", 2048)
	if err != nil {
		return nil, err
	}
	srvECKey, err := deterministicECDSA("tlsmon testgen server ecdsa")
	if err != nil {
		return nil, err
	}
	cliKey, err := deterministicECDSA("tlsmon testgen client ecdsa")
	if err != nil {
		return nil, err
	}

	root := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "tlsmon testgen root CA", Organization: []string{"tlsmon"}},
		NotBefore:             certNotBefore,
		NotAfter:              certNotAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	rootDER, err := x509.CreateCertificate(nil, root, root, &rootKey.PublicKey, rootKey)
	if err != nil {
		return nil, fmt.Errorf("testgen: root certificate: %w", err)
	}
	rootCert, err := x509.ParseCertificate(rootDER)
	if err != nil {
		return nil, err
	}

	inter := intermediateTemplate(2, "tlsmon testgen intermediate CA")
	interDER, err := x509.CreateCertificate(nil, inter, rootCert, &interKey.PublicKey, rootKey)
	if err != nil {
		return nil, fmt.Errorf("testgen: intermediate certificate: %w", err)
	}
	interCert, err := x509.ParseCertificate(interDER)
	if err != nil {
		return nil, err
	}

	leaf := func(serial int64, cn string, pub crypto.PublicKey, priv crypto.Signer, client bool) (tls.Certificate, error) {
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn, Organization: []string{"tlsmon"}},
			NotBefore:    certNotBefore,
			NotAfter:     certNotAfter,
			KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		}
		parent, parentKey, chainTail := interCert, crypto.Signer(interKey), [][]byte{interDER}
		if client {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
			parent, parentKey, chainTail = rootCert, rootKey, nil
		} else {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			tmpl.DNSNames = []string{"example.com", "*.example.com", "localhost"}
		}
		der, err := x509.CreateCertificate(nil, tmpl, parent, pub, parentKey)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("testgen: %s certificate: %w", cn, err)
		}
		lc, err := x509.ParseCertificate(der)
		if err != nil {
			return tls.Certificate{}, err
		}
		return tls.Certificate{Certificate: append([][]byte{der}, chainTail...), PrivateKey: priv, Leaf: lc}, nil
	}

	c := &Certs{Root: rootCert, Roots: x509.NewCertPool(), rootKey: rootKey}
	c.Roots.AddCert(rootCert)
	if c.ServerECDSA, err = leaf(10, "server-ecdsa.example.com", &srvECKey.PublicKey, srvECKey, false); err != nil {
		return nil, err
	}
	if c.ServerRSA, err = leaf(11, "server-rsa.example.com", &srvRSAKey.PublicKey, srvRSAKey, false); err != nil {
		return nil, err
	}
	if c.Client, err = leaf(20, "client.example.com", &cliKey.PublicKey, cliKey, true); err != nil {
		return nil, err
	}
	return c, nil
}

// intermediateTemplate is the template of an intermediate CA that issues leaves only.
func intermediateTemplate(serial int64, cn string) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"tlsmon"}},
		NotBefore:             certNotBefore,
		NotAfter:              certNotAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
}

// deterministicECDSA derives a P-256 key from seed.
func deterministicECDSA(seed string) (*ecdsa.PrivateKey, error) {
	for i := 0; ; i++ {
		h := sha256.Sum256(fmt.Appendf(nil, "%s/%d", seed, i))
		k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), h[:])
		if err == nil {
			return k, nil
		}
		if i > 16 {
			return nil, fmt.Errorf("testgen: ECDSA key from seed %q: %w", seed, err)
		}
	}
}

// deterministicRSA derives an RSA key of the given size from seed by searching primes in
// a ChaCha8 stream keyed with the seed's hash.
func deterministicRSA(seed string, bits int) (*rsa.PrivateKey, error) {
	src := rand.NewChaCha8(sha256.Sum256([]byte(seed)))
	e := big.NewInt(65537)
	one := big.NewInt(1)
	prime := func() *big.Int {
		buf := make([]byte, bits/16)
		for {
			_, _ = src.Read(buf)
			buf[0] |= 0xC0 // top two bits: the product has exactly `bits` bits
			buf[len(buf)-1] |= 1
			p := new(big.Int).SetBytes(buf)
			for range 4096 {
				if p.ProbablyPrime(20) {
					pm1 := new(big.Int).Sub(p, one)
					if new(big.Int).GCD(nil, nil, pm1, e).Cmp(one) == 0 {
						return p
					}
				}
				p.Add(p, big.NewInt(2))
			}
		}
	}
	p := prime()
	q := prime()
	for p.Cmp(q) == 0 {
		q = prime()
	}
	n := new(big.Int).Mul(p, q)
	phi := new(big.Int).Mul(new(big.Int).Sub(p, one), new(big.Int).Sub(q, one))
	d := new(big.Int).ModInverse(e, phi)
	if d == nil {
		return nil, fmt.Errorf("testgen: RSA key from seed %q: no inverse", seed)
	}
	k := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: 65537}, D: d, Primes: []*big.Int{p, q}}
	k.Precompute()
	if err := k.Validate(); err != nil {
		return nil, fmt.Errorf("testgen: RSA key from seed %q: %w", seed, err)
	}
	return k, nil
}
