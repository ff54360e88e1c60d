package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tlsmon/tlsmon/policy"
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
	trace            string // --trace: an execution trace (go tool trace)

	// --load: Zeek policy scripts (policy.ParseLoad), in Zeek's load order
	load      []string
	caFile    string // --ca-file: extra trust anchors for validate-certs
	ctLogList string // --ct-log-list: the CT logs validate-sct knows (Google's log_list.json)
	// issue 15: the command as people use it
	quiet           bool // no summary, no progress line
	eventsText      bool // events.jsonl: printable UTF-8 strings as text, not hex
	verifyChecksums bool // drop packets with bad IP/TCP/UDP checksums, as Zeek without -C
	fingerprints    bool // ssl.log gains ja3, ja3s and ja4 (package fingerprint)
	// --recover (issue 17): recover what Zeek throws away on damaged traffic
	recover bool
	// issue 14: stdout, Kafka, --logs, sensor id (sinks.go)
	sink sinkFlags
	// --workers (issue 9): engines (shards) the connections are spread over
	workers int
	// --max-memory (issue 10): the memory budget (memory.go)
	maxMemory memSize
	// issue 12: a live sensor (sensor.go)
	sensor sensorConfig
}

const usageText = `usage: tlsmon -r FILE [-r FILE...] [-o DIR] [--json] [--events] [options]
       tlsmon -i IFACE [-i IFACE...] [--workers N] [-f FILTER] [--rotate DURATION] [--metrics ADDR] [options]

tlsmon reads packet captures and writes what Zeek's SSL analyzer reports for every SSL, TLS,
DTLS and QUIC connection, as Zeek's logs in DIR. Captures are pcap or pcapng, plain or
compressed with gzip, zstd, xz or bzip2 (recognized by their first bytes, on files and on
stdin); several -r are merged by timestamp, as Zeek does.

Flags (a single dash works too):
`

