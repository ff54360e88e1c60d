package sink

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
)

// Policy says what Put does when the producer's buffer is full (the cluster is slow or away).
type Policy uint8

const (
	// Block waits for room: reading a capture file slows down, and nothing is lost. The time
	// spent waiting is counted (KafkaStats.Blocked).
	Block Policy = iota
	// Drop discards the row and counts it (KafkaStats.Dropped).
	Drop
)

// ParsePolicy reads "block" or "drop".
func ParsePolicy(s string) (Policy, error) {
	switch s {
	case "block":
		return Block, nil
	case "drop":
		return Drop, nil
	}
	return Block, fmt.Errorf("unknown buffer policy %q (want block or drop)", s)
}

func (p Policy) String() string {
	if p == Drop {
		return "drop"
	}
	return "block"
}

// LogPlaceholder in KafkaConfig.Topic stands for the log's name.
const LogPlaceholder = "{log}"

// KafkaConfig configures the Kafka destination.
type KafkaConfig struct {
	Brokers []string // seed brokers, host:port
	// Topic is where rows go. As zeek-kafka offers, either one topic for every log
	// ("zeek") or one per log: LogPlaceholder is replaced by the log's name ("{log}" gives
	// ssl, x509, conn...; "zeek-{log}" gives zeek-ssl...).
	Topic    string
	ClientID string
	TLS      *tls.Config    // nil: plaintext
	SASL     sasl.Mechanism // nil: none
	// Sensor, when not empty, is sent as the header "sensor" of every record, so consumers
	// can tell sensors apart without a change to the rows.
	Sensor string
	// MaxBuffered bounds the rows held in memory waiting for the cluster (default 10,000).
	MaxBuffered int
	Policy      Policy
	// FlushTimeout bounds the wait for the cluster at Close (default 30 s); rows still not
	// acknowledged then are reported lost.
	FlushTimeout time.Duration
	// Compression of the record batches: "lz4" (default), "zstd", "snappy", "gzip" or "none".
	Compression string
	// Extra options for the client, after tlsmon's (tests use them to shorten timeouts).
	Extra []kgo.Opt
}

// KafkaStats counts what happened to the rows.
type KafkaStats struct {
	Rows      uint64        // rows put
	Delivered uint64        // acknowledged by all in-sync replicas
	Dropped   uint64        // discarded by the drop policy while the buffer was full
	Failed    uint64        // not acknowledged: failed by the client or abandoned at Close
	Blocked   time.Duration // time Put waited for room under the block policy
}

// LossError reports rows that did not reach Kafka.
type LossError struct {
	Stats KafkaStats
	First error // the first error the client reported for a row, if any
	Conn  error // the last failed connection to a broker, if any
}

func (e *LossError) Error() string {
	s := e.Stats
	var parts []string
	if s.Dropped > 0 {
		parts = append(parts, fmt.Sprintf("%d dropped while the buffer was full (policy drop)", s.Dropped))
	}
	if s.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d not acknowledged by the cluster (lost, or delivered without confirmation)", s.Failed))
	}
	msg := fmt.Sprintf("kafka: %d of %d rows not delivered: %s", s.Dropped+s.Failed, s.Rows, strings.Join(parts, "; "))
	if e.First != nil {
		msg += fmt.Sprintf("; first error: %v", e.First)
	}
	if e.Conn != nil {
		msg += fmt.Sprintf("; last connection error: %v", e.Conn)
	}
	return msg
}

// Kafka is a destination producing every row as one record: the value is the row's JSON
// with "_path" added in front (the JSON log file's bytes otherwise), the key is Row.Key (so
// one connection's rows go to one partition, in order; rows without a key are spread by
// the client's sticky partitioner). The producer is idempotent and waits for all in-sync
// replicas (acks=all), so a record retried after a broker failure is written once.
type Kafka struct {
	cl     *kgo.Client
	cfg    KafkaConfig
	ctx    context.Context // cancelled by Interrupt
	cancel context.CancelFunc
	topics map[string]string // log name → topic
	hdrs   []kgo.RecordHeader

	rows    uint64
	dropped uint64
	blocked time.Duration
	// Counted by the client's promise goroutine.
	delivered atomic.Uint64
	failed    atomic.Uint64
	final     *KafkaStats // set by Close
	firstErr  struct {
		sync.Mutex
		err  error // first row failure (not counting our own abort at Close)
		conn error // last failed broker connection
	}
}

// NewKafka connects a producer. It does not wait for the cluster: a cluster that is away
// at the start is waited for as when it goes away later.
func NewKafka(cfg KafkaConfig) (*Kafka, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("kafka: no broker given")
	}
	if cfg.Topic == "" {
		return nil, errors.New("kafka: empty topic")
	}
	if cfg.MaxBuffered <= 0 {
		cfg.MaxBuffered = 10000
	}
	if cfg.FlushTimeout <= 0 {
		cfg.FlushTimeout = 30 * time.Second
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.RequiredAcks(kgo.AllISRAcks()), // idempotent writes are the client's default and need acks=all
		kgo.MaxBufferedRecords(cfg.MaxBuffered),
		kgo.ProducerLinger(5 * time.Millisecond),
		kgo.AllowAutoTopicCreation(), // as librdkafka (zeek-kafka) does; the brokers' setting decides
	}
	codec, err := compression(cfg.Compression)
	if err != nil {
		return nil, err
	}
	opts = append(opts, kgo.ProducerBatchCompression(codec, kgo.NoCompression()))
	if cfg.ClientID != "" {
		opts = append(opts, kgo.ClientID(cfg.ClientID))
	}
	if cfg.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(cfg.TLS))
	}
	if cfg.SASL != nil {
		opts = append(opts, kgo.SASL(cfg.SASL))
	}
	k := &Kafka{cfg: cfg, topics: map[string]string{}}
	opts = append(opts, kgo.WithHooks(connHook{k}))
	opts = append(opts, cfg.Extra...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	k.cl = cl
	k.ctx, k.cancel = context.WithCancel(context.Background())
	if cfg.Sensor != "" {
		k.hdrs = []kgo.RecordHeader{{Key: "sensor", Value: []byte(cfg.Sensor)}}
	}
	return k, nil
}

