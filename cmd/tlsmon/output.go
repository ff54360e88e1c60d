package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/sink"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// outputs are the files of one run and the handler that feeds them.
type outputs struct {
	files   []*lazyFile
	events  *eventFile // nil without --events
	logs    []logBuilder
	handler tlsmon.Handlers
	dest    sink.Dest   // where rows go besides files (stdout, Kafka); nil if nowhere
	kafka   *sink.Kafka // the Kafka part of dest, for its end-of-run line
	cfg     config
}

// openOutputs creates the output directory and prepares every output file. Log files are
// created at their first row, as Zeek does; events.jsonl (when asked for) at once.
func openOutputs(cfg config) (*outputs, error) {
	o := &outputs{cfg: cfg}
	clock := &sink.Clock{}
	var err error
	if o.dest, o.kafka, err = cfg.sink.openDest(cfg, clock); err != nil {
		return nil, err
	}
	if o.dest != nil {
		o.handler = append(o.handler, clock) // first: the network time of every row's write
	}
	if !cfg.sink.files {
		return o, o.addLogs(cfg, nil)
	}
	if err := os.MkdirAll(cfg.outDir, 0o755); err != nil {
		o.closeDest()
		return nil, fmt.Errorf("output directory: %w", err)
	}
	openTs := time.Now().UnixMicro()
	if cfg.events {
		f := newLazyFile(filepath.Join(cfg.outDir, "events.jsonl"))
		if err := f.open(); err != nil {
			o.closeDest()
			return nil, err
		}
		o.files = append(o.files, f)
		o.events = newEventFile(f)
		o.handler = append(o.handler, o.events)
	}
	return o, o.addLogs(cfg, func(spec zeeklog.LogSpec) zeeklog.Writer {
		f := newLazyFile(filepath.Join(cfg.outDir, spec.Path+".log"))
		o.files = append(o.files, f)
		if cfg.json {
			return zeeklog.NewJSONWriter(f, spec.Columns)
		}
		return zeeklog.NewTSVWriter(f, spec.Path, spec.Columns, openTs)
	})
}

// addLogs builds the logs of cfg: each writes its rows to the writer file returns (nil: no
// files) and to the destination, if any.
func (o *outputs) addLogs(cfg config, file func(zeeklog.LogSpec) zeeklog.Writer) error {
	var toDest func(zeeklog.LogSpec) zeeklog.Writer
	if o.dest != nil {
		toDest = sink.Writers(o.dest)
	}
	set := zeeklog.NewSet(cfg.sink.specs, func(spec zeeklog.LogSpec) zeeklog.Writer {
		switch {
		case file == nil:
			return toDest(spec)
		case toDest == nil:
			return file(spec)
		}
		return teeWriter{file(spec), toDest(spec)}
	})
	o.logs = append(o.logs, set)
	o.handler = append(o.handler, set)
	return nil
}

// Close finishes every log (Zeek's #close line carries the wall-clock time) and closes the
// files; it returns the first error met.
func (o *outputs) Close() error {
	var errs []error
	closeTs := time.Now().UnixMicro()
	for _, l := range o.logs {
		errs = append(errs, l.Close(closeTs))
	}
	if o.events != nil {
		errs = append(errs, o.events.Flush())
	}
	errs = append(errs, o.closeDest(), o.closeFiles())
	return errors.Join(errs...)
}

func (o *outputs) closeFiles() error {
	var errs []error
	for _, f := range o.files {
		if err := f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.path, err))
		}
	}
	return errors.Join(errs...)
}

// closeDest delivers what the destination holds (Kafka: waits for acknowledgements) and
// prints the Kafka line on stderr.
func (o *outputs) closeDest() error {
	if o.dest == nil {
		return nil
	}
	err := o.dest.Close()
	o.dest = nil
	if o.kafka != nil {
		fmt.Fprintln(o.cfg.sink.stderr, kafkaLine(o.kafka.Stats(), o.cfg.sink.policyV))
	}
	return err
}
