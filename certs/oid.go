package certs

import (
	"strconv"
	"strings"
	"sync"
)

// oidString renders DER OID content bytes in dotted form as OpenSSL's OBJ_obj2txt does
// (the first arc pair split as 0/1/2). The OIDs of this package's tables come from
// knownOIDs (no formatting, no allocation: a certificate names a dozen of them).
func oidString(b []byte) string {
	if s, ok := commonOID(b); ok {
		return s
	}
	if s, ok := knownOIDs()[string(b)]; ok {
		return s
	}
	return formatOID(b)
}

// knownOIDs maps the DER content of every OID in this package's tables to its dotted
// form.
var knownOIDs = sync.OnceValue(func() map[string]string {
	m := make(map[string]string)
	add := func(dotted string) {
		if der, ok := encodeOID(dotted); ok && formatOID(der) == dotted {
			m[string(der)] = dotted
		}
	}
	for _, t := range []map[string]string{algLongNames, attrShortNames} {
		for k := range t {
			add(k)
		}
	}
	for k := range curveNames {
		add(k)
	}
	for k := range fieldBits {
		add(k)
	}
	return m
})

// encodeOID returns the DER content of a dotted OID.
func encodeOID(dotted string) ([]byte, bool) {
	var arcs []uint64
	for _, p := range strings.Split(dotted, ".") {
		v, err := strconv.ParseUint(p, 10, 56)
		if err != nil {
			return nil, false
		}
		arcs = append(arcs, v)
	}
	if len(arcs) < 2 || arcs[0] > 2 {
		return nil, false
	}
	arcs = append([]uint64{arcs[0]*40 + arcs[1]}, arcs[2:]...)
	var out []byte
	for _, v := range arcs {
		var tmp [9]byte
		i := len(tmp) - 1
		tmp[i] = byte(v & 0x7f)
		for v >>= 7; v > 0; v >>= 7 {
			i--
			tmp[i] = byte(v&0x7f) | 0x80
		}
		out = append(out, tmp[i:]...)
	}
	return out, true
}

// formatOID is oidString without the table.
func formatOID(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	out := make([]byte, 0, 3*len(b))
	first := true
	var v uint64
	for i, c := range b {
		if v > (1<<56)-1 { // too large for OpenSSL's fast path; keep a best effort
			return ""
		}
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 != 0 {
			if i == len(b)-1 {
				return "" // truncated arc
			}
			continue
		}
		if first {
			first = false
			switch {
			case v < 40:
				out = append(out, '0', '.')
			case v < 80:
				out = append(out, '1', '.')
				v -= 40
			default:
				out = append(out, '2', '.')
				v -= 80
			}
			out = strconv.AppendUint(out, v, 10)
		} else {
			out = append(out, '.')
			out = strconv.AppendUint(out, v, 10)
		}
		v = 0
	}
	return string(out)
}

