package testgen

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// KeyType selects the server certificate.
type KeyType uint8

// Server certificate choices.
const (
	KeyAuto  KeyType = iota // both certificates; crypto/tls picks one that fits the cipher suites
	KeyECDSA                // ECDSA P-256 leaf (+ intermediate)
	KeyRSA                  // RSA-2048 leaf (+ intermediate)
)

// HandshakeTime is the clock both sides of every handshake see.
var HandshakeTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Config describes one TLS connection to run.
type Config struct {
	// MinVersion and MaxVersion bound the versions both sides accept (tls.VersionTLS10 …
	// tls.VersionTLS13); 0 means crypto/tls's default (TLS 1.2 … TLS 1.3).
	MinVersion, MaxVersion uint16
	// CipherSuites are the TLS 1.0–1.2 suites both sides accept, in the client's order.
	// nil means crypto/tls's defaults. Suites crypto/tls disables by default (RSA key
	// exchange, 3DES) are usable when listed here.
	CipherSuites []uint16
	ServerKey    KeyType
	// ServerCert, when set, is the server's certificate and chain (instead of ServerKey's);
	// it must chain to Certs.Root (see Certs.Unique).
	ServerCert *tls.Certificate
	// ServerName is the SNI the client sends ("" = none).
	ServerName string
	// ALPN is what the client offers; ServerALPN what the server supports (nil = ALPN).
	ALPN, ServerALPN []string
	// SessionTickets gives the client a session cache and lets the server issue tickets.
	// The cache comes back in Transcript.Session.
	SessionTickets bool
	// ResumeFrom resumes a session of an earlier connection (its Transcript.Session).
	ResumeFrom *Session
	// ClientCert makes the server require a certificate (tls.RequireAnyClientCert) and the
	// client present Certs.Client.
	ClientCert bool
	// HelloRetry makes a TLS 1.3 server accept only P-256, for which the client sends no
	// key share in its first ClientHello: the server answers with a HelloRetryRequest.
	HelloRetry bool
	// ClientCurves and ServerCurves override the key exchange groups of each side.
	ClientCurves, ServerCurves []tls.CurveID
	// Request and Response are the application data exchanged after the handshake; nil
	// means a small HTTP/1.1 request and response. NoAppData skips the exchange.
	Request, Response []byte
	NoAppData         bool
	// NoCloseNotify closes the connection without close_notify alerts.
	NoCloseNotify bool
	// Timeout bounds the whole run; 0 means 10 seconds.
	Timeout time.Duration
}

// Info is what crypto/tls reports the connection negotiated.
type Info struct {
	Version            uint16 // negotiated protocol version
	CipherSuite        uint16
	ServerName         string // SNI as the server received it
	NegotiatedProtocol string // ALPN result ("" = none)
	DidResume          bool
	// HelloRetryRequest is true when the server's first message was a HelloRetryRequest
	// (the client then sent two ClientHellos).
	HelloRetryRequest bool
	// ClientCertDER is the client's chain as the server received it (nil = none, and
	// always nil on a resumed connection, where no certificate crosses the wire).
	ClientCertDER [][]byte
	// ServerChainDER is the server's chain as the client received it (nil when resumed).
	ServerChainDER [][]byte
	// Tickets are the session tickets the client stored, in order (TLS 1.2 NewSessionTicket
	// in the handshake, TLS 1.3 post-handshake NewSessionTicket messages).
	Tickets [][]byte
	// ClientBytes and ServerBytes are the TLS bytes each side wrote.
	ClientBytes, ServerBytes int
}

// Transcript is one recorded connection: every write of both sides, in order.
type Transcript struct {
	Chunks  []Chunk
	Info    Info
	Session *Session // the client's session cache when SessionTickets or ResumeFrom was set
}

// Session is a client session cache that remembers the tickets it was given.
type Session struct {
	mu      sync.Mutex
	cache   tls.ClientSessionCache
	tickets [][]byte
}

