package tlsmon

// SameBytes names bytes an analyzer has proved equal to bytes it handed on before, so that
// a consumer that keeps what it learnt of them (a certificate's fingerprint) need not
// compare them again: every event carrying the same non-zero SameBytes carries equal bytes.
// The zero value says nothing (compare the bytes).
type SameBytes struct {
	Msg *MessageID // the message the bytes are part of
	Off int        // their offset in it
}

// MessageID stands for one message an analyzer keeps whose bytes never change: its address
// is its identity, which cannot be reused while anyone holds it (a SameBytes keeps it). It
// is not empty, so that two MessageIDs never share an address.
type MessageID struct{ _ byte }
