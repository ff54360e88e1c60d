package policy

import (
	"bytes"
	"cmp"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	tlsmon "github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/certs"
	"github.com/tlsmon/tlsmon/certs/validate"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// The columns each script adds to ssl.log, in Zeek's order.
var (
	validateCertsColumns = []zeeklog.Column{{Name: "validation_status", Type: "string"}}
	validateOCSPColumns  = []zeeklog.Column{{Name: "ocsp_status", Type: "string"}}
	validateSCTColumns   = []zeeklog.Column{{Name: "valid_ct_logs", Type: "count"}, {Name: "valid_ct_operators", Type: "count"}}
	sslLogExtColumns     = []zeeklog.Column{
		{Name: "server_version", Type: "count"}, {Name: "client_version", Type: "count"}, {Name: "client_ciphers", Type: "vector[count]"},
		{Name: "ssl_client_exts", Type: "vector[count]"}, {Name: "ssl_server_exts", Type: "vector[count]"},
		{Name: "ticket_lifetime_hint", Type: "count"}, {Name: "dh_param_size", Type: "count"}, {Name: "point_formats", Type: "vector[count]"},
		{Name: "client_curves", Type: "vector[count]"}, {Name: "orig_alpn", Type: "vector[string]"},
		{Name: "client_supported_versions", Type: "vector[count]"}, {Name: "server_supported_version", Type: "count"},
		{Name: "psk_key_exchange_modes", Type: "vector[count]"}, {Name: "client_key_share_groups", Type: "vector[count]"},
		{Name: "server_key_share_group", Type: "count"}, {Name: "client_comp_methods", Type: "vector[count]"},
		{Name: "sigalgs", Type: "vector[count]"}, {Name: "hashalgs", Type: "vector[count]"}, {Name: "ech_kdf_id", Type: "count"},
		{Name: "ech_aead_id", Type: "count"},
	}
)

// TLS constants the scripts compare with.
const (
	tls10             = 0x0301 // weak-keys' tls_minimum_version
	minimalKeyLength  = 2048   // weak-keys' notify_minimal_key_length
	expiringIn        = 30 * oneDay
	contentHeartbeat  = 24
	contentAppData    = 23
	maxChain          = 64   // certificates kept per chain (zeeklog.MaxChainCerts)
	maxSCTs           = 64   // SCTs kept per connection
	maxExts           = 1024 // extension codes kept per connection and side (ssl_client_exts...)
	maxCertCacheBytes = 8 << 20
)

// certInfo is what the scripts use of one certificate, computed once per distinct
// certificate while it stays in the Site's cache.
type certInfo struct {
	der    []byte
	cert   *certs.Certificate // nil if it did not parse (Zeek has no x509 record then)
	sha1   [20]byte
	sha1x  string // hex of sha1
	sha256 string // hex: x509.log's fingerprint
	// the SCTs of its SCT list extension (validate-sct), parsed at its first use: a pure
	// function of the DER, and parsing the leaf for them at every connection was a third of
	// what --load local cost on perfmix (docs/PERFORMANCE.md)
	scts    []validate.SCT
	hasSCTs bool
}

// certSCTs returns validate.SCTsFromCertificate of the certificate, once per cache entry.
func (ci *certInfo) certSCTs() []validate.SCT {
	if !ci.hasSCTs {
		ci.scts, ci.hasSCTs = validate.SCTsFromCertificate(ci.der), true
	}
	return ci.scts
}

// optCount is a count field that may be unset.
type optCount struct {
	v   uint64
	set bool
}

func (o optCount) value() zeeklog.Value {
	if !o.set {
		return zeeklog.Unset()
	}
	return zeeklog.Count(o.v)
}

func counts(set bool, v []uint64) zeeklog.Value {
	if !set {
		return zeeklog.Unset()
	}
	return zeeklog.Counts(v)
}

// logExt holds the ssl-log-ext fields of one connection.
type logExt struct {
	serverVersion, clientVersion, ticketHint, dhSize optCount
	serverSupported, serverKeyShare, echKDF, echAEAD optCount
	clientCiphers, clientExts, serverExts, pointFormats, clientCurves, clientVersions,
	pskModes, keyShares, compMethods, sigalgs, hashalgs []uint64
	hasCiphers, hasClientExts, hasServerExts, hasPointFormats, hasCurves, hasVersions,
	hasPSK, hasKeyShares, hasComp, hasSigalgs bool
	alpn    []string
	hasALPN bool
}

// connState is what the scripts keep of one connection with an SSL record (Zeek's c$ssl).
type connState struct {
	lastTs int64
	chain  []*certInfo // the server's certificates (c$ssl$cert_chain)

	version, cipher string
	hasVersion      bool
	finished        bool // ssl_finishing ran for the row (at ssl_established, or when it was written)

	res                      valResult // the validate scripts' columns
	reqID                    uint64    // a shard's: the id of its requests to the run's Site (deferred)
	ocspResponse             []byte
	scts                     []validate.SCT
	ext                      logExt
	origHB, respHB           uint64 // heartbleed's originator_/responder_heartbeats
	lastOrigHB, lastRespHB   uint64
	hasLastOrig, hasLastResp bool
	heartbleed               bool // heartbleed_detected
	appdataPackets           uint64
}

// sslExt is the SSL extension of a Site: it follows each connection's events and gives
// ssl.log the columns of the loaded scripts, raising their notices and writing
// known_certs.log rows on the way.
type sslExt struct {
	site  *Site
	cols  []zeeklog.Column
	conns map[*tlsmon.Conn]*connState
	last  *connState
	lastC *tlsmon.Conn

	validateCerts, validateOCSP, validateSCT, known, expiring, weak, heartbleed, logExt bool
	// deferred: a shard's extension whose validations the run's Site makes (validatesplit.go)
	deferred bool

	certs     map[string]*certInfo // by DER
	certBytes int
	chainBuf  [][]byte
	sctBuf    []validate.SCT
	weirds    tlsmon.Handler // weird.log, for the caps hit
	weird     tlsmon.Weird
}

// SetWeirdEvents receives the log set's weird.log (zeeklog.WeirdRaiser).
func (x *sslExt) SetWeirdEvents(h tlsmon.Handler) { x.weirds = h }

// capHit counts a per-connection cap hit and reports it in weird.log (source "tlsmon").
func (x *sslExt) capHit(ts int64, c *tlsmon.Conn, name string) {
	x.site.Truncated++
	if x.weirds == nil {
		return
	}
	x.weird = tlsmon.Weird{Meta: tlsmon.Meta{Ts: ts, Conn: c}, WeirdName: name, Source: "tlsmon"}
	x.weirds.HandleEvent(&x.weird)
}

func newSSLExt(s *Site) *sslExt {
	x := &sslExt{site: s, conns: map[*tlsmon.Conn]*connState{}, certs: map[string]*certInfo{}}
	x.validateCerts = s.cfg.has(ValidateCerts)
	x.validateOCSP = s.cfg.has(ValidateOCSP)
	x.validateSCT = s.cfg.has(ValidateSCT)
	x.known = s.cfg.has(KnownCerts)
	x.expiring = s.cfg.has(ExpiringCerts)
	x.weak = s.cfg.has(WeakKeys)
	x.heartbleed = s.cfg.has(Heartbleed)
	x.logExt = s.cfg.has(SSLLogExt)
	x.deferred = s.forward != nil && NeedsValidator(s.cfg.Scripts)
	if x.validateCerts {
		x.cols = append(x.cols, validateCertsColumns...)
	}
	if x.validateOCSP {
		x.cols = append(x.cols, validateOCSPColumns...)
	}
	if x.validateSCT {
		x.cols = append(x.cols, validateSCTColumns...)
	}
	if x.logExt {
		x.cols = append(x.cols, sslLogExtColumns...)
	}
	return x
}

// Columns are the loaded scripts' ssl.log columns, in Zeek's order.
func (x *sslExt) Columns() []zeeklog.Column { return x.cols }

// session returns c's state, creating it (Zeek's set_session).
func (x *sslExt) session(c *tlsmon.Conn) *connState {
	if x.lastC == c && x.last != nil {
		return x.last
	}
	s := x.conns[c]
	if s == nil {
		s = &connState{}
		x.conns[c] = s
	}
	x.last, x.lastC = s, c
	return s
}

func (x *sslExt) find(c *tlsmon.Conn) *connState {
	if x.lastC == c && x.last != nil {
		return x.last
	}
	return x.conns[c]
}

// Forget drops c's state once ssl.log is done with it.
func (x *sslExt) Forget(c *tlsmon.Conn) {
	delete(x.conns, c)
	if x.lastC == c {
		x.last, x.lastC = nil, nil
	}
}

// cert returns the entry of a certificate, parsing it the first time.
func (x *sslExt) cert(der []byte) *certInfo {
	if ci := x.certs[string(der)]; ci != nil {
		return ci
	}
	ci := &certInfo{der: bytes.Clone(der), sha1: sha1.Sum(der)}
	ci.sha1x = hex.EncodeToString(ci.sha1[:])
	sum := sha256.Sum256(der)
	ci.sha256 = hex.EncodeToString(sum[:])
	if c, err := certs.Parse(der); err == nil {
		ci.cert = c
	}
	if x.certBytes+len(der) > cmp.Or(x.site.certCacheBytes, maxCertCacheBytes) {
		clear(x.certs) // everything cached is a function of the DER: dropping it costs a re-parse
		x.certBytes = 0
	}
	x.certs[string(ci.der)] = ci
	x.certBytes += len(der) + 256
	return ci
}

// HandleEvent follows the connection's events, as the scripts' event handlers do.
func (x *sslExt) HandleEvent(e tlsmon.Event) {
	m := e.EventMeta()
	c := m.Conn
	if c == nil {
		return
	}
	switch ev := e.(type) {
	case *tlsmon.Certificate:
		s := x.find(c)
		if s == nil || ev.IsClient {
			return
		}
		s.lastTs = m.Ts
		if len(s.chain) >= maxChain {
			x.capHit(m.Ts, c, "policy_cert_chain_cap")
			return
		}
		s.chain = append(s.chain, x.cert(ev.DER))
		return
	case *tlsmon.AnalyzerConfirmation:
		if ev.Analyzer == "SSL" || ev.Analyzer == "DTLS" {
			x.session(c).lastTs = m.Ts
		}
		return
	case *tlsmon.AnalyzerViolation:
		if ev.Analyzer == "SSL" || ev.Analyzer == "DTLS" {
			if s := x.find(c); s != nil {
				s.lastTs = m.Ts
			}
		}
		return
	case *tlsmon.ConnectionStateRemove:
		if s := x.find(c); s != nil {
			s.lastTs = m.Ts
		}
		return
	}
	if _, ok := e.(tlsmon.SSLEvent); !ok {
		return
	}
	s := x.session(c)
	s.lastTs = m.Ts
	switch ev := e.(type) {
	case *tlsmon.SSLClientHello:
		s.ext.clientCiphers, s.ext.hasCiphers = append(s.ext.clientCiphers[:0], ev.Ciphers...), true
		s.ext.clientVersion = optCount{ev.Version, true}
		s.ext.compMethods, s.ext.hasComp = append(s.ext.compMethods[:0], ev.CompMethods...), true
	case *tlsmon.SSLServerHello:
		if !s.hasVersion {
			s.version, s.hasVersion = zeeklog.VersionName(ev.Version), true
		}
		s.cipher = zeeklog.CipherName(ev.Cipher)
		s.ext.serverVersion = optCount{ev.Version, true}
		if x.weak {
			x.weakServerHello(m.Ts, c, s, ev.Version)
		}
	case *tlsmon.SSLExtensionSupportedVersions:
		if ev.IsClient {
			s.ext.clientVersions, s.ext.hasVersions = append(s.ext.clientVersions[:0], ev.Versions...), true
		} else if len(ev.Versions) > 0 {
			s.ext.serverSupported = optCount{ev.Versions[0], true}
			if len(ev.Versions) == 1 {
				s.version, s.hasVersion = zeeklog.VersionName(ev.Versions[0]), true
			}
		}
	case *tlsmon.SSLSessionTicketHandshake:
		s.ext.ticketHint = optCount{ev.TicketLifetimeHint, true}
	case *tlsmon.SSLExtension:
		// the lists grow with every hello of the connection: capped, the cap hits counted
		if ev.IsClient {
			s.ext.hasClientExts = true
			if len(s.ext.clientExts) < maxExts {
				s.ext.clientExts = append(s.ext.clientExts, ev.Code)
			} else {
				x.capHit(m.Ts, c, "policy_extension_list_cap")
			}
		} else {
			s.ext.hasServerExts = true
			if len(s.ext.serverExts) < maxExts {
				s.ext.serverExts = append(s.ext.serverExts, ev.Code)
			} else {
				x.capHit(m.Ts, c, "policy_extension_list_cap")
			}
		}
	case *tlsmon.SSLExtensionECPointFormats:
		if ev.IsClient {
			s.ext.pointFormats, s.ext.hasPointFormats = append(s.ext.pointFormats[:0], ev.PointFormats...), true
		}
	case *tlsmon.SSLExtensionEllipticCurves:
		if ev.IsClient {
			s.ext.clientCurves, s.ext.hasCurves = append(s.ext.clientCurves[:0], ev.Curves...), true
		}
	case *tlsmon.SSLExtensionApplicationLayerProtocolNegotiation:
		if ev.IsClient {
			s.ext.alpn = s.ext.alpn[:0]
			for _, p := range ev.Protocols {
				s.ext.alpn = append(s.ext.alpn, string(p))
			}
			s.ext.hasALPN = true
		}
	case *tlsmon.SSLDHServerParams:
		s.ext.dhSize = optCount{uint64(len(ev.Ys)) * 8, true}
		if x.weak {
			x.weakDH(m.Ts, c, s, uint64(len(ev.P))*8)
		}
	case *tlsmon.SSLExtensionPSKKeyExchangeModes:
		if ev.IsClient {
			s.ext.pskModes, s.ext.hasPSK = append(s.ext.pskModes[:0], ev.Modes...), true
		}
	case *tlsmon.SSLExtensionKeyShare:
		if ev.IsClient {
			s.ext.keyShares, s.ext.hasKeyShares = append(s.ext.keyShares[:0], ev.Curves...), true
		} else if len(ev.Curves) > 0 {
			s.ext.serverKeyShare = optCount{ev.Curves[0], true}
		}
	case *tlsmon.SSLExtensionSignatureAlgorithm:
		if ev.IsClient {
			s.ext.sigalgs, s.ext.hashalgs = s.ext.sigalgs[:0], s.ext.hashalgs[:0]
			for _, a := range ev.SignatureAlgorithms {
				s.ext.sigalgs = append(s.ext.sigalgs, a.SignatureAlgorithm)
				s.ext.hashalgs = append(s.ext.hashalgs, a.HashAlgorithm)
			}
			s.ext.hasSigalgs = true
		}
	case *tlsmon.SSLExtensionEncryptedClientHello:
		if ev.IsClient {
			s.ext.echKDF, s.ext.echAEAD = optCount{ev.KDFID, true}, optCount{ev.AEADID, true}
		}
	case *tlsmon.SSLStapledOCSP:
		s.ocspResponse = append(s.ocspResponse[:0], ev.Response...)
	case *tlsmon.SSLExtensionSignedCertificateTimestamp:
		if len(s.scts) >= maxSCTs {
			x.capHit(m.Ts, c, "policy_sct_cap")
		} else {
			s.scts = append(s.scts, validate.SCT{Version: ev.Version, LogID: bytes.Clone(ev.LogID),
				Timestamp: ev.Timestamp, HashAlg: ev.SignatureAndHashalgorithm.HashAlgorithm,
				SigAlg: ev.SignatureAndHashalgorithm.SignatureAlgorithm, Signature: bytes.Clone(ev.Signature),
				Source: validate.SCTFromTLS})
		}
	case *tlsmon.SSLHeartbeat:
		if x.heartbleed {
			x.heartbeat(m.Ts, c, s, ev)
		}
	case *tlsmon.SSLEncryptedData:
		if x.heartbleed {
			if ev.ContentType == contentHeartbeat {
				x.encryptedHeartbeat(m.Ts, c, s, ev.IsClient, ev.Length)
			} else if ev.ContentType == contentAppData && ev.Length > 0 {
				s.appdataPackets++
			}
		}
	case *tlsmon.SSLEstablished:
		// ssl_established: ssl_finishing at priority 20, the scripts' handlers at 3, then
		// the row is written (at -5).
		x.finishing(m.Ts, c, s)
		x.established(m.Ts, c, s)
		s.finished = true
	}
}

// AppendValues appends the columns of c's row. A row written at a violation, at the
// connection's end or at the end of input runs ssl_finishing first, as Zeek does then.
func (x *sslExt) AppendValues(dst []zeeklog.Value, c *tlsmon.Conn) []zeeklog.Value {
	s := x.find(c)
	if s == nil {
		for range x.cols {
			dst = append(dst, zeeklog.Unset())
		}
		return dst
	}
	if !s.finished {
		x.finishing(s.lastTs, c, s)
		s.finished = true
	}
	if x.deferred {
		dst = x.appendDeferred(dst, s)
	} else {
		dst = x.site.appendValidation(dst, &s.res)
	}
	if x.logExt {
		e := &s.ext
		dst = append(dst, e.serverVersion.value(), e.clientVersion.value(), counts(e.hasCiphers, e.clientCiphers),
			counts(e.hasClientExts, e.clientExts), counts(e.hasServerExts, e.serverExts), e.ticketHint.value(),
			e.dhSize.value(), counts(e.hasPointFormats, e.pointFormats), counts(e.hasCurves, e.clientCurves))
		if e.hasALPN {
			dst = append(dst, zeeklog.Strings(e.alpn))
		} else {
			dst = append(dst, zeeklog.Unset())
		}
		dst = append(dst, counts(e.hasVersions, e.clientVersions), e.serverSupported.value(),
			counts(e.hasPSK, e.pskModes), counts(e.hasKeyShares, e.keyShares), e.serverKeyShare.value(),
			counts(e.hasComp, e.compMethods), counts(e.hasSigalgs, e.sigalgs), counts(e.hasSigalgs, e.hashalgs),
			e.echKDF.value(), e.echAEAD.value())
	}
	return dst
}

func optStringSet(set bool, s string) zeeklog.Value {
	if !set {
		return zeeklog.Unset()
	}
	return zeeklog.String(s)
}

// leaf returns the server's end-entity certificate if it parsed (c$ssl$cert_chain[0]$x509).
func (s *connState) leaf() *certInfo {
	if len(s.chain) == 0 || s.chain[0].cert == nil {
		return nil
	}
	return s.chain[0]
}

// chainDER returns the DER of the server's chain, nil for the certificates that did not
// parse (the vector of x509 handles Zeek's scripts build).
func (x *sslExt) chainDER(s *connState) [][]byte {
	x.chainBuf = x.chainBuf[:0]
	for _, ci := range s.chain {
		if ci.cert != nil {
			x.chainBuf = append(x.chainBuf, ci.der)
		} else {
			x.chainBuf = append(x.chainBuf, nil)
		}
	}
	return x.chainBuf
}

// finishing is the ssl_finishing hook: validate-certs (priority 20), then validate-sct (19),
// made by the Site (Site.finish), or by the run's Site for a shard's (deferred).
func (x *sslExt) finishing(ts int64, c *tlsmon.Conn, s *connState) {
	leaf := s.leaf()
	if leaf == nil || x.site.cfg.Validator == nil || !(x.validateCerts || x.validateSCT) {
		return
	}
	v := Validation{Ts: ts, Conn: c, Chain: x.chainDER(s), Subject: leaf.cert.Subject, SHA1: leaf.sha1x}
	if x.validateSCT {
		scts := x.sctBuf[:0]
		scts = append(scts, s.scts...)
		scts = append(scts, leaf.certSCTs()...)
		if s.ocspResponse != nil {
			scts = append(scts, validate.SCTsFromOCSP(s.ocspResponse)...)
		}
		v.SCTs = scts
		defer func() { clear(scts); x.sctBuf = scts[:0] }()
	}
	if x.deferred {
		x.forward(s, &v)
		return
	}
	x.site.finish(&v, &s.res)
}

// established runs the scripts' ssl_established handlers (priority 3, in load order).
func (x *sslExt) established(ts int64, c *tlsmon.Conn, s *connState) {
	leaf := s.leaf()
	if leaf == nil {
		return
	}
	resp := c.ID.RespH
	if x.validateOCSP && s.ocspResponse != nil && x.site.cfg.Validator != nil {
		v := Validation{OCSP: true, Ts: ts, Conn: c, Chain: x.chainDER(s), OCSPResponse: s.ocspResponse,
			Subject: leaf.cert.Subject, SHA1: leaf.sha1x}
		if x.deferred {
			x.forward(s, &v)
		} else {
			x.site.verifyOCSP(&v, &s.res)
		}
	}
	if x.known && x.site.cfg.CertTracking.matches(resp) {
		x.site.seenCert(ts, c, leaf)
	}
	if x.expiring && x.site.cfg.NotifyCertsExpiration.matches(resp) {
		x.expiringCerts(ts, c, leaf)
	}
	if x.weak && x.site.cfg.NotifyWeakKeys.matches(resp) {
		cert := leaf.cert
		if (cert.KeyType == "rsa" || cert.KeyType == "dsa") && cert.KeyLength != 0 && cert.KeyLength < minimalKeyLength {
			x.site.raise(&Notice{Ts: ts, Conn: c, Note: "SSL::Weak_Key",
				Msg:         fmt.Sprintf("Host uses weak certificate with %d bit key", cert.KeyLength),
				Sub:         "Subject: " + cert.Subject,
				FileDesc:    "Fingerprint: " + leaf.sha256,
				SuppressFor: oneDay,
				Identifier:  fmt.Sprintf("%s%s%s%d", resp.Unmap(), zeekPort(c), leaf.sha256, cert.KeyLength)})
		}
	}
}

// expiringCerts is expiring-certs' check of the end-entity certificate's validity.
func (x *sslExt) expiringCerts(ts int64, c *tlsmon.Conn, leaf *certInfo) {
	cert := leaf.cert
	n := &Notice{Ts: ts, Conn: c, SuppressFor: oneDay,
		Identifier: fmt.Sprintf("%s%s%s", c.ID.RespH.Unmap(), zeekPort(c), leaf.sha1x)}
	now := float64(ts) / 1e6
	switch {
	case float64(cert.NotBefore) > now:
		n.Note = "SSL::Certificate_Not_Valid_Yet"
		n.Msg = fmt.Sprintf("Certificate %s isn't valid until %s", cert.Subject, zeekTime(cert.NotBefore))
	case float64(cert.NotAfter) < now:
		n.Note = "SSL::Certificate_Expired"
		n.Msg = fmt.Sprintf("Certificate %s expired at %s", cert.Subject, zeekTime(cert.NotAfter))
	case float64(cert.NotAfter)-float64(expiringIn)/1e6 < now:
		n.Note = "SSL::Certificate_Expires_Soon"
		n.Msg = fmt.Sprintf("Certificate %s is going to expire at %s", cert.Subject, zeekTime(cert.NotAfter))
	default:
		return
	}
	x.site.raise(n)
}

// weakServerHello is weak-keys' ssl_server_hello check of the version and cipher.
func (x *sslExt) weakServerHello(ts int64, c *tlsmon.Conn, s *connState, version uint64) {
	if !x.site.cfg.NotifyWeakKeys.matches(c.ID.RespH) {
		return
	}
	resp := c.ID.RespH.Unmap()
	if version < tls10 {
		x.site.raise(&Notice{Ts: ts, Conn: c, Note: "SSL::Old_Version", SuppressFor: oneDay,
			Msg: fmt.Sprintf("Host uses protocol version %s which is lower than the safe minimum %s",
				zeeklog.VersionName(version), zeeklog.VersionName(tls10)),
			Identifier: fmt.Sprintf("%s%s", resp, zeekPort(c))})
	}
	if strings.Contains(s.cipher, "_EXPORT_") || strings.Contains(s.cipher, "_RC4_") {
		x.site.raise(&Notice{Ts: ts, Conn: c, Note: "SSL::Weak_Cipher", SuppressFor: oneDay,
			Msg:        "Host established connection using unsafe cipher suite " + s.cipher,
			Identifier: fmt.Sprintf("%s%s%s", resp, zeekPort(c), s.cipher)})
	}
}

// weakDH is weak-keys' ssl_dh_server_params check of the DH prime's length.
func (x *sslExt) weakDH(ts int64, c *tlsmon.Conn, s *connState, bits uint64) {
	if !x.site.cfg.NotifyWeakKeys.matches(c.ID.RespH) {
		return
	}
	resp := c.ID.RespH.Unmap()
	if bits < minimalKeyLength {
		x.site.raise(&Notice{Ts: ts, Conn: c, Note: "SSL::Weak_Key", SuppressFor: oneDay,
			Msg:        fmt.Sprintf("Host uses weak DH parameters with %d key bits", bits),
			Identifier: fmt.Sprintf("%s%s%d", resp, zeekPort(c), bits)})
	}
	if leaf := s.leaf(); leaf != nil {
		cert := leaf.cert
		if (cert.KeyType == "rsa" || cert.KeyType == "dsa") && cert.KeyLength != 0 && cert.KeyLength > bits {
			x.site.raise(&Notice{Ts: ts, Conn: c, Note: "SSL::Weak_Key", SuppressFor: oneDay,
				Msg: fmt.Sprintf("DH key length of %d bits is smaller certificate key length of %d bits",
					bits, cert.KeyLength),
				Identifier: fmt.Sprintf("%s%s", resp, zeekPort(c))})
		}
	}
}

// zeekPort renders c's responder port as Zeek's cat() does ("443/tcp").
func zeekPort(c *tlsmon.Conn) string {
	return fmt.Sprintf("%d/%s", c.ID.RespP, c.ID.Proto)
}
