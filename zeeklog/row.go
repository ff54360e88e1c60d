package zeeklog

import (
	"net/netip"

	"github.com/tlsmon/tlsmon"
)

// rowBuf writes the rows of one log, one call per column in column order between begin
// and end. When the log's writer is tlsmon's TSV writer, each field is appended straight
// to the writer's line buffer; with any other Writer (JSON, a caller's), the fields
// become the same Values the builders used to fill, handed to Write.
//
// Why: building a 96-byte Value per field and switching on its kind again in the writer
// was most of the cost of a row. On perfmix (31,500 conn.log and ≈ 26,000 ssl.log rows),
// `perf record` of the one-CPU CLI (median of 3 runs each) puts SSLLog.write at 3.7 % of
// the samples before, 2.2 % after, and ConnLog.HandleEvent at 3.1 % before, 1.6 % after,
// both including the file writes (≈ 1.5 %).
type rowBuf struct {
	w   Writer
	tsv *tsvWriter // w, when it is tlsmon's TSV writer

	// TSV: the line being written (the writer's buffer) and where the row starts in it.
	b         []byte
	lineStart int
	vecStart  int // where the vector being written starts
	// the whole seconds of the last time written, and their digits: a log's rows come
	// in time order, so most share them with the row before (97 % of perfmix's conn.log)
	sec     uint64
	secText []byte

	// other writers: the row's values, and one reused element list per column for the
	// vectors written element by element.
	vals []Value
	vecs [][]string
	i    int
}

func newRowBuf(w Writer, cols int) rowBuf {
	r := rowBuf{w: w}
	if t, ok := w.(*tsvWriter); ok && len(t.cols) == cols {
		r.tsv = t
	} else {
		r.vals = make([]Value, cols)
	}
	return r
}

// begin starts a row.
func (r *rowBuf) begin() {
	r.i = 0
	if t := r.tsv; t != nil {
		b := t.buf[:0]
		if !t.headerOut {
			b = t.header(b)
			t.headerOut = true
		}
		r.lineStart = len(b)
		r.b = b
		return
	}
	clear(r.vals)
}

// end writes the row.
func (r *rowBuf) end() error {
	if t := r.tsv; t != nil {
		b := r.b
		// every field was followed by a tab: the last one becomes the newline
		b[len(b)-1] = '\n'
		if b[r.lineStart] == '#' {
			b = escapeRowHash(b, r.lineStart)
		}
		t.buf = b
		_, err := t.w.Write(b)
		return err
	}
	return r.w.Write(r.vals)
}

// value writes any Value (the path of column extensions' fields).
func (r *rowBuf) value(v Value) {
	if r.tsv != nil {
		r.b = append(appendTSVValue(r.b, v), '\t')
		return
	}
	r.set(v)
}

// set is the generic path of every field.
func (r *rowBuf) set(v Value) {
	r.vals[r.i] = v
	r.i++
}

func (r *rowBuf) unset() {
	if r.tsv != nil {
		r.b = append(r.b, tsvUnset+tsvSeparator...)
		return
	}
	r.i++ // vals were cleared by begin
}

// time writes Time(us).
func (r *rowBuf) time(us int64) {
	if r.tsv == nil {
		r.set(Time(us))
		return
	}
	if us < 0 || us >= exactSecLimit*1e6 {
		r.b = append(appendTime6(r.b, us), '\t')
		return
	}
	// appendTime6, with the seconds' digits kept from the row before
	if sec := uint64(us) / 1e6; sec != r.sec || r.secText == nil {
		r.sec, r.secText = sec, appendUint(r.secText[:0], sec)
	}
	r.b = append(appendFraction6(append(r.b, r.secText...), uint64(us)%1e6), '\t')
}

// interval writes IntervalBetween(fromUs, toUs).
func (r *rowBuf) interval(fromUs, toUs int64) {
	if r.tsv != nil {
		r.b = append(appendInterval6(r.b, fromUs, toUs), '\t')
		return
	}
	r.set(IntervalBetween(fromUs, toUs))
}

// str writes String(s).
func (r *rowBuf) str(s string) {
	if r.tsv != nil {
		if plainTSVField(s) { // most strings: one test, not appendTSVField's three calls
			r.b = append(append(r.b, s...), '\t')
			return
		}
		r.b = append(appendTSVField(r.b, s, fieldSeps), '\t')
		return
	}
	r.set(String(s))
}

