package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tlsmon/tlsmon/capture"
)

// The counting reader hands the sharded engine the mapped reader's cursors
// (capture.Cursors, selfroute): the last cursor's frames are counted for the progress
// line (and looked at for the link-type warning), the others' are not.
func TestCountingReaderCursors(t *testing.T) {
	path := filepath.Join("..", "..", "testdata", "sample.pcap")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := capture.OpenMapped(path, f, nil)
	if m == nil || err != nil {
		t.Skip("not mapped here", err)
	}
	defer m.Close()
	var progress bytes.Buffer
	c := newCountingReader(m, time.Now())
	c.progress = &progress
	cs, ok := c.Cursors(3)
	if !ok {
		t.Fatal("no cursors through the counting reader")
	}
	var frames [3]int
	var fr capture.Frame
	for k, cur := range cs {
		for cur.Next(&fr) == nil {
			frames[k]++
		}
		cur.Close()
	}
	if frames[0] == 0 || frames[1] != frames[0] || frames[2] != frames[0] || c.packets != uint64(frames[0]) {
		t.Errorf("cursors read %v frames, %d counted", frames, c.packets)
	}
}
