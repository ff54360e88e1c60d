package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/policy"
	"github.com/tlsmon/tlsmon/sink"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// outputs are the files of one run and the handler that feeds them.
type outputs struct {
	dir      string
	files    []*lazyFile
	events   *eventFile // nil without --events
	logs     []logBuilder
	handlers tlsmon.Handlers // those before set: the sink's clock, the events file
	set      *zeeklog.Set    // the logs; it hands tally the few events tally counts
	tally    tally
	rots     []*rotLog // each log's writer (rotate.go: rotation, row counts)
	// newLog makes a log's writer (files and/or stream); want is --logs' selection (nil: all).
	// The live health logs (statslog.go) are made with them.
	newLog func(zeeklog.LogSpec) *rotLog
	want   map[string]bool
	clock  *sink.Clock // network time of the rows sent to stdout or Kafka (_write_ts)
	// abort, set by a second signal, drops every later event: the run then only closes
	// the logs (each ending with a whole line and, in TSV, its #close line).
	abort atomic.Bool

	// Where rows go besides the files (issue 14): stdout with -o -, Kafka with --kafka.
	dest    *watchedDest // nil if rows go to files only
	kafka   *sink.Kafka  // the Kafka part of dest, for the summary
	toFiles bool         // log files are written (not with -o -, nor --kafka without -o)
	stdout  bool         // rows stream to stdout

	// The logs' writers as given to set, by path (split.go reads them), and the specs.
	logWriters map[string]zeeklog.Writer
	specs      []zeeklog.LogSpec
	split      *splitRun // the run's consumers run in the shards (split.go), or nil
	// shardExt makes a fresh copy of the run's column extensions for one shard (split.go),
	// whose policy scripts hand their decisions to f. site is the run's Site (--load), or nil.
	shardExt func(f policy.Forwarder, shard int) zeeklog.Extensions
	site     *policy.Site
}

// eventsFile is the name of --events' output.
const eventsFile = "events.jsonl"

// outputNames are the files a run may write into the output directory.
func outputNames() []string {
	names := []string{eventsFile}
	for _, spec := range zeeklog.Logs() {
		names = append(names, spec.Path+".log")
	}
	return append(names, statsSpec.Path+".log", captureLossSpec.Path+".log") // live (statslog.go)
}