// NewSession returns an empty session cache.
func NewSession() *Session { return &Session{cache: tls.NewLRUClientSessionCache(8)} }

// Get implements tls.ClientSessionCache.
func (s *Session) Get(key string) (*tls.ClientSessionState, bool) { return s.cache.Get(key) }

// Put implements tls.ClientSessionCache, recording each ticket.
func (s *Session) Put(key string, cs *tls.ClientSessionState) {
	if cs != nil {
		if ticket, _, err := cs.ResumptionState(); err == nil && len(ticket) > 0 {
			s.mu.Lock()
			s.tickets = append(s.tickets, append([]byte(nil), ticket...))
			s.mu.Unlock()
		}
	}
	s.cache.Put(key, cs)
}

func (s *Session) ticketCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tickets)
}

func (s *Session) ticketsFrom(i int) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.tickets[i:]...)
}

// ticketKey is the fixed session ticket key of every server, so that any run can resume a
// session issued by another.
var ticketKey = [32]byte{'t', 'l', 's', 'm', 'o', 'n', ' ', 't', 'e', 's', 't', 'g', 'e', 'n'}

var (
	memClientAddr = &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 40000}
	memServerAddr = &net.TCPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 443}
)

// Run performs the handshake (and the application data exchange and close) described by
// cfg between an in-memory client and server, and returns the recorded transcript.
func Run(cfg Config) (*Transcript, error) {
	certs, err := DefaultCerts()
	if err != nil {
		return nil, err
	}
	clock := func() time.Time { return HandshakeTime }

	srv := &tls.Config{
		MinVersion:             cfg.MinVersion,
		MaxVersion:             cfg.MaxVersion,
		CipherSuites:           cfg.CipherSuites,
		NextProtos:             cfg.ServerALPN,
		Time:                   clock,
		CurvePreferences:       cfg.ServerCurves,
		SessionTicketsDisabled: !cfg.SessionTickets && cfg.ResumeFrom == nil,
	}
	if srv.NextProtos == nil {
		srv.NextProtos = cfg.ALPN
	}
	switch cfg.ServerKey {
	case KeyECDSA:
		srv.Certificates = []tls.Certificate{certs.ServerECDSA}
	case KeyRSA:
		srv.Certificates = []tls.Certificate{certs.ServerRSA}
	default:
		srv.Certificates = []tls.Certificate{certs.ServerECDSA, certs.ServerRSA}
	}
	if cfg.ServerCert != nil {
		srv.Certificates = []tls.Certificate{*cfg.ServerCert}
	}
	if cfg.ClientCert {
		srv.ClientAuth = tls.RequireAnyClientCert
	}
	if cfg.HelloRetry && srv.CurvePreferences == nil {
		srv.CurvePreferences = []tls.CurveID{tls.CurveP256}
	}
	srv.SetSessionTicketKeys([][32]byte{ticketKey})

	cli := &tls.Config{
		ServerName:         cfg.ServerName,
		InsecureSkipVerify: true, // names are arbitrary; the chain is checked below
		MinVersion:         cfg.MinVersion,
		MaxVersion:         cfg.MaxVersion,
		CipherSuites:       cfg.CipherSuites,
		NextProtos:         cfg.ALPN,
		Time:               clock,
		CurvePreferences:   cfg.ClientCurves,
	}
	if cfg.ClientCert {
		cli.Certificates = []tls.Certificate{certs.Client}
	}
	sess := cfg.ResumeFrom
	if sess == nil && cfg.SessionTickets {
		sess = NewSession()
	}
	ticketsBefore := 0
	if sess != nil {
		cli.ClientSessionCache = sess
		ticketsBefore = sess.ticketCount()
	}

	req, resp := cfg.Request, cfg.Response
	if req == nil {
		host := cfg.ServerName
		if host == "" {
			host = "10.0.0.2"
		}
		req = []byte("GET / HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: tlsmon-testgen\r\n\r\n")
	}
	if resp == nil {
		resp = []byte("HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nhello, world\n")
	}

	rec := &recorder{}
	cconn, sconn := newMemPipe(rec, memClientAddr, memServerAddr)
	client := tls.Client(cconn, cli)
	server := tls.Server(sconn, srv)

	var (
		wg             sync.WaitGroup
		cerr, serr     error
		cstate, sstate tls.ConnectionState
		timeout        = cfg.Timeout
		done           = make(chan struct{})
	)
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		cerr = runClient(client, cconn, req, resp, cfg)
		cstate = client.ConnectionState()
	}()
	go func() {
		defer wg.Done()
		serr = runServer(server, sconn, req, resp, cfg)
		sstate = server.ConnectionState()
	}()
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		_ = cconn.Close()
		_ = sconn.Close()
		<-done
		return nil, fmt.Errorf("testgen: handshake timed out after %v (client: %v, server: %v)", timeout, cerr, serr)
	}
	if cerr != nil || serr != nil {
		return nil, fmt.Errorf("testgen: handshake failed: %w", errors.Join(prefixErr("client", cerr), prefixErr("server", serr)))
	}

	tr := &Transcript{Chunks: rec.chunks, Session: sess}
	tr.Info = Info{
		Version:            cstate.Version,
		CipherSuite:        cstate.CipherSuite,
		ServerName:         sstate.ServerName,
		NegotiatedProtocol: cstate.NegotiatedProtocol,
		DidResume:          cstate.DidResume,
	}
	if !cstate.DidResume { // a resumed session's certificates come from the cache, not the wire
		for _, c := range cstate.PeerCertificates {
			tr.Info.ServerChainDER = append(tr.Info.ServerChainDER, c.Raw)
		}
		for _, c := range sstate.PeerCertificates {
			tr.Info.ClientCertDER = append(tr.Info.ClientCertDER, c.Raw)
		}
	}
	if sess != nil {
		tr.Info.Tickets = sess.ticketsFrom(ticketsBefore)
	}
	for _, ch := range tr.Chunks {
		if ch.FromClient {
			tr.Info.ClientBytes += len(ch.Data)
		} else {
			tr.Info.ServerBytes += len(ch.Data)
		}
	}
	tr.Info.HelloRetryRequest = firstServerMessageIsHRR(tr.Chunks)
	if len(cstate.PeerCertificates) > 0 && !cstate.DidResume {
		if err := verifyChain(certs, cstate); err != nil {
			return nil, err
		}
	}
	return tr, nil
}

