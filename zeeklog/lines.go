package zeeklog

import (
	"bytes"
	"io"

	tlsmon "github.com/tlsmon/tlsmon"
)

// Rows formatted in one place and written in another: a sharded run (engine.Split) builds
// the per-connection logs in its shards, each with a row writer (NewRowWriter) whose lines
// go to the shard's outbox, and the run's merger writes those lines, in one engine's order,
// with the log's own writer (LineWriter): the file gets exactly the bytes the log's writer
// would have written from the rows.

// LineWriter is a Writer that also writes rows already formatted by a NewRowWriter of the
// same format and columns. The writers of NewTSVWriter and NewJSONWriter are LineWriters.
type LineWriter interface {
	Writer
	// WriteLine writes one row's line (ending in '\n'), after the header when it is the
	// log's first row (TSV).
	WriteLine(line []byte) error
}

// NewRowWriter returns a writer of a log's rows alone, in TSV (NewTSVWriter's rows) or JSON
// (NewJSONWriter's): one Write of one whole line per row, no header, no #close line.
func NewRowWriter(w io.Writer, path string, cols []Column, json bool) Writer {
	if json {
		return NewJSONWriter(w, cols)
	}
	return &tsvWriter{w: w, path: path, cols: cols, headerOut: true, rowsOnly: true}
}

// WriteLine implements LineWriter.
func (t *tsvWriter) WriteLine(line []byte) error {
	if !t.headerOut {
		t.buf = t.header(t.buf[:0])
		t.headerOut = true
		if _, err := t.w.Write(t.buf); err != nil {
			return err
		}
	}
	_, err := t.w.Write(line)
	return err
}

// WriteLine implements LineWriter.
func (j *jsonWriter) WriteLine(line []byte) error {
	_, err := j.w.Write(line)
	return err
}

// Builders returns the set's builders, in the order of its specs.
func (s *Set) Builders() []Builder { return s.builders }

// SetWeirds gives h the weirds the set's builders raise themselves: NewSet gives them to
// the set's weird.log; a set without one whose weirds a weird.log elsewhere reads (a shard's)
// gives them to h.
func (s *Set) SetWeirds(h tlsmon.Handler) {
	for _, b := range s.builders {
		switch b := b.(type) {
		case *SSLLog:
			b.WeirdEvents = h
		case *X509Log:
			b.Weirds = h
		}
		setExtWeirds(b, h)
	}
}

// ShareCertCache bounds the certificate cache of the set (its ssl.log's and x509.log's) to
// 1/n of its size: for the sets of a sharded run, whose caches together then hold what one
// set's holds. An eviction costs a later parse, never a different row.
func (s *Set) ShareCertCache(n int) {
	s.certs.maxEntries = max(maxCertCacheEntries/n, 1)
	s.certs.maxBytes = max(maxCertCacheBytes/n, 1)
}

// CertificateSum returns the fingerprint (SHA-256, as Zeek computes it) of ev's
// certificate, from the set's certificate cache: what a sharded run's shard hands over with
// its copy of the event, for X509Log.HandleCertificate. The entry found stays the set's
// current one for its next HandleEvent, which must be of ev, during the same event (the
// certificate is then looked up once, not twice).
func (s *Set) CertificateSum(ev *tlsmon.Certificate) [32]byte {
	s.certs.begin(ev)
	return s.certs.cur.sum
}

// CertificateStable is CertificateSum, with a copy of ev's DER that is never written
// again: the set's cache entry's own copy, or a new one when the cache does not keep this
// certificate. A sharded run's shard hands that copy over instead of copying the DER again
// (engine.Outbox.StableCertificate), and the merger's x509.log keeps it
// (HandleStableCertificate), so that the certificate's later lookups there compare a
// pointer, not the bytes.
func (s *Set) CertificateStable(ev *tlsmon.Certificate) (sum [32]byte, der []byte) {
	s.certs.begin(ev)
	e := s.certs.cur
	s.certs.hold(e, ev.DER)
	if der = e.der; der == nil {
		der = bytes.Clone(ev.DER)
	}
	return e.sum, der
}

// HandleCertificate is HandleEvent of a Certificate whose fingerprint is known
// (Set.CertificateSum of the same certificate): it is not computed again.
func (l *X509Log) HandleCertificate(ev *tlsmon.Certificate, sum *[32]byte) {
	l.certs.givenSum = sum
	l.HandleEvent(ev)
	l.certs.givenSum = nil
}

// HandleStableCertificate is HandleCertificate of a Certificate whose DER is never written
// again (Set.CertificateStable's copy): the cache keeps it instead of a copy of its own.
func (l *X509Log) HandleStableCertificate(ev *tlsmon.Certificate, sum *[32]byte) {
	l.certs.givenStable = true
	l.HandleCertificate(ev, sum)
	l.certs.givenStable = false
}
