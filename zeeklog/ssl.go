package zeeklog

import (
	"bytes"
	"encoding/binary"
	"sort"
	"strconv"

	tlsmon "github.com/tlsmon/tlsmon"
)

// SSLColumns are ssl.log's default columns.
var SSLColumns = []Column{
	{"ts", "time"}, {"uid", "string"}, {"id.orig_h", "addr"}, {"id.orig_p", "port"},
	{"id.resp_h", "addr"}, {"id.resp_p", "port"}, {"version", "string"}, {"cipher", "string"},
	{"curve", "string"}, {"server_name", "string"}, {"resumed", "bool"}, {"last_alert", "string"},
	{"next_protocol", "string"}, {"established", "bool"}, {"ssl_history", "string"},
	{"cert_chain_fps", "vector[string]"}, {"client_cert_chain_fps", "vector[string]"},
	{"sni_matches_cert", "bool"},
}

// Caps on per-connection state that grows with input.
const (
	MaxSSLHistory      = 100 // Zeek's SSL::max_ssl_history_length
	MaxChainCerts      = 64  // certificates remembered per chain and side
	tls13              = 0x0304
	sessionTicketExt   = 35
	preSharedKeyExt    = 41
	clientKeyExchange  = 16
	applicationDataCT  = 23
	maxHostnameChecked = 64
	// States kept for reuse. perfmix has up to 1,500 SSL connections at once and they end
	// in bursts: with 256, 7,792 states were allocated per run (fresh memory: ≈ 2 % of the
	// CLI's profile samples, with the page faults); with 4,096, only the peak's 1,500.
	maxFreeSSLStates = 4096
	// Slices a state kept for reuse may keep (their elements are 1 and 40 bytes).
	maxFreeHistory, maxFreeChain = 2 * MaxSSLHistory, 16
)

// WeirdChainCut (source "tlsmon", addl the cap) is raised once per chain and side when a
// certificate past MaxChainCerts is left out of cert_chain_fps / client_cert_chain_fps.
const WeirdChainCut = "SSL_cert_chain_fps_cap"

var hrrRandom = []byte{0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C}

type chainCert struct {
	fp    string   // empty when the certificate did not parse (Zeek has no x509 info then)
	names []string // names compared for sni_matches_cert
}

type sslState struct {
	seq                                    uint64
	conn                                   *tlsmon.Conn
	ts                                     int64
	versionNum                             uint64
	hasVersion                             bool
	version                                string
	cipher                                 string
	hasCipher                              bool
	curve                                  string
	hasCurve                               bool
	serverName                             string
	hasSNI                                 bool
	sessionID                              [32]byte // the client's session ID, when it fits
	sessionLen                             int      // its length; -1 when it is longer (sessionLong)
	sessionLong                            string
	hasSession                             bool
	resumed                                bool
	ticketEmpty, ckxSeen, pskSeen, hrrSeen bool
	lastAlert                              string
	hasAlert                               bool
	nextProto                              string
	hasNext                                bool
	established                            bool
	logged                                 bool
	history                                []byte
	chainSeen                              bool
	server                                 []chainCert
	client                                 []chainCert
	chainCut                               [2]bool // server, client chain cut at MaxChainCerts
}

// SSLLog builds ssl.log from the public event stream, as Zeek's base SSL scripts do: the
// record is created by the first SSL event of a connection (its ts), filled by the
// handshake events, and written at the first ssl_established, or else when the analyzer
// reports a violation or the connection ends.
type SSLLog struct {
	w      Writer
	conns  map[*tlsmon.Conn]*sslState
	free   []*sslState // states of removed connections, for reuse
	last   *sslState   // the state session returned last, while its connection lives
	certs  *certCache
	seq    uint64
	row    rowBuf
	err    error
	Weirds uint64 // ssl_history length cap hits and dropped chain certificates
	// WeirdEvents, when set, receives the weirds Zeek's SSL scripts raise:
	// SSL_max_ssl_history_length_reached, SSL_many_server_names and
	// ssl_early_application_data; and tlsmon's WeirdChainCut.
	WeirdEvents tlsmon.Handler
	weird       tlsmon.Weird
	ext         extended
	onSession   func(*SSLSession) // NewSSLSessions; w is nil then
	names       sslNames          // the names looked up last (namememo.go)
}

// NewSSLLog returns an ssl.log builder writing to w.
func NewSSLLog(w Writer) *SSLLog { return NewSSLLogExt(w, nil) }

