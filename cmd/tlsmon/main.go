// Command tlsmon reads packet captures and writes, for every SSL/TLS/DTLS connection, what
// Zeek's SSL analyzer reports: conn.log, ssl.log and x509.log (Zeek's TSV format, or JSON
// lines with --json) and, with --events, every SSL event as a canonical JSON line.
//
// Usage:
//
//	tlsmon -r FILE [-r FILE...] [-o DIR] [--json] [--events] [--analyze-encrypted]
//
// Exit status: 0 on success, 1 on a runtime error (the logs of what was processed before the
// error are still written), 2 on bad usage.
package main

import (
	"fmt"
	"io"
	"os"
)

// Exit statuses.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command, separated from main for tests.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, code, done := parseArgs(args, stdout, stderr)
	if done {
		return code
	}
	if err := analyze(cfg, stderr); err != nil {
		fmt.Fprintf(stderr, "tlsmon: %v\n", err)
		return exitCode(err) // exitRuntime, or exitLost (sinks.go)
	}
	return exitOK
}
