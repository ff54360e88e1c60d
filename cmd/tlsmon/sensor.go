package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/engine"
	"github.com/tlsmon/tlsmon/filter"
	"github.com/tlsmon/tlsmon/live"
)

// sensorConfig is what the command line asks of live capture (issue 12).
type sensorConfig struct {
	ifaces        []string
	filterExpr    string
	filter        *filter.Filter // compiled -f (files and interfaces)
	rotate        time.Duration  // --rotate: 0 = never (SIGHUP still rotates in live mode)
	metricsAddr   string
	statsInterval time.Duration // stats.log and capture_loss.log rows (live; 0: none)
	live          live.Options
	fanoutID      *uint
	// Zeek's tcp_inactivity_timeout and udp_inactivity_timeout (0: the engine's defaults)
	tcpInactivity, udpInactivity time.Duration
}

func (s *sensorConfig) flags(fs *flag.FlagSet) {
	fs.Func("i", "capture live from `IFACE` (repeatable; Linux AF_PACKET; needs root or\n"+
		"CAP_NET_RAW). SIGINT/SIGTERM stop it with every open\n"+
		"connection written, exit status 0; SIGHUP rotates the logs", func(v string) error {
		if v == "" {
			return errors.New("empty interface name")
		}
		s.ifaces = append(s.ifaces, v)
		return nil
	})
	fs.StringVar(&s.filterExpr, "f", "", "only analyze packets matching the tcpdump `FILTER` expression (attached\n"+
		"to the socket live, run in user space on files)")
	fs.DurationVar(&s.rotate, "rotate", 0, "live: rotate the logs every `DURATION` (e.g. 1h; 0: only on SIGHUP),\n"+
		"as Zeek names them: PATH.YYYY-MM-DD-HH-MM-SS.log (the file's open time)")
	fs.DurationVar(&s.statsInterval, "stats-interval", 5*time.Minute, "live: write a stats.log and a capture_loss.log row every `DURATION`\n"+
		"(Zeek's Stats::report_interval; 0: none)")
	fs.StringVar(&s.metricsAddr, "metrics", "", "live: serve Prometheus metrics on `ADDR` (e.g. :9100), path /metrics")
	fs.IntVar(&s.live.BufferSize, "af-packet-buffer-size", live.DefaultBufferSize, "live: ring `BYTES` per socket (Zeek's AF_Packet::buffer_size)")
	fs.IntVar(&s.live.BlockSize, "af-packet-block-size", live.DefaultBlockSize, "live: ring block `BYTES`, a multiple of 4096; the largest packet\n"+
		"captured whole (AF_Packet::block_size)")
	fanoutID := fs.Uint("af-packet-fanout-id", live.DefaultFanoutID, "live: PACKET_FANOUT group `ID` (AF_Packet::fanout_id); processes with\n"+
		"the same id share the interface by flow")
	s.live.FanoutID = live.DefaultFanoutID
	fs.Func("af-packet-fanout-mode", "live: fanout `MODE`: hash (symmetric flow hash, the default), cpu, qm, lb",
		func(v string) error { s.live.FanoutMode = v; return nil })
	fs.BoolVar(&s.live.NoFanout, "af-packet-no-fanout", false, "live: do not join a fanout group (AF_Packet::enable_fanout=F)")
	fs.BoolVar(&s.live.Defrag, "af-packet-defrag", true, "live: PACKET_FANOUT_FLAG_DEFRAG: the kernel reassembles IP fragments\n"+
		"before hashing, so they reach their connection's socket (Zeek's default: F)")
	fs.BoolVar(&s.live.NoPromisc, "no-promisc", false, "live: do not put the interfaces in promiscuous mode")
	fs.DurationVar(&s.tcpInactivity, "tcp-inactivity-timeout", 5*time.Minute, "expire a TCP connection idle for `DURATION`\n"+
		"(Zeek's tcp_inactivity_timeout)")
	fs.DurationVar(&s.udpInactivity, "udp-inactivity-timeout", time.Minute, "expire a UDP connection idle for `DURATION`\n"+
		"(Zeek's udp_inactivity_timeout)")
	s.fanoutID = fanoutID
}

