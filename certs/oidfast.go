package certs

// Switches for the OIDs nearly every certificate carries (name attributes, RSA and EC
// keys and signatures, the usual curves). Each answers exactly as the map it fronts
// (TestCommonOIDsMatchTables checks every case), without hashing a string: a
// certificate names a dozen OIDs, and on a capture of distinct certificates the map
// lookups were ≈ 1 % of the CPU. Anything else falls through to the maps.

// commonOID returns the dotted form of a common OID's DER content.
func commonOID(b []byte) (string, bool) {
	switch string(b) {
	case "\x55\x04\x03":
		return "2.5.4.3", true
	case "\x55\x04\x0a":
		return "2.5.4.10", true
	case "\x55\x04\x06":
		return "2.5.4.6", true
	case "\x55\x04\x0b":
		return "2.5.4.11", true
	case "\x55\x04\x08":
		return "2.5.4.8", true
	case "\x55\x04\x07":
		return "2.5.4.7", true
	case "\x55\x04\x05":
		return "2.5.4.5", true
	case "\x2a\x86\x48\xce\x3d\x02\x01":
		return "1.2.840.10045.2.1", true
	case "\x2a\x86\x48\xce\x3d\x03\x01\x07":
		return "1.2.840.10045.3.1.7", true
	case "\x2b\x81\x04\x00\x22":
		return "1.3.132.0.34", true
	case "\x2b\x81\x04\x00\x23":
		return "1.3.132.0.35", true
	case "\x2a\x86\x48\xce\x3d\x04\x03\x02":
		return "1.2.840.10045.4.3.2", true
	case "\x2a\x86\x48\xce\x3d\x04\x03\x03":
		return "1.2.840.10045.4.3.3", true
	case "\x2a\x86\x48\xce\x3d\x04\x03\x04":
		return "1.2.840.10045.4.3.4", true
	case "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01":
		return "1.2.840.113549.1.1.1", true
	case "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x05":
		return "1.2.840.113549.1.1.5", true
	case "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b":
		return "1.2.840.113549.1.1.11", true
	case "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0c":
		return "1.2.840.113549.1.1.12", true
	case "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0d":
		return "1.2.840.113549.1.1.13", true
	case "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a":
		return "1.2.840.113549.1.1.10", true
	case "\x2b\x65\x70":
		return "1.3.101.112", true
	}
	return "", false
}

// commonAttrShortName is attrShortNames for the usual name attributes.
func commonAttrShortName(oid string) (string, bool) {
	switch oid {
	case "2.5.4.3":
		return "CN", true
	case "2.5.4.10":
		return "O", true
	case "2.5.4.6":
		return "C", true
	case "2.5.4.11":
		return "OU", true
	case "2.5.4.8":
		return "ST", true
	case "2.5.4.7":
		return "L", true
	case "2.5.4.5":
		return "serialNumber", true
	}
	return "", false
}

// algLongName is algLongNames' lookup, with the usual algorithms first.
func algLongName(oid string) (string, bool) {
	switch oid {
	case "1.2.840.10045.2.1":
		return "id-ecPublicKey", true
	case "1.2.840.10045.4.3.2":
		return "ecdsa-with-SHA256", true
	case "1.2.840.10045.4.3.3":
		return "ecdsa-with-SHA384", true
	case "1.2.840.10045.4.3.4":
		return "ecdsa-with-SHA512", true
	case "1.2.840.113549.1.1.1":
		return "rsaEncryption", true
	case "1.2.840.113549.1.1.5":
		return "sha1WithRSAEncryption", true
	case "1.2.840.113549.1.1.11":
		return "sha256WithRSAEncryption", true
	case "1.2.840.113549.1.1.12":
		return "sha384WithRSAEncryption", true
	case "1.2.840.113549.1.1.13":
		return "sha512WithRSAEncryption", true
	case "1.2.840.113549.1.1.10":
		return "rsassaPss", true
	case "1.3.101.112":
		return "ED25519", true
	}
	ln, ok := algLongNames[oid]
	return ln, ok
}

// curveName is curveNames' lookup, with the usual curves first.
func curveName(oid string) (name string, bits uint64, ok bool) {
	switch oid {
	case "1.2.840.10045.3.1.7":
		return "prime256v1", 256, true
	case "1.3.132.0.34":
		return "secp384r1", 384, true
	case "1.3.132.0.35":
		return "secp521r1", 521, true
	}
	info, ok := curveNames[oid]
	return info.name, info.bits, ok
}

// fieldBitsOf is fieldBits' lookup; the usual curves are not in it.
func fieldBitsOf(oid string) (uint64, bool) {
	switch oid {
	case "1.2.840.10045.3.1.7", "1.3.132.0.34", "1.3.132.0.35":
		return 0, false
	}
	f, ok := fieldBits[oid]
	return f, ok
}