// Long names (OpenSSL's OBJ_nid2ln) of algorithms found in certificates.
var algLongNames = map[string]string{
	"1.2.840.113549.1.1.1":    "rsaEncryption",
	"1.2.840.113549.1.1.2":    "md2WithRSAEncryption",
	"1.2.840.113549.1.1.3":    "md4WithRSAEncryption",
	"1.2.840.113549.1.1.4":    "md5WithRSAEncryption",
	"1.2.840.113549.1.1.5":    "sha1WithRSAEncryption",
	"1.2.840.113549.1.1.7":    "rsaesOaep",
	"1.2.840.113549.1.1.10":   "rsassaPss",
	"1.2.840.113549.1.1.11":   "sha256WithRSAEncryption",
	"1.2.840.113549.1.1.12":   "sha384WithRSAEncryption",
	"1.2.840.113549.1.1.13":   "sha512WithRSAEncryption",
	"1.2.840.113549.1.1.14":   "sha224WithRSAEncryption",
	"1.2.840.113549.1.1.15":   "sha512-224WithRSAEncryption",
	"1.2.840.113549.1.1.16":   "sha512-256WithRSAEncryption",
	"1.2.840.113549.1.3.1":    "dhKeyAgreement",
	"1.3.14.3.2.3":            "md5WithRSA",
	"1.3.14.3.2.12":           "dsaEncryption-old",
	"1.3.14.3.2.13":           "dsaWithSHA",
	"1.3.14.3.2.15":           "shaWithRSAEncryption",
	"1.3.14.3.2.27":           "dsaWithSHA1-old",
	"1.3.14.3.2.29":           "sha1WithRSA",
	"1.2.840.10040.4.1":       "dsaEncryption",
	"1.2.840.10040.4.3":       "dsaWithSHA1",
	"1.2.840.10045.2.1":       "id-ecPublicKey",
	"1.2.840.10045.4.1":       "ecdsa-with-SHA1",
	"1.2.840.10045.4.2":       "ecdsa-with-Recommended",
	"1.2.840.10045.4.3":       "ecdsa-with-Specified",
	"1.2.840.10045.4.3.1":     "ecdsa-with-SHA224",
	"1.2.840.10045.4.3.2":     "ecdsa-with-SHA256",
	"1.2.840.10045.4.3.3":     "ecdsa-with-SHA384",
	"1.2.840.10045.4.3.4":     "ecdsa-with-SHA512",
	"1.2.840.10046.2.1":       "X9.42 DH",
	"2.16.840.1.101.3.4.3.1":  "dsa_with_SHA224",
	"2.16.840.1.101.3.4.3.2":  "dsa_with_SHA256",
	"2.16.840.1.101.3.4.3.3":  "dsa_with_SHA384",
	"2.16.840.1.101.3.4.3.4":  "dsa_with_SHA512",
	"2.16.840.1.101.3.4.3.9":  "ecdsa_with_SHA3-224",
	"2.16.840.1.101.3.4.3.10": "ecdsa_with_SHA3-256",
	"2.16.840.1.101.3.4.3.11": "ecdsa_with_SHA3-384",
	"2.16.840.1.101.3.4.3.12": "ecdsa_with_SHA3-512",
	"2.16.840.1.101.3.4.3.13": "RSA-SHA3-224",
	"2.16.840.1.101.3.4.3.14": "RSA-SHA3-256",
	"2.16.840.1.101.3.4.3.15": "RSA-SHA3-384",
	"2.16.840.1.101.3.4.3.16": "RSA-SHA3-512",
	"1.3.101.110":             "X25519",
	"1.3.101.111":             "X448",
	"1.3.101.112":             "ED25519",
	"1.3.101.113":             "ED448",
	"1.2.156.10197.1.301":     "sm2",
	"1.2.156.10197.1.501":     "SM2-with-SM3",
	"1.2.643.2.2.3":           "GOST R 34.11-94 with GOST R 34.10-2001",
	"1.2.643.2.2.19":          "GOST R 34.10-2001",
}

// Short names (OBJ_nid2sn) of named curves, as OpenSSL reports a key's group name,
// with the order size in bits (EVP_PKEY_bits of such a key).
var curveNames = map[string]struct {
	name string
	bits uint64
}{
	"1.2.840.10045.3.1.1":   {"prime192v1", 192},
	"1.2.840.10045.3.1.2":   {"prime192v2", 192},
	"1.2.840.10045.3.1.3":   {"prime192v3", 192},
	"1.2.840.10045.3.1.4":   {"prime239v1", 239},
	"1.2.840.10045.3.1.5":   {"prime239v2", 239},
	"1.2.840.10045.3.1.6":   {"prime239v3", 239},
	"1.2.840.10045.3.1.7":   {"prime256v1", 256},
	"1.3.132.0.6":           {"secp112r1", 112},
	"1.3.132.0.7":           {"secp112r2", 110},
	"1.3.132.0.28":          {"secp128r1", 128},
	"1.3.132.0.29":          {"secp128r2", 126},
	"1.3.132.0.9":           {"secp160k1", 161},
	"1.3.132.0.8":           {"secp160r1", 161},
	"1.3.132.0.30":          {"secp160r2", 161},
	"1.3.132.0.31":          {"secp192k1", 192},
	"1.3.132.0.32":          {"secp224k1", 225},
	"1.3.132.0.33":          {"secp224r1", 224},
	"1.3.132.0.10":          {"secp256k1", 256},
	"1.3.132.0.34":          {"secp384r1", 384},
	"1.3.132.0.35":          {"secp521r1", 521},
	"1.3.36.3.3.2.8.1.1.1":  {"brainpoolP160r1", 160},
	"1.3.36.3.3.2.8.1.1.3":  {"brainpoolP192r1", 192},
	"1.3.36.3.3.2.8.1.1.5":  {"brainpoolP224r1", 224},
	"1.3.36.3.3.2.8.1.1.7":  {"brainpoolP256r1", 256},
	"1.3.36.3.3.2.8.1.1.9":  {"brainpoolP320r1", 320},
	"1.3.36.3.3.2.8.1.1.11": {"brainpoolP384r1", 384},
	"1.3.36.3.3.2.8.1.1.13": {"brainpoolP512r1", 512},
	"1.2.156.10197.1.301":   {"SM2", 256},
}

