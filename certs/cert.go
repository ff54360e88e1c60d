// Package certs parses X.509 certificates leniently and renders their fields the way Zeek
// logs them in x509.log (which uses OpenSSL's printing functions).
//
// Parsing walks the DER with cryptobyte and keeps going wherever it can: negative or
// oversized serials, bad string types, unknown algorithms and malformed extensions do
// not make a certificate fail; only a structurally broken outer encoding does.
package certs

import (
	"errors"
	"net/netip"
)

// Certificate holds every field x509.log needs, already formatted as Zeek logs them.
type Certificate struct {
	Version   uint64 // the version field + 1 (1 when absent)
	Serial    string // uppercase hex as OpenSSL's i2a_ASN1_INTEGER prints it ("-" prefix if negative)
	Subject   string // RFC 2253 rendering, as OpenSSL's X509_NAME_print_ex(XN_FLAG_RFC2253)
	Issuer    string
	CN        string // the last common name of the subject, as ASN1_STRING_print prints it
	HasCN     bool
	NotBefore int64 // seconds since the epoch, computed as Zeek does (0 when unparsable)
	NotAfter  int64
	// TimeWeirds are the weirds Zeek raises while converting the validity times
	// (x509_utc_format, x509_utc_length, x509_gen_time_length, ...), in order.
	TimeWeirds []string
	KeyAlg     string // OpenSSL's long name of the public key algorithm, or its dotted OID
	SigAlg     string // OpenSSL's long name of the signature algorithm ("" if unknown to OpenSSL)

	// Key details: KeyType is empty when the key could not be decoded (Zeek then logs
	// none of these). KeyLength 0 means unset.
	KeyType   string
	KeyLength uint64
	Exponent  string // RSA only, decimal
	Curve     string // EC named curve, OpenSSL's short name

	SAN              *SAN              // last subjectAltName extension that parsed; nil if none
	BasicConstraints *BasicConstraints // nil if absent or unparsable

	// HostnameNames are the names Zeek's x509_check_cert_hostname compares with:
	// the dNSName entries of the first subjectAltName extension if there is one
	// (even none, if it does not parse), else the last CN.
	HostnameNames []string

	sanSeen bool
	san     SAN              // what SAN points to
	bc      BasicConstraints // what BasicConstraints points to
}

// SAN is a subjectAltName extension; nil slices mean "none of that kind".
type SAN struct {
	DNS, URI, Email []string
	IP              []netip.Addr
	Other           bool // names of other kinds were present
}

// BasicConstraints is the basicConstraints extension.
type BasicConstraints struct {
	CA         bool
	PathLen    int64
	HasPathLen bool
}

// Limits on what is kept from one certificate (the DER itself bounds everything else).
const (
	MaxNameLen = 2047 // OpenSSL output read back with BIO_gets into a 2048-byte buffer
	MaxSANs    = 1024 // SAN entries kept per certificate
)

// ErrMalformed is returned for DER that is not a certificate at all.
var ErrMalformed = errors.New("certs: malformed certificate")
