package zeeklog

// nameMemo remembers the last name one of the name functions (VersionName, CipherName,
// ...) returned: a connection's version, cipher and group are mostly those of the one
// before, and the comparison costs less than the map lookup.
type nameMemo struct {
	v   uint64
	s   string
	set bool
}

// name returns name(v), from the memo when v is the value looked up last.
func (m *nameMemo) name(v uint64, name func(uint64) string) string {
	if !m.set || m.v != v {
		m.v, m.s, m.set = v, name(v), true
	}
	return m.s
}

// sslNames are the memos of ssl.log's names.
type sslNames struct{ version, cipher, curve nameMemo }
