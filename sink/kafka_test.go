package sink_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/engine"
	"github.com/tlsmon/tlsmon/internal/kafkatest"
	"github.com/tlsmon/tlsmon/sink"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// captures returns the test captures: testdata/sample.pcap, and every capture of the
// conformance corpus (those whose names match one of the comma-separated patterns) when it
// is beside the repository.
func captures(t *testing.T, patterns string) []string {
	paths := []string{filepath.Join("..", "testdata", "sample.pcap")}
	dir := filepath.Join("..", "..", "shared", "conformance", "pcaps")
	var all []string
	for _, p := range strings.Split(patterns, ",") {
		m, _ := filepath.Glob(filepath.Join(dir, p))
		all = append(all, m...)
	}
	if len(all) == 0 && os.Getenv("CI") == "true" {
		t.Fatalf("conformance corpus missing at %s", dir)
	}
	sort.Strings(all)
	return append(paths, all...)
}

// putLog records the rows in the order they were put, then forwards them.
type putLog struct {
	next sink.Dest
	rows []sink.Row
}

func (p *putLog) Put(r sink.Row) error {
	c := r
	c.JSON = bytes.Clone(r.JSON)
	p.rows = append(p.rows, c)
	return p.next.Put(r)
}
func (p *putLog) Close() error { return p.next.Close() }

// tee writes a log's rows to its JSON "file" and to the sink.
type tee [2]zeeklog.Writer

func (t tee) Write(v []zeeklog.Value) error { return errors.Join(t[0].Write(v), t[1].Write(v)) }
func (t tee) Close(ts int64) error          { return errors.Join(t[0].Close(ts), t[1].Close(ts)) }

// runCorpus runs the engine over every capture (each with its own uid seed, so that uids
// differ between captures as they would between sensors), writing every log as JSON into
// files (returned: log name → lines) and to d.
func runCorpus(t *testing.T, d sink.Dest, seedBase uint64, pattern string) map[string][]string {
	files := map[string]*bytes.Buffer{}
	for i, p := range captures(t, pattern) {
		r, err := capture.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		set := zeeklog.NewSet(zeeklog.Logs(), func(spec zeeklog.LogSpec) zeeklog.Writer {
			if files[spec.Path] == nil {
				files[spec.Path] = &bytes.Buffer{}
			}
			return tee{zeeklog.NewJSONWriter(files[spec.Path], spec.Columns), sink.Writers(d)(spec)}
		})
		clock := &sink.Clock{}
		eng := engine.New(engine.Options{Handler: tlsmon.Handlers{clock, set}, UIDSeed: seedBase + uint64(i)})
		if err := eng.Run(r); err != nil {
			t.Logf("%s: %v (the logs of what was read are kept)", p, err)
		}
		if err := set.Close(0); err != nil {
			t.Fatal(err)
		}
		r.Close()
	}
	out := map[string][]string{}
	for path, b := range files {
		if b.Len() > 0 {
			out[path] = strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		}
	}
	return out
}

// splitPath removes the leading "_path" of a record's value and returns it with the rest,
// which is the JSON log file's row.
func splitPath(t *testing.T, v []byte) (path, row string) {
	t.Helper()
	const pre = `{"_path":"`
	s := string(v)
	end := strings.IndexByte(s[min(len(pre), len(s)):], '"')
	if !strings.HasPrefix(s, pre) || end < 0 {
		t.Fatalf("record without a leading _path: %s", s)
	}
	path = s[len(pre) : len(pre)+end]
	rest := s[len(pre)+end+1:]
	switch {
	case rest == "}":
		return path, "{}"
	case strings.HasPrefix(rest, ","):
		return path, "{" + rest[1:]
	}
	t.Fatalf("malformed record %s", s)
	return
}

