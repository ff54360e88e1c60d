package engine

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tlsmon/tlsmon/internal/corpus"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/capture"
)

// minConnRowsMatched is the number of conn.log rows (ts, orientation, proto) matched over
// the corpus when last measured; the test fails below it. The goal is all of them.
const minConnRowsMatched = 414

// minStateMatched is the same for conn_state + history.
const minStateMatched = 414

func sharedDir(t *testing.T) string { return corpus.Dir(t) }

type connRow struct {
	key     string // ts|orig_h|orig_p|resp_h|resp_p|proto
	state   string
	history string
}

// micros converts a JSON decimal number of seconds to microseconds without float rounding.
func micros(n json.Number) (int64, error) {
	s := string(n)
	if strings.ContainsAny(s, "eE") {
		f, err := strconv.ParseFloat(s, 64)
		return int64(f*1e6 + 0.5), err
	}
	ip, fp, _ := strings.Cut(s, ".")
	fp = (fp + "000000")[:6]
	a, err := strconv.ParseInt(ip, 10, 64)
	if err != nil {
		return 0, err
	}
	b, err := strconv.ParseInt(fp, 10, 64)
	return a*1e6 + b, err
}

func rowKey(ts int64, oh string, op uint16, rh string, rp uint16, proto string) string {
	return fmt.Sprintf("%d.%06d %s:%d > %s:%d %s", ts/1e6, ts%1e6, oh, op, rh, rp, proto)
}

func readExpected(path string) ([]connRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []connRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m struct {
			Ts      json.Number `json:"ts"`
			OrigH   string      `json:"id.orig_h"`
			OrigP   uint16      `json:"id.orig_p"`
			RespH   string      `json:"id.resp_h"`
			RespP   uint16      `json:"id.resp_p"`
			Proto   string      `json:"proto"`
			State   string      `json:"conn_state"`
			History string      `json:"history"`
		}
		d := json.NewDecoder(strings.NewReader(sc.Text()))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			return nil, err
		}
		if m.Proto != "tcp" && m.Proto != "udp" {
			continue
		}
		ts, err := micros(m.Ts)
		if err != nil {
			return nil, err
		}
		rows = append(rows, connRow{rowKey(ts, m.OrigH, m.OrigP, m.RespH, m.RespP, m.Proto), m.State, m.History})
	}
	return rows, sc.Err()
}

func runCapture(path string) ([]connRow, error) {
	r, err := capture.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var rows []connRow
	h := tlsmon.HandlerFunc(func(ev tlsmon.Event) {
		e, ok := ev.(*tlsmon.ConnectionStateRemove)
		if !ok {
			return
		}
		id := e.Conn.ID
		if id.Proto != tlsmon.ProtoTCP && id.Proto != tlsmon.ProtoUDP {
			return
		}
		rows = append(rows, connRow{
			rowKey(e.Conn.StartTs, id.OrigH.String(), id.OrigP, id.RespH.String(), id.RespP, id.Proto.String()),
			e.Stats.State, e.Stats.History})
	})
	err = New(Options{Handler: h}).Run(r)
	return rows, err
}

func TestConformanceConnLog(t *testing.T) {
	dir := sharedDir(t)
	idx, err := os.ReadFile(filepath.Join(dir, "INDEX.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	matched, total, stateOK := 0, 0, 0
	for i, line := range strings.Split(strings.TrimSpace(string(idx)), "\n") {
		f := strings.Split(line, "\t")
		if i == 0 || len(f) < 3 {
			continue
		}
		name, file := f[0], f[1]
		want, err := readExpected(filepath.Join(dir, "expected", name, "conn.log"))
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			t.Errorf("%s: expected conn.log: %v", name, err)
			continue
		}
		got, err := runCapture(filepath.Join(dir, "pcaps", file))
		if err != nil {
			t.Logf("%s: run: %v", name, err)
		}
		total += len(want)
		byKey := map[string][]connRow{}
		for _, g := range got {
			byKey[g.key] = append(byKey[g.key], g)
		}
		var missing []string
		for _, w := range want {
			if gs := byKey[w.key]; len(gs) > 0 {
				matched++
				g := gs[0]
				byKey[w.key] = gs[1:]
				if g.state == w.state && g.history == w.history {
					stateOK++
				} else {
					t.Logf("%s: state/history %s %s, Zeek %s %s: %s", name, g.state, g.history, w.state, w.history, w.key)
				}
			} else {
				missing = append(missing, w.key)
			}
		}
		var extra []string
		for _, gs := range byKey {
			for _, g := range gs {
				extra = append(extra, g.key)
			}
		}
		sort.Strings(extra)
		for _, m := range missing {
			t.Logf("%s: missing (Zeek has, tlsmon not): %s", name, m)
		}
		for _, x := range extra {
			t.Logf("%s: extra (tlsmon has, Zeek not): %s", name, x)
		}
	}
	t.Logf("matched %d of %d rows (ts, orientation, proto); conn_state+history equal on %d", matched, total, stateOK)
	if matched < minConnRowsMatched {
		t.Errorf("matched %d rows, below the threshold %d", matched, minConnRowsMatched)
	}
	if stateOK < minStateMatched {
		t.Errorf("conn_state+history matched %d, below the threshold %d", stateOK, minStateMatched)
	}
}
