package engine

// Sum adds up the counters of several engines: a live run's workers, each an engine of its
// own on its own socket (cmd/tlsmon's sensor).
func Sum(all ...Stats) Stats {
	st := Stats{CapHits: map[string]uint64{}}
	for _, s := range all {
		st.add(s)
	}
	return st
}
