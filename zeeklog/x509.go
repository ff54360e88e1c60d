package zeeklog

import (
	tlsmon "github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/certs"
)

// X509Columns are x509.log's default columns.
var X509Columns = []Column{
	{"ts", "time"}, {"fingerprint", "string"}, {"certificate.version", "count"},
	{"certificate.serial", "string"}, {"certificate.subject", "string"},
	{"certificate.issuer", "string"}, {"certificate.not_valid_before", "time"},
	{"certificate.not_valid_after", "time"}, {"certificate.key_alg", "string"},
	{"certificate.sig_alg", "string"}, {"certificate.key_type", "string"},
	{"certificate.key_length", "count"}, {"certificate.exponent", "string"},
	{"certificate.curve", "string"}, {"san.dns", "vector[string]"}, {"san.uri", "vector[string]"},
	{"san.email", "vector[string]"}, {"san.ip", "vector[addr]"}, {"basic_constraints.ca", "bool"},
	{"basic_constraints.path_len", "count"}, {"host_cert", "bool"}, {"client_cert", "bool"},
}

// Zeek's x509 log limits and de-duplication settings.
const (
	x509MaxContainer   = 500             // X509::default_max_field_container_elements
	x509MaxTotal       = 1500            // X509::default_max_total_container_elements
	x509RelogAfter     = 24 * 3600 * 1e6 // X509::relog_known_certificates_after, µs
	x509MaxKnownHashes = 1000000         // X509::known_log_certs_maximum_size
)

type certKey struct {
	fp             [32]byte
	host, clientSd bool
}

// X509Log builds x509.log from Certificate events: one row per certificate that parses,
// except that a certificate already logged with the same fingerprint, host_cert and
// client_cert within the last day is not logged again (Zeek's known_log_certs).
type X509Log struct {
	w     Writer
	known knownCerts // first-logged time
	certs *certCache
	row   rowBuf
	err   error
	// Unparsable counts certificates that could not be parsed (Zeek logs none for them).
	Unparsable uint64
	// Weirds, when set, receives the weirds of the log itself: log_container_field_truncated
	// when a row's list fields exceed Zeek's container limits.
	Weirds tlsmon.Handler
	weird  tlsmon.Weird
	// rows HandlePrepared formatted itself, not prepared by the shard (tests)
	fallbacks uint64
	parser    certs.Parser // parses the certificates written
}

// NewX509Log returns an x509.log builder writing to w.
func NewX509Log(w Writer) *X509Log {
	return &X509Log{w: w, known: newKnownCerts(), certs: newCertCache(), row: newRowBuf(w, len(X509Columns))}
}

// HandleEvent consumes Certificate events and ignores every other event.
// (Set hands it only the events consumes in logs.go lists: keep the two in step.)
func (l *X509Log) HandleEvent(e tlsmon.Event) {
	ev, ok := e.(*tlsmon.Certificate)
	if !ok {
		return
	}
	info := l.certs.lookup(ev)
	if info.parsed && !info.ok {
		l.Unparsable++
		l.fileWeirds(ev, parseError)
		return
	}
	if info.parsed {
		l.fileWeirds(ev, info.weirds)
	}
	// only certificates that parsed are ever known, so a known one needs no parse
	key := certKey{fp: info.sum, host: ev.Index == 0, clientSd: ev.IsClient}
	t, seen := l.known.get(key)
	if seen && ev.Ts-t < x509RelogAfter {
		if !info.parsed {
			// not logged again, but parsed as Zeek parses every certificate: an entry
			// not cached (yet, or any more) gives its weirds only now
			l.certs.parse(info, ev.DER)
			if !info.ok {
				l.Unparsable++
				l.fileWeirds(ev, parseError)
				return
			}
			l.fileWeirds(ev, info.weirds)
		}
		return
	}
	c, err := l.parser.Parse(ev.DER)
	if err != nil {
		l.certs.fill(info, nil)
		l.Unparsable++
		l.fileWeirds(ev, parseError)
		return
	}
	if !info.parsed {
		l.fileWeirds(ev, c.TimeWeirds)
	}
	l.certs.fill(info, c)
	if seen || l.known.len() < x509MaxKnownHashes {
		l.known.set(key, ev.Ts)
	}
	l.write(ev, c, info.fp)
}

func (l *X509Log) write(ev *tlsmon.Certificate, c *certs.Certificate, fp string) {
	row := &l.row
	row.begin()
	row.time(ev.Ts)
	row.plain(fp) // hex
	row.count(c.Version)
	row.str(c.Serial)
	row.str(c.Subject)
	row.str(c.Issuer)
	row.time(c.NotBefore * 1e6)
	row.time(c.NotAfter * 1e6)
	row.str(c.KeyAlg)
	row.str(c.SigAlg)
	if c.KeyType != "" {
		row.str(c.KeyType)
		optCount(row, c.KeyLength > 0, c.KeyLength)
		optStr(row, c.Exponent != "", c.Exponent)
		optStr(row, c.Curve != "", c.Curve)
	} else {
		row.unset()
		row.unset()
		row.unset()
		row.unset()
	}
	total := x509MaxTotal
	vec := func(ss []string) {
		if ss == nil {
			row.unset()
			return
		}
		n := min(len(ss), x509MaxContainer, total)
		total -= n
		if n < len(ss) {
			l.truncated(ev.Ts)
		}
		row.strings(ss[:n])
	}
	if san := c.SAN; san != nil {
		vec(san.DNS)
		vec(san.URI)
		vec(san.Email)
		if san.IP != nil {
			ips := make([]string, len(san.IP))
			for i, a := range san.IP {
				ips[i] = addrString(a)
			}
			vec(ips)
		} else {
			row.unset()
		}
	} else {
		row.unset()
		row.unset()
		row.unset()
		row.unset()
	}
	if bc := c.BasicConstraints; bc != nil {
		row.boolean(bc.CA)
		optCount(row, bc.HasPathLen, uint64(bc.PathLen))
	} else {
		row.unset()
		row.unset()
	}
	row.boolean(ev.Index == 0)
	row.boolean(ev.IsClient)
	if err := row.end(); err != nil && l.err == nil {
		l.err = err
	}
}

// optCount writes Count(n), or unset when !set.
func optCount(row *rowBuf, set bool, n uint64) {
	if set {
		row.count(n)
	} else {
		row.unset()
	}
}

// parseError is the weird of a certificate OpenSSL cannot parse.
var parseError = []string{"x509_cert_parse_error"}

// fileWeirds raises the weirds Zeek's X509 file analyzer raises for each certificate it
// parses (a file weird: no connection; Zeek's addl is the file's id, which tlsmon has
// not).
func (l *X509Log) fileWeirds(ev *tlsmon.Certificate, names []string) {
	if l.Weirds == nil {
		return
	}
	for _, n := range names {
		l.weird = tlsmon.Weird{Meta: tlsmon.Meta{Ts: ev.Ts}, WeirdName: n}
		l.Weirds.HandleEvent(&l.weird)
	}
}

// truncated reports a list field cut to Zeek's container limits, as Zeek's logging
// manager does (a weird without connection).
func (l *X509Log) truncated(ts int64) {
	if l.Weirds == nil {
		return
	}
	l.weird = tlsmon.Weird{Meta: tlsmon.Meta{Ts: ts}, WeirdName: "log_container_field_truncated", Addl: "X509::LOG"}
	l.Weirds.HandleEvent(&l.weird)
}

// Close closes the writer and returns the first write error.
func (l *X509Log) Close(ts int64) error {
	if err := l.w.Close(ts); err != nil && l.err == nil {
		l.err = err
	}
	return l.err
}
