package zeeklog

import (
	tlsmon "github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/certs"
)

// x509.log in a sharded run (docs/SCALING.md, "x509 in the shards"): a shard does the
// certificate work — the parse, its weirds and, when the shard's own view says the
// certificate will probably be logged, the formatted row — and hands it over with its copy
// of the event (X509Prep.Prepare); the run's serial x509.log only decides, with the global
// known-certificate cache, and writes (X509Log.HandlePrepared). A shard sees only some of
// the run's certificates, so its guess may be wrong either way: a row prepared and not
// logged costs its formatting, a row logged but not prepared is parsed and formatted by the
// serial side as in one engine. The output is that of one engine either way.

// The prepared data, as bytes (the item's extra bytes in engine.Outbox):
//
//	sum [32] | flags (x509PrepParsed, x509PrepRow) | weirds: count, then per weird its
//	length and name | with x509PrepRow: the truncation weirds' count, then the row's line
//
// Without x509PrepParsed the certificate did not parse: no weirds, no row follow.
const (
	x509PrepParsed = 1 << iota // the certificate parsed
	x509PrepRow                // the row's line follows
)

// x509Prep is prepared data decoded (decodeX509Prep); its slices alias the bytes.
type x509Prep struct {
	sum    [32]byte
	parsed bool
	weirds []byte // the weirds' encoding: per weird its length and name
	nweird int
	hasRow bool
	truncs int    // log_container_field_truncated weirds the row's formatting raised
	row    []byte // the row's line, ending in '\n'
}

// appendX509Prep appends the encoding of p (its weirds given as names) to b. It returns
// b unchanged and false when p cannot be encoded (a weird name longer than 255 bytes).
func appendX509Prep(b []byte, p *x509Prep, weirds []string) ([]byte, bool) {
	if len(weirds) > 255 || p.truncs > 255 {
		return b, false
	}
	start := len(b)
	b = append(b, p.sum[:]...)
	var flags byte
	if p.parsed {
		flags |= x509PrepParsed
	}
	if p.hasRow {
		flags |= x509PrepRow
	}
	b = append(b, flags, byte(len(weirds)))
	for _, w := range weirds {
		if len(w) > 255 {
			return b[:start], false
		}
		b = append(b, byte(len(w)))
		b = append(b, w...)
	}
	if p.hasRow {
		b = append(b, byte(p.truncs))
		b = append(b, p.row...)
	}
	return b, true
}

// decodeX509Prep decodes b (appendX509Prep's encoding); false if b is not one.
func decodeX509Prep(b []byte) (p x509Prep, ok bool) {
	if len(b) < 34 {
		return p, false
	}
	copy(p.sum[:], b)
	flags, n := b[32], int(b[33])
	if flags&^(x509PrepParsed|x509PrepRow) != 0 || flags == x509PrepRow {
		return p, false
	}
	p.parsed, p.hasRow, p.nweird = flags&x509PrepParsed != 0, flags&x509PrepRow != 0, n
	b = b[34:]
	i := 0
	for range n {
		if i >= len(b) || i+1+int(b[i]) > len(b) {
			return p, false
		}
		i += 1 + int(b[i])
	}
	p.weirds, b = b[:i], b[i:]
	if !p.parsed && n > 0 {
		return p, false
	}
	if !p.hasRow {
		return p, len(b) == 0
	}
	if len(b) < 2 || b[len(b)-1] != '\n' {
		return p, false
	}
	p.truncs, p.row = int(b[0]), b[1:]
	return p, true
}

// X509Prep prepares x509.log's data for the certificates of one shard (above). It belongs
// to the shard's goroutine.
type X509Prep struct {
	certs    *certCache // the shard's set's, shared with its ssl.log
	known    knownCerts // the shard's own view of x509.log's known certificates
	maxKnown int
	rows     bool     // prepare rows (the run writes x509.log)
	log      *X509Log // formats the rows, into line
	line     lineSink // the row being formatted
	truncs   weirdTally
	prepared uint64 // rows prepared (tests)
}

// lineSink keeps the last line written to it.
type lineSink struct{ b []byte }

func (s *lineSink) Write(p []byte) (int, error) {
	s.b = append(s.b, p...)
	return len(p), nil
}

// weirdTally counts the weirds handed to it.
type weirdTally struct{ n int }

func (t *weirdTally) HandleEvent(tlsmon.Event) { t.n++ }

// NewX509Prep returns the preparer of x509.log's data for a shard whose ssl.log is built by
// s (it shares s's certificate cache), in a run of shards shards. With rows, it formats
// the rows it expects to be logged as a writer of NewRowWriter(…, "x509", cols, json)
// formats them, which the run's x509.log writer must write as its own (a LineWriter of
// the same format and columns); without, it prepares the parse and its weirds only.
func (s *Set) NewX509Prep(cols []Column, json, rows bool, shards int) *X509Prep {
	p := &X509Prep{certs: s.certs, known: newKnownCerts(), maxKnown: max(x509MaxKnownHashes/max(shards, 1), 1), rows: rows}
	p.log = NewX509Log(NewRowWriter(&p.line, "x509", cols, json))
	p.log.Weirds = &p.truncs
	return p
}

