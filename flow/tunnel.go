package flow

// NewUID returns a fresh uid from the table's generator, for things that are not connections
// but carry a uid in Zeek (an IP tunnel's encapsulating "connection").
func (t *Table) NewUID() string { return t.uids.Next() }

// histAnalyzerLimit is the history mask of 'X' (Zeek's HIST_ANALYZER_LIMIT_REACHED).
const histAnalyzerLimit = 0x40000000

// AnalyzerLimit records that an analysis limit was reached on the connection (history 'X',
// once), as Zeek does when a tunnel exceeds Tunnel::max_depth.
func (c *Conn) AnalyzerLimit() { c.checkHistory(histAnalyzerLimit, 'X') }