// NewSSLLogExt returns an ssl.log builder writing to w whose rows carry the columns of exts
// after the default ones (w must have been made for those columns).
func NewSSLLogExt(w Writer, exts []ColumnExtension) *SSLLog {
	return &SSLLog{w: w, conns: make(map[*tlsmon.Conn]*sslState), certs: newCertCache(),
		row: newRowBuf(w, len(SSLColumns)+len(extColumns(nil, exts))), ext: newExtended(exts)}
}

func (l *SSLLog) session(m *tlsmon.Meta) *sslState {
	if l.last != nil && l.last.conn == m.Conn {
		return l.last // the events of a packet come in a run for one connection
	}
	return l.lookupSession(m)
}

// lookupSession is session's path for a connection other than the last one: out of line,
// so that session, called for every SSL event, inlines.
//
//go:noinline
func (l *SSLLog) lookupSession(m *tlsmon.Meta) *sslState {
	s := l.conns[m.Conn]
	if s == nil {
		l.seq++
		if n := len(l.free); n > 0 {
			s = l.free[n-1] // already reset by release
			l.free = l.free[:n-1]
		} else {
			s = &sslState{}
		}
		s.seq, s.conn, s.ts = l.seq, m.Conn, m.Ts
		l.conns[m.Conn] = s
	}
	l.last = s
	return s
}

// find returns the state of c, nil if it has none.
func (l *SSLLog) find(c *tlsmon.Conn) *sslState {
	if l.last != nil && l.last.conn == c {
		return l.last
	}
	return l.conns[c]
}

// release keeps the state of a removed connection for reuse (its row is written).
func (l *SSLLog) release(s *sslState) {
	if l.last == s {
		l.last = nil
	}
	if len(l.free) >= maxFreeSSLStates {
		return
	}
	// reset now, while the state is in cache, dropping what it refers to
	clear(s.server)
	clear(s.client)
	*s = sslState{history: reusable(s.history, maxFreeHistory), server: reusable(s.server, maxFreeChain),
		client: reusable(s.client, maxFreeChain)}
	l.free = append(l.free, s)
}

// reusable returns p emptied, or nil if it is too large to keep in a free state.
func reusable[T any](p []T, limit int) []T {
	if cap(p) > limit {
		return nil
	}
	return p[:0]
}

func (l *SSLLog) raiseWeird(ts int64, c *tlsmon.Conn, name, addl, source string) {
	if l.WeirdEvents == nil {
		return
	}
	l.weird = tlsmon.Weird{Meta: tlsmon.Meta{Ts: ts, Conn: c}, WeirdName: name, Addl: addl, Source: source}
	l.WeirdEvents.HandleEvent(&l.weird)
}

func (l *SSLLog) addHistory(s *sslState, ts int64, isClient bool, c byte) {
	if len(s.history) >= MaxSSLHistory {
		return
	}
	if isClient {
		c -= 'a' - 'A'
	}
	s.history = append(s.history, c)
	if len(s.history) == MaxSSLHistory {
		l.Weirds++
		l.raiseWeird(ts, s.conn, "SSL_max_ssl_history_length_reached", strconv.Itoa(MaxSSLHistory), "SSL")
	}
}

// HandleEvent consumes the SSL events, certificates, analyzer confirmations and
// violations and connection removals; other events are ignored.
// (Set hands it only the events consumes in logs.go lists: keep the two in step.)
// sslLogReads are the events HandleEvent reads, those of its type switch (without column
// extensions): keep the two in step (TestUnreadEventsLeftOut runs the corpus without the
// others).
var sslLogReads = eventNames(
	(*tlsmon.SSLClientHello)(nil), (*tlsmon.SSLServerHello)(nil), (*tlsmon.SSLExtensionSupportedVersions)(nil),
	(*tlsmon.SSLECDHServerParams)(nil), (*tlsmon.SSLExtensionKeyShare)(nil), (*tlsmon.SSLExtensionServerName)(nil),
	(*tlsmon.SSLExtensionApplicationLayerProtocolNegotiation)(nil), (*tlsmon.SSLConnectionFlipped)(nil),
	(*tlsmon.SSLHandshakeMessage)(nil), (*tlsmon.SSLExtension)(nil), (*tlsmon.SSLChangeCipherSpec)(nil),
	(*tlsmon.SSLAlert)(nil), (*tlsmon.SSLHeartbeat)(nil), (*tlsmon.SSLEstablished)(nil),
	(*tlsmon.AnalyzerConfirmation)(nil), (*tlsmon.SSLPlaintextData)(nil), (*tlsmon.AnalyzerViolation)(nil),
	(*tlsmon.Certificate)(nil), (*tlsmon.ConnectionStateRemove)(nil),
)

