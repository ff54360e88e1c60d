package dtls_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	piondtls "github.com/pion/dtls/v3"

	"github.com/tlsmon/tlsmon/internal/testgen"
)

// wireDatagram is one datagram as sent, in the order the two sides sent them.
type wireDatagram struct {
	fromClient bool
	dropped    bool // lost after the tap: the peer never got it
	data       []byte
}

// wire connects two in-memory packet endpoints and records every datagram sent. drop
// decides (by direction and per-direction index) which datagrams are lost after the tap,
// forcing the sender to retransmit its flight.
type wire struct {
	mu   sync.Mutex
	log  []wireDatagram
	sent [2]int
	drop func(fromClient bool, n int) bool
	ends [2]*endpoint
}

var (
	clientAddr = &net.UDPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 50000}
	serverAddr = &net.UDPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 443}
)

func newWire(drop func(fromClient bool, n int) bool) *wire {
	w := &wire{drop: drop}
	for i := range w.ends {
		w.ends[i] = &endpoint{w: w, client: i == 0, in: make(chan []byte, 256), closed: make(chan struct{})}
	}
	return w
}

// endpoint is one side's net.PacketConn.
type endpoint struct {
	w      *wire
	client bool
	in     chan []byte
	once   sync.Once
	closed chan struct{}
	mu     sync.Mutex
	dl     time.Time
}

func (e *endpoint) ReadFrom(p []byte) (int, net.Addr, error) {
	e.mu.Lock()
	dl := e.dl
	e.mu.Unlock()
	var timeout <-chan time.Time
	if !dl.IsZero() {
		t := time.NewTimer(time.Until(dl))
		defer t.Stop()
		timeout = t.C
	}
	peer := net.Addr(serverAddr)
	if !e.client {
		peer = clientAddr
	}
	select {
	case b := <-e.in:
		return copy(p, b), peer, nil
	case <-e.closed:
		return 0, nil, net.ErrClosed
	case <-timeout:
		return 0, nil, os.ErrDeadlineExceeded
	}
}

func (e *endpoint) WriteTo(p []byte, _ net.Addr) (int, error) {
	select {
	case <-e.closed:
		return 0, net.ErrClosed
	default:
	}
	w := e.w
	w.mu.Lock()
	d := dirIdx(e.client)
	lost := w.drop != nil && w.drop(e.client, w.sent[d])
	w.sent[d]++
	w.log = append(w.log, wireDatagram{fromClient: e.client, dropped: lost, data: append([]byte(nil), p...)})
	peer := w.ends[1-d]
	w.mu.Unlock()
	if !lost {
		select {
		case peer.in <- append([]byte(nil), p...):
		default: // queue full: the datagram is lost
		}
	}
	return len(p), nil
}

func dirIdx(client bool) int {
	if client {
		return 0
	}
	return 1
}

func (e *endpoint) Close() error {
	e.once.Do(func() { close(e.closed) })
	return nil
}

func (e *endpoint) LocalAddr() net.Addr {
	if e.client {
		return clientAddr
	}
	return serverAddr
}

func (e *endpoint) SetDeadline(t time.Time) error { return e.SetReadDeadline(t) }
func (e *endpoint) SetReadDeadline(t time.Time) error {
	e.mu.Lock()
	e.dl = t
	e.mu.Unlock()
	return nil
}
func (e *endpoint) SetWriteDeadline(time.Time) error { return nil }

// pionVariant is one kind of handshake to record.
type pionVariant struct {
	mtu        int  // fragmentation of handshake messages
	rsa        bool // server certificate: RSA (else ECDSA)
	clientAuth bool
	dropServer int // index of a server datagram lost once (-1: none)
}

// recordPion runs one real DTLS 1.2 handshake between pion/dtls peers over a wire, has
// the client send one application record, closes both sides, and returns the datagrams.
func recordPion(v pionVariant) ([]wireDatagram, error) {
	certs, err := testgen.DefaultCerts()
	if err != nil {
		return nil, err
	}
	dropped := false
	w := newWire(func(fromClient bool, n int) bool {
		if !fromClient && n == v.dropServer && !dropped {
			dropped = true
			return true
		}
		return false
	})
	srvCert := certs.ServerECDSA
	suites := []piondtls.CipherSuiteID{piondtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
	if v.rsa {
		srvCert = certs.ServerRSA
		suites = []piondtls.CipherSuiteID{piondtls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}
	}
	srvCfg := &piondtls.Config{Certificates: []tls.Certificate{srvCert}, CipherSuites: suites, MTU: v.mtu,
		FlightInterval: 20 * time.Millisecond}
	cliCfg := &piondtls.Config{InsecureSkipVerify: true, CipherSuites: suites, MTU: v.mtu, ServerName: "dtls.test",
		FlightInterval: 20 * time.Millisecond}
	if v.clientAuth {
		srvCfg.ClientAuth = piondtls.RequireAnyClientCert
		cliCfg.Certificates = []tls.Certificate{certs.Client}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	type result struct {
		c   *piondtls.Conn
		err error
	}
	srvDone := make(chan result, 1)
	go func() {
		c, err := piondtls.Server(w.ends[1], clientAddr, srvCfg)
		if err == nil {
			err = c.HandshakeContext(ctx)
		}
		srvDone <- result{c, err}
	}()
	cli, err := piondtls.Client(w.ends[0], serverAddr, cliCfg)
	if err == nil {
		err = cli.HandshakeContext(ctx)
	}
	srv := <-srvDone
	if err != nil || srv.err != nil {
		return nil, errors.Join(fmt.Errorf("handshake %+v", v), err, srv.err)
	}
	if _, err := cli.Write([]byte("ping over dtls")); err != nil {
		return nil, err
	}
	buf := make([]byte, 100)
	if _, err := srv.c.Read(buf); err != nil {
		return nil, err
	}
	_ = cli.Close()
	_ = srv.c.Close()
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]wireDatagram(nil), w.log...), nil
}
