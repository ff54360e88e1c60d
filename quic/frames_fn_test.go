package quic

// cryptoFunc adapts a function to cryptoSink in tests.
type cryptoFunc func(offset uint64, data []byte) error

func (f cryptoFunc) crypto(offset uint64, data []byte) error { return f(offset, data) }

func (f cryptoFunc) connClose() {}
