package certs

// OpenSSL, which Zeek parses certificates with, accepts BER lengths (the long form where
// the short one would do, leading zero length octets, indefinite lengths of constructed
// elements); cryptobyte, which this package walks certificates with, accepts DER only.
// toDER rewrites such an encoding in DER so that the certificate can be walked as
// OpenSSL reads it, and OpenSSLEncoding gives the bytes Zeek's fingerprint hashes: the
// certificate as OpenSSL's i2d_X509 writes it back.

const maxBERDepth = 64

// berElem is one element read leniently: its identifier octets, content, and the whole
// element as encoded.
type berElem struct {
	tag         []byte
	content     []byte // for an indefinite length: the content without the end-of-contents
	raw         []byte
	constructed bool
	indefinite  bool
	der         bool // the length was encoded in DER (minimal, definite)
}

// tagLen returns the length of the tag at the start of b (len(b) >= 2): one octet, or the
// high tag number form's octets (at most 6); ok is false if no length octet follows it.
func tagLen(b []byte) (n int, ok bool) {
	i := 1
	if b[0]&0x1f == 0x1f { // high tag number form
		for i < len(b) && b[i]&0x80 != 0 {
			i++
		}
		i++
		if i >= len(b) || i > 6 {
			return 0, false
		}
	}
	return i, true
}

// readBER reads the element at the start of b.
func readBER(b []byte, depth int) (e berElem, rest []byte, ok bool) {
	if len(b) < 2 || depth > maxBERDepth {
		return e, nil, false
	}
	i, ok := tagLen(b)
	if !ok {
		return e, nil, false
	}
	e.tag = b[:i]
	e.constructed = b[0]&0x20 != 0
	l := int(b[i])
	i++
	e.der = true
	switch {
	case l < 0x80:
	case l == 0x80:
		if !e.constructed {
			return e, nil, false
		}
		e.indefinite, e.der = true, false
		start, p := i, b[i:]
		for {
			if len(p) >= 2 && p[0] == 0 && p[1] == 0 {
				e.content = b[start : len(b)-len(p)]
				end := len(b) - len(p) + 2
				e.raw = b[:end]
				return e, b[end:], true
			}
			if _, p, ok = readBER(p, depth+1); !ok {
				return e, nil, false
			}
		}
	default:
		n := l & 0x7f
		if n > len(b)-i {
			return e, nil, false
		}
		v := 0
		for _, c := range b[i : i+n] {
			if v > 1<<24 {
				return e, nil, false
			}
			v = v<<8 | int(c)
		}
		e.der = n <= 4 && v >= 0x80 && b[i] != 0
		i += n
		l = v
	}
	if l > len(b)-i {
		return e, nil, false
	}
	e.content = b[i : i+l]
	e.raw = b[:i+l]
	return e, b[i+l:], true
}

