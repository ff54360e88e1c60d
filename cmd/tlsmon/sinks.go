package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/tlsmon/tlsmon/policy"
	"github.com/tlsmon/tlsmon/sink"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// exitLost is the exit status of a run whose rows did not all reach Kafka (dropped by the
// drop policy, or not acknowledged when tlsmon had to stop waiting). It wins over every
// other status (withLoss, analyze.go).
const exitLost = 3

// passwordEnv holds the SASL password: never on the command line, where ps shows it.
const passwordEnv = "TLSMON_KAFKA_PASSWORD"

// sinkFlags are the options of where the logs go besides files: stdout, Kafka, the
// selection of logs, and the sensor identity that keeps uids unique in a fleet.
type sinkFlags struct {
	logs         string // comma-separated log names; "" is all
	kafka        string // comma-separated seed brokers
	topic        string
	clientID     string
	tls          bool
	tlsCA        string
	tlsCert      string
	tlsKey       string
	saslMech     string
	saslUser     string
	buffer       int
	policy       string
	flushTimeout time.Duration
	compression  string
	sensorID     string
	uidSeed      string

	// Set by check.
	want     map[string]bool // the logs --logs names; nil: all
	noFiles  bool            // no log file is written: -o -, or --kafka without -o
	stdout   io.Writer
	stderr   io.Writer
	seed     uint64
	policyV  sink.Policy
	saslAuth sasl.Mechanism
	tlsCfg   *tls.Config
}

func addSinkFlags(fs *flag.FlagSet, s *sinkFlags) {
	fs.StringVar(&s.logs, "logs", "", "write only these `LOGS` (comma-separated: ssl,x509,conn,analyzer,weird, and\n"+
		"notice,known_certs with --load, stats,capture_loss with -i; default all), to files,\n"+
		"stdout and Kafka alike")
	fs.StringVar(&s.kafka, "kafka", "", "send every log row to Kafka: seed brokers `HOST:PORT[,...]`; log files are then\n"+
		"written only if -o DIR is also given")
	fs.StringVar(&s.topic, "kafka-topic", "zeek", "Kafka `TOPIC`; \"{log}\" in it is replaced by the log's name (\"{log}\" alone: one\n"+
		"topic per log, as zeek-kafka with an empty topic_name)")
	fs.StringVar(&s.clientID, "kafka-client-id", "tlsmon", "Kafka client `ID`")
	fs.BoolVar(&s.tls, "kafka-tls", false, "connect to Kafka over TLS (system roots unless --kafka-tls-ca)")
	fs.StringVar(&s.tlsCA, "kafka-tls-ca", "", "PEM `FILE` of the CAs that sign the brokers' certificates (implies --kafka-tls)")
	fs.StringVar(&s.tlsCert, "kafka-tls-cert", "", "PEM `FILE` of tlsmon's client certificate (with --kafka-tls-key)")
	fs.StringVar(&s.tlsKey, "kafka-tls-key", "", "PEM `FILE` of the client certificate's key")
	fs.StringVar(&s.saslMech, "kafka-sasl", "", "SASL `MECHANISM`: plain, scram-sha-256 or scram-sha-512 (password in $"+passwordEnv+")")
	fs.StringVar(&s.saslUser, "kafka-user", "", "SASL user `NAME`")
	fs.IntVar(&s.buffer, "kafka-buffer", 10000, "`N` rows held in memory while Kafka is slow or away")
	fs.StringVar(&s.policy, "kafka-policy", "block", "`POLICY` when the buffer is full: block (wait; reading slows, nothing is lost)\n"+
		"or drop (discard and count the rows)")
	fs.DurationVar(&s.flushTimeout, "kafka-flush-timeout", 30*time.Second, "at exit, how long (`DURATION`) to wait for Kafka to acknowledge buffered rows\n"+
		"before reporting them lost (exit status 3)")
	fs.StringVar(&s.compression, "kafka-compression", "lz4", "`CODEC` compressing the record batches: lz4, zstd, snappy, gzip or none")
	fs.StringVar(&s.sensorID, "sensor-id", "", "this sensor's `NAME` in a fleet: uids are drawn from it and the start time, so\n"+
		"sensors and runs draw different uids (default with --kafka: the host name)")
	fs.StringVar(&s.uidSeed, "uid-seed", "", "draw uids from this `NUMBER`: the same input gives the same uids (the default\n"+
		"without --sensor-id and --kafka is seed 0)")
}

// check validates the sink flags once the command line is parsed and derives the rest.
func (s *sinkFlags) check(fs *flag.FlagSet, cfg *config, stdout, stderr io.Writer) error {
	s.stdout, s.stderr = stdout, stderr
	var err error
	if s.want, err = selectLogs(s.logs, logNames(cfg.load, len(cfg.sensor.ifaces) > 0)); err != nil {
		return err
	}
	outSet := false
	fs.Visit(func(f *flag.Flag) { outSet = outSet || f.Name == "o" })
	s.noFiles = cfg.outDir == "-" || (s.kafka != "" && !outSet)
	if s.noFiles && cfg.events {
		return errors.New("--events needs an output directory (-o DIR)")
	}
	if s.kafka != "" {
		if err := s.checkKafka(); err != nil {
			return err
		}
	}
	return s.chooseSeed()
}

