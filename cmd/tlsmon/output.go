package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/fingerprint"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// outputs are the files of one run and the handler that feeds them.
type outputs struct {
	files   []*lazyFile
	events  *eventFile // nil without --events
	logs    []logBuilder
	handler tlsmon.Handlers
}

// openOutputs creates the output directory and prepares every output file. Log files are
// created at their first row, as Zeek does; events.jsonl (when asked for) at once.
func openOutputs(cfg config) (*outputs, error) {
	if err := os.MkdirAll(cfg.outDir, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	o := &outputs{}
	openTs := time.Now().UnixMicro()
	if cfg.events {
		f := newLazyFile(filepath.Join(cfg.outDir, "events.jsonl"))
		if err := f.open(); err != nil {
			return nil, err
		}
		o.files = append(o.files, f)
		o.events = newEventFile(f)
		o.handler = append(o.handler, o.events)
	}
	var ext zeeklog.Extensions
	if cfg.fingerprints {
		ext.SSL = append(ext.SSL, fingerprint.NewColumns())
	}
	set := zeeklog.NewSet(zeeklog.LogsWith(ext), func(spec zeeklog.LogSpec) zeeklog.Writer {
		f := newLazyFile(filepath.Join(cfg.outDir, spec.Path+".log"))
		o.files = append(o.files, f)
		if cfg.json {
			return zeeklog.NewJSONWriter(f, spec.Columns)
		}
		return zeeklog.NewTSVWriter(f, spec.Path, spec.Columns, openTs)
	})
	o.logs = append(o.logs, set)
	o.handler = append(o.handler, set)
	return o, nil
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
	errs = append(errs, o.closeFiles())
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