// sslLogReadsArgs narrows sslLogReads (ssl.Config.EventArgs): of these events HandleEvent
// reads only those with the listed values of their key argument (ssl_extension's code,
// ssl_plaintext_data's content type); one with another value only opens the connection's
// session (l.session), which the analyzers keep by raising a connection's first event of
// each name whatever its value. Keep in step with the type switch
// (TestUnreadEventsLeftOut runs the corpus with and without).
var sslLogReadsArgs = map[string][]uint64{
	(*tlsmon.SSLExtension)(nil).Name():     {sessionTicketExt, preSharedKeyExt},
	(*tlsmon.SSLPlaintextData)(nil).Name(): {applicationDataCT},
}

func eventNames(evs ...tlsmon.Event) map[string]bool {
	m := make(map[string]bool, len(evs))
	for _, e := range evs {
		m[e.Name()] = true
	}
	return m
}

func (l *SSLLog) HandleEvent(e tlsmon.Event) {
	if l.ext.h != nil {
		l.ext.h.HandleEvent(e)
	}
	if l.sslEvent(e) {
		return
	}
	l.otherEvent(e)
}

// sslRest is an SSLLog as Set hands it the events sslEvent does not take, after offering
// them to sslEvent itself (Set.sslDirect): only the other events, without a second offer.
type sslRest SSLLog

func (r *sslRest) HandleEvent(e tlsmon.Event) { (*SSLLog)(r).otherEvent(e) }

// otherEvent handles the events HandleEvent reads that sslEvent does not take.
func (l *SSLLog) otherEvent(e tlsmon.Event) {
	m := e.EventMeta()
	if m.Conn == nil {
		return
	}
	switch ev := e.(type) {
	case *tlsmon.AnalyzerConfirmation:
		if ev.Analyzer == "SSL" || ev.Analyzer == "DTLS" {
			l.session(m)
		}
	case *tlsmon.AnalyzerViolation:
		if ev.Analyzer == "SSL" || ev.Analyzer == "DTLS" {
			if s := l.find(m.Conn); s != nil {
				l.finish(s)
			}
		}
	case *tlsmon.Certificate:
		l.certificate(ev)
	case *tlsmon.ConnectionStateRemove:
		if s := l.find(m.Conn); s != nil {
			l.finish(s)
			delete(l.conns, m.Conn)
			l.release(s)
		}
		l.ext.forget(m.Conn)
	}
}

