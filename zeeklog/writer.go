// Package zeeklog writes Zeek-compatible logs (ssl.log, x509.log, conn.log) in Zeek's
// ASCII (TSV with # header lines) and JSON (LogAscii::use_json=T) formats, and builds
// those logs from tlsmon's public event stream.
package zeeklog

// Column is one log field: its name and its Zeek type name ("time", "string", "addr",
// "port", "count", "int", "bool", "interval", "enum", "double", "vector[string]",
// "set[string]", "vector[addr]"...).
type Column struct{ Name, Type string }

// Writer writes the rows of one log.
type Writer interface {
	// Write writes one row; vals has one value per column, in column order.
	Write(vals []Value) error
	// Close finishes the log (the TSV writer appends its #close line, if it wrote a header).
	Close(closeTs int64) error
}
