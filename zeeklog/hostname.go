package zeeklog

import "strings"

// HostnameMatches reports whether host matches a certificate name as Zeek's
// check_hostname does: exact, case-sensitive comparison, or a wildcard confined to the
// left-most label of a name with at least three labels ("*.example.com",
// "www*.example.com"), where the rest must match exactly and the wildcard covers
// exactly one label.
func HostnameMatches(host, name string) bool {
	if host == name {
		return true
	}
	wild := strings.IndexByte(name, '*')
	if wild < 0 {
		return false
	}
	first := strings.IndexByte(name, '.')
	if first < 0 || strings.IndexByte(name[first+1:], '.') < 0 {
		return false
	}
	if wild+1 != first {
		return false
	}
	hfirst := strings.IndexByte(host, '.')
	if hfirst < 0 || host[hfirst:] != name[first:] {
		return false
	}
	if wild > 0 && (len(host) < wild || host[:wild] != name[:wild]) {
		return false
	}
	return true
}
