package engine

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/internal/corpus"
)

// splitRender renders what a Split consumer and its sink see of a run: lines for every
// event renderEvent renders (the weirds excepted), written in two pieces into destination
// 0, and the certificates and weirds as copies through the sink.
type splitRender struct{ b []byte }

func (r *splitRender) Line(dest int, line []byte) {
	if dest == 0 {
		r.b = append(r.b, line...)
	}
}

func (r *splitRender) Event(ev tlsmon.Event, extra []byte) {
	if c, ok := ev.(*tlsmon.Certificate); ok { // the consumer puts the DER's SHA-256 with it
		if sum := sha256.Sum256(c.DER); !bytes.Equal(extra, sum[:]) {
			r.b = fmt.Appendf(r.b, "wrong extra %x\n", extra)
		}
	} else if len(extra) != 0 {
		r.b = fmt.Appendf(r.b, "extra %x\n", extra)
	}
	uid := "-"
	if c := ev.EventMeta().Conn; c != nil {
		uid = fmt.Sprintf("%s %v", c.UID, c.ID)
	}
	switch e := ev.(type) {
	case *tlsmon.Certificate:
		r.b = fmt.Appendf(r.b, "cert %d %s %d %v %v %x\n", e.Ts, uid, e.Index, e.IsClient, e.IsOrig, sha256.Sum256(e.DER))
	case *tlsmon.Weird:
		r.b, _ = renderEvent(r.b, e)
		r.b = fmt.Appendf(r.b, "  on %s\n", uid)
	}
}

type splitConsumer struct {
	out    *Outbox
	line   []byte
	stable bool // certificates put with a copy of their DER (StableCertificate)
}

func (c *splitConsumer) HandleEvent(ev tlsmon.Event) {
	switch e := ev.(type) {
	case *tlsmon.Certificate:
		sum := sha256.Sum256(e.DER)
		if c.stable {
			c.out.StableCertificate(e, bytes.Clone(e.DER), sum[:])
			return
		}
		c.out.Event(ev, sum[:])
		return
	case *tlsmon.Weird:
		c.out.Event(ev, nil)
		return
	}
	var ok bool
	if c.line, ok = renderEvent(c.line[:0], ev); ok {
		w := c.out.Writer(0)
		half := len(c.line) / 2
		w.Write(c.line[:half])
		w.Write(c.line[half:])
	}
}

func (c *splitConsumer) End() { c.out.Line(1, []byte("end\n")) }

// Run with Split hands the merged sink exactly what one engine's consumer would write, in
// its order, for 1 (no merger), 2, 3 and 8 shards, with chunks of the default size and of
// one item (a chunk per item: the shards wait for the merger all the time).
func TestRunSplitMatchOne(t *testing.T) {
	paths := []string{filepath.Join("..", "testdata", "sample.pcap")}
	dir := corpus.Dir(t)
	for _, c := range corpus.Index(t, dir) {
		paths = append(paths, filepath.Join(dir, "pcaps", c.File))
	}
	run := func(p string, n, maxItems int, stable bool) (string, int) {
		r, err := capture.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		sink := &splitRender{}
		ends := 0
		split := &Split{
			Shard: func(s int, out *Outbox) ShardConsumer {
				if maxItems > 0 {
					out.maxItems = maxItems
				}
				return &splitConsumer{out: out, stable: stable}
			},
			Merged: mergedFunc{sink, &ends},
		}
		if _, err := Run(r, Options{Workers: n, Split: split}); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		return string(sink.b), ends
	}
	for _, p := range paths {
		// the reference: one engine, its events rendered as they come
		r, err := capture.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		want := &splitRender{}
		var line []byte
		e := New(Options{Handler: tlsmon.HandlerFunc(func(ev tlsmon.Event) {
			switch e := ev.(type) {
			case *tlsmon.Certificate:
				sum := sha256.Sum256(e.DER)
				want.Event(ev, sum[:])
				return
			case *tlsmon.Weird:
				want.Event(ev, nil)
				return
			}
			var ok bool
			if line, ok = renderEvent(line[:0], ev); ok {
				want.Line(0, line)
			}
		})})
		if err := e.Run(r); err != nil {
			t.Fatal(err)
		}
		r.Close()
		for _, n := range []int{1, 2, 3, 8} {
			for _, maxItems := range []int{0, 1} {
				if maxItems == 1 && n != 3 {
					continue
				}
				for _, stable := range []bool{false, true} {
					if stable && maxItems == 1 {
						continue
					}
					got, ends := run(p, n, maxItems, stable)
					if got != string(want.b) {
						t.Errorf("%s, %d shards, chunks of %d, stable DER %v: %s", filepath.Base(p), n, maxItems, stable, firstDiff(string(want.b), got))
					}
					if ends != n {
						t.Errorf("%s, %d shards: End wrote %d lines", filepath.Base(p), n, ends)
					}
				}
			}
		}
	}
}

// mergedFunc counts the End lines (destination 1) and renders the rest.
type mergedFunc struct {
	r    *splitRender
	ends *int
}

func (m mergedFunc) Line(dest int, line []byte) {
	if dest == 1 {
		*m.ends++
	}
	m.r.Line(dest, line)
}

func (m mergedFunc) Event(ev tlsmon.Event, extra []byte) { m.r.Event(ev, extra) }

// A shard's outbox hands a chunk over once it is full, also when every line is written in
// pieces (events.jsonl's are), and never in the middle of a line.
func TestOutboxHandsOverWholeLines(t *testing.T) {
	o := newOutbox(New(Options{}), 0, 1)
	o.maxItems, o.maxBytes = 1000, 64
	type got struct{ items, bytes int }
	var chunks []got
	done := make(chan struct{})
	go func() {
		defer close(done)
		for c := range o.out {
			if len(c.data) > 0 && c.data[len(c.data)-1] != '\n' {
				t.Errorf("a chunk handed over in the middle of a line: %q", c.data)
			}
			chunks = append(chunks, got{len(c.items), len(c.data)})
			o.free <- c
		}
	}()
	for range 20 { // 21-byte lines in two pieces
		o.Line(0, []byte("abcdefghij"))
		o.Line(0, []byte("0123456789\n"))
	}
	close(o.out)
	<-done
	if len(chunks) != 20*21/84 {
		t.Fatalf("chunks handed over: %v, want %d of 4 lines", chunks, 20*21/84)
	}
	for _, c := range chunks {
		if c.items != 4 || c.bytes != 84 {
			t.Errorf("chunk of %d lines, %d bytes: want 4, 84", c.items, c.bytes)
		}
	}
}
