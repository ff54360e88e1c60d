// Package policy reproduces the policy scripts Zeek sites load on top of the SSL analyzer
// (protocols/ssl/validate-certs, validate-ocsp, validate-sct, known-certs, expiring-certs,
// weak-keys, heartbleed, ssl-log-ext and protocols/conn/community-id-logging): the columns
// they add to ssl.log and conn.log, and the notice.log and known_certs.log they write.
//
// Each script is built from tlsmon's event stream, never from parser state: the scripts'
// ssl.log columns are one zeeklog.ColumnExtension (which sees every event just before
// ssl.log does), community_id is a conn.log extension, and notice.log and known_certs.log
// are extra logs. A Site holds what Zeek keeps across connections (the notice suppression
// table, the set of known certificates, the validation caches); one Site belongs to one
// engine and is used from one goroutine.
package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/tlsmon/tlsmon/zeeklog"
)

// The scripts, by the names of Zeek's scripts (the part after protocols/ssl/ or
// protocols/conn/).
const (
	ValidateCerts      = "validate-certs"
	ValidateOCSP       = "validate-ocsp"
	ValidateSCT        = "validate-sct"
	KnownCerts         = "known-certs"
	ExpiringCerts      = "expiring-certs"
	WeakKeys           = "weak-keys"
	Heartbleed         = "heartbleed"
	SSLLogExt          = "ssl-log-ext"
	CommunityIDLogging = "community-id-logging"
)

// Scripts lists every script in Zeek's load order of the usual set: the order of the
// columns they add.
var Scripts = []string{ValidateCerts, ValidateOCSP, ValidateSCT, KnownCerts, ExpiringCerts,
	WeakKeys, Heartbleed, SSLLogExt, CommunityIDLogging}

// UsualSet is the name of the usual set of scripts (all of Scripts): what Zeek's
// local.zeek and sensor distributions load for TLS.
const UsualSet = "local"

// ParseLoad parses a --load value: script names separated by commas, with or without
// Zeek's directory ("protocols/ssl/validate-certs") and ".zeek" suffix, or UsualSet. It
// returns the scripts in Zeek's load order, each once, with the scripts they load
// themselves (validate-sct loads validate-certs).
func ParseLoad(s string) ([]string, error) {
	want := map[string]bool{}
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		name = strings.TrimSuffix(name, ".zeek")
		name = strings.TrimPrefix(name, "policy/")
		name = strings.TrimPrefix(name, "protocols/ssl/")
		name = strings.TrimPrefix(name, "protocols/conn/")
		if name == UsualSet {
			for _, n := range Scripts {
				want[n] = true
			}
			continue
		}
		if !slices.Contains(Scripts, name) {
			return nil, fmt.Errorf("unknown script %q (known: %s, or %s for all of them)",
				name, strings.Join(Scripts, ", "), UsualSet)
		}
		want[name] = true
	}
	if want[ValidateSCT] {
		want[ValidateCerts] = true
	}
	var out []string
	for _, n := range Scripts {
		if want[n] {
			out = append(out, n)
		}
	}
	return out, nil
}

// Hosts is Zeek's Host choice (base/utils/directions-and-hosts): which servers a script
// tracks or notifies about.
type Hosts uint8

// The choices, as Zeek names them. The zero value is AllHosts: Zeek's default is
// LOCAL_HOSTS, but a capture read offline has no local networks configured beyond the
// private address space, so the reference (and tlsmon) widen tracking to all hosts.
const (
	AllHosts Hosts = iota
	LocalHosts
	RemoteHosts
	NoHosts
)

// matches reports whether a is one of the hosts h chooses (Zeek's addr_matches_host);
// local means Zeek's default local networks, its private address space.
func (h Hosts) matches(a netip.Addr) bool {
	switch h {
	case AllHosts:
		return true
	case LocalHosts:
		return zeeklog.IsLocalAddr(a)
	case RemoteHosts:
		return !zeeklog.IsLocalAddr(a)
	}
	return false
}

// Config selects the scripts and their options. The zero value of each option is the
// reference's setting (oracle/policy.zeek).
type Config struct {
	Scripts []string // from ParseLoad

	CertTracking          Hosts // Known::cert_tracking
	NotifyCertsExpiration Hosts // SSL::notify_certs_expiration
	NotifyWeakKeys        Hosts // SSL::notify_weak_keys

	// Validator checks certificate chains, stapled OCSP responses and SCTs for
	// validate-certs, validate-ocsp and validate-sct; required when one of them is loaded.
	Validator Validator

	// Bounds of the Site's tables (0: the defaults, 262,144 suppressed notices and
	// 1,048,576 known certificates). Zeek's tables are unbounded; past a bound an entry is
	// logged but not remembered, and the hit is a weird.
	MaxSuppressed, MaxKnownCerts int
}

func (c *Config) has(name string) bool { return slices.Contains(c.Scripts, name) }

// Loaded reports whether the script is loaded.
func (s *Site) Loaded(name string) bool { return s.cfg.has(name) }
