package testgen

import (
	"io"
	"net"
	"sync"
	"time"
)

// Chunk is one Write of one side, in the order the writes happened.
type Chunk struct {
	FromClient bool
	Data       []byte
}

// recorder serialises both sides' writes: the order of Chunks is the order bytes entered
// the in-memory wire, so every chunk comes after the chunks it was a reply to.
type recorder struct {
	mu     sync.Mutex
	chunks []Chunk
}

// pipeBuf is one direction of the in-memory wire: an unbounded buffer, so writes never
// block and the two sides cannot deadlock on each other.
type pipeBuf struct {
	mu     sync.Mutex
	cond   *sync.Cond
	buf    []byte
	closed bool // writer closed: reads drain then see io.EOF
	broken bool // reader closed: reads fail
}

func newPipeBuf() *pipeBuf {
	p := &pipeBuf{}
	p.cond = sync.NewCond(&p.mu)
	return p
}

// memConn is one end of an in-memory, recording connection.
type memConn struct {
	rec      *recorder
	isClient bool
	in, out  *pipeBuf
	local    net.Addr
	remote   net.Addr
}

// newMemPipe returns the client and server ends of a recording in-memory connection.
func newMemPipe(rec *recorder, clientAddr, serverAddr net.Addr) (client, server *memConn) {
	c2s, s2c := newPipeBuf(), newPipeBuf()
	client = &memConn{rec: rec, isClient: true, in: s2c, out: c2s, local: clientAddr, remote: serverAddr}
	server = &memConn{rec: rec, isClient: false, in: c2s, out: s2c, local: serverAddr, remote: clientAddr}
	return client, server
}

func (c *memConn) Read(b []byte) (int, error) {
	p := c.in
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.buf) == 0 && !p.closed && !p.broken {
		p.cond.Wait()
	}
	if p.broken {
		return 0, net.ErrClosed
	}
	if len(p.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(b, p.buf)
	p.buf = p.buf[n:]
	return n, nil
}

func (c *memConn) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	c.rec.mu.Lock()
	defer c.rec.mu.Unlock()
	p := c.out
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, net.ErrClosed
	}
	c.rec.chunks = append(c.rec.chunks, Chunk{FromClient: c.isClient, Data: append([]byte(nil), b...)})
	if !p.broken {
		p.buf = append(p.buf, b...)
		p.cond.Broadcast()
	}
	return len(b), nil
}

// Close ends this side: the peer reads the remaining bytes then io.EOF; local reads fail.
func (c *memConn) Close() error {
	for _, p := range []*pipeBuf{c.out, c.in} {
		p.mu.Lock()
		if p == c.out {
			p.closed = true
		} else {
			p.broken = true
		}
		p.cond.Broadcast()
		p.mu.Unlock()
	}
	return nil
}

func (c *memConn) LocalAddr() net.Addr                { return c.local }
func (c *memConn) RemoteAddr() net.Addr               { return c.remote }
func (c *memConn) SetDeadline(t time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(t time.Time) error { return nil }

var _ net.Conn = (*memConn)(nil)
