package engine

import (
	"github.com/tlsmon/tlsmon/budget"
	"github.com/tlsmon/tlsmon/packet"
)

// The dispatcher of a sharded run (Run with Workers ≥ 2) has its own decoder, which
// reassembles IP fragments to route them (ShardOf): its fragment bytes count against the
// memory budget too. The dispatcher gets a budget of its own (it runs on its own
// goroutine; a budget belongs to one), dispatcherShare bytes of accounts, and the shards
// share what is left, so that the dispatcher and the shards together stay within
// Options.MaxMemory (docs/RELIABILITY.md, "Memory budget").

// dispatcherShare returns the dispatcher's accounted budget for a run of n shards (0: no
// budget) and the options the shards divide between them (perShard): MaxMemory less what
// the dispatcher's share stands for. The share is the fragment cap (Limits.MaxFragmentBytes,
// 16 MiB), but at most one (n+1)-th of the accounts, so that a small budget is not taken
// by fragments.
func dispatcherShare(o Options, n int) (int64, Options) {
	if o.MaxMemory < 0 {
		return 0, o
	}
	m := o.MaxMemory
	if m == 0 {
		m = DefaultMaxMemory
	}
	f := int64(o.Limits.MaxFragmentBytes)
	if f <= 0 {
		f = 16 << 20 // packet's default
	}
	d := max(min(f, m/accountedShareDen*accountedShareNum/int64(n+1)), 1)
	o.MaxMemory = max(m-d*accountedShareDen/accountedShareNum, 1)
	return d, o
}

// shardOptions returns the options of one of the n shards of a run: o's less the
// dispatcher's share, divided (perShard).
func shardOptions(o Options, n int) Options {
	_, so := dispatcherShare(o, n)
	return so.perShard(n)
}

// newRouteDecoder returns the dispatcher's decoder for a run of n shards, its fragments
// drawing on a budget of the dispatcher's share (nil when there is none). When the budget
// is short the oldest datagrams never completed are shed; a fragment the dispatcher drops
// only changes which shard its frame goes to (by its addresses rather than by what its
// reassembled datagram carries), the shards reassemble and report as before.
func newRouteDecoder(o Options, n int) (*packet.Decoder, *budget.Budget) {
	return routeDecoder(o, n, 1)
}

// routeDecoder returns one of the routing decoders of a run of n shards: 1 for the
// dispatcher, n when every shard routes every frame itself (selfroute.go). Each gets an
// equal part of the dispatcher's share and of the fragment cap, the same for every router
// (their routing must agree), so that together they hold what the dispatcher would.
func routeDecoder(o Options, n, routers int) (*packet.Decoder, *budget.Budget) {
	d, _ := dispatcherShare(o, n)
	var mem *budget.Budget
	if d > 0 {
		mem = &budget.Budget{Max: max(d/int64(routers), 1)}
	}
	frag := o.Limits.MaxFragmentBytes
	if routers > 1 {
		if frag <= 0 {
			frag = 16 << 20 // packet's default
		}
		frag = max(frag/routers, 1)
	}
	dec := packet.NewDecoder(packet.Config{
		MaxFragmentBytes:        frag,
		MaxFragmentsPerDatagram: o.Limits.MaxFragmentsPerDatagram,
		VerifyChecksums:         o.VerifyChecksums,
		Budget:                  mem,
	})
	if mem != nil {
		mem.Fragments = dec.ShedFragments
	}
	return dec, mem
}