// TestKafkaCorpus runs the corpus into the topic "zeek", while a consumer group of two reads
// it; then a few captures that fill all five logs, into one topic per log ("tlsmon-ssl"...).
func TestKafkaCorpus(t *testing.T) {
	for _, tc := range []struct{ topic, captures string }{
		{"zeek", "*"},
		{"tlsmon-{log}", "globus-url-copy*,tls__https-to-http*"},
	} {
		t.Run(tc.topic, func(t *testing.T) {
			topics := []string{tc.topic}
			if strings.Contains(tc.topic, sink.LogPlaceholder) {
				topics = nil
				for _, spec := range zeeklog.Logs() {
					topics = append(topics, strings.ReplaceAll(tc.topic, sink.LogPlaceholder, spec.Path))
				}
			}
			_, addr := kafkatest.Cluster(t, 4, topics...)
			var group *groupOfTwo
			if len(topics) == 1 {
				group = startGroup(t, addr, topics[0])
			}
			k, err := sink.NewKafka(sink.KafkaConfig{Brokers: []string{addr}, Topic: tc.topic,
				ClientID: "tlsmon-test", Sensor: "s1", Extra: kafkatest.FastRetries()})
			if err != nil {
				t.Fatal(err)
			}
			puts := &putLog{next: k}
			files := runCorpus(t, puts, 1, tc.captures)
			nfile := 0
			for _, lines := range files {
				nfile += len(lines)
			}
			if err := k.Close(); err != nil {
				t.Fatal(err)
			}
			st := k.Stats()
			if st.Rows != uint64(nfile) || st.Delivered != st.Rows || len(puts.rows) != nfile {
				t.Fatalf("stats %+v, %d rows put, %d rows in the files", st, len(puts.rows), nfile)
			}
			t.Logf("%d rows in %d logs", nfile, len(files))
			recs := kafkatest.ReadAll(t, addr, nfile, 20*time.Second, topics...)
			if len(recs) != nfile {
				t.Fatalf("%d records read, want %d", len(recs), nfile)
			}
			checkRecords(t, recs, files, puts.rows, tc.topic)
			if group != nil {
				t.Run("consumer group of two", func(t *testing.T) { group.check(t, files, nfile) })
			}
		})
	}
}

// checkRecords checks that the records hold every file row exactly once, on the right topic,
// with the right key and header, and that each key's records are in one partition in the
// order the rows were written.
func checkRecords(t *testing.T, recs []*kgo.Record, files map[string][]string, puts []sink.Row, topic string) {
	t.Helper()
	want := map[string]int{}
	for path, lines := range files {
		for _, l := range lines {
			want[path+"\t"+l]++
		}
	}
	type loc struct {
		topic string
		part  int32
	}
	keyLoc := map[string]loc{}
	byPart := map[loc][]*kgo.Record{}
	for _, r := range recs {
		path, row := splitPath(t, r.Value)
		if want[path+"\t"+row] == 0 {
			t.Fatalf("record not in the files, or more often than there: %s", r.Value)
		}
		want[path+"\t"+row]--
		if wt := strings.ReplaceAll(topic, sink.LogPlaceholder, path); r.Topic != wt {
			t.Errorf("%s row on topic %s, want %s", path, r.Topic, wt)
		}
		var m map[string]any
		if err := json.Unmarshal(r.Value, &m); err != nil {
			t.Fatalf("record is not JSON: %v: %s", err, r.Value)
		}
		key, _ := m["uid"].(string)
		if path == "x509" {
			key, _ = m["fingerprint"].(string)
		}
		if string(r.Key) != key {
			t.Errorf("record key %q, want %q: %s", r.Key, key, r.Value)
		}
		if len(r.Headers) != 1 || r.Headers[0].Key != "sensor" || string(r.Headers[0].Value) != "s1" {
			t.Errorf("record headers %v, want sensor=s1", r.Headers)
		}
		l := loc{r.Topic, r.Partition}
		byPart[l] = append(byPart[l], r)
		if key != "" {
			if prev, ok := keyLoc[r.Topic+"\t"+key]; ok && prev.part != l.part {
				t.Errorf("key %s in partitions %d and %d of %s", key, prev.part, l.part, r.Topic)
			}
			keyLoc[r.Topic+"\t"+key] = l
		}
	}
	// Per-connection order: within a partition (offset order), the rows of each uid come in
	// the order they were written.
	got := map[string][]string{}
	for _, rs := range byPart {
		sort.Slice(rs, func(i, j int) bool { return rs[i].Offset < rs[j].Offset })
		for _, r := range rs {
			if len(r.Key) > 0 {
				k := r.Topic + "\t" + string(r.Key)
				got[k] = append(got[k], string(r.Value))
			}
		}
	}
	exp := map[string][]string{}
	for _, r := range puts {
		if r.Key != "" {
			k := strings.ReplaceAll(topic, sink.LogPlaceholder, r.Path) + "\t" + r.Key
			_, row := r.Path, string(r.JSON)
			exp[k] = append(exp[k], `{"_path":"`+r.Path+`",`+row[1:])
		}
	}
	if len(got) != len(exp) {
		t.Errorf("%d keys in Kafka, %d written", len(got), len(exp))
	}
	for k, seq := range exp {
		if fmt.Sprint(got[k]) != fmt.Sprint(seq) {
			t.Errorf("key %s: records out of order or missing:\n got %q\nwant %q", k, got[k], seq)
		}
	}
}