// plain writes String(s) for an s known to be printable ASCII without backslash or set
// separator (the names of names.go, hex fingerprints): TSV needs no escape test.
func (r *rowBuf) plain(s string) {
	if r.tsv != nil && !isTSVMarker(s) {
		r.b = append(append(r.b, s...), '\t')
		return
	}
	r.str(s)
}

// isTSVMarker reports whether s is empty or reads as a TSV marker (appendTSVField
// escapes those).
func isTSVMarker(s string) bool { return s == "" || s == tsvUnset || s == tsvEmpty }

// strBytes writes String(string(p)) without converting p when it needs no escaping.
func (r *rowBuf) strBytes(p []byte) {
	if r.tsv != nil && plainTSVField(p) {
		r.b = append(append(r.b, p...), '\t')
		return
	}
	r.str(string(p))
}

// enum writes Enum(s).
func (r *rowBuf) enum(s string) {
	if r.tsv != nil {
		r.b = append(appendTSVField(r.b, s, fieldSeps), '\t')
		return
	}
	r.set(Enum(s))
}

// proto writes Enum(p.String()), a name that needs no escaping.
func (r *rowBuf) proto(p tlsmon.Proto) {
	if r.tsv != nil {
		r.b = append(append(r.b, p.String()...), '\t')
		return
	}
	r.set(Enum(p.String()))
}

// addr writes Addr(a).
func (r *rowBuf) addr(a netip.Addr) {
	if r.tsv != nil {
		r.b = append(appendAddr(r.b, a), '\t')
		return
	}
	r.set(Addr(a))
}

// port writes Port(p).
func (r *rowBuf) port(p uint16) {
	if r.tsv != nil {
		r.b = append(appendUint(r.b, uint64(p)), '\t')
		return
	}
	r.set(Port(p))
}

// endpoints writes the four id.* columns of a connection (orig_h, orig_p, resp_h, resp_p).
func (r *rowBuf) endpoints(id *tlsmon.ConnID) {
	r.addr(id.OrigH)
	r.port(id.OrigP)
	r.addr(id.RespH)
	r.port(id.RespP)
}

// count writes Count(c).
func (r *rowBuf) count(c uint64) {
	if r.tsv != nil {
		r.b = append(appendUint(r.b, c), '\t')
		return
	}
	r.set(Count(c))
}

// boolean writes Bool(v).
func (r *rowBuf) boolean(v bool) {
	if r.tsv != nil {
		c := byte('F')
		if v {
			c = 'T'
		}
		r.b = append(r.b, c, '\t')
		return
	}
	r.set(Bool(v))
}

// strings writes Strings(ss).
func (r *rowBuf) strings(ss []string) {
	r.vecBegin()
	for _, s := range ss {
		r.vecElem(s)
	}
	r.vecEnd()
}

// vecBegin, vecElem and vecEnd write Strings of the elements given one by one, without
// building the slice when writing TSV.
func (r *rowBuf) vecBegin() {
	if r.tsv != nil {
		r.vecStart = len(r.b)
		return
	}
	if r.vecs == nil {
		r.vecs = make([][]string, len(r.vals))
	}
	r.vecs[r.i] = r.vecs[r.i][:0]
}

func (r *rowBuf) vecElem(s string) {
	if r.tsv != nil {
		if len(r.b) > r.vecStart {
			r.b = append(r.b, tsvSetSeparator...)
		}
		r.b = appendTSVField(r.b, s, setSeps)
		return
	}
	r.vecs[r.i] = append(r.vecs[r.i], s)
}

// vecElemPlain is vecElem for an s known to need no escaping (as plain's).
func (r *rowBuf) vecElemPlain(s string) {
	if r.tsv != nil && !isTSVMarker(s) {
		if len(r.b) > r.vecStart {
			r.b = append(r.b, tsvSetSeparator...)
		}
		r.b = append(r.b, s...)
		return
	}
	r.vecElem(s)
}

func (r *rowBuf) vecEnd() {
	if r.tsv != nil {
		if len(r.b) == r.vecStart {
			r.b = append(r.b, tsvEmpty...)
		}
		r.b = append(r.b, '\t')
		return
	}
	r.set(Strings(r.vecs[r.i]))
}

// plainTSVField reports whether appendTSVField(b, p, fieldSeps) writes p unchanged: not
// empty, not a marker, printable ASCII without backslashes (so without the tab separator
// either).
func plainTSVField[T string | []byte](p T) bool {
	if len(p) == 0 || len(p) == 1 && p[0] == '-' {
		return false
	}
	return printableNoBackslash(p) && string(p) != tsvEmpty
}
