package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/engine"
	"github.com/tlsmon/tlsmon/live"
)

// sensorMetrics serves the live run's counters: each worker's (workerMetrics: its engine,
// its sockets, its events) and the log rows written. Nothing on the per-packet path takes a
// lock: each worker publishes a snapshot about once a second, and so does the loop that owns
// the log writers for the row counts.
type sensorMetrics struct {
	workers []*workerMetrics

	mu   sync.Mutex
	rows map[string]uint64
}

// workerMetrics counts one worker's events by name (as a tlsmon.Handler, in the worker's
// goroutine) and holds the snapshot the worker last published.
type workerMetrics struct {
	label string // the metrics' worker label: "0", "1", ...
	// worker goroutine only: events by name and in all, connections created and removed
	// by protocol (tcp, udp, icmp) for stats.log
	events           map[string]uint64
	total            uint64
	created, removed [3]uint64

	mu   sync.Mutex
	snap workerSnapshot
}

type workerSnapshot struct {
	engine engine.Stats
	kernel []live.Stats
	events map[string]uint64
}

func newSensorMetrics(workers int) *sensorMetrics {
	m := &sensorMetrics{}
	for w := range max(workers, 1) {
		m.workers = append(m.workers, &workerMetrics{label: strconv.Itoa(w), events: map[string]uint64{}})
	}
	return m
}

// HandleEvent implements tlsmon.Handler.
func (m *workerMetrics) HandleEvent(e tlsmon.Event) {
	m.events[e.Name()]++
	m.total++
	switch ev := e.(type) {
	case *tlsmon.NewConnection:
		if i := protoIndex(ev.Conn); i >= 0 {
			m.created[i]++
		}
	case *tlsmon.ConnectionStateRemove:
		if i := protoIndex(ev.Conn); i >= 0 {
			m.removed[i]++
		}
	}
}

// protoIndex is stats.log's protocol slot of a connection: 0 tcp, 1 udp, 2 icmp (and
// ICMPv6), -1 other.
func protoIndex(c *tlsmon.Conn) int {
	if c == nil {
		return -1
	}
	switch c.ID.Proto {
	case tlsmon.ProtoTCP:
		return 0
	case tlsmon.ProtoUDP:
		return 1
	case tlsmon.ProtoICMP, 58:
		return 2
	}
	return -1
}

// active returns the worker's connections open now, by protocol slot.
func (m *workerMetrics) active() [3]uint64 {
	var a [3]uint64
	for i := range a {
		a[i] = m.created[i] - m.removed[i]
	}
	return a
}

// publish copies the worker's counters for the endpoint (worker goroutine).
func (m *workerMetrics) publish(st engine.Stats, kernel []live.Stats) {
	ev := make(map[string]uint64, len(m.events))
	for k, v := range m.events {
		ev[k] = v
	}
	m.mu.Lock()
	m.snap = workerSnapshot{engine: st, kernel: kernel, events: ev}
	m.mu.Unlock()
}

// kernel returns the worker's socket counters as last published.
func (m *workerMetrics) kernel() []live.Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snap.kernel
}

// publishRows copies the row counts (by the owner of the log writers).
func (m *sensorMetrics) publishRows(rows map[string]uint64) {
	m.mu.Lock()
	m.rows = rows
	m.mu.Unlock()
}

var (
	descPackets     = prometheus.NewDesc("tlsmon_packets_total", "Packets the engine read.", []string{"worker"}, nil)
	descBytes       = prometheus.NewDesc("tlsmon_bytes_total", "Captured bytes the engine read.", []string{"worker"}, nil)
	descIfPackets   = prometheus.NewDesc("tlsmon_interface_packets_total", "Packets read from the interface's socket.", []string{"worker", "interface"}, nil)
	descIfBytes     = prometheus.NewDesc("tlsmon_interface_bytes_total", "Captured bytes read from the interface's socket.", []string{"worker", "interface"}, nil)
	descKernel      = prometheus.NewDesc("tlsmon_kernel_packets_total", "Packets the kernel counted for the socket (PACKET_STATISTICS).", []string{"worker", "interface"}, nil)
	descDrops       = prometheus.NewDesc("tlsmon_kernel_drops_total", "Packets the kernel dropped for the socket: ring full (PACKET_STATISTICS).", []string{"worker", "interface"}, nil)
	descActive      = prometheus.NewDesc("tlsmon_connections_active", "Connections in the table now.", []string{"worker"}, nil)
	descConns       = prometheus.NewDesc("tlsmon_connections_total", "Connections created.", []string{"worker"}, nil)
	descEvents      = prometheus.NewDesc("tlsmon_events_total", "Events raised, by Zeek event name.", []string{"worker", "event"}, nil)
	descRows        = prometheus.NewDesc("tlsmon_log_rows_total", "Log rows written, by log.", []string{"log"}, nil)
	descCapHits     = prometheus.NewDesc("tlsmon_cap_hits_total", "Resource caps hit, by cap (each also in weird.log).", []string{"worker", "cap"}, nil)
	descDecodeError = prometheus.NewDesc("tlsmon_decode_errors_total", "Malformed frames.", []string{"worker"}, nil)
)

// Describe implements prometheus.Collector.
func (m *sensorMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPackets, descBytes, descIfPackets, descIfBytes, descKernel, descDrops,
		descActive, descConns, descEvents, descRows, descCapHits, descDecodeError} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *sensorMetrics) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for _, wm := range m.workers {
		wm.mu.Lock()
		s := wm.snap
		wm.mu.Unlock()
		w := wm.label
		counter(descPackets, s.engine.Packets, w)
		counter(descBytes, s.engine.Bytes, w)
		counter(descConns, s.engine.Connections, w)
		counter(descDecodeError, s.engine.DecodeErrors, w)
		ch <- prometheus.MustNewConstMetric(descActive, prometheus.GaugeValue, float64(s.engine.Active), w)
		for _, k := range s.kernel {
			counter(descIfPackets, k.Received, w, k.Interface)
			counter(descIfBytes, k.Bytes, w, k.Interface)
			counter(descKernel, k.Kernel, w, k.Interface)
			counter(descDrops, k.Drops, w, k.Interface)
		}
		for name, v := range s.events {
			counter(descEvents, v, w, name)
		}
		for name, v := range s.engine.CapHits {
			counter(descCapHits, v, w, name)
		}
	}
	m.mu.Lock()
	rows := m.rows
	m.mu.Unlock()
	for name, v := range rows {
		counter(descRows, v, name)
	}
}

// serve starts the /metrics endpoint on addr (a registry of this run only). The listener
// is opened now, so that a bad or busy address is an error at start.
func (m *sensorMetrics) serve(addr string) (io.Closer, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(m); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the endpoint is best effort: capture goes on
		}
	}()
	return srv, nil
}
