package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// config is what the command line asks for.
type config struct {
	reads            []string // capture files, in command-line order ("-" is stdin)
	outDir           string
	json             bool
	events           bool
	analyzeEncrypted bool
	progress         bool // allow the progress line (still only on a terminal)
	memstats         bool // print the Go allocation counters at the end
	cpuProfile       string
	memProfile       string
	// --recover (issue 17): recover what Zeek throws away on damaged traffic
	recover bool
}

const usageText = `usage: tlsmon -r FILE [-r FILE...] [-o DIR] [--json] [--events] [--analyze-encrypted]

tlsmon reads packet captures (pcap, pcapng, optionally gzip'ed; "-" is stdin) and writes
what Zeek's SSL analyzer reports for every SSL/TLS/DTLS connection: conn.log, ssl.log and
x509.log in DIR. Several -r files are merged by timestamp.

Flags (a single dash works too):
`

// parseArgs parses the command line. When done is true the command is over and code is its
// exit status (help, version, or a usage error already reported).
func parseArgs(args []string, stdout, stderr io.Writer) (cfg config, code int, done bool) {
	fs := flag.NewFlagSet("tlsmon", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Func("r", "read packets from `FILE` (repeatable; \"-\" is stdin)", func(s string) error {
		if s == "" {
			return errors.New("empty file name")
		}
		cfg.reads = append(cfg.reads, s)
		return nil
	})
	fs.StringVar(&cfg.outDir, "o", ".", "write the logs into `DIR` (created if missing)")
	fs.BoolVar(&cfg.json, "json", false, "write the logs as JSON lines (Zeek's LogAscii::use_json=T) instead of TSV")
	fs.BoolVar(&cfg.events, "events", false, "also write DIR/events.jsonl: one canonical JSON line per SSL event")
	fs.BoolVar(&cfg.analyzeEncrypted, "analyze-encrypted", false,
		"keep the SSL analyzer attached after the handshake (ssl_encrypted_data for every record),\n"+
			"as Zeek with SSL::disable_analyzer_after_detection=F")
	fs.BoolVar(&cfg.recover, "recover", false,
		"recover what Zeek throws away on damaged traffic: hold reordered segments instead of\n"+
			"declaring gaps, resynchronise on the next TLS record after a real gap, pick up\n"+
			"connections whose start was not captured (weird.log says where); off: Zeek's output")
	fs.BoolVar(&cfg.memstats, "memstats", false, "also print Go allocation counters at the end (for performance work)")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile (go tool pprof) to `FILE`")
	fs.StringVar(&cfg.memProfile, "memprofile", "", "write an allocation profile (go tool pprof) to `FILE` at the end")
	noProgress := fs.Bool("no-progress", false, "never print the progress line")
	version := fs.Bool("version", false, "print the version and exit")
	usage := func(w io.Writer) { printUsage(w, fs) }

	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage(stdout)
		return cfg, exitOK, true
	case err != nil:
		fmt.Fprintf(stderr, "tlsmon: %v\n", err)
		fmt.Fprintln(stderr, "run 'tlsmon --help' for usage")
		return cfg, exitUsage, true
	case *version:
		fmt.Fprintln(stdout, "tlsmon", versionString())
		return cfg, exitOK, true
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "tlsmon: unexpected argument %q (captures are given with -r)\n", fs.Arg(0))
		return cfg, exitUsage, true
	case len(cfg.reads) == 0:
		fmt.Fprintln(stderr, "tlsmon: no capture to read: give at least one -r FILE")
		usage(stderr)
		return cfg, exitUsage, true
	case cfg.outDir == "":
		fmt.Fprintln(stderr, "tlsmon: -o needs a directory")
		return cfg, exitUsage, true
	}
	cfg.progress = !*noProgress
	return cfg, exitOK, false
}

// printUsage prints the usage text and every flag, GNU style.
func printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, usageText)
	fs.VisitAll(func(f *flag.Flag) {
		arg, text := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if len(f.Name) == 1 {
			name = "-" + f.Name
		}
		if arg != "" && arg != "value" {
			name += " " + arg
		}
		fmt.Fprintf(w, "  %-22s %s", name, strings.ReplaceAll(text, "\n", "\n"+strings.Repeat(" ", 25)))
		if f.DefValue != "" && f.DefValue != "false" {
			fmt.Fprintf(w, " (default %q)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}
