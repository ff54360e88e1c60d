package main

import (
	"io"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/engine"
	"github.com/tlsmon/tlsmon/fingerprint"
	"github.com/tlsmon/tlsmon/policy"
	"github.com/tlsmon/tlsmon/sink"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// A file run with several workers builds its per-connection outputs in the shards
// (engine.Split, docs/SCALING.md "Consumers in the shards"): each shard has its own
// ssl.log, conn.log and analyzer.log builders and events.jsonl encoder, which keep only
// per-connection state, and puts their lines into its outbox. x509.log's certificate work
// (the parse, its weirds, the formatted row) is done in the shards too
// (zeeklog.X509Prep); the decisions that span connections — x509.log's per-day
// known-certificate cache and the write, weird.log (sampling, did_log) — run on the
// merger's goroutine, on the copies of the certificate and weird events the shards put, in
// one engine's order. The merger writes every line with the log's own writer
// (zeeklog.LineWriter), so the files are those of one engine. The summary's counts are
// kept per shard and summed at the end.
//
// --fingerprints' ssl.log columns keep only per-connection state (a connection's hellos):
// each shard has its own extension (shardExtensions). So do the policy scripts' columns
// (a shard's policy.Site), whose decisions across connections (notices, known_certs, and
// the validate scripts' checks) the run's Site makes on the merger's goroutine
// (policy.Decode); the ssl.log rows the validate scripts' results complete are written
// there (splitvalidate.go). The rows for stdout and Kafka are rendered in the shards and
// put by the merger (splitsink.go).
//
// Live capture keeps its own workers (engines of their own); a run with a log this file
// does not know keeps the turns (engine.Options.Handler).

// The logs built in the shards, in the order of zeeklog.Logs (those of them the run
// writes: splitRun.specs). A line's destination is its log's position in specs;
// events.jsonl's is len(specs).
var shardLogs = [...]string{"ssl", "conn", "analyzer"}

// splitRun is the serial side of a split run: the engine's Merged sink. Its methods run on
// the merger's goroutine; the builders and files it writes are the run's own (outputs).
type splitRun struct {
	o       *outputs
	specs   []zeeklog.LogSpec    // of shardLogs, those the run has
	lines   []zeeklog.LineWriter // their files; nil for a log that runs unwritten (--logs), or without files
	streams []bool               // their rows go to the run's stream too (stdout, Kafka: splitsink.go)
	events  io.Writer            // events.jsonl, or nil
	x509    *zeeklog.X509Log     // nil if the run has no x509.log (--logs)
	weird   *zeeklog.WeirdLog    // nil if the run has no weird.log
	json    bool
	text    bool     // --events-text
	n       int      // shards (--workers)
	tallies []*tally // one per shard, summed by sum after the run
	// validateAt is the index in ssl.log's columns of the validate scripts' first, whose
	// cell tells a deferred row (validatesplit.go); -1 without them
	validateAt int
	vals       []zeeklog.Value // a deferred row being written
}

// newSplit returns the split side of the run's outputs, or nil when a run of cfg needs
// every event in one place (above).
func (o *outputs) newSplit(cfg config) *splitRun {
	if cfg.workers <= 1 || len(cfg.sensor.ifaces) > 0 || o.shardExt == nil {
		return nil
	}
	r := &splitRun{o: o, json: cfg.json, text: cfg.eventsText, n: cfg.workers}
	for _, path := range shardLogs {
		i := specIndex(o.specs, path)
		if i < 0 {
			continue
		}
		r.specs = append(r.specs, o.specs[i])
		var line zeeklog.LineWriter
		stream := false
		switch w := o.logWriters[path].(type) {
		case discardWriter:
		case *rotLog: // the file and/or the stream
			if w.w != nil {
				lw, ok := w.w.(zeeklog.LineWriter)
				if !ok {
					return nil
				}
				line = lw
			}
			stream = w.dest != nil
		case zeeklog.LineWriter:
			line = w
		default:
			return nil
		}
		r.lines = append(r.lines, line)
		r.streams = append(r.streams, stream)
	}
	for _, b := range o.set.Builders() {
		switch b := b.(type) {
		case *zeeklog.X509Log:
			r.x509 = b
		case *zeeklog.WeirdLog:
			r.weird = b
		}
	}
	known := len(r.specs)
	for _, ok := range []bool{r.x509 != nil, r.weird != nil} {
		if ok {
			known++
		}
	}
	for _, path := range policy.LogNames(cfg.load) { // written by the run's Site (Decode)
		if specIndex(o.specs, path) >= 0 {
			known++
		}
	}
	if len(o.set.Builders()) != known {
		return nil // a log this split does not know
	}
	if o.events != nil {
		r.events = o.events.w
	}
	r.validateAt = -1
	if i := specIndex(o.specs, "ssl"); i >= 0 && policy.NeedsValidator(cfg.load) {
		r.validateAt = policy.ValidationColumn(o.specs[i].Columns)
	}
	// The certificate caches (the merger's x509.log's, each shard's ssl.log's) share one
	// set's bounds: half for x509.log, half between the shards.
	o.set.ShareCertCache(2)
	return r
}

func specIndex(specs []zeeklog.LogSpec, path string) int {
	for i, s := range specs {
		if s.Path == path {
			return i
		}
	}
	return -1
}

// engine returns the engine's Split of the run.
func (r *splitRun) engine() *engine.Split {
	return &engine.Split{Shard: r.shard, Merged: r}
}

// shard makes shard s's consumer: its own builders of shardLogs and events.jsonl encoder,
// writing lines into out. Called by engine.Run before the shards start.
func (r *splitRun) shard(s int, out *engine.Outbox) engine.ShardConsumer {
	c := &shardOutputs{out: out, certs: r.x509 != nil, weirds: r.weird != nil}
	decisions := &policy.Encoder{Put: func(line []byte) { out.Line(r.decisionDest(), line) }}
	set := zeeklog.NewSet(r.shardSpecs(decisions, s), func(spec zeeklog.LogSpec) zeeklog.Writer {
		d := specIndex(r.specs, spec.Path)
		var w zeeklog.Writer = discardWriter{}
		var file, stream zeeklog.Writer
		if r.lines[d] != nil {
			file = zeeklog.NewRowWriter(out.Writer(d), spec.Path, spec.Columns, r.json)
		}
		if r.streams[d] {
			stream = sink.Writers(&shardDest{out: out, dest: r.streamDest()})(spec)
		}
		switch {
		case file != nil && stream != nil:
			w = teeWriter{file, stream}
		case file != nil:
			w = file
		case stream != nil:
			w = stream
		}
		if spec.Path == "ssl" && r.validateAt >= 0 { // the validate scripts' rows (validatesplit.go)
			w = &deferWriter{w: w, at: r.validateAt, out: out, dest: r.deferDest()}
		}
		return w
	})
	if c.weirds {
		set.SetWeirds(weirdsToMerger{out}) // ssl.log's own weirds, for the one weird.log
	}
	t := &tally{}
	set.Observe(t)
	set.ShareCertCache(2 * r.n)
	r.tallies = append(r.tallies, t)
	c.set = set
	if r.events != nil {
		c.events = newEventFile(out.Writer(len(r.specs)), r.text)
	}
	if r.o.stdout {
		c.clock = &shardClock{out: out, dest: r.clockDest()}
	}
	if i := specIndex(r.o.specs, "x509"); c.certs && i >= 0 { // x509.log's certificate work
		_, rows := r.o.logWriters["x509"].(zeeklog.LineWriter)
		c.x509 = set.NewX509Prep(r.o.specs[i].Columns, r.json, rows, r.n)
	}
	return c
}

// shardSpecs returns the specs of one shard's logs: r.specs, with the shard's own column
// extensions (fingerprint.Columns keeps each connection's hellos, the policy scripts'
// extension each connection's record: one per shard), whose scripts hand their decisions
// to f.
func (r *splitRun) shardSpecs(f policy.Forwarder, s int) []zeeklog.LogSpec {
	ext := r.o.shardExt(f, s)
	if len(ext.SSL)+len(ext.Conn) == 0 {
		return r.specs
	}
	all := zeeklog.LogsWith(ext)
	specs := make([]zeeklog.LogSpec, len(r.specs))
	for i, spec := range r.specs {
		specs[i] = all[specIndex(all, spec.Path)]
	}
	return specs
}

// shardExtensions returns a fresh copy of the column extensions of a run of cfg: with
// site (--load), those of shard s's Site, whose decisions go to f; then tlsmon's own
// (openOutputs adds those after the site's). With f (a shard's), their caches get the
// shard's share of their bounds.
func shardExtensions(cfg config, site *policy.Site, f policy.Forwarder, s int) zeeklog.Extensions {
	var ext zeeklog.Extensions
	if site != nil {
		ext = site.Shard(f, s, cfg.workers).ShardExtensions()
	}
	if cfg.fingerprints {
		fp := fingerprint.NewColumns()
		if f != nil { // a shard's: its share of the caches
			fp.ShareCache(cfg.workers)
		}
		ext.SSL = append(ext.SSL, fp)
	}
	return ext
}

// Line implements engine.Merged: a line of a log built in the shards, or of events.jsonl.
func (r *splitRun) Line(dest int, line []byte) {
	if r.o.abort.Load() {
		return
	}
	switch {
	case dest < len(r.lines):
		_ = r.lines[dest].WriteLine(line) // the file's error reaches onErr and Close
	case dest == len(r.lines):
		_, _ = r.events.Write(line)
	case dest == r.streamDest():
		r.putRow(line)
	case dest == r.clockDest():
		r.advanceClock(line)
	case dest == r.decisionDest():
		_ = policy.Decode(line, r.o.site) // a shard's Encoder's line: no error
	case dest == r.deferDest():
		r.writeDeferred(line)
	}
}

// Event implements engine.Merged: a certificate for x509.log (extra: what the shard
// prepared of it, zeeklog.X509Prep, or its fingerprint), a weird for weird.log.
func (r *splitRun) Event(e tlsmon.Event, extra []byte) {
	if r.o.abort.Load() {
		return
	}
	switch ev := e.(type) {
	case *tlsmon.Certificate:
		if len(extra) > 32 && r.x509.HandlePrepared(ev, extra) {
			return // the shard's prepared data (zeeklog.X509Prep)
		}
		if len(extra) >= 32 {
			r.x509.HandleCertificate(ev, (*[32]byte)(extra[:32]))
		} else {
			r.x509.HandleEvent(ev)
		}
	case *tlsmon.Weird:
		r.weird.HandleEvent(ev)
	}
}

// sum adds the shards' counts to the run's (after the run: the shards are done).
func (r *splitRun) sum() {
	for _, t := range r.tallies {
		r.o.tally.tls += t.tls
		r.o.tally.dtls += t.dtls
		r.o.tally.quic += t.quic
		r.o.tally.certs += t.certs
	}
}

// shardOutputs is one shard's consumer; it runs on the shard's goroutine. Certificates go
// to its outbox before its ssl.log sees them, so that weird.log gets x509.log's weirds for
// a certificate before those ssl.log raises for it, as in one engine's log set.
type shardOutputs struct {
	out    *engine.Outbox
	clock  *shardClock // nil without stdout
	events *eventFile  // nil without --events
	set    *zeeklog.Set
	// the run has x509.log, weird.log: certificates, weirds go to the merger
	certs, weirds bool
	x509          *zeeklog.X509Prep // with certs and x509.log: its certificate work
	prep          []byte            // the certificate's prepared data
}

func (c *shardOutputs) HandleEvent(e tlsmon.Event) {
	if c.clock != nil || c.events != nil {
		c.handleStreams(e)
	}
	_, cert := e.(*tlsmon.Certificate)
	if _, weird := e.(*tlsmon.Weird); cert || weird {
		c.handleShared(e)
		return
	}
	c.set.HandleEvent(e) // the common case: one direct call, the rest out of line
}

// handleStreams hands e to the stream's clock and events.jsonl, before the logs (as the
// one engine's outputs do: openOutputs).
func (c *shardOutputs) handleStreams(e tlsmon.Event) {
	if c.clock != nil { // first, as the one engine's clock (openOutputs)
		c.clock.HandleEvent(e)
	}
	if c.events != nil {
		c.events.HandleEvent(e)
	}
}

// handleShared handles the events the merger's logs read too: a certificate (to the
// outbox, then to the shard's logs), a weird (to the outbox only).
func (c *shardOutputs) handleShared(e tlsmon.Event) {
	switch ev := e.(type) {
	case *tlsmon.Certificate:
		if c.x509 != nil { // with what x509.log needs of it, computed here
			var der []byte
			if c.prep, der = c.x509.PrepareStable(c.prep[:0], ev); der != nil {
				c.out.StableCertificate(ev, der, c.prep) // the shard cache's copy, not copied again
			} else {
				c.out.Event(ev, c.prep)
			}
		} else if c.certs { // with its fingerprint: the shard's ssl.log computes it anyway
			sum := c.set.CertificateSum(ev)
			c.out.Event(ev, sum[:])
		}
		c.set.HandleEvent(e)
	case *tlsmon.Weird:
		if c.weirds {
			c.out.Event(ev, nil)
		}
	}
}

// End writes the rows of the shard's connections that never ended.
func (c *shardOutputs) End() { _ = c.set.Close(0) } // row writers: no #close, no error

// weirdsToMerger hands the weirds a shard's builders raise to the merger.
type weirdsToMerger struct{ out *engine.Outbox }

func (w weirdsToMerger) HandleEvent(e tlsmon.Event) { w.out.Event(e, nil) }

// splitOptions prepares the split side of a run of cfg and returns its engine.Split, or
// nil when the run keeps the turns.
func (o *outputs) splitOptions(cfg config) *engine.Split {
	if o.split = o.newSplit(cfg); o.split == nil {
		return nil
	}
	return o.split.engine()
}

// endSplit is called after engine.Run: the summary's counts of the shards.
func (o *outputs) endSplit() {
	if o.split != nil {
		o.split.sum()
	}
}