// logNames returns the names of the logs a run with the policy scripts loaded may write:
// tlsmon's own, then the scripts' (notice, known_certs), then live capture's (stats,
// capture_loss: statslog.go).
func logNames(load []string, live bool) []string {
	var names []string
	for _, spec := range zeeklog.Logs() {
		names = append(names, spec.Path)
	}
	names = append(names, policy.LogNames(load)...)
	if live {
		names = append(names, statsSpec.Path, captureLossSpec.Path)
	}
	return names
}

// selectLogs returns the set of logs named in list (nil for "": all); each must be one of
// known.
func selectLogs(list string, known []string) (map[string]bool, error) {
	if list == "" {
		return nil, nil
	}
	want := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSuffix(strings.TrimSpace(n), ".log")
		if !slices.Contains(known, n) {
			return nil, fmt.Errorf("--logs: unknown log %q (known: %s)", n, strings.Join(known, ","))
		}
		want[n] = true
	}
	return want, nil
}

// selected returns the specs of the logs --logs selects, in their order, and which of them
// run without being written: ssl.log, when an extra log of the policy scripts (notice,
// known_certs) is selected without it, since its column extensions are what raise the
// notices and log the known certificates.
func (s *sinkFlags) selected(specs []zeeklog.LogSpec, extra []zeeklog.LogSpec) ([]zeeklog.LogSpec, map[string]bool) {
	if s.want == nil {
		return specs, nil
	}
	needSSL := false
	for _, spec := range extra {
		needSSL = needSSL || s.want[spec.Path]
	}
	var out []zeeklog.LogSpec
	hidden := map[string]bool{}
	for _, spec := range specs {
		switch {
		case s.want[spec.Path]:
			out = append(out, spec)
		case spec.Path == "ssl" && needSSL:
			out = append(out, spec)
			hidden[spec.Path] = true
		}
	}
	return out, hidden
}

// discardWriter drops the rows of a log that runs without being written.
type discardWriter struct{}

func (discardWriter) Write([]zeeklog.Value) error { return nil }
func (discardWriter) Close(int64) error           { return nil }

func (s *sinkFlags) checkKafka() error {
	if s.topic == "" {
		return errors.New("--kafka-topic is empty")
	}
	if s.buffer <= 0 {
		return errors.New("--kafka-buffer must be at least 1")
	}
	switch s.compression {
	case "lz4", "zstd", "snappy", "gzip", "none":
	default:
		return fmt.Errorf("--kafka-compression: unknown codec %q (lz4, zstd, snappy, gzip, none)", s.compression)
	}
	var err error
	if s.policyV, err = sink.ParsePolicy(s.policy); err != nil {
		return fmt.Errorf("--kafka-policy: %w", err)
	}
	if s.tls || s.tlsCA != "" || s.tlsCert != "" {
		c := &tls.Config{MinVersion: tls.VersionTLS12}
		if s.tlsCA != "" {
			pem, err := os.ReadFile(s.tlsCA)
			if err != nil {
				return fmt.Errorf("--kafka-tls-ca: %w", err)
			}
			c.RootCAs = x509.NewCertPool()
			if !c.RootCAs.AppendCertsFromPEM(pem) {
				return fmt.Errorf("--kafka-tls-ca: no PEM certificate in %s", s.tlsCA)
			}
		}
		if (s.tlsCert == "") != (s.tlsKey == "") {
			return errors.New("--kafka-tls-cert and --kafka-tls-key go together")
		}
		if s.tlsCert != "" {
			kp, err := tls.LoadX509KeyPair(s.tlsCert, s.tlsKey)
			if err != nil {
				return fmt.Errorf("--kafka-tls-cert: %w", err)
			}
			c.Certificates = []tls.Certificate{kp}
		}
		s.tlsCfg = c
	}
	switch strings.ToLower(s.saslMech) {
	case "":
	case "plain":
		s.saslAuth = plain.Auth{User: s.saslUser, Pass: os.Getenv(passwordEnv)}.AsMechanism()
	case "scram-sha-256":
		s.saslAuth = scram.Auth{User: s.saslUser, Pass: os.Getenv(passwordEnv)}.AsSha256Mechanism()
	case "scram-sha-512":
		s.saslAuth = scram.Auth{User: s.saslUser, Pass: os.Getenv(passwordEnv)}.AsSha512Mechanism()
	default:
		return fmt.Errorf("--kafka-sasl: unknown mechanism %q (plain, scram-sha-256, scram-sha-512)", s.saslMech)
	}
	if s.saslAuth != nil && s.saslUser == "" {
		return errors.New("--kafka-sasl needs --kafka-user")
	}
	return nil
}

