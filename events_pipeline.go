package tlsmon

// ConnectionStats are a connection's counters as Zeek's conn.log reports them.
type ConnectionStats struct {
	Duration    int64 // microseconds between first and last packet
	OrigPkts    uint64
	RespPkts    uint64
	OrigIPBytes uint64
	RespIPBytes uint64
	OrigBytes   uint64 // payload bytes, as Zeek counts them (TCP: sequence space seen)
	RespBytes   uint64
	MissedBytes uint64
	State       string // Zeek's conn_state ("SF", "S0", "OTH", ...); may be empty
	History     string // Zeek's history letters; may be empty
	Service     []string
	IPProto     uint8
	// TunnelParents are the uids of the tunnel connections that carried this one
	// (conn.log's tunnel_parents); nil when it came through no tunnel.
	TunnelParents []string
	OrigBytesSet  bool // false when Zeek would leave orig_bytes/resp_bytes unset
}

// NewConnection is raised when a connection is first seen (Zeek's new_connection).
type NewConnection struct {
	Meta
}

// Name returns "new_connection".
func (*NewConnection) Name() string { return "new_connection" }

// ConnectionStateRemove is raised when a connection ends: timeout, close, or end of input
// (Zeek's connection_state_remove). Stats are final.
type ConnectionStateRemove struct {
	Meta
	Stats ConnectionStats
}

// Name returns "connection_state_remove".
func (*ConnectionStateRemove) Name() string { return "connection_state_remove" }

// Certificate hands one certificate of a chain to consumers (Zeek's file analysis of X.509).
type Certificate struct {
	Meta
	IsClient bool   // sent by the client side of the SSL session
	IsOrig   bool   // sent by the connection's originator
	Index    int    // position in the chain, 0 is the end-entity certificate
	DER      []byte // aliases analyzer buffers: valid only during the call
	// Same, when not zero, vouches for DER: every Certificate with the same Same carries
	// the same DER (the SSL analyzer's, for a message it matched byte by byte with one it
	// keeps).
	Same SameBytes
}

// Name returns "x509_certificate_seen"; it is not an SSL event.
func (*Certificate) Name() string { return "x509_certificate_seen" }

// AnalyzerConfirmation is raised when an analyzer is sure it parses its protocol
// (Zeek's analyzer_confirmation_info).
type AnalyzerConfirmation struct {
	Meta
	Analyzer string // "SSL", "DTLS"
}

// Name returns "analyzer_confirmation_info".
func (*AnalyzerConfirmation) Name() string { return "analyzer_confirmation_info" }

// AnalyzerViolation is raised when an analyzer gives up on a connection
// (Zeek's analyzer_violation_info); no event of that analyzer follows on the connection.
type AnalyzerViolation struct {
	Meta
	Analyzer string
	Reason   string
	Data     []byte // the offending bytes, if any (aliasing: valid during the call)
	// Ignored is set when Zeek's DPD ignores the violation because more than
	// DPD::ignore_violations_after (10 KiB) went through the connection: the analyzer
	// stays attached, and it counts as no failure (no analyzer.log row, the service stays).
	Ignored bool
}

// Name returns "analyzer_violation_info".
func (*AnalyzerViolation) Name() string { return "analyzer_violation_info" }

// Weird reports something unusual that Zeek would log in weird.log, and every resource
// cap tlsmon hits.
type Weird struct {
	Meta      // Conn may be nil for weirds not tied to a connection
	WeirdName string
	Addl      string
	Source    string // the component that reported it ("SSL", "TCP", "capture"...)
}

// Name returns "weird".
func (*Weird) Name() string { return "weird" }
