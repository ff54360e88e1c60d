package testgen

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"fmt"
)

// TLS record content types.
const (
	recChangeCipherSpec = 20
	recAlert            = 21
	recHandshake        = 22
	recApplicationData  = 23
)

const maxRecordBody = 1 << 14

// record is one TLS record of a chunk.
type record struct {
	typ  byte
	ver  uint16
	body []byte
}

// splitRecords parses data as whole TLS records; ok is false when it is not exactly that.
func splitRecords(data []byte) (recs []record, ok bool) {
	for len(data) > 0 {
		if len(data) < 5 {
			return nil, false
		}
		n := int(binary.BigEndian.Uint16(data[3:5]))
		if len(data) < 5+n {
			return nil, false
		}
		recs = append(recs, record{typ: data[0], ver: binary.BigEndian.Uint16(data[1:3]), body: data[5 : 5+n]})
		data = data[5+n:]
	}
	return recs, true
}

func appendRecord(b []byte, r record) []byte {
	b = append(b, r.typ, byte(r.ver>>8), byte(r.ver), byte(len(r.body)>>8), byte(len(r.body)))
	return append(b, r.body...)
}

// hrrRandom is the ServerHello.random value that marks a HelloRetryRequest (RFC 8446 4.1.3).
var hrrRandom = sha256.Sum256([]byte("HelloRetryRequest"))

// firstServerMessageIsHRR reports whether the server's first handshake message is a
// HelloRetryRequest.
func firstServerMessageIsHRR(chunks []Chunk) bool {
	for _, c := range chunks {
		if c.FromClient {
			continue
		}
		recs, ok := splitRecords(c.Data)
		if !ok || len(recs) == 0 || recs[0].typ != recHandshake {
			return false
		}
		b := recs[0].body // type(1) len(3) version(2) random(32)
		return len(b) >= 38 && b[0] == 2 && bytes.Equal(b[6:38], hrrRandom[:])
	}
	return false
}

// rewritePlaintextHandshake rewrites, per direction, the handshake records each side sends
// before its first record of another type (its cleartext handshake: everything but TLS 1.3
// encrypted messages and what follows ChangeCipherSpec), applying f to each chunk's run of
// such records. Chunks that are not whole records are left alone.
func rewritePlaintextHandshake(chunks []Chunk, f func([]record) []record) []Chunk {
	out := make([]Chunk, 0, len(chunks))
	var doneDir [2]bool
	for _, c := range chunks {
		d := 0
		if c.FromClient {
			d = 1
		}
		recs, ok := splitRecords(c.Data)
		if !ok || doneDir[d] {
			out = append(out, c)
			continue
		}
		i := 0
		for i < len(recs) && recs[i].typ == recHandshake {
			i++
		}
		if i < len(recs) {
			doneDir[d] = true
		}
		var b []byte
		for _, r := range f(recs[:i]) {
			b = appendRecord(b, r)
		}
		for _, r := range recs[i:] {
			b = appendRecord(b, r)
		}
		out = append(out, Chunk{FromClient: c.FromClient, Data: b})
	}
	return out
}

// CoalesceRecords merges adjacent cleartext handshake records of one write into as few
// records as the 16 KiB record limit allows, so that one record carries several handshake
// messages.
func CoalesceRecords(chunks []Chunk) []Chunk {
	return rewritePlaintextHandshake(chunks, func(recs []record) []record {
		var out []record
		for _, r := range recs {
			if k := len(out) - 1; k >= 0 && out[k].ver == r.ver && len(out[k].body)+len(r.body) <= maxRecordBody {
				out[k].body = append(out[k].body, r.body...)
				continue
			}
			out = append(out, record{typ: r.typ, ver: r.ver, body: append([]byte(nil), r.body...)})
		}
		return out
	})
}

// SplitRecords cuts cleartext handshake records into records of at most n body bytes, so
// that handshake messages span several records.
func SplitRecords(chunks []Chunk, n int) []Chunk {
	if n <= 0 {
		return chunks
	}
	return rewritePlaintextHandshake(chunks, func(recs []record) []record {
		var out []record
		for _, r := range recs {
			for b := r.body; len(b) > 0; {
				k := min(n, len(b))
				out = append(out, record{typ: r.typ, ver: r.ver, body: b[:k]})
				b = b[k:]
			}
		}
		return out
	})
}

// verifyChain checks the server chain the client received against the test root.
func verifyChain(certs *Certs, st tls.ConnectionState) error {
	inter := x509.NewCertPool()
	for _, c := range st.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := st.PeerCertificates[0].Verify(x509.VerifyOptions{
		Roots:         certs.Roots,
		Intermediates: inter,
		CurrentTime:   HandshakeTime,
	})
	if err != nil {
		return fmt.Errorf("testgen: server chain does not verify: %w", err)
	}
	return nil
}
