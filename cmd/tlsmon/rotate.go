package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tlsmon/tlsmon/zeeklog"
)

// rotLog is one log's writer as the builders see it: it counts the rows (for the metrics),
// writes them to the log's file and/or to the stream (stdout, Kafka), and can start the file
// over (rotation; the stream is not rotated). Rows are written whole to the current file;
// rotation happens between events, so no row is split or lost.
type rotLog struct {
	path   string         // the log's path in the output directory (e.g. DIR/ssl.log); "" without a file
	name   string         // Zeek's log path ("ssl")
	file   *lazyFile      // nil: no file (-o -, --kafka without -o)
	w      zeeklog.Writer // the file's writer; nil without a file
	dest   zeeklog.Writer // the stream's writer; nil without one
	openTs int64
	rows   uint64
	newW   func(f *lazyFile, openTs int64) zeeklog.Writer
	onErr  func(error)
}

func (r *rotLog) Write(vals []zeeklog.Value) error {
	r.rows++
	var err error
	if r.w != nil {
		err = r.w.Write(vals)
	}
	if r.dest != nil {
		if derr := r.dest.Write(vals); err == nil {
			err = derr
		}
	}
	return err
}

func (r *rotLog) Close(closeTs int64) error {
	var err, derr error
	if r.w != nil {
		err = r.w.Close(closeTs)
	}
	if r.dest != nil {
		derr = r.dest.Close(closeTs)
	}
	return errors.Join(err, derr)
}

// rotatedName is Zeek's name for a rotated log: PATH.%Y-%m-%d-%H-%M-%S.log, from the
// time the file was opened (Log::rotation_format_func with the ASCII writer's default
// postprocessor; local time, as strftime).
func rotatedName(path string, openTs int64) string {
	base := strings.TrimSuffix(path, ".log")
	return base + "." + time.UnixMicro(openTs).Local().Format("2006-01-02-15-04-05") + ".log"
}

// rotate closes the current file (its #close line at now) and renames it, if it was
// created, then starts a new file that gets its header at its first row.
func (r *rotLog) rotate(now int64) (old *lazyFile, err error) {
	if r.file == nil {
		return nil, nil // the stream is not rotated
	}
	err = r.w.Close(now)
	old = r.file
	if cerr := old.Close(); err == nil {
		err = cerr
	}
	if old.f != nil {
		dst := rotatedName(r.path, r.openTs)
		for i := 2; ; i++ { // two rotations within a second: never overwrite one
			if _, serr := os.Lstat(dst); serr != nil {
				break
			}
			dst = strings.TrimSuffix(rotatedName(r.path, r.openTs), ".log") + fmt.Sprintf("-%d.log", i)
		}
		if rerr := os.Rename(r.path, dst); err == nil && rerr != nil {
			err = rerr
		}
	}
	r.file = newLazyFile(r.path)
	r.file.onErr = r.onErr
	r.openTs = now
	r.w = r.newW(r.file, now)
	return old, err
}

// rotate rotates every log (not events.jsonl, which is not a Zeek log).
func (o *outputs) rotate(now time.Time) {
	ts := now.UnixMicro()
	for _, r := range o.rots {
		old, err := r.rotate(ts)
		for i, f := range o.files {
			if old == nil {
				break
			}
			if f == old {
				o.files[i] = r.file
			}
		}
		if err != nil && r.onErr != nil {
			r.onErr(fmt.Errorf("rotating %s: %w", filepath.Base(r.path), err))
		}
	}
}

// flushLines writes out the whole lines every file holds (live mode: rows reach the disk
// on time instead of when a 64 KiB buffer fills).
func (o *outputs) flushLines() {
	for _, f := range o.files {
		f.flushLines()
	}
}

func (l *lazyFile) flushLines() {
	if l.f == nil || l.err != nil || l.closed || len(l.buf) == 0 {
		return
	}
	if i := bytes.LastIndexByte(l.buf, '\n'); i >= 0 {
		if l.writeOut(l.buf[:i+1]) == nil {
			l.buf = l.buf[:copy(l.buf, l.buf[i+1:])]
		}
	}
}

// rowCounts returns the rows written so far, by log.
func (o *outputs) rowCounts() map[string]uint64 {
	m := make(map[string]uint64, len(o.rots))
	for _, r := range o.rots {
		m[r.name] = r.rows
	}
	return m
}

// newRotLog makes the writer of one log for openOutputs: to the file f (nil: none) and to
// dest (nil: none).
func newRotLog(spec zeeklog.LogSpec, f *lazyFile, dest zeeklog.Writer, json bool, openTs int64, onErr func(error)) *rotLog {
	r := &rotLog{name: spec.Path, file: f, dest: dest, openTs: openTs, onErr: onErr}
	r.newW = func(f *lazyFile, openTs int64) zeeklog.Writer {
		if json {
			return zeeklog.NewJSONWriter(f, spec.Columns)
		}
		return zeeklog.NewTSVWriter(f, spec.Path, spec.Columns, openTs)
	}
	if f != nil {
		r.path = f.path
		r.w = r.newW(f, openTs)
	}
	return r
}