// Prepare appends to b the data of ev's certificate for X509Log.HandlePrepared and
// returns it. It parses the certificate if the shard's cache has not (for ssl.log too);
// a row is prepared when the shard's own known map says the certificate is logged.
func (p *X509Prep) Prepare(b []byte, ev *tlsmon.Certificate) []byte {
	b, _ = p.PrepareStable(b, ev)
	return b
}

// PrepareStable is Prepare, which also returns the shard's cache's own copy of ev's DER
// (never written again; nil when the cache does not keep this certificate), for
// engine.Outbox.StableCertificate: the merger then gets it without another copy or
// comparison (Set.CertificateStable's rule). As with Set.CertificateSum, the cache entry
// found stays current for the set's next HandleEvent, which must be of ev during the same
// event: the certificate is looked up once for x509.log's data and ssl.log.
func (p *X509Prep) PrepareStable(b []byte, ev *tlsmon.Certificate) (prep, der []byte) {
	p.certs.begin(ev) // the entry stays current for the set's HandleEvent of ev (CertificateSum's rule)
	info := p.certs.cur
	p.certs.hold(info, ev.DER) // the copy handed over
	return p.prepare(b, ev, info), info.der
}

func (p *X509Prep) prepare(b []byte, ev *tlsmon.Certificate, info *certInfo) []byte {
	var pr x509Prep
	pr.sum = info.sum
	key := certKey{fp: info.sum, host: ev.Index == 0, clientSd: ev.IsClient}
	t, seen := p.known.get(key)
	logs := p.rows && !(seen && ev.Ts-t < x509RelogAfter)
	var c *certs.Certificate
	if logs && (!info.parsed || info.ok) {
		var err error
		if c, err = p.log.parser.Parse(ev.DER); err != nil {
			c = nil
		}
		p.certs.fill(info, c)
	} else {
		p.certs.parse(info, ev.DER)
	}
	if !info.ok {
		return append(append(b, info.sum[:]...), 0, 0) // not parsed: the merger files the parse error
	}
	pr.parsed = true
	if c != nil {
		if seen || p.known.len() < p.maxKnown {
			p.known.set(key, ev.Ts)
		}
		p.line.b, p.truncs.n = p.line.b[:0], 0
		p.log.write(ev, c, info.fp)
		if p.log.err == nil && len(p.line.b) > 0 && p.line.b[len(p.line.b)-1] == '\n' {
			pr.hasRow, pr.row, pr.truncs = true, p.line.b, p.truncs.n
			p.prepared++
		}
	}
	out, ok := appendX509Prep(b, &pr, info.weirds)
	if !ok { // only the fingerprint: the merger takes the present path
		return append(b, info.sum[:]...)
	}
	return out
}

// HandlePrepared is HandleEvent of a Certificate whose data a shard prepared
// (X509Prep.Prepare): the known-certificate decision is this log's, as in HandleEvent; the
// parse's outcome, its weirds and the row, when prepared, are the shard's; a row logged but
// not prepared is parsed and formatted here. It returns false, having done nothing, if
// prep is not prepared data.
func (l *X509Log) HandlePrepared(ev *tlsmon.Certificate, prep []byte) bool {
	p, ok := decodeX509Prep(prep)
	if !ok {
		return false
	}
	if !p.parsed {
		l.Unparsable++
		l.fileWeirds(ev, parseError)
		return true
	}
	if l.Weirds != nil {
		w := p.weirds
		for range p.nweird {
			n := int(w[0])
			l.weird = tlsmon.Weird{Meta: tlsmon.Meta{Ts: ev.Ts}, WeirdName: weirdName(w[1 : 1+n])}
			l.Weirds.HandleEvent(&l.weird)
			w = w[1+n:]
		}
	}
	key := certKey{fp: p.sum, host: ev.Index == 0, clientSd: ev.IsClient}
	t, seen := l.known.get(key)
	if seen && ev.Ts-t < x509RelogAfter {
		return true
	}
	if seen || l.known.len() < x509MaxKnownHashes {
		l.known.set(key, ev.Ts)
	}
	if lw, isLines := l.w.(LineWriter); isLines && p.hasRow {
		for range p.truncs {
			l.truncated(ev.Ts)
		}
		if err := lw.WriteLine(p.row); err != nil && l.err == nil {
			l.err = err
		}
		return true
	}
	l.fallbacks++
	c, err := l.parser.Parse(ev.DER)
	if err != nil {
		return true // cannot be: the shard parsed the same bytes
	}
	l.write(ev, c, hexSHA256(&p.sum))
	return true
}

// certWeirdNames are the names of the weirds a certificate's parse raises, so that the
// prepared data's names need no new string.
var certWeirdNames = [...]string{"x509_utc_length", "x509_utc_format", "x509_gen_time_length", "x509_cert_parse_error"}

func weirdName(b []byte) string {
	for _, n := range certWeirdNames {
		if n == string(b) {
			return n
		}
	}
	return string(b)
}