func prefixErr(side string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", side, err)
}

func runClient(c *tls.Conn, raw net.Conn, req, resp []byte, cfg Config) error {
	if err := c.Handshake(); err != nil {
		_ = raw.Close()
		return err
	}
	if !cfg.NoAppData {
		if _, err := c.Write(req); err != nil {
			_ = raw.Close()
			return err
		}
		buf := make([]byte, len(resp))
		if _, err := io.ReadFull(c, buf); err != nil {
			_ = raw.Close()
			return err
		}
	}
	if cfg.NoCloseNotify {
		return raw.Close()
	}
	return c.Close()
}

func runServer(s *tls.Conn, raw net.Conn, req, resp []byte, cfg Config) error {
	if err := s.Handshake(); err != nil {
		_ = raw.Close()
		return err
	}
	if !cfg.NoAppData {
		buf := make([]byte, len(req))
		if _, err := io.ReadFull(s, buf); err != nil {
			_ = raw.Close()
			return err
		}
		if _, err := s.Write(resp); err != nil {
			_ = raw.Close()
			return err
		}
	}
	// Wait for the client to finish (close_notify or EOF), then close our side.
	_, _ = io.Copy(io.Discard, s)
	if cfg.NoCloseNotify {
		return raw.Close()
	}
	_ = s.Close()
	return nil
}
