package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/engine"
	"github.com/tlsmon/tlsmon/sink"
	"github.com/tlsmon/tlsmon/ssl"
)

// exitError is an error that ends the command with a status other than exitRuntime.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// run state shared with the signal goroutine and the output files.
type runStop struct {
	once    sync.Once
	ch      chan struct{} // closed at the first stop request
	reader  *countingReader
	mu      sync.Mutex
	sig     os.Signal // the first signal received, if a signal stopped the run
	outErr  error     // the first output error, if one stopped the run
	pending bool      // a stop was requested before the reader existed
	out     *outputs  // the run's outputs, once open (adopt)
	aborted bool      // a second signal came (abort)
}

func newRunStop() *runStop { return &runStop{ch: make(chan struct{})} }

// abort is the second signal's action: close the logs now and stop waiting for Kafka, or,
// while the outputs are still opening, as soon as adopt receives them.
func (s *runStop) abort() {
	s.mu.Lock()
	o := s.out
	s.aborted = true
	s.mu.Unlock()
	if o != nil {
		o.stopNow()
	}
}

// adopt records the run's outputs for abort (and applies an abort that came first).
func (s *runStop) adopt(o *outputs) {
	s.mu.Lock()
	s.out = o
	aborted := s.aborted
	s.mu.Unlock()
	if aborted {
		o.stopNow()
	}
}

// checkOutputs checks the output directory before anything is read, unless no log file is
// written (-o -, or --kafka alone).
func checkOutputs(cfg config) error {
	if cfg.sink.noFiles {
		return nil
	}
	return checkOutputDir(cfg.outDir)
}

// request stops the reading (the engine then flushes every connection and the logs are
// closed): the reader returns end of input at its next frame, and a read waiting on an
// idle standard input returns at once.
func (s *runStop) request() {
	s.mu.Lock()
	if s.reader != nil {
		s.reader.stop.Store(true)
	} else {
		s.pending = true
	}
	s.mu.Unlock()
	s.once.Do(func() { close(s.ch) }) // last: whoever wakes on ch sees the reader stopped
}

func (s *runStop) setReader(r *countingReader) {
	s.mu.Lock()
	s.reader = r
	if s.pending {
		r.stop.Store(true)
	}
	s.mu.Unlock()
}

// outputFailed is called at the first write error of an output file.
func (s *runStop) outputFailed(err error) {
	s.mu.Lock()
	if s.outErr == nil {
		s.outErr = err
	}
	s.mu.Unlock()
	s.request()
}

// signalled returns the first signal received, or nil.
func (s *runStop) signalled() os.Signal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sig
}