// checkOutputDir creates dir if needed and makes sure the run can write its files there,
// before anything is read: a new file can be created in it, and none of the files the run
// may write exists without being writable.
func checkOutputDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	probe, err := os.CreateTemp(dir, ".tlsmon-write-check-*")
	if err != nil {
		return fmt.Errorf("output directory %s is not writable: %w", dir, errors.Unwrap(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	for _, name := range outputNames() {
		p := filepath.Join(dir, name)
		if _, err := os.Lstat(p); err != nil {
			continue // absent: created at its first row
		}
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return err // *PathError: names the file
		}
		f.Close()
	}
	return nil
}

// openOutputs prepares every output: the files in cfg.outDir (checkOutputDir has been
// called), and the stream on stdout or the Kafka producer. Log files are created at their
// first row, as Zeek does; events.jsonl (when asked for) at once. onErr is called at the
// first write error of any file or of the stream.
func openOutputs(cfg config, onErr func(error)) (*outputs, error) {
	o := &outputs{dir: cfg.outDir, toFiles: !cfg.sink.noFiles}
	clock := &sink.Clock{}
	dest, k, err := cfg.sink.openDest(cfg, clock)
	if err != nil {
		return nil, err
	}
	if dest != nil {
		o.dest, o.kafka, o.stdout = &watchedDest{Dest: dest, onErr: onErr}, k, cfg.outDir == "-"
		o.handlers = append(o.handlers, clock) // first: the network time of every row's write
		o.clock = clock
	}
	fail := func(err error) (*outputs, error) {
		o.closeDest()
		return nil, err
	}
	newFile := func(name string) *lazyFile {
		f := newLazyFile(filepath.Join(cfg.outDir, name))
		f.onErr = onErr
		o.files = append(o.files, f)
		return f
	}
	openTs := time.Now().UnixMicro()
	if cfg.events {
		f := newFile(eventsFile)
		if err := f.open(); err != nil {
			return fail(err)
		}
		o.events = newEventFile(f, cfg.eventsText)
		o.handlers = append(o.handlers, o.events)
	}
	var ext zeeklog.Extensions
	var site *policy.Site
	if len(cfg.load) > 0 {
		var err error
		if site, err = newPolicySite(cfg); err != nil {
			return fail(err)
		}
		ext = site.Extensions()
	}
	// --fingerprints (shardExtensions, split.go): packages load after local.zeek's policy
	// scripts, so their columns come last.
	own := shardExtensions(cfg, nil, nil, 0)
	ext.SSL = append(ext.SSL, own.SSL...)
	ext.Conn = append(ext.Conn, own.Conn...)
	o.site = site
	o.shardExt = func(f policy.Forwarder, s int) zeeklog.Extensions { return shardExtensions(cfg, site, f, s) }
	// Files, stdout and Kafka get the same rows: those of the extended logs --logs selects.
	var toDest func(zeeklog.LogSpec) zeeklog.Writer
	if o.dest != nil {
		toDest = sink.Writers(o.dest)
	}
	specs, hidden := cfg.sink.selected(zeeklog.LogsWith(ext), ext.Logs)
	// Each log's writer: its file (rotated live, rotate.go) and/or the stream, counting rows.
	o.newLog = func(spec zeeklog.LogSpec) *rotLog {
		var file *lazyFile
		if o.toFiles {
			file = newFile(spec.Path + ".log")
		}
		var dest zeeklog.Writer
		if toDest != nil {
			dest = toDest(spec)
		}
		r := newRotLog(spec, file, dest, cfg.json, openTs, onErr)
		o.rots = append(o.rots, r)
		return r
	}
	o.want = cfg.sink.want
	o.logWriters, o.specs = map[string]zeeklog.Writer{}, specs
	set := zeeklog.NewSet(specs, func(spec zeeklog.LogSpec) zeeklog.Writer {
		if hidden[spec.Path] {
			o.logWriters[spec.Path] = discardWriter{}
			return discardWriter{}
		}
		r := o.newLog(spec)
		if len(cfg.sensor.ifaces) == 0 && r.dest == nil && r.w != nil {
			// -r into files only: never rotated, rows not counted (both are live mode's).
			// The file's writer itself, so that zeeklog appends TSV rows straight into its
			// line buffer (rowBuf's fast path; through rotLog perfmix took 8 % more).
			o.logWriters[spec.Path] = r.w
			return r.w
		}
		o.logWriters[spec.Path] = r
		return r
	})
	o.logs = append(o.logs, set)
	set.Observe(&o.tally)
	o.set = set
	return o, nil
}

// readsEvent reports whether an output reads the event of that name (ssl.Config.Events):
// the handlers before the log set (the events file, a sink's clock) read every event.
func (o *outputs) readsEvent(name string) bool {
	return len(o.handlers) > 0 || o.set.ReadsEvent(name)
}

// eventArgs reports which values of an event's key argument the outputs read
// (ssl.Config.EventArgs): all when handlers come before the log set.
func (o *outputs) eventArgs(name string) ([]uint64, bool) {
	if len(o.handlers) > 0 {
		return nil, false
	}
	return o.set.EventArgs(name)
}

// HandleEvent implements tlsmon.Handler: every event goes to every output, until abort.
func (o *outputs) HandleEvent(e tlsmon.Event) {
	if o.abort.Load() || len(o.handlers) > 0 {
		o.handleAll(e) // kept out of line: the common case is one direct call
		return
	}
	o.set.HandleEvent(e)
}

func (o *outputs) handleAll(e tlsmon.Event) {
	if o.abort.Load() {
		return
	}
	for _, h := range o.handlers {
		h.HandleEvent(e)
	}
	o.set.HandleEvent(e)
}

// Close finishes every log (Zeek's #close line carries the wall-clock time) and closes the
// files. It returns each file's error once (an *os.PathError names its file); errors the
// builders return are those of their files and are not repeated.
func (o *outputs) Close() error {
	closeTs := time.Now().UnixMicro()
	var other []error
	for _, l := range o.logs {
		if err := l.Close(closeTs); err != nil {
			other = append(other, err)
		}
	}
	var errs []error
	for _, f := range o.files {
		if err := f.Close(); err != nil {
			errs = append(errs, fileError(f.path, err))
		}
	}
	for _, err := range other {
		if !o.isFileError(err) {
			errs = append(errs, err)
		}
	}
	// Last, once the files are safe: Kafka waits here for its acknowledgements.
	if err := o.closeDest(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// isFileError reports whether err is (or wraps only) errors of the output files.
func (o *outputs) isFileError(err error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !o.isFileError(e) {
				return false
			}
		}
		return true
	}
	for _, f := range o.files {
		if f.err != nil && errors.Is(err, f.err) {
			return true
		}
	}
	return o.dest != nil && o.dest.err != nil && errors.Is(err, o.dest.err) // the stream's
}

// fileError makes sure err names the file at path.
func fileError(path string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("%s: %w", path, err)
}

// written returns the files that were created, in creation order of the specs.
func (o *outputs) written() []string {
	var names []string
	for _, f := range o.files {
		if f.f != nil {
			names = append(names, filepath.Base(f.path))
		}
	}
	return names
}