// chooseSeed picks the uid generator's seed. Without --sensor-id, --uid-seed and --kafka it
// is 0: the uids of today's output, the same on every run. A sensor id (given, or the host
// name with --kafka) is hashed together with the start time, so that two sensors, or two
// runs of one sensor (successive capture files, restarts), draw from different sequences;
// the uids keep Zeek's shape ("C" + 17 base62 characters of a 64-bit keyed mix).
func (s *sinkFlags) chooseSeed() error {
	if s.uidSeed != "" {
		v, err := strconv.ParseUint(s.uidSeed, 0, 64)
		if err != nil {
			return fmt.Errorf("--uid-seed: %w", err)
		}
		s.seed = v
		return nil
	}
	if s.sensorID == "" && s.kafka != "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			return fmt.Errorf("--kafka without --sensor-id needs the host name: %v", err)
		}
		s.sensorID = h
	}
	if s.sensorID != "" {
		h := fnv.New64a()
		fmt.Fprintf(h, "%s\x00%d", s.sensorID, time.Now().UnixNano())
		s.seed = h.Sum64()
	}
	return nil
}

// openDest opens the destination of the rows that do not go to files: stdout with -o -,
// Kafka with --kafka; nil when logs go to files only.
func (s *sinkFlags) openDest(cfg config, clock *sink.Clock) (sink.Dest, *sink.Kafka, error) {
	if cfg.outDir == "-" && s.kafka == "" {
		return sink.NewStream(s.stdout, clock), nil, nil
	}
	if s.kafka == "" {
		return nil, nil, nil
	}
	var brokers []string
	for _, b := range strings.Split(s.kafka, ",") {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	k, err := sink.NewKafka(sink.KafkaConfig{
		Brokers: brokers, Topic: s.topic, ClientID: s.clientID, TLS: s.tlsCfg, SASL: s.saslAuth,
		Sensor: s.sensorID, MaxBuffered: s.buffer, Policy: s.policyV, FlushTimeout: s.flushTimeout,
		Compression: s.compression,
	})
	if err != nil {
		return nil, nil, err
	}
	if cfg.outDir == "-" {
		return teeDest{sink.NewStream(s.stdout, clock), k}, k, nil
	}
	return k, k, nil
}

// watchedDest is the destination of a run: it keeps the first error of a Put (stdout that
// cannot be written) and reports it to onErr, which stops the reading as a full disk does.
type watchedDest struct {
	sink.Dest
	onErr func(error) // may be nil
	err   error
}

func (d *watchedDest) Put(r sink.Row) error {
	if d.err != nil {
		return d.err
	}
	if err := d.Dest.Put(r); err != nil {
		d.err = err
		if d.onErr != nil {
			d.onErr(err)
		}
		return err
	}
	return nil
}

// stopNow is the second signal's doing (runStop.watchSignals): every later event is
// dropped, and the Kafka sink stops waiting for the cluster (a Put blocked for room and the
// wait for acknowledgements at Close end at once; the rows not delivered are reported lost,
// exit status 3). Safe from any goroutine.
func (o *outputs) stopNow() {
	o.abort.Store(true)
	if o.kafka != nil {
		o.kafka.Interrupt()
	}
}

// closeDest delivers what the destination holds (Kafka: waits for acknowledgements, up to
// --kafka-flush-timeout) and returns its error: a *sink.LossError for lost rows.
func (o *outputs) closeDest() error {
	if o.dest == nil {
		return nil
	}
	return o.dest.Close() // the stream's error is reported here, not by the logs (isFileError)
}

// where says where the rows went, for the summary's first line.
func (o *outputs) where() string {
	var parts []string
	if files := o.written(); len(files) > 0 {
		parts = append(parts, "logs in "+o.dir+": "+strings.Join(files, ", "))
	} else if o.toFiles {
		parts = append(parts, "no log written")
	}
	if o.stdout {
		parts = append(parts, "logs on stdout")
	}
	if o.kafka != nil {
		parts = append(parts, "logs to Kafka")
	}
	return strings.Join(parts, "; ")
}

// kafkaLine is the line printed on stderr about the Kafka sink at the end of a run.
func kafkaLine(st sink.KafkaStats, policy sink.Policy) string {
	return fmt.Sprintf("tlsmon: kafka: %d rows, %d delivered, %d dropped, %d not acknowledged; policy %s, blocked %.3f s",
		st.Rows, st.Delivered, st.Dropped, st.Failed, policy, st.Blocked.Seconds())
}

// teeDest puts every row to two destinations.
type teeDest [2]sink.Dest

func (t teeDest) Put(r sink.Row) error { return errors.Join(t[0].Put(r), t[1].Put(r)) }
func (t teeDest) Close() error         { return errors.Join(t[0].Close(), t[1].Close()) }