// watchSignals handles SIGINT and SIGTERM: the first stops the reading (the logs get every
// connection read so far); the second drops every later event and only closes the logs
// (whole lines, #close); the third exits at once (the files hold whole lines, the TSV logs
// no #close line). abort is called at the second. The returned function stops listening.
func (s *runStop) watchSignals(stderr io.Writer, abort func()) func() {
	ch := make(chan os.Signal, 3)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		for n := 1; ; n++ {
			var sig os.Signal
			select {
			case sig = <-ch:
			case <-done:
				return
			}
			switch n {
			case 1:
				s.mu.Lock()
				s.sig = sig
				s.mu.Unlock()
				s.request()
			case 2:
				fmt.Fprintln(stderr, "tlsmon: second signal: closing the logs now, without the connections still open")
				abort()
			default:
				fmt.Fprintln(stderr, "tlsmon: third signal: exiting at once; the logs end with whole lines but no #close")
				os.Exit(signalStatus(sig))
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}

// signalStatus is the exit status for a run ended by sig, as shells report a process
// killed by it: 128 + the signal number (130 for SIGINT, 143 for SIGTERM).
func signalStatus(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return exitRuntime
}

// signalName is the conventional name of sig.
func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// analyze runs the engine over the captures of cfg and writes the outputs. The logs of what
// was processed are written even when reading stops on an error.
func analyze(cfg config, stderr io.Writer) error {
	if len(cfg.sensor.ifaces) > 0 {
		return analyzeLive(cfg, stderr) // issue 12: sensor.go
	}
	stop := newRunStop()
	unwatch := stop.watchSignals(stderr, stop.abort)
	defer unwatch()

	if err := checkOutputs(cfg); err != nil {
		return err
	}
	in, err := openInputs(cfg.reads, stop.ch)
	if err != nil {
		if sig := stop.signalled(); sig != nil && errors.Is(err, errStopped) {
			return &exitError{code: signalStatus(sig), err: fmt.Errorf("interrupted (%s) before any packet was read", signalName(sig))}
		}
		return err
	}
	out, err := openOutputs(cfg, stop.outputFailed)
	if err != nil {
		in.Close()
		return err
	}
	stop.adopt(out)

	stopProfiles, err := startProfiles(cfg.cpuProfile, cfg.memProfile, cfg.trace)
	if err != nil {
		out.Close()
		in.Close()
		return err
	}

	start := time.Now()
	cr := newCountingReader(in.reader, start)
	cr.size, cr.position, cr.warn = in.size, in.position, stderr
	if cfg.progress && !cfg.quiet && isTerminal(os.Stderr) {
		cr.progress = stderr
	}
	stop.setReader(cr)

	st, runErr := engine.Run(cfg.sensor.withFilter(cr), engine.Options{
		Handler:         out,
		Analyzer:        analyzer.Options{AnalyzeEncrypted: cfg.analyzeEncrypted},
		SSL:             ssl.Config{Events: out.readsEvent, EventArgs: out.eventArgs},
		VerifyChecksums: cfg.verifyChecksums,
		Recover:         engine.Recover{Enabled: cfg.recover},
		UIDSeed:         cfg.sink.seed,
		Workers:         cfg.workers,
		Split:           out.splitOptions(cfg), // split.go: nil unless the consumers can run in the shards
		Stop:            stop.ch,
		MaxMemory:       applyMaxMemory(cfg.maxMemory),
	})
	out.endSplit()
	profErr := stopProfiles()
	cr.clearProgress()
	closeErr := out.Close()
	srcErr := in.Close()

	if !cfg.quiet {
		fmt.Fprintln(stderr, resultLine(st, &out.tally, out.where()))
		if out.kafka != nil {
			fmt.Fprintln(stderr, kafkaLine(out.kafka.Stats(), cfg.sink.policyV))
		}
		fmt.Fprintln(stderr, summaryLine(st, time.Since(start)))
		if cfg.memstats {
			fmt.Fprintln(stderr, memLine(float64(st.Packets)))
		}
	}
	sig := stop.signalled()
	if runErr != nil && sig != nil && errors.Is(runErr, errStopped) {
		runErr = nil // standard input abandoned at the signal
	}
	switch {
	case closeErr != nil: // the output error that stopped the run is among these
		err = closeErr
	case runErr != nil:
		err = runErr
	case sig != nil:
		err = &exitError{code: signalStatus(sig),
			err: fmt.Errorf("interrupted (%s): the logs hold what was read before the signal", signalName(sig))}
	case profErr != nil:
		err = profErr
	default:
		err = srcErr
	}
	return withLoss(err, closeErr, runErr, sig)
}

// withLoss gives err the exit status exitLost when rows were lost on their way to Kafka
// (closeErr then holds a *sink.LossError). Lost rows win over every other status, an
// interruption's included: 130/143 and 1 say that the outputs hold what was read before the
// signal or the error, which lost rows make untrue, and a pipeline must know to replay them.
// The other causes are still printed, each on its own line, before the loss.
func withLoss(err, closeErr, runErr error, sig os.Signal) error {
	if _, lost := errors.AsType[*sink.LossError](closeErr); !lost {
		return err
	}
	var causes []error
	if runErr != nil {
		causes = append(causes, runErr)
	}
	if sig != nil {
		causes = append(causes, fmt.Errorf("interrupted (%s)", signalName(sig)))
	}
	return &exitError{code: exitLost, err: errors.Join(append(causes, closeErr)...)}
}
