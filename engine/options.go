// Package engine is tlsmon's analysis loop: capture frames are decoded into packets, packets
// go to their connection (package flow), TCP payload through reassembly (package stream) to
// the analyzers attached by port or content (package detect), and every event to the
// Handler of Options.
package engine

import (
	"time"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/dtls"
	"github.com/tlsmon/tlsmon/quic"
	"github.com/tlsmon/tlsmon/ssl"
)

// Options configure an Engine.
type Options struct {
	Handler   tlsmon.Handler  // receives every event (use tlsmon.Handlers to fan out); may be nil
	Analyzers []analyzer.Spec // analyzers to attach by port/signature; nil = DefaultAnalyzers(); the "SSL" one also makes the SSL analyzer RDP and STARTTLS hand over to (analyzer.Env.SSL)
	Analyzer  analyzer.Options
	// SSL, DTLS and QUIC configure the default analyzers (used when Analyzers is nil; a
	// caller building its own Analyzers passes them to ssl.NewShared, dtls.SpecConfig and
	// quic.SpecConfig). A dtls.Config's Budget is shared by the connections of one engine:
	// leave it nil to get one per engine.
	SSL  ssl.Config
	DTLS dtls.Config
	QUIC quic.Config
	// Inactivity timeouts; 0 = Zeek's defaults (5 min, 1 min).
	TCPInactivityTimeout, UDPInactivityTimeout time.Duration
	Limits                                     Limits
	// Recover recovers what Zeek throws away on damaged traffic (off: Zeek's behaviour).
	Recover Recover
	// UIDSeed makes the connection uids of a run reproducible (same input and seed, same uids).
	UIDSeed uint64
	// VerifyChecksums drops packets with a bad IPv4 header, TCP, UDP or ICMP checksum, with
	// Zeek's weirds, as Zeek without -C does. Off by default, as with zeek -C: capture hosts
	// offload checksums to the network card, so most captured packets carry wrong ones.
	VerifyChecksums bool
	// Workers is the number of engines (shards) Run spreads the connections over, with the
	// output of one engine (docs/SCALING.md); 0 or 1: one engine.
	Workers int
	// Split, when set, runs the consumers in the shards (split.go) and Handler is not used:
	// each shard's consumer formats what it can and the merged sink gets the rest, in one
	// engine's order. With one engine, the consumer of shard 0 gets every event and its
	// items go straight to the sink.
	Split *Split
	// Stop, when closed, ends a run of several Workers early: the frames read but not yet
	// processed are dropped and reading stops (each shard then drains as at the end of
	// input), so that a signal or an output error stops the work soon. nil: never.
	Stop <-chan struct{}
	// MaxMemory is the memory budget in bytes (0: DefaultMaxMemory, 1 GiB; < 0: none):
	// connections, TCP reassembly, IP fragments and SSL record buffers draw on it, and state
	// is shed by the policy of package budget when it is short (docs/RELIABILITY.md,
	// "Memory budget"). Run divides it, and the global Limits, between its Workers.
	MaxMemory int64
}

// Limits are the resource caps. Zero values take the defaults in parentheses.
type Limits struct {
	MaxConnections          int   // connections in the table at once (1,000,000)
	ReassemblyPerConnection int   // out-of-order bytes buffered per connection (1 MiB)
	ReassemblyGlobal        int64 // out-of-order bytes buffered over all connections (256 MiB)
	MaxFragmentBytes        int   // IP fragment reassembly, total (16 MiB)
	MaxFragmentsPerDatagram int   // IP fragments kept per datagram (512)
}

// perShard returns the options of one of n shards: the memory budget and the caps over
// all connections divided between them, so that n shards hold what one engine would.
// PerWorker returns the options of one of n engines that share o's memory budget and
// global caps (each gets 1/n of them), as Run's shards and the live workers do.
func (o Options) PerWorker(n int) Options { return o.perShard(n) }

func (o Options) perShard(n int) Options {
	o.Limits.defaults()
	if o.MaxMemory == 0 {
		o.MaxMemory = DefaultMaxMemory
	}
	if o.MaxMemory > 0 {
		o.MaxMemory = max(o.MaxMemory/int64(n), 1)
	}
	o.Limits.MaxConnections = max(o.Limits.MaxConnections/n, 1)
	o.Limits.ReassemblyGlobal = max(o.Limits.ReassemblyGlobal/int64(n), 1)
	if o.Limits.MaxFragmentBytes == 0 {
		o.Limits.MaxFragmentBytes = 16 << 20 // packet's default
	}
	o.Limits.MaxFragmentBytes = max(o.Limits.MaxFragmentBytes/n, 1)
	return o
}

func (l *Limits) defaults() {
	if l.MaxConnections == 0 {
		l.MaxConnections = 1_000_000
	}
	if l.ReassemblyPerConnection == 0 {
		l.ReassemblyPerConnection = 1 << 20
	}
	if l.ReassemblyGlobal == 0 {
		l.ReassemblyGlobal = 256 << 20
	}
}
