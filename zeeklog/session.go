package zeeklog

import tlsmon "github.com/tlsmon/tlsmon"

// SSLSession is what ssl.log says of one connection's SSL/TLS/DTLS session: the values of
// its row, for programs that want the outcome of a handshake without folding the events
// themselves. A string is empty where the log's field is unset ("-").
type SSLSession struct {
	Ts           int64 // µs since the Unix epoch: the session's first SSL event
	UID          string
	ID           tlsmon.ConnID
	Version      string // Zeek's name of the version: "TLSv13", "TLSv12", "DTLSv12"...
	Cipher       string // Zeek's name of the cipher suite: "TLS_AES_128_GCM_SHA256"...
	Curve        string // key exchange group: "x25519", "secp256r1"...
	ServerName   string // the client's SNI (the first name)
	Resumed      bool
	LastAlert    string
	NextProtocol string // the ALPN protocol the server chose
	Established  bool
	History      string // ssl_history
	// CertChainFps and ClientCertChainFps are the SHA-256 fingerprints (lowercase hex) of
	// the server's and the client's certificates that parsed, end entity first; the
	// certificates themselves come with tlsmon.Certificate events (package certs parses them).
	CertChainFps       []string
	ClientCertChainFps []string
	// SNIMatchesCert tells whether the SNI matches a name of the server's certificate;
	// SNIMatchesCertSet is false where ssl.log leaves it unset (no SNI, no parsed certificate).
	SNIMatchesCert, SNIMatchesCertSet bool
}

// NewSSLSessions returns a handler that folds the event stream exactly as the ssl.log
// builder does (it is that builder, without a writer) and calls fn with each connection's
// session when its ssl.log row would be written: at ssl_established, or when the analyzer
// gives up on the connection, or when the connection ends. Each connection with SSL events
// gets one call; fn owns the *SSLSession it receives. The handler is not safe for
// concurrent use, as engines are not. Close it after the engine's Run (connections the
// input left open get their call then, which Run's final flush already does).
func NewSSLSessions(fn func(*SSLSession)) *SSLLog {
	l := NewSSLLog(nil)
	l.onSession = fn
	return l
}

// session is the SSLSession of s, from the fields ssl.log's row is written from.
func (s *sslState) session() *SSLSession {
	c := s.conn
	ss := &SSLSession{
		Ts: s.ts, UID: c.UID, ID: c.ID, Version: s.version, Cipher: s.cipher, Curve: s.curve,
		ServerName: s.serverName, Resumed: s.resumed, LastAlert: s.lastAlert, NextProtocol: s.nextProto,
		Established: s.established, History: string(s.history),
	}
	if s.chainSeen {
		ss.CertChainFps = chainFps(s.server)
		ss.ClientCertChainFps = chainFps(s.client)
		ss.SNIMatchesCert, ss.SNIMatchesCertSet = s.sniMatchesCert()
	}
	return ss
}

func chainFps(chain []chainCert) []string {
	fps := make([]string, 0, len(chain))
	for _, c := range chain {
		if c.logged() {
			fps = append(fps, c.fp)
		}
	}
	return fps
}