// check validates the sensor flags once parsed; it reports a usage error on stderr.
func (s *sensorConfig) check(reads []string, stderr io.Writer) error {
	fail := func(format string, a ...any) error {
		err := fmt.Errorf(format, a...)
		fmt.Fprintf(stderr, "tlsmon: %v\n", err)
		return err
	}
	if s.fanoutID != nil {
		if *s.fanoutID > 0xffff {
			return fail("--af-packet-fanout-id %d: must be at most 65535", *s.fanoutID)
		}
		s.live.FanoutID = uint16(*s.fanoutID)
	}
	s.live.Interfaces = s.ifaces
	switch {
	case len(s.ifaces) > 0 && len(reads) > 0:
		return fail("-r and -i cannot be combined: read captures or capture live")
	case s.rotate < 0 || s.statsInterval < 0:
		return fail("--rotate and --stats-interval take a positive duration (0: never)")
	case s.tcpInactivity <= 0 || s.udpInactivity <= 0:
		return fail("the inactivity timeouts take a positive duration")
	case len(reads) > 0 && (s.rotate > 0 || s.metricsAddr != ""):
		return fail("--rotate and --metrics apply to live capture (-i), not to -r")
	case s.rotate > 0 && s.rotate < time.Second:
		return fail("--rotate %s: at least 1s (rotated names have a one-second resolution)", s.rotate)
	}
	if len(s.ifaces) > 0 {
		if err := s.live.Validate(); err != nil {
			return fail("%v", err)
		}
	}
	if s.filterExpr != "" {
		f, err := filter.Compile(s.filterExpr)
		if err != nil {
			return fail("-f: %v", err)
		}
		s.filter = f
		s.live.Filter = f
	}
	return nil
}

// filterReader passes on the frames that match the -f filter (files: the same program
// the kernel runs on a live socket, run in user space).
type filterReader struct {
	capture.Reader
	m *filter.Matcher
}

func (r *filterReader) Next(f *capture.Frame) error {
	for {
		if err := r.Reader.Next(f); err != nil {
			return err
		}
		ok, err := r.m.Match(f.LinkType, f.Data)
		if err != nil {
			return &capture.Error{File: f.File, Packet: f.Num, Err: err}
		}
		if ok {
			return nil
		}
	}
}

// withFilter wraps r in the -f filter, if any.
func (s *sensorConfig) withFilter(r capture.Reader) capture.Reader {
	if s.filter == nil {
		return r
	}
	return &filterReader{Reader: r, m: filter.NewMatcher(s.filter)}
}

// analyzeLive runs the engine on live interfaces until SIGINT or SIGTERM, then writes
// every open connection's rows (as Zeek does at termination) and closes the logs. A stop
// by signal is the normal end of a sensor: exit status 0.
func analyzeLive(cfg config, stderr io.Writer) error {
	stop := newRunStop()
	unwatch := stop.watchSignals(stderr, stop.abort)
	defer unwatch()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	if err := checkOutputs(cfg); err != nil {
		return err
	}
	src, err := live.Open(cfg.sensor.live)
	if err != nil {
		return err
	}
	out, err := openOutputs(cfg, stop.outputFailed)
	if err != nil {
		src.Close()
		return err
	}
	stop.adopt(out)

	met := newSensorMetrics()
	out.handlers = append(out.handlers, met)
	eng := engine.New(engine.Options{
		Handler:              out,
		Analyzer:             analyzer.Options{AnalyzeEncrypted: cfg.analyzeEncrypted},
		VerifyChecksums:      cfg.verifyChecksums,
		Recover:              engine.Recover{Enabled: cfg.recover},
		UIDSeed:              cfg.sink.seed,
		TCPInactivityTimeout: cfg.sensor.tcpInactivity,
		UDPInactivityTimeout: cfg.sensor.udpInactivity,
		MaxMemory:            applyMaxMemory(cfg.maxMemory),
	})
	var srv io.Closer
	if cfg.sensor.metricsAddr != "" {
		if srv, err = met.serve(cfg.sensor.metricsAddr); err != nil {
			src.Close()
			out.Close()
			return &exitError{code: exitUsage, err: fmt.Errorf("--metrics %s: %w", cfg.sensor.metricsAddr, err)}
		}
	}
	stopProfiles, err := startProfiles(cfg.cpuProfile, cfg.memProfile)
	if err != nil {
		src.Close()
		out.Close()
		return err
	}
	start := time.Now()
	if !cfg.quiet {
		where := "logs in " + cfg.outDir
		if cfg.sink.noFiles {
			where = "no log files"
		}
		fmt.Fprintf(stderr, "tlsmon: capturing on %v; %s\n", cfg.sensor.ifaces, where)
	}
	l := &sensorLoop{cfg: &cfg.sensor, src: src, eng: eng, out: out, met: met, stop: stop.ch, hup: hup}
	if cfg.sensor.statsInterval > 0 {
		l.health = newHealthLogs(out, start)
	}
	runErr := l.run(start)
	eng.Flush()
	l.publish(time.Now())
	if l.health != nil && !out.abort.Load() { // a last row for the time since the previous one
		l.health.write(time.Now(), eng.Stats(), l.kernel, met, l.lastTs)
	}
	src.Close()
	profErr := stopProfiles()
	closeErr := out.Close()
	if srv != nil {
		srv.Close()
	}
	st := eng.Stats()
	if !cfg.quiet {
		fmt.Fprintln(stderr, resultLine(st, &out.tally, out.where()))
		if out.kafka != nil {
			fmt.Fprintln(stderr, kafkaLine(out.kafka.Stats(), cfg.sink.policyV))
		}
		fmt.Fprintln(stderr, summaryLine(st, time.Since(start)))
		for _, ks := range l.kernel {
			fmt.Fprintf(stderr, "tlsmon: %s: %d packets received, %d dropped by the kernel\n", ks.Interface, ks.Received, ks.Drops)
		}
	}
	// A signal is how a sensor stops: not an error (exit 0). Lost Kafka rows still win (3).
	switch {
	case closeErr != nil:
		err = closeErr
	case runErr != nil:
		err = runErr
	default:
		err = profErr
	}
	return withLoss(err, closeErr, runErr, nil)
}

