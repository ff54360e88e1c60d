package capture

// prefetch asks the processor for the two cache lines from p and the line of q without
// waiting for them (PREFETCHT0: never faults; a line on a page not mapped yet is skipped).
// Go has no prefetch of its own outside the runtime, and a plain load would stall the
// reader until the line came, which is what the prefetch is for: mappedPcap.Next's record
// headers form a chain, each found only once the one before was read. Measured, one
// engine on perfmix: docs/PERFORMANCE.md, "onecore5".
//
//go:noescape
func prefetch(p, q *byte)
