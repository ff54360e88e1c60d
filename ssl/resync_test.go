package ssl

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tlsmon/tlsmon/analyzer"
)

// noise returns n pseudo-random bytes in which no offset starts a plausible record header
// (ciphertext as it usually is), so that tests place their fake headers themselves.
func noise(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
		if i >= 4 {
			if _, ok := plausibleHeader(b[i-4:]); ok {
				b[i-4] = 0xff
			}
		}
	}
	return b
}

func TestFindBoundary(t *testing.T) {
	app := record(ctApplicationData, versionTLS12, noise(1, 40))
	hs := record(ctHandshake, versionTLS12, hsMsg(hsServerHelloDone, nil))
	fake := []byte{ctApplicationData, 3, 3, 0, 8} // a header whose "record" ends inside noise
	cases := []struct {
		name          string
		b             []byte
		handshakeOnly bool
		off           int
		found         bool
	}{
		{"aligned chain", cat(app, app), false, 0, true},
		{"noise then chain", cat(noise(2, 33), app, app), false, 33, true},
		{"one record only: undecided", cat(noise(3, 10), app), false, 10, false},
		{"header cut short: keep the tail", cat(noise(4, 20), app[:3]), false, 19, false},
		{"fake header in ciphertext", cat(noise(5, 10), fake, noise(6, 30)), false, 41, false},
		{"fake header before a chain", cat(fake, noise(7, 9), app, app), false, 14, true},
		{"fake header pointing at a fake header", cat(fake, noise(8, 3), fake, noise(9, 30)), false, 0, false},
		{"pickup needs a handshake record", cat(app, app, app), true, 0, false},
		{"pickup on whole messages", cat(app, hs, app), true, len(app), true},
		{"pickup: message cut by the record", cat(record(ctHandshake, versionTLS12, hsMsg(hsCertificate, make([]byte, 30))[:20]), app), true, 0, false},
		{"CCS has one byte", cat([]byte{ctChangeCipherSpec, 3, 3, 0, 2, 1, 1}, app, app), false, 7, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			off, found := findBoundary(c.b, c.handshakeOnly)
			if found != c.found || (found && off != c.off) {
				t.Fatalf("findBoundary = %d, %v; want %d, %v", off, found, c.off, c.found)
			}
			if !found && c.off != 0 && off > c.off {
				t.Fatalf("undecided bytes from %d dropped (kept from %d)", c.off, off)
			}
		})
	}
}

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

// gapFlight runs a TLS 1.2 handshake in which the server's certificate record loses lost
// bytes at offset at, with recovery on or off.
func gapFlight(t *testing.T, recover bool, serverTail []byte) *recorder {
	t.Helper()
	a, r := newTestAnalyzer(analyzer.Options{Recover: recover, AnalyzeEncrypted: true})
	c, _ := tls12Flight()
	sh := record(ctHandshake, versionTLS12, hsMsg(hsServerHello, serverHelloBody(versionTLS12, seqRandom(3), nil, 0x2f, nil)))
	cert := record(ctHandshake, versionTLS12, hsMsg(hsCertificate, certMsg([][]byte{noise(10, 600)})))
	a.DeliverStream(1, true, c[0])
	a.DeliverStream(2, false, cat(sh, cert[:100]))
	a.Gap(3, false, 300)
	a.DeliverStream(4, false, cert[400:])
	a.DeliverStream(4, false, serverTail)
	a.DeliverStream(5, true, cat(c[1], c[2], c[3]))
	a.DeliverStream(6, true, c[4])
	a.Done(7)
	return r
}

// After a gap inside the certificate, the analysis picks up at the next record: the
// certificate is lost (no x509, no event for its tail), the rest of the handshake is not.
func TestResyncAfterGap(t *testing.T) {
	done := record(ctHandshake, versionTLS12, hsMsg(hsServerHelloDone, nil))
	tail := cat(done, record(ctChangeCipherSpec, versionTLS12, []byte{1}), record(ctHandshake, versionTLS12, noise(11, 40)),
		record(ctApplicationData, versionTLS12, noise(12, 50)), record(ctApplicationData, versionTLS12, noise(13, 60)))

	zeek := gapFlight(t, false, tail)
	if zeek.has("ssl_established") || strings.Contains(strings.Join(zeek.lines, "\n"), `"is_client":false,"msg_type":14`) {
		t.Fatalf("Zeek's mode went on after the gap:\n%s", strings.Join(zeek.lines, "\n"))
	}
	r := gapFlight(t, true, tail)
	all := strings.Join(r.lines, "\n")
	for _, want := range []string{"weird SSL_resynchronized responder at stream offset", "ssl_established", `ssl_change_cipher_spec {"is_client":false}`, `"is_client":false,"msg_type":14`} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in:\n%s", want, all)
		}
	}
	if r.has("cert ") || r.has("violation") {
		t.Errorf("claims from the damaged certificate:\n%s", all)
	}
}

