package zeeklog

import "strconv"

// VersionName returns Zeek's name of an SSL/TLS/DTLS version number ("TLSv12", ...);
// TLS 1.3 drafts are "TLSv13-draftN", other unknown values "unknown-N".
func VersionName(v uint64) string {
	if s, ok := versionNames[v]; ok {
		return s
	}
	if v/0xFF == 0x7F {
		return "TLSv13-draft" + strconv.FormatUint(v%0x7F, 10)
	}
	return unknownName(v)
}

// CipherName returns the cipher suite's name as Zeek logs it, or "unknown-N".
func CipherName(c uint64) string { return lookupName(cipherNames, c) }

// CurveName returns the named group's name as Zeek logs it, or "unknown-N".
func CurveName(c uint64) string { return lookupName(curveNames, c) }

// AlertName returns the alert description's name as Zeek logs it, or "unknown-N".
func AlertName(d uint64) string { return lookupName(alertNames, d) }

func lookupName(m map[uint64]string, v uint64) string {
	if s, ok := m[v]; ok {
		return s
	}
	return unknownName(v)
}

func unknownName(v uint64) string { return "unknown-" + strconv.FormatUint(v, 10) }
