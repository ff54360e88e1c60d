// Command tlsmon reads packet captures and writes, for every SSL/TLS/DTLS connection, what
// Zeek's SSL analyzer reports: conn.log, ssl.log, x509.log, analyzer.log and weird.log (Zeek's
// TSV format, or JSON lines with --json) and, with --events, every SSL event as a JSON line.
//
// Usage:
//
//	tlsmon -r FILE [-r FILE...] [-o DIR] [--json] [--events] [options]
//
// tlsmon --help lists every option, output file and exit status.
//
// Exit status: 0 on success; 1 on a runtime error (the logs of what was processed before the
// error are still written); 2 on bad usage; 3 when rows sent to Kafka were lost (whatever
// else happened); 130 after SIGINT (Ctrl-C) and 143 after SIGTERM, once the logs are written
// (see docs/EXIT-CODES.md).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
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
	tuneRuntime(0) // runtime.go: the garbage collector's policy
	if err := analyze(cfg, stderr); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") { // errors.Join: one cause a line
			fmt.Fprintf(stderr, "tlsmon: %s\n", line)
		}
		if ee, ok := errors.AsType[*exitError](err); ok {
			return ee.code
		}
		return exitRuntime
	}
	return exitOK
}
