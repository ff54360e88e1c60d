package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/tlsmon/tlsmon"
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
//
// With --workers N, N workers each open their own socket on every interface, joined to the
// interface's fanout group, and run their own engine on it (no dispatcher: the kernel's
// symmetric flow hash gives every connection to one worker). Each worker has its own
// network time, uid seed, idle clock, weird sampling and counters; the outputs (log
// builders, writers, rotation, the event file, the stream) see one event at a time, behind
// one lock (liveWorker.HandleEvent), so that rotation between two events splits no row.
// Rows of different workers interleave as they come, as Zeek's workers' rows do at its
// logger: the live output is that of the file run, not in the same order.
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
	n := max(cfg.workers, 1)
	srcs, err := live.OpenWorkers(cfg.sensor.live, n)
	if err != nil {
		return err
	}
	closeSrcs := func() {
		for _, src := range srcs {
			src.Close()
		}
	}
	out, err := openOutputs(cfg, stop.outputFailed)
	if err != nil {
		closeSrcs()
		return err
	}
	stop.adopt(out)

	met := newSensorMetrics(n)
	var health *healthLogs
	if cfg.sensor.statsInterval > 0 {
		health = newHealthLogs(out)
	}
	start := time.Now()
	var outMu sync.Mutex // the outputs' lock
	maxMemory := applyMaxMemory(cfg.maxMemory)
	workers := make([]*liveWorker, n)
	for id := range workers {
		w := &liveWorker{id: id, cfg: &cfg.sensor, src: srcs[id], out: out, outMu: &outMu,
			met: met.workers[id], health: health, peer: workerPeer(id, n), stop: stop.ch}
		w.mark.ts = start
		w.eng = engine.New(engine.Options{
			Handler:              w,
			Analyzer:             analyzer.Options{AnalyzeEncrypted: cfg.analyzeEncrypted},
			VerifyChecksums:      cfg.verifyChecksums,
			Recover:              engine.Recover{Enabled: cfg.recover},
			UIDSeed:              workerSeed(cfg.sink.seed, id),
			TCPInactivityTimeout: cfg.sensor.tcpInactivity,
			UDPInactivityTimeout: cfg.sensor.udpInactivity,
			MaxMemory:            maxMemory,
		}.PerWorker(n)) // each worker's engine has its share of the budget and caps
		workers[id] = w
	}
	var srv io.Closer
	if cfg.sensor.metricsAddr != "" {
		if srv, err = met.serve(cfg.sensor.metricsAddr); err != nil {
			closeSrcs()
			out.Close()
			return &exitError{code: exitUsage, err: fmt.Errorf("--metrics %s: %w", cfg.sensor.metricsAddr, err)}
		}
	}
	stopProfiles, err := startProfiles(cfg.cpuProfile, cfg.memProfile, cfg.trace)
	if err != nil {
		closeSrcs()
		out.Close()
		return err
	}
	if !cfg.quiet {
		where := "logs in " + cfg.outDir
		if cfg.sink.noFiles {
			where = "no log files"
		}
		many := ""
		if n > 1 {
			many = fmt.Sprintf(" with %d workers", n)
		}
		fmt.Fprintf(stderr, "tlsmon: capturing on %v%s; %s\n", cfg.sensor.ifaces, many, where)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for id, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[id] = w.run(start); errs[id] != nil {
				stop.request() // a worker that cannot read stops the others
			}
			w.finish()
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	superviseOutputs(&cfg.sensor, out, &outMu, met, hup, finished)
	met.publishRows(out.rowCounts())
	closeSrcs()
	profErr := stopProfiles()
	closeErr := out.Close()
	if srv != nil {
		srv.Close()
	}
	all := make([]engine.Stats, n)
	for id, w := range workers {
		all[id] = w.eng.Stats()
	}
	st := engine.Sum(all...)
	if !cfg.quiet {
		fmt.Fprintln(stderr, resultLine(st, &out.tally, out.where()))
		if out.kafka != nil {
			fmt.Fprintln(stderr, kafkaLine(out.kafka.Stats(), cfg.sink.policyV))
		}
		fmt.Fprintln(stderr, summaryLine(st, time.Since(start)))
		for _, w := range workers {
			for _, ks := range w.met.kernel() {
				who := ks.Interface
				if n > 1 {
					who += fmt.Sprintf(" (worker %d)", w.id)
				}
				fmt.Fprintf(stderr, "tlsmon: %s: %d packets received, %d dropped by the kernel\n", who, ks.Received, ks.Drops)
			}
		}
	}
	// A signal is how a sensor stops: not an error (exit 0). Lost Kafka rows still win (3).
	runErr := errors.Join(errs...)
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

// workerSeed is worker id's uid seed: the run's seed for the first worker (one worker draws
// the uids of a run without workers), the seed mixed with the worker's number for the
// others, so that the workers draw from different sequences (64-bit keyed mixes: a shared
// uid is as unlikely as between two sensors).
func workerSeed(seed uint64, id int) uint64 {
	if id == 0 {
		return seed
	}
	x := seed ^ uint64(id)*0x9e3779b97f4a7c15
	x ^= x >> 31
	x *= 0xd6e8feb86659fd93
	x ^= x >> 32
	return x
}

// superviseOutputs is the loop that owns the log writers while the workers run: it rotates
// (--rotate, SIGHUP), flushes the files' whole lines and publishes the row counts about once a
// second, each under the outputs' lock, so between two events of any worker. It returns
// when the workers have finished.
func superviseOutputs(cfg *sensorConfig, out *outputs, mu *sync.Mutex, met *sensorMetrics, hup <-chan os.Signal, finished <-chan struct{}) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var rotC <-chan time.Time
	var rot *time.Timer
	if cfg.rotate > 0 {
		rot = time.NewTimer(cfg.rotate)
		defer rot.Stop()
		rotC = rot.C
	}
	rotate := func() {
		mu.Lock()
		out.rotate(time.Now())
		mu.Unlock()
		if rot != nil {
			rot.Reset(cfg.rotate)
		}
	}
	for {
		select {
		case <-finished:
			return
		case <-hup:
			if rot != nil && !rot.Stop() {
				select { // drained, so that Reset starts a fresh interval
				case <-rot.C:
				default:
				}
			}
			rotate()
		case <-rotC:
			rotate()
		case <-tick.C:
			mu.Lock()
			out.flushLines() // rows reach the files within a second
			rows := out.rowCounts()
			mu.Unlock()
			met.publishRows(rows)
		}
	}
}