// sslEvent handles the SSL events HandleEvent reads (column extensions aside) and reports
// whether e was one. Set calls it first for each event when ssl.log's builder is the only
// one reading SSL events, the bulk of the stream: one type switch for them, not two.
func (l *SSLLog) sslEvent(e tlsmon.Event) bool {
	m := e.EventMeta()
	if m.Conn == nil {
		return false // HandleEvent ignores it as well
	}
	switch ev := e.(type) {
	case *tlsmon.SSLClientHello:
		s := l.session(m)
		if len(ev.SessionID) > 0 && !(len(ev.SessionID) == 32 && allZero32(ev.SessionID)) {
			s.setSession(ev.SessionID)
			s.ticketEmpty = false
		}
		if ev.RecordVersion == 0 {
			l.addHistory(s, m.Ts, true, 'c')
		}
	case *tlsmon.SSLServerHello:
		s := l.session(m)
		if !s.hasVersion {
			s.versionNum, s.hasVersion, s.version = ev.Version, true, l.names.version.name(ev.Version, VersionName)
		}
		s.cipher, s.hasCipher = l.names.cipher.name(ev.Cipher, CipherName), true
		if bytes.Equal(ev.ServerRandom, hrrRandom) {
			s.hrrSeen = true
		}
		if s.hasSession && s.sameSession(ev.SessionID) &&
			s.versionNum/0xFF != 0x7F && s.versionNum != tls13 {
			s.resumed = true
		}
		if ev.Version == 2 {
			l.addHistory(s, m.Ts, false, 's')
		}
	case *tlsmon.SSLExtensionSupportedVersions:
		if ev.IsClient || len(ev.Versions) != 1 {
			return true
		}
		s := l.session(m)
		s.versionNum, s.hasVersion, s.version = ev.Versions[0], true, l.names.version.name(ev.Versions[0], VersionName)
	case *tlsmon.SSLECDHServerParams:
		s := l.session(m)
		s.curve, s.hasCurve = l.names.curve.name(ev.Curve, CurveName), true
	case *tlsmon.SSLExtensionKeyShare:
		if ev.IsClient || len(ev.Curves) != 1 {
			return true
		}
		s := l.session(m)
		s.curve, s.hasCurve = l.names.curve.name(ev.Curves[0], CurveName), true
	case *tlsmon.SSLExtensionServerName:
		s := l.session(m)
		if ev.IsClient && len(ev.Names) > 0 {
			s.serverName, s.hasSNI = string(ev.Names[0]), true
			if len(ev.Names) > 1 {
				l.raiseWeird(m.Ts, m.Conn, "SSL_many_server_names", catStrings(ev.Names), "")
			}
		}
	case *tlsmon.SSLExtensionApplicationLayerProtocolNegotiation:
		s := l.session(m)
		if !ev.IsClient && len(ev.Protocols) > 0 {
			s.nextProto, s.hasNext = string(ev.Protocols[0]), true
		}
	case *tlsmon.SSLConnectionFlipped:
		s := l.session(m)
		s.history = append(s.history, '^') // Zeek appends without the length check
	case *tlsmon.SSLHandshakeMessage:
		s := l.session(m)
		if ev.IsClient && ev.MsgType == clientKeyExchange {
			s.ckxSeen = true
		}
		c := historyLetter(ev.MsgType)
		if ev.MsgType == 2 && s.hrrSeen {
			c, s.hrrSeen = 'j', false
		}
		l.addHistory(s, m.Ts, ev.IsClient, c)
	case *tlsmon.SSLExtension:
		s := l.session(m)
		switch {
		case ev.IsClient && ev.Code == sessionTicketExt && len(ev.Val) > 0:
			s.ticketEmpty = true
		case ev.IsClient && ev.Code == preSharedKeyExt:
			s.pskSeen = true
		case !ev.IsClient && ev.Code == preSharedKeyExt && s.pskSeen:
			s.resumed = true
		}
	case *tlsmon.SSLChangeCipherSpec:
		s := l.session(m)
		l.addHistory(s, m.Ts, ev.IsClient, 'i')
		if ev.IsClient && s.ticketEmpty && !s.ckxSeen {
			s.resumed = true
		}
	case *tlsmon.SSLAlert:
		s := l.session(m)
		l.addHistory(s, m.Ts, ev.IsClient, 'l')
		s.lastAlert, s.hasAlert = AlertName(ev.Desc), true
	case *tlsmon.SSLHeartbeat:
		s := l.session(m)
		l.addHistory(s, m.Ts, ev.IsClient, 'b')
	case *tlsmon.SSLEstablished:
		s := l.session(m)
		s.established = true
		l.finish(s)
	case *tlsmon.SSLPlaintextData:
		s := l.session(m)
		if s.hasVersion && !s.established && ev.ContentType == applicationDataCT {
			l.raiseWeird(m.Ts, m.Conn, "ssl_early_application_data", "", "")
		}
	default:
		return false
	}
	return true
}

// setSession remembers the client's session ID. It is kept as bytes, not as the hex
// string Zeek compares, which cost two allocations per handshake (the comparison of the
// bytes is the same as that of their hex forms).
func (s *sslState) setSession(id []byte) {
	s.hasSession = true
	if len(id) <= len(s.sessionID) {
		s.sessionLen = copy(s.sessionID[:], id)
		s.sessionLong = ""
		return
	}
	s.sessionLen, s.sessionLong = -1, string(id)
}

// sameSession reports whether id is the client's session ID.
func (s *sslState) sameSession(id []byte) bool {
	if s.sessionLen < 0 {
		return s.sessionLong == string(id)
	}
	return bytes.Equal(s.sessionID[:s.sessionLen], id)
}

func (l *SSLLog) certificate(ev *tlsmon.Certificate) {
	s := l.find(ev.Conn)
	if s == nil {
		return // Zeek attaches a certificate to the ssl record only if one exists
	}
	s.chainSeen = true
	chain := &s.server
	if ev.IsClient {
		chain = &s.client
	}
	if len(*chain) >= MaxChainCerts {
		l.Weirds++
		if side := dirSide(ev.IsClient); !s.chainCut[side] { // one weird per chain cut
			s.chainCut[side] = true
			l.raiseWeird(ev.Ts, ev.Conn, WeirdChainCut, strconv.Itoa(MaxChainCerts), "tlsmon")
		}
		return
	}
	info := l.certs.lookup(ev)
	l.certs.parse(info, ev.DER)
	var cc chainCert
	if info.ok {
		cc.fp, cc.names = info.fp, info.names
	}
	*chain = append(*chain, cc)
}

