package main

import (
	"github.com/tlsmon/tlsmon/engine"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// The validate scripts (validate-certs, -ocsp, -sct: --load local) on the split path. Their
// checks depend on the Validator's caches, which every earlier connection of every shard
// fills, so the run's Site makes them on the merger's goroutine, in one engine's order
// (policy/validatesplit.go): a shard's Site puts each check's request into the outbox as a
// decision line. A shard's ssl.log row of a connection that made a request is then
// incomplete: its first validation cell holds the request's id (a deferred row). The
// shard's ssl.log writer (deferWriter) puts such a row, its values encoded
// (zeeklog.AppendRow), as a line of its own where it would have put the row's lines; the
// merger (writeDeferred) decodes it, has the run's Site fill the validation cells with its
// results (policy.Site.ResolveRow), and writes it with the log's own writer — the file's
// and the stream's, as one engine's rotLog — so the row is formatted there, serially. Rows
// without a request (no end-entity certificate: TLS 1.3's hidden chains, resumptions) are
// complete in the shard and go as formatted lines, as with the other scripts.

// deferDest is the destination of the deferred ssl.log rows.
func (r *splitRun) deferDest() int { return len(r.specs) + 4 }

// deferWriter is a shard's ssl.log writer with the validate scripts: deferred rows go to
// the merger as encoded values, the others to w.
type deferWriter struct {
	w    zeeklog.Writer
	at   int // the first validation column
	out  *engine.Outbox
	dest int
	buf  []byte
}

func (d *deferWriter) Write(vals []zeeklog.Value) error {
	if d.at >= len(vals) || !vals[d.at].IsSet() {
		return d.w.Write(vals)
	}
	b := zeeklog.AppendRow(d.buf[:0], vals)
	b = append(b, '\n')
	d.out.Line(d.dest, b)
	d.buf = b
	return nil
}

func (d *deferWriter) Close(closeTs int64) error { return d.w.Close(closeTs) }

// writeDeferred completes a shard's deferred ssl.log row and writes it (on the merger's
// goroutine).
func (r *splitRun) writeDeferred(line []byte) {
	vals, err := zeeklog.DecodeRow(line[:len(line)-1], r.vals[:0])
	r.vals = vals[:0]
	if err != nil || r.validateAt >= len(vals) || !r.o.site.ResolveRow(vals[r.validateAt:]) {
		return // not a deferWriter's line: cannot happen
	}
	if w := r.o.logWriters["ssl"]; w != nil {
		_ = w.Write(vals) // the file's error reaches onErr and Close
	}
}
