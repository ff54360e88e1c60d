package policy

import (
	"cmp"
	"errors"

	tlsmon "github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/policy/communityid"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// Site is the state of the loaded scripts across connections, for one engine.
type Site struct {
	cfg     Config
	notices *notices
	known   *knownCerts
	ssl     *sslExt
	forward Forwarder // a shard's Site (Shard): its notices and known certificates go there
	// certCacheBytes bounds the certificate cache (0: maxCertCacheBytes); a shard's Site has
	// its share, so that a sharded run's caches hold what one Site's does
	certCacheBytes int
	// a shard's Site: its index and the run's shards (its request ids, validatesplit.go)
	shardIndex, shards int
	requests           uint64
	// pending holds the run's Site's results of the shards' validations until their rows
	pending map[uint64]*valResult
	// Dropped counts notices and known certificates logged but not remembered because
	// the suppression table or the known set was full (each also a weird, source "tlsmon":
	// policy_notice_suppression_cap, policy_known_certs_cap).
	Dropped uint64
	// Truncated counts values left out of a connection's record at a per-connection cap
	// (certificates beyond 64 per chain, SCTs beyond 64, extension codes beyond 1024 per
	// side); each hit is also a weird (source "tlsmon": policy_cert_chain_cap,
	// policy_sct_cap, policy_extension_list_cap).
	Truncated uint64
}

// New returns the Site of cfg's scripts.
func New(cfg Config) (*Site, error) {
	s := &Site{cfg: cfg}
	if cfg.Validator == nil && NeedsValidator(cfg.Scripts) {
		return nil, errors.New("policy: the validate scripts need a Validator")
	}
	s.notices = newNotices(&s.Dropped, cmp.Or(cfg.MaxSuppressed, defaultMaxSuppressed))
	s.known = newKnownCerts(&s.Dropped, cmp.Or(cfg.MaxKnownCerts, defaultMaxKnown))
	return s, nil
}

// NeedsValidator reports whether one of the scripts validates certificates.
func NeedsValidator(scripts []string) bool {
	for _, n := range scripts {
		if n == ValidateCerts || n == ValidateOCSP || n == ValidateSCT {
			return true
		}
	}
	return false
}

// raise is Zeek's NOTICE.
func (s *Site) raise(n *Notice) {
	if s.forward != nil {
		s.forward.Notice(n)
		return
	}
	s.notices.raise(n)
}

// seenCert is known-certs' check of the server's certificate ci.
func (s *Site) seenCert(ts int64, c *tlsmon.Conn, ci *certInfo) {
	if s.forward != nil {
		s.forward.KnownCert(ts, c, ci.sha1, ci.cert.Subject, ci.cert.Issuer, ci.cert.Serial)
		return
	}
	s.known.seen(ts, c, ci.sha1, ci.cert.Subject, ci.cert.Issuer, ci.cert.Serial)
}

// Extensions returns the columns and logs of the loaded scripts, for zeeklog.LogsWith.
// Call it once per log set.
func (s *Site) Extensions() zeeklog.Extensions {
	var ext zeeklog.Extensions
	sslScripts := false
	for _, n := range s.cfg.Scripts {
		if n != CommunityIDLogging {
			sslScripts = true
		}
	}
	if sslScripts {
		s.ssl = newSSLExt(s)
		ext.SSL = append(ext.SSL, s.ssl)
	}
	if s.cfg.has(CommunityIDLogging) {
		ext.Conn = append(ext.Conn, &communityIDExt{h: communityid.Hasher{ZeekPortOrder: true}})
	}
	for _, name := range LogNames(s.cfg.Scripts) {
		switch name {
		case "known_certs":
			ext.Logs = append(ext.Logs, zeeklog.LogSpec{Path: name, Columns: KnownCertsColumns,
				New: func(w zeeklog.Writer) zeeklog.Builder { s.known.w = w; return &knownLog{s.known} }})
		case "notice":
			ext.Logs = append(ext.Logs, zeeklog.LogSpec{Path: name, Columns: NoticeColumns,
				New: func(w zeeklog.Writer) zeeklog.Builder { s.notices.w = w; return &noticeLog{s.notices} }})
		}
	}
	return ext
}

// LogNames returns the names of the logs the scripts add beside tlsmon's own, in the order
// Extensions adds them: known_certs (known-certs), notice (the scripts that raise notices).
// A log that is left out of a Set (the command's --logs) is simply not written.
func LogNames(scripts []string) []string {
	c := Config{Scripts: scripts}
	var names []string
	if c.has(KnownCerts) {
		names = append(names, "known_certs")
	}
	for _, n := range []string{ValidateCerts, ValidateOCSP, ExpiringCerts, WeakKeys, Heartbleed} {
		if c.has(n) {
			return append(names, "notice")
		}
	}
	return names
}

// communityIDExt is community-id-logging: conn.log's community_id, Community ID v1 with
// seed 0 and base64 (CommunityID::seed, CommunityID::do_base64). Zeek computes it at
// new_connection from the connection's id; tlsmon's ICMP connection ids carry the same
// type/counterpart ports, so computing it from the id when the row is written gives the
// same value.
type communityIDExt struct{ h communityid.Hasher }

var communityIDColumns = []zeeklog.Column{{Name: "community_id", Type: "string"}}

func (*communityIDExt) Columns() []zeeklog.Column { return communityIDColumns }
func (*communityIDExt) HandleEvent(tlsmon.Event)  {}
func (*communityIDExt) Forget(*tlsmon.Conn)       {}
func (x *communityIDExt) AppendValues(dst []zeeklog.Value, c *tlsmon.Conn) []zeeklog.Value {
	id := x.h.ID(communityid.Flow{Proto: uint8(c.ID.Proto), Src: c.ID.OrigH, Dst: c.ID.RespH,
		SrcPort: c.ID.OrigP, DstPort: c.ID.RespP})
	if id == "" {
		return append(dst, zeeklog.Unset())
	}
	return append(dst, zeeklog.String(id))
}