// A record header faked inside ciphertext after a gap is not taken for a boundary: the
// only events after the resynchronisation are those of the real records.
func TestResyncIgnoresFakeHeader(t *testing.T) {
	fakeAlert := []byte{ctAlert, 3, 3, 0, 2, 2, 40}                    // a "fatal handshake_failure" alert
	fakeHS := cat([]byte{ctHandshake, 3, 3, 0, 8}, []byte{2, 0, 0, 4}) // a "server hello" header
	ct := cat(noise(20, 17), fakeAlert, noise(21, 9), fakeHS, noise(22, 30))
	real := cat(record(ctApplicationData, versionTLS12, noise(23, 70)), record(ctApplicationData, versionTLS12, noise(24, 80)))

	a, r := newTestAnalyzer(analyzer.Options{Recover: true, AnalyzeEncrypted: true})
	c, s := tls12Flight()
	for _, x := range [][]byte{c[0], s[0], c[1], c[2], c[3], s[1]} {
		a.DeliverStream(1, bytes.Equal(x, c[0]) || bytes.Equal(x, c[1]) || bytes.Equal(x, c[2]) || bytes.Equal(x, c[3]), x)
	}
	before := len(r.lines)
	a.Gap(2, true, 1000)
	a.DeliverStream(3, true, ct)
	a.DeliverStream(3, true, real)
	a.Done(4)
	after := r.lines[before:]
	want := []string{"weird", "ssl_encrypted_data", "ssl_encrypted_data"}
	var got []string
	for _, l := range after {
		got = append(got, strings.SplitN(l, " ", 2)[0])
		if strings.Contains(l, "ssl_alert") || strings.Contains(l, "ssl_server_hello") ||
			strings.Contains(l, `"length":2}`) || strings.Contains(l, `"length":8}`) {
			t.Errorf("claim from a fake header: %s", l)
		}
	}
	// the first real record is the boundary (confirmed by the second)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("events after the gap %v, want %v:\n%s", got, want, strings.Join(after, "\n"))
	}
	if !strings.Contains(after[0], "skipped") {
		t.Fatalf("weird without position: %s", after[0])
	}
}

// A clear handshake record that continues a message begun in the lost bytes is dropped
// even when its first bytes look like a handshake header.
func TestResyncDropsContinuation(t *testing.T) {
	cont := record(ctHandshake, versionTLS12, cat([]byte{hsCertificate, 0, 0, 0x30}, noise(30, 20)))
	done := record(ctHandshake, versionTLS12, hsMsg(hsServerHelloDone, nil))
	a, r := newTestAnalyzer(analyzer.Options{Recover: true})
	c, _ := tls12Flight()
	sh := record(ctHandshake, versionTLS12, hsMsg(hsServerHello, serverHelloBody(versionTLS12, seqRandom(3), nil, 0x2f, nil)))
	a.DeliverStream(1, true, c[0])
	a.DeliverStream(2, false, sh)
	a.Gap(3, false, 500)
	a.DeliverStream(4, false, cat(noise(31, 7), cont, done, record(ctChangeCipherSpec, versionTLS12, []byte{1})))
	a.Done(5)
	all := strings.Join(r.lines, "\n")
	if strings.Contains(all, `"is_client":false,"msg_type":11`) || r.has("cert ") || r.has("violation") {
		t.Fatalf("the continuation was parsed:\n%s", all)
	}
	if !strings.Contains(all, `"is_client":false,"msg_type":14`) {
		t.Fatalf("the message after the continuation is missing:\n%s", all)
	}
}

// A connection picked up mid-stream reports nothing until a clear handshake record.
func TestPickupMidStream(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want bool
	}{
		{"ciphertext only", cat(record(ctApplicationData, versionTLS12, noise(40, 50)), record(ctApplicationData, versionTLS12, noise(41, 50))), false},
		{"handshake", cat(noise(42, 13), record(ctHandshake, versionTLS12, hsMsg(hsServerHello, serverHelloBody(versionTLS12, seqRandom(3), nil, 0x2f, nil)))), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, recover := range []bool{false, true} {
				r := &recorder{}
				env := &analyzer.Env{Conn: testConn, Events: r, Options: analyzer.Options{Recover: recover}, Detach: func() {}, Partial: func() bool { return true }}
				a := New(env)
				a.DeliverStream(1, false, tc.data)
				a.Done(2)
				if got := r.has("ssl_server_hello"); got != (tc.want && recover) || (!recover && len(r.lines) > 0) {
					t.Fatalf("recover=%v: events %v", recover, r.lines)
				}
				if !tc.want && len(r.lines) > 0 {
					t.Fatalf("recover=%v: events from ciphertext: %v", recover, r.lines)
				}
			}
		})
	}
}

// The end of a direction confirms its last record: a single record after a gap is parsed
// once the direction ends, a fake header whose record overruns the end is not.
func TestResyncAtEnd(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want bool
	}{
		{"last record", cat(noise(50, 11), record(ctApplicationData, versionTLS12, noise(51, 60))), true},
		{"fake header", cat(noise(52, 11), []byte{ctApplicationData, 3, 3, 0, 90}, noise(53, 60)), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, r := newTestAnalyzer(analyzer.Options{Recover: true, AnalyzeEncrypted: true})
			c, s := tls12Flight()
			a.DeliverStream(1, true, c[0])
			a.DeliverStream(1, false, s[0])
			a.Gap(2, true, 100)
			a.DeliverStream(3, true, tc.data)
			before := len(r.lines)
			a.EndOfData(4, true)
			got := strings.Join(r.lines[before:], "\n")
			if has := strings.Contains(got, `"length":60`); has != tc.want {
				t.Fatalf("after the end: %q", got)
			}
			if !tc.want && got != "" {
				t.Fatalf("claims from a fake header: %q", got)
			}
			a.Done(5)
		})
	}
}
