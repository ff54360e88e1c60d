package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/engine"
)

// errInterrupted is returned when a signal stopped the run early.
var errInterrupted = errors.New("interrupted: the logs hold what was read before the signal")

// analyze runs the engine over the captures of cfg and writes the outputs. The logs of what
// was processed are written even when reading stops on an error.
func analyze(cfg config, stderr io.Writer) error {
	src, err := openCaptures(cfg.reads)
	if err != nil {
		return err
	}
	out, err := openOutputs(cfg)
	if err != nil {
		src.Close()
		return err
	}

	stopProfiles, err := startProfiles(cfg.cpuProfile, cfg.memProfile)
	if err != nil {
		out.Close()
		src.Close()
		return err
	}

	start := time.Now()
	cr := newCountingReader(src, start)
	if cfg.progress && isTerminal(os.Stderr) {
		cr.progress = stderr
	}
	stop := cr.stopOnSignal(os.Interrupt, syscall.SIGTERM)

	eng := engine.New(engine.Options{
		Handler:  out.handler,
		Analyzer: analyzer.Options{AnalyzeEncrypted: cfg.analyzeEncrypted},
	})
	runErr := eng.Run(cr)
	stop()
	profErr := stopProfiles()
	cr.clearProgress()
	closeErr := out.Close()
	srcErr := src.Close()

	st := eng.Stats()
	for _, lt := range st.UnknownLinkTypes {
		fmt.Fprintf(stderr, "tlsmon: warning: link type %d is not one Zeek decodes; its frames were read as raw IP (weird unknown_link_type)\n", lt)
	}
	fmt.Fprintln(stderr, summaryLine(st, time.Since(start)))
	if cfg.memstats {
		fmt.Fprintln(stderr, memLine(float64(st.Packets)))
	}
	switch {
	case runErr != nil:
		return runErr
	case cr.interrupted():
		return errInterrupted
	case closeErr != nil:
		return closeErr
	case profErr != nil:
		return profErr
	}
	return srcErr
}

// openCaptures opens every capture; several are merged by timestamp.
func openCaptures(paths []string) (capture.Reader, error) {
	rs := make([]capture.Reader, 0, len(paths))
	for _, p := range paths {
		r, err := capture.Open(p)
		if err != nil {
			for _, o := range rs {
				o.Close()
			}
			return nil, err
		}
		rs = append(rs, r)
	}
	if len(rs) == 1 {
		return rs[0], nil
	}
	return capture.Merge(rs...), nil
}

// stopOnSignal makes the reader end cleanly at the first of the signals (the engine then
// flushes every connection and the logs are written); a second signal kills the process.
// The returned function stops listening.
func (c *countingReader) stopOnSignal(sigs ...os.Signal) func() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
			c.stop.Store(true)
			signal.Stop(ch)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}
