package rdp

import (
	"bytes"
	"testing"
)

func TestMatchClient(t *testing.T) {
	yes := []string{
		"\x03\x00\x00\x2f\x2a\xe0\x00\x00\x00\x00\x00Cookie: mstshash=AWAKECODI\r\n",
		"Cookie: mstshash=",
		"xx\nDuca\n..rdpsnd",
		"Duca" + string(bytes.Repeat([]byte{0}, 100)) + "cliprdr",
		"DucaDucadrdynvc",
		"Ducardpdr",
	}
	no := []string{
		"", "Cookie: mstshash", "cookie: mstshash=", "rdpdr Duca", "Duca rdp dr", "DUCA rdpdr",
		"\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x0b\x00\x00\x00",
	}
	for _, s := range yes {
		for _, orig := range []bool{true, false} {
			if !Match(orig, []byte(s)) {
				t.Errorf("Match(%v, %q) = false", orig, s)
			}
		}
	}
	for _, s := range no {
		if Match(true, []byte(s)) {
			t.Errorf("Match(%q) = true", s)
		}
	}
}

func TestMatchServer(t *testing.T) {
	if !matchServer(connectConfirm(1)) || !matchServer([]byte("abcdeX\xd0")[1:]) || !matchServer([]byte("..McDn")) {
		t.Error("server signature missed")
	}
	if matchServer([]byte{3, 0, 0, 0x13, 0x0e}) || matchServer(connectRequest("", 1)) || matchServer([]byte("McD")) {
		t.Error("server signature matched wrongly")
	}
}

func TestSpec(t *testing.T) {
	s := Spec()
	if s.Name != "RDP" || len(s.TCPPorts) != 1 || s.TCPPorts[0] != 3389 || len(s.UDPPorts) != 0 || s.Match == nil || s.New == nil {
		t.Fatalf("unexpected spec %+v", s)
	}
}

// An analyzer attached by content (responder port not 3389) acts only once the other
// direction matched dpd_rdp_server, and then sees the whole stream from its start.
func TestGateOpensOnReverseSignature(t *testing.T) {
	a, r := newTest(8443, true)
	a.DeliverStream(1, true, connectRequest("user", 3))
	if a.gate == nil {
		t.Fatal("gate not active for a content-attached analyzer")
	}
	a.DeliverStream(2, false, connectConfirm(1))
	if a.gate != nil {
		t.Fatal("gate still closed after the server signature matched")
	}
	a.DeliverStream(3, true, clientHello())
	if !r.has("ssl_client_hello") {
		t.Fatalf("no hand-off through the gate: %v", r.names)
	}
}

func TestGateStaysClosed(t *testing.T) {
	// The server never answers with a confirm: the analyzer gives up when the signature
	// window is full, without acting on anything.
	a, r := newTest(8443, true)
	a.DeliverStream(1, true, connectRequest("user", 3))
	// A malformed frame from the server would be a violation if the gate were open.
	a.DeliverStream(2, false, []byte{3, 0, 0, 1})
	for i := 0; i < 20 && r.detached == 0; i++ {
		a.DeliverStream(3, true, make([]byte, 100))
	}
	if r.detached != 1 || len(r.names) != 0 {
		t.Fatalf("detached %d, events %v", r.detached, r.names)
	}
	// A gap while waiting gives up too.
	a, r = newTest(8443, true)
	a.DeliverStream(1, true, connectRequest("user", 3))
	a.Gap(2, false, 5)
	a.DeliverStream(3, false, connectConfirm(1))
	if r.detached != 1 || len(r.names) != 0 {
		t.Fatalf("after gap: detached %d, events %v", r.detached, r.names)
	}
}

// The delivery that opens the gate may run past the signature window: its tail is still
// delivered.
func TestGateWindowTail(t *testing.T) {
	a, r := newTest(8443, true)
	a.DeliverStream(1, true, connectRequest("user", 3))
	conf := connectConfirm(1)
	pad := tpkt(cotp(0x80, make([]byte, 1000)))
	a.DeliverStream(2, false, append(conf, pad...))
	if a.gate != nil || r.detached != 0 || len(r.violations) != 0 {
		t.Fatalf("gate %v detached %d violations %v", a.gate != nil, r.detached, r.violations)
	}
	a.DeliverStream(3, true, clientHello())
	if !r.has("ssl_client_hello") {
		t.Fatalf("no hand-off: %v", r.names)
	}
}

// TestMatchClientRef checks matchClient against the pattern written plainly (the cookie
// anywhere, or a channel name anywhere after the first "Duca") on strings built from the
// patterns' pieces.
func TestMatchClientRef(t *testing.T) {
	ref := func(b []byte) bool {
		if bytes.Contains(b, sigCookie) {
			return true
		}
		i := bytes.Index(b, sigDuca)
		if i < 0 {
			return false
		}
		for _, ch := range sigChannels {
			if bytes.Contains(b[i+len(sigDuca):], ch) {
				return true
			}
		}
		return false
	}
	pieces := []string{"Duca", "rdpdr", "cliprdr", "Cookie: ", "mstshash", "=", "x", "C", "Cookie: mstshash="}
	seed := uint32(1)
	for range 5000 {
		var b []byte
		seed = seed*1664525 + 1013904223
		for range 1 + int(seed>>28)%7 {
			seed = seed*1664525 + 1013904223
			b = append(b, pieces[(seed>>16)%uint32(len(pieces))]...)
		}
		if got, want := matchClient(b), ref(b); got != want {
			t.Fatalf("matchClient(%q) = %v, want %v", b, got, want)
		}
	}
}