// rowsN puts n distinct rows, spread over 50 connections, pausing every 100 rows.
func putRows(t *testing.T, k *sink.Kafka, n int, pause time.Duration) {
	for i := range n {
		r := sink.Row{Path: "conn", Key: fmt.Sprintf("C%d", i%50), JSON: fmt.Appendf(nil, `{"n":%d}`, i)}
		if err := k.Put(r); err != nil {
			t.Fatal(err)
		}
		if i%100 == 99 {
			time.Sleep(pause)
		}
	}
}

// distinct checks that the records are distinct rows of putRows and returns how many.
func distinct(t *testing.T, recs []*kgo.Record) int {
	seen := map[string]bool{}
	for _, r := range recs {
		if seen[string(r.Value)] {
			t.Fatalf("record %s delivered twice", r.Value)
		}
		seen[string(r.Value)] = true
	}
	return len(seen)
}

func TestKafkaOutage(t *testing.T) {
	const n = 1000
	for _, tc := range []struct {
		name   string
		refuse bool
		policy sink.Policy
	}{
		{"refused, block", true, sink.Block},
		{"away, block", false, sink.Block},
		{"refused, drop", true, sink.Drop},
		{"away, drop", false, sink.Drop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, addr := kafkatest.Cluster(t, 3, "zeek")
			// The cluster turns produce requests away from the 300th row put on, for 300 ms.
			var puts atomic.Int64
			var downAt atomic.Int64
			turned := kafkatest.Outage(c, tc.refuse, func() bool {
				if puts.Load() < 300 {
					return false
				}
				downAt.CompareAndSwap(0, time.Now().UnixNano())
				return time.Since(time.Unix(0, downAt.Load())) < 300*time.Millisecond
			})
			k, err := sink.NewKafka(sink.KafkaConfig{Brokers: []string{addr}, Topic: "zeek",
				MaxBuffered: 64, Policy: tc.policy, Extra: kafkatest.FastRetries()})
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				if err := k.Put(sink.Row{Path: "conn", Key: fmt.Sprintf("C%d", i%50), JSON: fmt.Appendf(nil, `{"n":%d}`, i)}); err != nil {
					t.Fatal(err)
				}
				puts.Add(1)
				if i%100 == 99 {
					time.Sleep(40 * time.Millisecond) // the rows span the outage and the recovery
				}
			}
			closeErr := k.Close()
			st := k.Stats()
			t.Logf("%+v", st)
			if turned.Load() == 0 {
				t.Fatal("the outage never happened")
			}
			recs := kafkatest.ReadAll(t, addr, int(st.Delivered), 10*time.Second, "zeek")
			got := distinct(t, recs)
			if uint64(got) != st.Delivered || st.Failed != 0 {
				t.Fatalf("%d distinct records in Kafka; stats %+v", got, st)
			}
			switch tc.policy {
			case sink.Block:
				if closeErr != nil || got != n || st.Dropped != 0 {
					t.Fatalf("block lost rows: %d of %d arrived, close: %v", got, n, closeErr)
				}
				if st.Blocked < 100*time.Millisecond {
					t.Errorf("blocked %v during a 300 ms outage", st.Blocked)
				}
			case sink.Drop:
				var le *sink.LossError
				if st.Dropped == 0 || !errors.As(closeErr, &le) || le.Stats.Dropped != st.Dropped {
					t.Fatalf("drop: %d dropped, close %v", st.Dropped, closeErr)
				}
				if uint64(got)+st.Dropped != n {
					t.Fatalf("%d arrived + %d counted dropped != %d put", got, st.Dropped, n)
				}
			}
		})
	}
}