// compression returns the codec named (lz4 for "").
func compression(name string) (kgo.CompressionCodec, error) {
	switch name {
	case "", "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "none":
		return kgo.NoCompression(), nil
	}
	return kgo.NoCompression(), fmt.Errorf("kafka: unknown compression %q (lz4, zstd, snappy, gzip, none)", name)
}

// Topic returns the topic of a log's rows.
func (k *Kafka) Topic(path string) string {
	t, ok := k.topics[path]
	if !ok {
		t = strings.ReplaceAll(k.cfg.Topic, LogPlaceholder, path)
		k.topics[path] = t
	}
	return t
}

// Put implements Dest.
func (k *Kafka) Put(r Row) error {
	k.rows++
	// The value: {"_path":"<path>", then the row's fields. Log names are plain ASCII
	// identifiers, so they need no JSON escaping.
	v := make([]byte, 0, len(r.JSON)+len(r.Path)+12)
	v = append(v, `{"_path":"`...)
	v = append(v, r.Path...)
	v = append(v, '"')
	if len(r.JSON) > 2 {
		v = append(v, ',')
		v = append(v, r.JSON[1:]...)
	} else {
		v = append(v, '}')
	}
	// The record lives by itself (Background); k.ctx only bounds the wait for room.
	rec := &kgo.Record{Topic: k.Topic(r.Path), Value: v, Headers: k.hdrs, Context: context.Background()}
	if r.Key != "" {
		rec.Key = []byte(r.Key)
	}
	if k.cl.BufferedProduceRecords() >= int64(k.cfg.MaxBuffered) {
		if k.cfg.Policy == Drop {
			k.dropped++
			return nil
		}
		start := time.Now()
		k.cl.Produce(k.ctx, rec, k.promise)
		k.blocked += time.Since(start)
		return nil
	}
	k.cl.Produce(k.ctx, rec, k.promise)
	return nil
}

// Interrupt stops waiting for the cluster: a Put blocked for room, and every later Put that
// finds the buffer full, fails its row at once (counted as not acknowledged), and Close stops
// waiting for acknowledgements. The command calls it at a second SIGINT or SIGTERM, so that a
// run stopped while the cluster is away ends with its losses reported. Safe from any goroutine.
func (k *Kafka) Interrupt() { k.cancel() }

// promise counts each record's outcome; it runs on the client's promise goroutine.
func (k *Kafka) promise(_ *kgo.Record, err error) {
	if err == nil {
		k.delivered.Add(1)
		return
	}
	k.failed.Add(1)
	if errors.Is(err, kgo.ErrAborting) || errors.Is(err, context.Canceled) {
		return // our own doing at Close or Interrupt: the cause is elsewhere
	}
	k.firstErr.Lock()
	if k.firstErr.err == nil {
		k.firstErr.err = err
	}
	k.firstErr.Unlock()
}

// connHook remembers the last failed connection to a broker, for the loss report.
type connHook struct{ k *Kafka }

func (h connHook) OnBrokerConnect(_ kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if err != nil {
		h.k.firstErr.Lock()
		h.k.firstErr.conn = err
		h.k.firstErr.Unlock()
	}
}

// Stats returns the counts so far (final after Close). Call it from the goroutine that puts.
func (k *Kafka) Stats() KafkaStats {
	if k.final != nil {
		return *k.final
	}
	return KafkaStats{Rows: k.rows, Delivered: k.delivered.Load(), Dropped: k.dropped,
		Failed: k.failed.Load(), Blocked: k.blocked}
}

// Close waits up to FlushTimeout for every buffered row to be acknowledged, then abandons
// what is left (counted as failed) and closes the client. It returns a *LossError when any
// row was dropped or not acknowledged, nil when every row was delivered.
func (k *Kafka) Close() error {
	ctx, cancel := context.WithTimeout(k.ctx, k.cfg.FlushTimeout)
	err := k.cl.Flush(ctx)
	cancel()
	if err != nil {
		// Abandon what is left: the safe abort waits for in-flight requests (bounded), the
		// unsafe one then fails every record still held; a last short flush waits for
		// their promises to have run.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if k.cl.AbortBufferedRecords(ctx) != nil {
			k.cl.UnsafeAbortBufferedRecords()
		}
		cancel()
		ctx, cancel = context.WithTimeout(context.Background(), time.Second)
		k.cl.Flush(ctx)
		cancel()
	}
	k.cl.Close()
	k.cancel()
	st := k.Stats()
	// Every row put and neither dropped nor acknowledged is lost, whether or not its
	// promise has reported yet.
	st.Failed = st.Rows - st.Dropped - st.Delivered
	k.final = &st
	if st.Dropped+st.Failed == 0 {
		return nil
	}
	k.firstErr.Lock()
	defer k.firstErr.Unlock()
	return &LossError{Stats: st, First: k.firstErr.err, Conn: k.firstErr.conn}
}
