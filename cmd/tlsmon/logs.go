package main

import (
	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// logBuilder turns events into the rows of one log.
type logBuilder interface {
	tlsmon.Handler
	Close(ts int64) error
}

// logSpec is one log file the command writes.
type logSpec struct {
	path    string // Zeek's log path, the file name without ".log"
	columns []zeeklog.Column
	build   func(zeeklog.Writer) logBuilder
}

// logSpecs are zeeklog's logs (x509, ssl, conn, analyzer, weird), in the order their
// builders receive each event.
var logSpecs = func() []logSpec {
	var out []logSpec
	for _, s := range zeeklog.Logs() {
		out = append(out, logSpec{path: s.Path, columns: s.Columns, build: func(w zeeklog.Writer) logBuilder { return s.New(w) }})
	}
	return out
}()