func TestKafkaGoneAtExit(t *testing.T) {
	c, addr := kafkatest.Cluster(t, 1, "zeek")
	k, err := sink.NewKafka(sink.KafkaConfig{Brokers: []string{addr}, Topic: "zeek",
		FlushTimeout: 300 * time.Millisecond, Extra: kafkatest.FastRetries()})
	if err != nil {
		t.Fatal(err)
	}
	putRows(t, k, 200, 0)
	if err := k.Close(); err != nil { // flushes: all delivered
		t.Fatalf("first batch: %v", err)
	}
	k, err = sink.NewKafka(sink.KafkaConfig{Brokers: []string{addr}, Topic: "zeek",
		FlushTimeout: 300 * time.Millisecond, Extra: kafkatest.FastRetries()})
	if err != nil {
		t.Fatal(err)
	}
	kafkatest.Outage(c, false, func() bool { return true })
	putRows(t, k, 200, 0)
	err = k.Close()
	var le *sink.LossError
	if !errors.As(err, &le) || le.Stats.Failed+le.Stats.Delivered != 200 || le.Stats.Failed == 0 {
		t.Fatalf("cluster away at exit: %v (%+v)", err, k.Stats())
	}
	if !strings.Contains(err.Error(), "not acknowledged") {
		t.Errorf("message %q", err)
	}
}

// groupOfTwo is a consumer group of two members reading one topic.
type groupOfTwo struct {
	mu      sync.Mutex
	seen    map[string]int
	total   int
	members [2]int
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// startGroup starts the two members and returns once each has its share of the partitions.
func startGroup(t *testing.T, addr, topic string) *groupOfTwo {
	g := &groupOfTwo{seen: map[string]int{}}
	var assigned sync.WaitGroup
	assigned.Add(2)
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	t.Cleanup(g.stop)
	for m := range 2 {
		var once sync.Once
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumerGroup("readers"), kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(50*time.Millisecond),
			kgo.Balancers(kgo.RangeBalancer()),          // eager: each assignment is the member's whole share
			kgo.HeartbeatInterval(100*time.Millisecond), // notice the second member's join at once
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
				if n := len(a[topic]); n > 0 && n < 4 {
					once.Do(assigned.Done)
				}
			}))
		if err != nil {
			t.Fatal(err)
		}
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			defer cl.Close()
			for ctx.Err() == nil {
				fs := cl.PollFetches(ctx)
				g.mu.Lock()
				fs.EachRecord(func(r *kgo.Record) {
					g.seen[string(r.Value)]++
					g.members[m]++
					g.total++
				})
				g.mu.Unlock()
			}
		}()
	}
	waitOrFail(t, &assigned, 10*time.Second, "the two members never shared the partitions")
	return g
}

func (g *groupOfTwo) stop() {
	g.cancel()
	g.wg.Wait()
}