// Short names of distinguished-name attribute types (OBJ_nid2sn), used by the RFC 2253
// rendering. Types OpenSSL does not know print as dotted OIDs with a hex-dumped value.
var attrShortNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.4":                    "SN",
	"2.5.4.5":                    "serialNumber",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.9":                    "street",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "title",
	"2.5.4.13":                   "description",
	"2.5.4.14":                   "searchGuide",
	"2.5.4.15":                   "businessCategory",
	"2.5.4.16":                   "postalAddress",
	"2.5.4.17":                   "postalCode",
	"2.5.4.18":                   "postOfficeBox",
	"2.5.4.19":                   "physicalDeliveryOfficeName",
	"2.5.4.20":                   "telephoneNumber",
	"2.5.4.21":                   "telexNumber",
	"2.5.4.22":                   "teletexTerminalIdentifier",
	"2.5.4.23":                   "facsimileTelephoneNumber",
	"2.5.4.24":                   "x121Address",
	"2.5.4.25":                   "internationaliSDNNumber",
	"2.5.4.26":                   "registeredAddress",
	"2.5.4.27":                   "destinationIndicator",
	"2.5.4.28":                   "preferredDeliveryMethod",
	"2.5.4.29":                   "presentationAddress",
	"2.5.4.30":                   "supportedApplicationContext",
	"2.5.4.31":                   "member",
	"2.5.4.32":                   "owner",
	"2.5.4.33":                   "roleOccupant",
	"2.5.4.34":                   "seeAlso",
	"2.5.4.35":                   "userPassword",
	"2.5.4.41":                   "name",
	"2.5.4.42":                   "GN",
	"2.5.4.43":                   "initials",
	"2.5.4.44":                   "generationQualifier",
	"2.5.4.45":                   "x500UniqueIdentifier",
	"2.5.4.46":                   "dnQualifier",
	"2.5.4.47":                   "enhancedSearchGuide",
	"2.5.4.48":                   "protocolInformation",
	"2.5.4.49":                   "distinguishedName",
	"2.5.4.50":                   "uniqueMember",
	"2.5.4.51":                   "houseIdentifier",
	"2.5.4.54":                   "dmdName",
	"2.5.4.65":                   "pseudonym",
	"2.5.4.72":                   "role",
	"2.5.4.97":                   "organizationIdentifier",
	"2.5.4.98":                   "c3",
	"2.5.4.99":                   "n3",
	"2.5.4.100":                  "dnsName",
	"1.2.840.113549.1.9.1":       "emailAddress",
	"1.2.840.113549.1.9.2":       "unstructuredName",
	"1.2.840.113549.1.9.7":       "challengePassword",
	"1.2.840.113549.1.9.8":       "unstructuredAddress",
	"0.9.2342.19200300.100.1.1":  "UID",
	"0.9.2342.19200300.100.1.3":  "mail",
	"0.9.2342.19200300.100.1.25": "DC",
	"1.3.6.1.4.1.311.60.2.1.1":   "jurisdictionL",
	"1.3.6.1.4.1.311.60.2.1.2":   "jurisdictionST",
	"1.3.6.1.4.1.311.60.2.1.3":   "jurisdictionC",
	"1.3.6.1.4.1.311.20.2":       "msCertificateTemplateName",
	"1.3.6.1.5.5.7.9.1":          "dateOfBirth",
	"1.3.6.1.5.5.7.9.2":          "placeOfBirth",
	"1.3.6.1.5.5.7.9.3":          "gender",
	"1.3.6.1.5.5.7.9.4":          "countryOfCitizenship",
	"1.3.6.1.5.5.7.9.5":          "countryOfResidence",
	"1.2.643.3.131.1.1":          "INN",
	"1.2.643.100.1":              "OGRN",
	"1.2.643.100.3":              "SNILS",
}
