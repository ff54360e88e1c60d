package main

import (
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/engine"
	"github.com/tlsmon/tlsmon/live"
	"github.com/tlsmon/tlsmon/sink"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// The live health logs: Zeek's stats.log (policy/misc/stats.zeek) and capture_loss.log
// (policy/misc/capture-loss.zeek), with Zeek's columns, one row per --stats-interval.
// Counters are per interval where Zeek's are (packets, bytes, drops, connections created,
// events), current values otherwise. Columns tlsmon has nothing to report in are written as
// Zeek would with no such activity (files, DNS: 0) or unset when tlsmon does not measure
// them (timers, reassembly sizes, pkts_filtered).
var (
	statsSpec = zeeklog.LogSpec{Path: "stats", Columns: []zeeklog.Column{
		{Name: "ts", Type: "time"}, {Name: "peer", Type: "string"}, {Name: "mem", Type: "count"},
		{Name: "pkts_proc", Type: "count"}, {Name: "bytes_recv", Type: "count"},
		{Name: "pkts_dropped", Type: "count"}, {Name: "pkts_link", Type: "count"},
		{Name: "pkt_lag", Type: "interval"}, {Name: "pkts_filtered", Type: "count"},
		{Name: "events_proc", Type: "count"}, {Name: "events_queued", Type: "count"},
		{Name: "active_tcp_conns", Type: "count"}, {Name: "active_udp_conns", Type: "count"},
		{Name: "active_icmp_conns", Type: "count"}, {Name: "tcp_conns", Type: "count"},
		{Name: "udp_conns", Type: "count"}, {Name: "icmp_conns", Type: "count"},
		{Name: "timers", Type: "count"}, {Name: "active_timers", Type: "count"},
		{Name: "files", Type: "count"}, {Name: "active_files", Type: "count"},
		{Name: "dns_requests", Type: "count"}, {Name: "active_dns_requests", Type: "count"},
		{Name: "reassem_tcp_size", Type: "count"}, {Name: "reassem_file_size", Type: "count"},
		{Name: "reassem_frag_size", Type: "count"}, {Name: "reassem_unknown_size", Type: "count"},
	}}
	captureLossSpec = zeeklog.LogSpec{Path: "capture_loss", Columns: []zeeklog.Column{
		{Name: "ts", Type: "time"}, {Name: "ts_delta", Type: "interval"}, {Name: "peer", Type: "string"},
		{Name: "gaps", Type: "count"}, {Name: "acks", Type: "count"}, {Name: "percent_lost", Type: "double"},
	}}
)

// peerDescription is Zeek's peer_description for a process of its own ("zeek"); with
// several workers each writes its own rows, as Zeek's cluster workers do, with the peer
// workerPeer(id).
const peerDescription = "tlsmon"

// workerPeer is the peer column of worker id's rows (its metrics label is id too).
func workerPeer(id, workers int) string {
	if workers <= 1 {
		return peerDescription
	}
	return "worker-" + strconv.Itoa(id)
}

// healthMark is one worker's counters at its last row.
type healthMark struct {
	ts                   time.Time
	packets, bytes       uint64
	kernel, drops        uint64
	events               uint64
	conns                [3]uint64 // tcp, udp, icmp created
	ackEvents, gapEvents uint64
}

// healthLogs writes the two logs; it is a logBuilder of the run's outputs so that it is
// closed (#close) with the others and rotated with them. It is used under the outputs' lock.
type healthLogs struct {
	stats, loss zeeklog.Writer
	clock       *sink.Clock // the stream's network time (nil without -o - or --kafka)
	vals        []zeeklog.Value
}

// newHealthLogs adds the two logs to the run's outputs: they go where the other logs go
// (files, stdout, Kafka), are rotated with them, and --logs selects them by name.
func newHealthLogs(o *outputs) *healthLogs {
	mk := func(spec zeeklog.LogSpec) zeeklog.Writer {
		if o.want != nil && !o.want[spec.Path] {
			return discardWriter{}
		}
		return o.newLog(spec)
	}
	h := &healthLogs{stats: mk(statsSpec), loss: mk(captureLossSpec), clock: o.clock}
	o.logs = append(o.logs, h)
	return h
}

// HandleEvent implements tlsmon.Handler (the rows come from write, not from events).
func (h *healthLogs) HandleEvent(tlsmon.Event) {}

// Close implements logBuilder.
func (h *healthLogs) Close(ts int64) error {
	err := h.stats.Close(ts)
	if err2 := h.loss.Close(ts); err == nil {
		err = err2
	}
	return err
}

// write writes one row of each log for one worker (peer): what happened since its previous
// row (last, updated). st, kernel and m are the worker's engine, sockets and events;
// lastPacket is the timestamp of its last packet (µs; 0: none yet), for pkt_lag.
func (h *healthLogs) write(peer string, last *healthMark, now time.Time, st engine.Stats, kernel []live.Stats, m *workerMetrics, lastPacket int64) {
	cur := healthMark{ts: now, packets: st.Packets, bytes: st.Bytes, events: m.total,
		conns: m.created, ackEvents: st.AckEvents, gapEvents: st.GapEvents}
	for _, k := range kernel {
		cur.kernel += k.Kernel
		cur.drops += k.Drops
	}
	prev := *last
	*last = cur
	if h.clock != nil {
		h.clock.Advance(now.UnixMicro()) // network time follows the wall clock live: _write_ts
	}
	ts := zeeklog.Time(now.UnixMicro())
	lag := zeeklog.Unset()
	if lastPacket > 0 {
		lag = zeeklog.Interval(max(0, now.UnixMicro()-lastPacket))
	}
	active := m.active()
	z := zeeklog.Count(0)
	h.vals = append(h.vals[:0], ts, zeeklog.String(peer), zeeklog.Count(residentMB()),
		zeeklog.Count(cur.packets-prev.packets), zeeklog.Count(cur.bytes-prev.bytes),
		zeeklog.Count(cur.drops-prev.drops), zeeklog.Count(cur.kernel-prev.kernel),
		lag, zeeklog.Unset(),
		zeeklog.Count(cur.events-prev.events), zeeklog.Count(cur.events-prev.events),
		zeeklog.Count(active[0]), zeeklog.Count(active[1]), zeeklog.Count(active[2]),
		zeeklog.Count(cur.conns[0]-prev.conns[0]), zeeklog.Count(cur.conns[1]-prev.conns[1]), zeeklog.Count(cur.conns[2]-prev.conns[2]),
		zeeklog.Unset(), zeeklog.Unset(), z, z, z, z,
		zeeklog.Unset(), z, zeeklog.Unset(), zeeklog.Unset())
	h.stats.Write(h.vals)

	acks, gaps := cur.ackEvents-prev.ackEvents, cur.gapEvents-prev.gapEvents
	pct := 0.0
	if acks > 0 {
		pct = 100 * float64(gaps) / float64(acks)
	}
	h.vals = append(h.vals[:0], ts, zeeklog.IntervalBetween(prev.ts.UnixMicro(), now.UnixMicro()),
		zeeklog.String(peer), zeeklog.Count(gaps), zeeklog.Count(acks), zeeklog.Double(pct))
	h.loss.Write(h.vals)
}

// residentMB is the process's resident memory in MiB (Zeek's mem column), 0 if unknown.
func residentMB() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize()) >> 20
}