// check waits for n records, then checks that the group read each row once.
func (g *groupOfTwo) check(t *testing.T, files map[string][]string, n int) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		g.mu.Lock()
		done := g.total >= n
		g.mu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // room for surplus deliveries to show
	g.stop()
	if g.total != n || len(g.seen) != distinctRows(files) {
		t.Fatalf("group read %d records (%d distinct), want %d (%d distinct)", g.total, len(g.seen), n, distinctRows(files))
	}
	for v, c := range g.seen {
		// Identical rows exist (the same certificate seen at the same time in two
		// captures): each must be read as often as the files have it.
		if c > 1 && c != countRow(files, v) {
			t.Fatalf("record read %d times: %s", c, v)
		}
	}
	if g.members[0] == 0 || g.members[1] == 0 {
		t.Errorf("one member read nothing: %v", g.members)
	}
}

func distinctRows(files map[string][]string) int {
	m := map[string]bool{}
	for p, ls := range files {
		for _, l := range ls {
			m[p+"\t"+l] = true
		}
	}
	return len(m)
}

func countRow(files map[string][]string, v string) int {
	var p, row string
	// v is {"_path":"P",...}
	rest := strings.TrimPrefix(v, `{"_path":"`)
	i := strings.IndexByte(rest, '"')
	p, row = rest[:i], "{"+rest[i+2:]
	n := 0
	for _, l := range files[p] {
		if l == row {
			n++
		}
	}
	return n
}

func waitOrFail(t *testing.T, wg *sync.WaitGroup, d time.Duration, msg string) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatal(msg)
	}
}

// A run interrupted while the cluster is away: the blocked Put returns, later rows fail at
// once, Close does not wait for its flush timeout, and every row is reported lost.
func TestKafkaInterrupt(t *testing.T) {
	c, addr := kafkatest.Cluster(t, 1, "zeek")
	kafkatest.Outage(c, false, func() bool { return true })
	k, err := sink.NewKafka(sink.KafkaConfig{Brokers: []string{addr}, Topic: "zeek", MaxBuffered: 8,
		Extra: kafkatest.FastRetries()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 100 {
			k.Put(sink.Row{Path: "conn", Key: fmt.Sprintf("C%d", i%50), JSON: fmt.Appendf(nil, `{"n":%d}`, i)})
		}
	}()
	select {
	case <-done:
		t.Fatal("100 rows put into a buffer of 8 with the cluster away: Put did not block")
	case <-time.After(200 * time.Millisecond):
	}
	k.Interrupt()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Put still blocked after Interrupt")
	}
	start := time.Now()
	err = k.Close()
	var le *sink.LossError
	if !errors.As(err, &le) || le.Stats.Rows != 100 || le.Stats.Failed != 100 || le.Stats.Delivered != 0 {
		t.Fatalf("close: %v (%+v)", err, k.Stats())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close waited %v after Interrupt", d)
	}
}

func TestKafkaCompression(t *testing.T) {
	for _, codec := range []string{"lz4", "zstd", "snappy", "gzip", "none"} {
		t.Run(codec, func(t *testing.T) {
			_, addr := kafkatest.Cluster(t, 1, "zeek")
			k, err := sink.NewKafka(sink.KafkaConfig{Brokers: []string{addr}, Topic: "zeek", Compression: codec})
			if err != nil {
				t.Fatal(err)
			}
			putRows(t, k, 100, 0)
			if err := k.Close(); err != nil {
				t.Fatal(err)
			}
			if got := distinct(t, kafkatest.ReadAll(t, addr, 100, 10*time.Second, "zeek")); got != 100 {
				t.Fatalf("%d rows read back", got)
			}
		})
	}
	if _, err := sink.NewKafka(sink.KafkaConfig{Brokers: []string{"h:1"}, Topic: "zeek", Compression: "brotli"}); err == nil {
		t.Error("unknown codec accepted")
	}
}