// sensorLoop is the live read loop: frames to the engine, the wall clock when the link is
// quiet, rotation, stats rows and the metrics snapshot between frames (so that no row is
// split and nothing needs a lock on the per-packet path).
type sensorLoop struct {
	cfg    *sensorConfig
	src    *live.Source
	eng    *engine.Engine
	out    *outputs
	met    *sensorMetrics
	stop   <-chan struct{}
	hup    <-chan os.Signal
	kernel []live.Stats
	health *healthLogs // nil without --stats-interval
	lastTs int64       // the last packet's timestamp (µs)
	// next rotation, health rows and metrics snapshot (wall clock)
	nextRotate, nextHealth, nextPublish time.Time
}

// checkEvery is how many frames pass between two looks at the clock and the signals.
const checkEvery = 256

func (l *sensorLoop) run(start time.Time) error {
	if l.cfg.rotate > 0 {
		l.nextRotate = start.Add(l.cfg.rotate)
	}
	if l.health != nil {
		l.nextHealth = start.Add(l.cfg.statsInterval)
	}
	var f capture.Frame
	for n := 0; ; n++ {
		err := l.src.Next(&f)
		switch {
		case err == nil:
			l.eng.Frame(&f)
			l.lastTs = f.Ts
			if n%checkEvery != 0 {
				continue
			}
		case errors.Is(err, live.ErrIdle):
			l.eng.Advance(time.Now().UnixMicro()) // a quiet link: time goes on
		default:
			return err
		}
		select {
		case <-l.stop:
			return l.drain(&f)
		default:
		}
		now := time.Now()
		rotate := !l.nextRotate.IsZero() && !now.Before(l.nextRotate)
		select {
		case <-l.hup:
			rotate = true
		default:
		}
		if rotate {
			l.out.rotate(now)
			if l.cfg.rotate > 0 {
				l.nextRotate = now.Add(l.cfg.rotate)
			}
		}
		if l.health != nil && !now.Before(l.nextHealth) {
			l.kernel = l.src.Stats()
			l.health.write(now, l.eng.Stats(), l.kernel, l.met, l.lastTs)
			l.nextHealth = now.Add(l.cfg.statsInterval)
		}
		if !now.Before(l.nextPublish) {
			l.publish(now)
			l.out.flushLines() // rows reach the files within a second
			l.nextPublish = now.Add(time.Second)
		}
	}
}

// maxDrain bounds the time a stop spends on the packets still queued in the ring.
const maxDrain = 2 * time.Second

// drain processes what the kernel queued before the stop: until the ring is empty (no
// packet within the idle wait) or maxDrain on a link that never goes quiet.
func (l *sensorLoop) drain(f *capture.Frame) error {
	end := time.Now().Add(maxDrain)
	for n := 1; ; n++ {
		err := l.src.Next(f)
		switch {
		case err == nil:
			l.eng.Frame(f)
			if n%checkEvery == 0 && time.Now().After(end) {
				return nil
			}
		case errors.Is(err, live.ErrIdle):
			return nil
		default:
			return err
		}
	}
}

// publish hands the counters to the metrics endpoint.
func (l *sensorLoop) publish(now time.Time) {
	l.kernel = l.src.Stats()
	l.met.publish(l.eng.Stats(), l.kernel, l.out)
}