func dirSide(isClient bool) int {
	if isClient {
		return 1
	}
	return 0
}

func (l *SSLLog) finish(s *sslState) {
	if s.logged {
		return
	}
	s.logged = true
	if l.onSession != nil {
		l.onSession(s.session())
		return
	}
	l.write(s)
}

func (l *SSLLog) write(s *sslState) {
	c := s.conn
	row := &l.row
	row.begin()
	row.time(s.ts)
	row.str(c.UID)
	row.endpoints(&c.ID)
	optName(row, s.hasVersion, s.version)
	optName(row, s.hasCipher, s.cipher)
	optName(row, s.hasCurve, s.curve)
	optStr(row, s.hasSNI, s.serverName)
	row.boolean(s.resumed)
	optName(row, s.hasAlert, s.lastAlert)
	optStr(row, s.hasNext, s.nextProto)
	row.boolean(s.established)
	row.strBytes(s.history)
	if s.chainSeen {
		fingerprints(row, s.server)
		fingerprints(row, s.client)
		if match, set := s.sniMatchesCert(); set {
			row.boolean(match)
		} else {
			row.unset()
		}
	} else {
		row.unset()
		row.unset()
		row.unset()
	}
	l.ext.write(row, c)
	if err := row.end(); err != nil && l.err == nil {
		l.err = err
	}
}

// optStr writes s if it is set, else an unset field.
func optStr(row *rowBuf, set bool, s string) {
	if set {
		row.str(s)
	} else {
		row.unset()
	}
}

// optName is optStr for the names of names.go, which need no escaping.
func optName(row *rowBuf, set bool, s string) {
	if set {
		row.plain(s)
	} else {
		row.unset()
	}
}

// fingerprints writes the fingerprints of the certificates of chain that parsed.
func fingerprints(row *rowBuf, chain []chainCert) {
	row.vecBegin()
	for _, c := range chain {
		if c.logged() {
			row.vecElemPlain(c.fp) // hex
		}
	}
	row.vecEnd()
}

// logged reports whether the certificate's fingerprint is in cert_chain_fps: it parsed.
func (c chainCert) logged() bool { return c.fp != "" }

// sniMatchesCert is sni_matches_cert: set when the client sent a name and the server's
// first certificate parsed.
func (s *sslState) sniMatchesCert() (match, set bool) {
	if len(s.server) == 0 || !s.server[0].logged() || !s.hasSNI {
		return false, false
	}
	return matchAny(s.serverName, s.server[0].names), true
}

func matchAny(host string, names []string) bool {
	for _, n := range names {
		if n != "" && HostnameMatches(host, n) {
			return true
		}
	}
	return false
}

// Close writes the rows of connections that never ended (in the order their records
// were created), then closes the writer. It returns the first write error.
func (l *SSLLog) Close(ts int64) error {
	rest := make([]*sslState, 0, len(l.conns))
	for _, s := range l.conns {
		rest = append(rest, s)
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i].seq < rest[j].seq })
	for _, s := range rest {
		l.finish(s)
	}
	clear(l.conns)
	l.last = nil
	if l.w == nil {
		return l.err
	}
	if err := l.w.Close(ts); err != nil && l.err == nil {
		l.err = err
	}
	return l.err
}

// allZero32 reports whether the 32 bytes of b are all zero, eight at a time.
func allZero32(b []byte) bool {
	_ = b[31]
	le := binary.LittleEndian
	return le.Uint64(b)|le.Uint64(b[8:])|le.Uint64(b[16:])|le.Uint64(b[24:]) == 0
}

// historyLetter maps a handshake message type to its ssl_history letter (lower case).
func historyLetter(t uint64) byte {
	switch t {
	case 0:
		return 'h'
	case 1:
		return 'c'
	case 2:
		return 's'
	case 3:
		return 'v'
	case 4:
		return 't'
	case 5:
		return 'e'
	case 6:
		return 'j'
	case 8:
		return 'o'
	case 11:
		return 'x'
	case 12:
		return 'k'
	case 13:
		return 'r'
	case 14:
		return 'n'
	case 15:
		return 'y'
	case 16:
		return 'g'
	case 20:
		return 'f'
	case 21:
		return 'w'
	case 22:
		return 'u'
	case 23:
		return 'a'
	case 24:
		return 'p'
	case 254:
		return 'm'
	}
	return 'z'
}

// catStrings formats a string vector as Zeek's cat() does: "[a, b]".
func catStrings(v [][]byte) string {
	b := []byte{'['}
	for i, s := range v {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, s...)
	}
	return string(append(b, ']'))
}