const usageFooter = `
Output files in DIR (each created only when it gets its first row, as Zeek does):
  conn.log      one row per connection (TCP, UDP, ICMP)
  ssl.log       one row per SSL/TLS/DTLS session (version, cipher, SNI, ALPN, chain...)
  x509.log      one row per certificate
  analyzer.log  protocol violations (why a connection has no "established")
  weird.log     unusual traffic, as Zeek's weird.log, and every resource cap hit (source tlsmon)
  events.jsonl  with --events (created even when empty): one JSON line per SSL event
                ("ts", "event", "uid", "id", "args"; strings as hex unless --events-text)
  notice.log, known_certs.log   with --load (the policy scripts that write them)
With -o - the rows of every log go to stdout as JSON lines with "_path" and "_write_ts";
with --kafka (and no -o) to Kafka only. --logs selects the logs for all of these.

Checksums: like "zeek -C", tlsmon does not verify IP, TCP, UDP or ICMP checksums by default:
capture hosts offload checksumming to the network card, so the packets they capture
mostly carry wrong checksums, and Zeek without -C would drop them all. With
--verify-checksums, packets with a bad checksum are dropped with Zeek's weirds
(bad_IP_checksum, bad_TCP_checksum, bad_UDP_checksum, bad_ICMP_checksum), and IPv4
packets whose total length is 0 (segmentation offload) with ip_hdr_len_zero.

Summary (on stderr at the end, unless -q): connections are those of conn.log; TLS, DTLS
and QUIC sessions count the connections on which that protocol was confirmed (an analyzer
confirmation, as conn.log's service); certificates are those the handshakes carried;
caps hit are the resource limits reached (each also in weird.log).

Exit status:
  0    success; also a live capture (-i) stopped by SIGINT or SIGTERM, its normal end
  1    runtime error: a capture that cannot be read or is corrupt, an output that cannot
       be written (checked before reading; a full disk stops the run at once); the logs
       hold what was read before the error, ending with whole lines
  2    bad usage
  3    rows sent to Kafka were lost: dropped (--kafka-policy drop) or not acknowledged
       when tlsmon stopped waiting (--kafka-flush-timeout, or a second signal); files
       and stdout are not affected. 3 wins over 1, 130 and 143, whose causes are
       printed too: those say every row read was delivered, which is then untrue
  130  stopped by SIGINT (Ctrl-C), 143 by SIGTERM, while reading files (-r): the logs
       hold what was read before the signal. A second signal closes the logs at once, without the connections
       still open, and stops waiting for Kafka; a third exits without closing them.
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
	fs.StringVar(&cfg.outDir, "o", ".", "write the logs into `DIR` (created if missing); \"-\": JSON lines on stdout")
	fs.BoolVar(&cfg.json, "json", false, "write the logs as JSON lines (Zeek's LogAscii::use_json=T) instead of TSV")
	fs.BoolVar(&cfg.events, "events", false, "also write DIR/events.jsonl: one JSON line per SSL event")
	fs.BoolVar(&cfg.analyzeEncrypted, "analyze-encrypted", false,
		"keep the SSL analyzer attached after the handshake (ssl_encrypted_data for every record),\n"+
			"as Zeek with SSL::disable_analyzer_after_detection=F")
	fs.BoolVar(&cfg.fingerprints, "fingerprints", false, "add the columns ja3, ja3s and ja4 to ssl.log (JA3/JA3S, JA4 client fingerprints)")
	fs.BoolVar(&cfg.recover, "recover", false,
		"recover what Zeek throws away on damaged traffic: hold reordered segments instead of\n"+
			"declaring gaps, resynchronise on the next TLS record after a real gap, pick up\n"+
			"connections whose start was not captured (weird.log says where); off: Zeek's output")
	fs.BoolVar(&cfg.memstats, "memstats", false, "also print Go allocation counters at the end (for performance work)")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile (go tool pprof) to `FILE`")
	fs.StringVar(&cfg.memProfile, "memprofile", "", "write an allocation profile (go tool pprof) to `FILE` at the end")
	fs.StringVar(&cfg.trace, "trace", "", "write an execution trace (go tool trace) to `FILE`")
	fs.Func("load", "also run Zeek's policy `SCRIPTS` (comma-separated: validate-certs, validate-ocsp, validate-sct,\n"+
		"known-certs, expiring-certs, weak-keys, heartbleed, ssl-log-ext, community-id-logging;\n"+
		"\""+policy.UsualSet+"\" for all of them): their ssl.log and conn.log columns, notice.log, known_certs.log", func(s string) error {
		names, err := policy.ParseLoad(s)
		if err != nil {
			return err
		}
		cfg.load = mergeScripts(cfg.load, names)
		return nil
	})
	fs.StringVar(&cfg.caFile, "ca-file", "", "also trust the CA certificates of the PEM `FILE` (validate-certs, validate-ocsp)")
	fs.StringVar(&cfg.ctLogList, "ct-log-list", "", "the Certificate Transparency logs validate-sct knows: Google's log_list.json (v3) `FILE`\n"+
		"(without it no log is known and valid_ct_logs is 0, as Zeek with an empty SSL::ct_logs)")
	fs.BoolVar(&cfg.quiet, "q", false, "quiet: no summary and no progress line (errors are still printed)")
	fs.BoolVar(&cfg.eventsText, "events-text", false,
		"in events.jsonl, write the string arguments that are printable UTF-8\n"+
			"as text (for jq); the others stay hex (the default: all hex)")
	fs.BoolVar(&cfg.verifyChecksums, "verify-checksums", false,
		"drop packets with a bad IP, TCP, UDP or ICMP checksum, with\n"+
			"Zeek's weirds, as Zeek without -C (see Checksums below)")
	addSinkFlags(fs, &cfg.sink)
	fs.IntVar(&cfg.workers, "workers", 0,
		"spread the connections over `N` engines on N cores (the output is the\n"+
			"same for every N, byte for byte); default: reading files, one per usable\n"+
			"CPU (1 from stdin). With -i: N sockets per interface in its fanout\n"+
			"group, one engine each (default 1)")
	cfg.maxMemory = defaultMaxMemory // issue 10: memory.go
	fs.Var(&cfg.maxMemory, "max-memory",
		"the memory `SIZE` (512M, 2G; none: no budget) that connections and their\n"+
			"buffers draw on; when it is short, incomplete IP fragments, half-open\n"+
			"connections and stalled unconfirmed buffers and connections are shed,\n"+
			"oldest first, each a memory_budget weird (docs/RELIABILITY.md)")
	cfg.sensor.flags(fs) // issue 12: -i, -f, --rotate, --metrics, --stats-interval, --af-packet-*
	noProgress := fs.Bool("no-progress", false, "never print the progress line (shown only on a terminal, for\n"+
		"runs of more than 2 s: share of the files read, rate, time left)")
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
	case cfg.sensor.check(cfg.reads, stderr) != nil: // issue 12: -i/-r and the filter expression
		return cfg, exitUsage, true
	case cfg.workers < 0:
		fmt.Fprintf(stderr, "tlsmon: --workers %d: give a number of engines, or 0 for the default\n", cfg.workers)
		return cfg, exitUsage, true
	case len(cfg.sensor.ifaces) > 0 && cfg.workers > 1 && cfg.sensor.live.NoFanout:
		// Live workers share each interface through its fanout group (docs/SCALING.md).
		fmt.Fprintln(stderr, "tlsmon: --workers above 1 with -i needs the fanout group: drop --af-packet-no-fanout")
		return cfg, exitUsage, true
	case len(cfg.reads) == 0 && len(cfg.sensor.ifaces) == 0:
		fmt.Fprintln(stderr, "tlsmon: no capture to read: give at least one -r FILE or -i IFACE")
		usage(stderr)
		return cfg, exitUsage, true
	case cfg.outDir == "":
		fmt.Fprintln(stderr, "tlsmon: -o needs a directory")
		return cfg, exitUsage, true
	}
	if err := cfg.sink.check(fs, &cfg, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "tlsmon: %v\n", err)
		return cfg, exitUsage, true
	}
	cfg.progress = !*noProgress
	if cfg.workers <= 0 {
		cfg.workers = defaultWorkers(cfg) // workers.go
	}
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
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" { // 0: a default the text gives
			fmt.Fprintf(w, " (default %q)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
	fmt.Fprint(w, usageFooter)
}

// mergeScripts returns the scripts of a and b in Zeek's load order, each once.
func mergeScripts(a, b []string) []string {
	var out []string
	for _, n := range policy.Scripts {
		if slices.Contains(a, n) || slices.Contains(b, n) {
			out = append(out, n)
		}
	}
	return out
}