// liveWorker is one worker of a live run: its socket(s), its engine, its counters. Its
// read loop checks the clock and the stop between frames, so that nothing needs a lock on
// the per-packet path but the delivery of events to the shared outputs.
type liveWorker struct {
	id     int
	cfg    *sensorConfig
	src    *live.Source
	eng    *engine.Engine
	out    *outputs
	outMu  *sync.Mutex
	met    *workerMetrics
	health *healthLogs // nil without --stats-interval
	peer   string      // the health logs' peer column
	mark   healthMark  // the counters at this worker's last health row
	stop   <-chan struct{}
	lastTs int64 // the last packet's timestamp (µs)
	// next health rows and metrics snapshot (wall clock)
	nextHealth, nextPublish time.Time
}

// HandleEvent implements tlsmon.Handler: the worker's engine's events, counted for its
// metrics, then handed to the outputs one at a time.
func (w *liveWorker) HandleEvent(e tlsmon.Event) {
	w.met.HandleEvent(e)
	w.outMu.Lock()
	w.out.HandleEvent(e)
	w.outMu.Unlock()
}

// checkEvery is how many frames pass between two looks at the clock and the signals.
const checkEvery = 256

// run reads frames into the engine until the stop (then drains the ring) or a read error.
func (w *liveWorker) run(start time.Time) error {
	if w.health != nil {
		w.nextHealth = start.Add(w.cfg.statsInterval)
	}
	var f capture.Frame
	for n := 0; ; n++ {
		err := w.src.Next(&f)
		switch {
		case err == nil:
			w.eng.Frame(&f)
			w.lastTs = f.Ts
			if n%checkEvery != 0 {
				continue
			}
		case errors.Is(err, live.ErrIdle):
			w.eng.Advance(time.Now().UnixMicro()) // a quiet link: time goes on
		default:
			return err
		}
		select {
		case <-w.stop:
			return w.drain(&f)
		default:
		}
		now := time.Now()
		if w.health != nil && !now.Before(w.nextHealth) {
			w.writeHealth(now)
			w.nextHealth = now.Add(w.cfg.statsInterval)
		}
		if !now.Before(w.nextPublish) {
			w.met.publish(w.eng.Stats(), w.src.Stats())
			w.nextPublish = now.Add(time.Second)
		}
	}
}

// writeHealth writes the worker's stats.log and capture_loss.log rows.
func (w *liveWorker) writeHealth(now time.Time) {
	st, kernel := w.eng.Stats(), w.src.Stats()
	w.outMu.Lock()
	w.health.write(w.peer, &w.mark, now, st, kernel, w.met, w.lastTs)
	w.outMu.Unlock()
}

// finish writes every open connection's rows (as Zeek at termination), publishes the final
// counters and writes the last health rows (for the time since the previous ones).
func (w *liveWorker) finish() {
	w.eng.Flush()
	w.met.publish(w.eng.Stats(), w.src.Stats())
	if w.health != nil && !w.out.abort.Load() {
		w.writeHealth(time.Now())
	}
}

// maxDrain bounds the time a stop spends on the packets still queued in the ring.
const maxDrain = 2 * time.Second

// drain processes what the kernel queued before the stop: until the ring is empty (no
// packet within the idle wait) or maxDrain on a link that never goes quiet.
func (w *liveWorker) drain(f *capture.Frame) error {
	end := time.Now().Add(maxDrain)
	for n := 1; ; n++ {
		err := w.src.Next(f)
		switch {
		case err == nil:
			w.eng.Frame(f)
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