// appendDERHeader appends identifier octets and the DER length n.
func appendDERHeader(out, tag []byte, n int) []byte {
	out = append(out, tag...)
	switch {
	case n < 0x80:
		return append(out, byte(n))
	case n < 1<<8:
		return append(out, 0x81, byte(n))
	case n < 1<<16:
		return append(out, 0x82, byte(n>>8), byte(n))
	case n < 1<<24:
		return append(out, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(out, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// isDER reports whether every length in the element (and those inside constructed ones)
// is DER.
func isDER(e berElem, depth int) bool {
	return e.der && (!e.constructed || derElements(e.content, depth+1))
}

// derElements reports whether b is a run of elements that readBER reads at depth with
// DER lengths, those inside constructed ones too: isDER's walk over the elements of a
// constructed one, without building their berElems (every certificate is checked so).
// One loop with a stack of the open constructed elements' ends, not a call per
// constructed element: the calls were half of the walk's instructions.
func derElements(b []byte, depth int) bool {
	var ends [16]int // ends[k]: where the k-th open level's content ends (certificates nest ≈ 8 deep)
	sp, pos := 0, 0
	ends[0] = len(b)
	end := len(b)
	for {
		for pos == end {
			if sp == 0 {
				return true
			}
			sp--
			depth--
			end = ends[sp]
		}
		if end-pos < 2 || depth > maxBERDepth {
			return false
		}
		e := b[pos:end:end]
		i := 1
		if e[0]&0x1f == 0x1f {
			var ok bool
			if i, ok = tagLen(e); !ok {
				return false
			}
		}
		l := int(e[i])
		i++
		if l >= 0x80 {
			// long form: DER only with at most 4 octets, no leading zero, a value >= 0x80
			// (0x80 itself is the indefinite length)
			n := l & 0x7f
			if n == 0 || n > 4 || n > len(e)-i || e[i] == 0 {
				return false
			}
			l = 0
			for _, c := range e[i : i+n] {
				l = l<<8 | int(c)
			}
			if l < 0x80 {
				return false
			}
			i += n
		}
		if l > len(e)-i {
			return false
		}
		switch {
		case e[0]&0x20 == 0: // primitive
			pos += i + l
		case sp+1 < len(ends):
			// its content is the next level (depth+1)
			sp++
			end = pos + i + l
			ends[sp] = end
			depth++
			pos += i
		default: // deeper than the stack: a walk of its own
			if !derElements(e[i:i+l], depth+1) {
				return false
			}
			pos += i + l
		}
	}
}

// appendDER appends the element in DER lengths (contents of primitive elements as they
// are; constructed ones rebuilt from their children).
func appendDER(out []byte, e berElem, depth int) ([]byte, bool) {
	if !e.constructed {
		return append(appendDERHeader(out, e.tag, len(e.content)), e.content...), true
	}
	var body []byte
	for p := e.content; len(p) > 0; {
		var c berElem
		var ok bool
		if c, p, ok = readBER(p, depth+1); !ok {
			return out, false
		}
		if body, ok = appendDER(body, c, depth+1); !ok {
			return out, false
		}
	}
	return append(appendDERHeader(out, e.tag, len(body)), body...), true
}

// toDER returns the first element of b in DER lengths (b itself when it is already), and
// whether b started with an element at all.
func toDER(b []byte) ([]byte, bool) {
	e, _, ok := readBER(b, 0)
	if !ok {
		return nil, false
	}
	if isDER(e, 0) {
		return e.raw, true
	}
	return appendDER(nil, e, 0)
}

// OpenSSLEncoding returns a certificate as OpenSSL's i2d_X509 writes back what d2i_X509
// read, which is what Zeek's x509.log fingerprint and ssl.log cert_chain_fps hash: the
// outer SEQUENCE, signature algorithm and signature in DER, the TBSCertificate exactly as
// received (OpenSSL keeps its original encoding), and nothing of bytes trailing the
// certificate. It returns der itself in the usual case where that changes nothing, and
// der too when der is not a certificate at all.
func OpenSSLEncoding(der []byte) []byte {
	cert, _, ok := readBER(der, 0)
	if !ok || !cert.constructed {
		return der
	}
	tbs, rest, ok := readBER(cert.content, 1)
	if !ok {
		return der
	}
	alg, rest, ok := readBER(rest, 1)
	if !ok {
		return der
	}
	sig, _, ok := readBER(rest, 1)
	if !ok {
		return der
	}
	if cert.der && len(cert.raw) == len(der) && isDER(alg, 1) && isDER(sig, 1) &&
		len(tbs.raw)+len(alg.raw)+len(sig.raw) == len(cert.content) {
		return der
	}
	var body []byte
	body = append(body, tbs.raw...)
	if body, ok = appendDER(body, alg, 1); !ok {
		return der
	}
	if body, ok = appendDER(body, sig, 1); !ok {
		return der
	}
	return append(appendDERHeader(make([]byte, 0, len(body)+6), cert.tag, len(body)), body...)
}
