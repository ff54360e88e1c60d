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

// logSpecs are the logs, in the order their builders receive each event: x509 and ssl before
// conn, so that a connection's rows are complete when its conn.log row is written.
var logSpecs = []logSpec{
	{path: "x509", columns: zeeklog.X509Columns, build: func(w zeeklog.Writer) logBuilder { return zeeklog.NewX509Log(w) }},
	{path: "ssl", columns: zeeklog.SSLColumns, build: func(w zeeklog.Writer) logBuilder { return zeeklog.NewSSLLog(w) }},
	{path: "conn", columns: zeeklog.ConnColumns, build: func(w zeeklog.Writer) logBuilder { return zeeklog.NewConnLog(w) }},
}
