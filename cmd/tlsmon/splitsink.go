package main

import (
	"encoding/binary"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/engine"
	"github.com/tlsmon/tlsmon/sink"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// The rows of stdout (-o -) and Kafka on the split path (split.go). A shard renders its
// logs' rows for the stream as the sink does (sink.Writers, onto shardDest) and puts each
// as one line into its outbox: the row's log, key and JSON. The merger hands them to the
// run's destination (outputs.dest) in merged order, after the file's line of the same row,
// as rotLog writes them in one engine.
//
// The stream's rows carry the network time of their write (_write_ts, sink.Clock): in one
// engine the largest Ts of every event handled so far, of every connection. A shard knows
// only its own events, so each shard puts a clock line whenever the largest Ts of its events
// grows (before the event's own lines), and the merger advances the run's clock with them in
// merged order: at every row, the clock has seen exactly the events one engine had handled.
// Only stdout's rows carry the clock (Kafka's records do not): without -o - there are no
// clock lines.

// Destinations of a split run's lines past the logs' files and events.jsonl.
func (r *splitRun) streamDest() int { return len(r.specs) + 1 }
func (r *splitRun) clockDest() int  { return len(r.specs) + 2 }

// decisionDest is the destination of the lines of a shard's policy scripts' decisions
// (policy.Encoder), which the run's Site makes (policy.Decode).
func (r *splitRun) decisionDest() int { return len(r.specs) + 3 }

// shardDest is a shard's sink.Dest: each row becomes a line for the merger,
// uvarint(len(path)) path uvarint(len(key)) key JSON '\n'.
type shardDest struct {
	out  *engine.Outbox
	dest int
	buf  []byte
}

func (d *shardDest) Put(r sink.Row) error {
	b := binary.AppendUvarint(d.buf[:0], uint64(len(r.Path)))
	b = append(b, r.Path...)
	b = binary.AppendUvarint(b, uint64(len(r.Key)))
	b = append(b, r.Key...)
	b = append(b, r.JSON...)
	b = append(b, '\n')
	d.out.Line(d.dest, b)
	d.buf = b
	return nil
}

func (d *shardDest) Close() error { return nil }

// streamRow decodes a shardDest line, without its newline; ok is false for a line it did
// not make.
func streamRow(line []byte) (path, key, json []byte, ok bool) {
	n, k := binary.Uvarint(line)
	if k <= 0 || uint64(len(line)-k) < n {
		return nil, nil, nil, false
	}
	path, line = line[k:k+int(n)], line[k+int(n):]
	n, k = binary.Uvarint(line)
	if k <= 0 || uint64(len(line)-k) < n {
		return nil, nil, nil, false
	}
	key, line = line[k:k+int(n)], line[k+int(n):]
	if len(line) == 0 || line[len(line)-1] != '\n' {
		return nil, nil, nil, false
	}
	return path, key, line[:len(line)-1], true
}

// putRow hands a shard's stream row to the run's destination (on the merger's goroutine).
func (r *splitRun) putRow(line []byte) {
	path, key, json, ok := streamRow(line)
	if !ok {
		return
	}
	row := sink.Row{JSON: json}
	for _, spec := range r.specs { // the log's own name: no string made per row
		if string(path) == spec.Path {
			row.Path = spec.Path
			break
		}
	}
	if r.o.kafka != nil && len(key) > 0 { // only Kafka reads the key
		row.Key = string(key)
	}
	_ = r.o.dest.Put(row) // its error reaches onErr and closeDest
}

// shardClock is a shard's part of the stream's clock: the largest Ts of its events, put as
// a clock line (8 bytes, big-endian, and '\n') each time it grows.
type shardClock struct {
	out  *engine.Outbox
	dest int
	now  int64
	buf  [9]byte
}

func (c *shardClock) HandleEvent(e tlsmon.Event) {
	if ts := e.EventMeta().Ts; ts > c.now {
		c.now = ts
		binary.BigEndian.PutUint64(c.buf[:8], uint64(ts))
		c.buf[8] = '\n'
		c.out.Line(c.dest, c.buf[:])
	}
}

// advanceClock reads a clock line (on the merger's goroutine).
func (r *splitRun) advanceClock(line []byte) {
	if len(line) == 9 {
		r.o.clock.Advance(int64(binary.BigEndian.Uint64(line)))
	}
}

// teeWriter writes each row to the log's file, then to the stream, as rotLog does.
type teeWriter [2]zeeklog.Writer

func (t teeWriter) Write(vals []zeeklog.Value) error {
	err := t[0].Write(vals)
	if derr := t[1].Write(vals); err == nil {
		err = derr
	}
	return err
}

func (t teeWriter) Close(closeTs int64) error {
	err := t[0].Close(closeTs)
	if derr := t[1].Close(closeTs); err == nil {
		err = derr
	}
	return err
}
