package validate

// lru is a bounded map whose entries also expire when unused for a while, in network
// time, as Zeek's &read_expire tables do. The least recently used entry goes when full.
type lru[K comparable, V any] struct {
	max        int
	m          map[K]*lruEntry[K, V]
	head, tail *lruEntry[K, V] // head = most recently used
}

type lruEntry[K comparable, V any] struct {
	k          K
	v          V
	last       int64 // network time of the last read or write, microseconds
	prev, next *lruEntry[K, V]
}

func newLRU[K comparable, V any](max int) *lru[K, V] {
	return &lru[K, V]{max: max, m: make(map[K]*lruEntry[K, V])}
}

// get returns the value of k. With expiry >= 0, an entry unused for more than expiry
// microseconds before now is dropped instead; a hit counts as a use at now.
func (l *lru[K, V]) get(k K, now, expiry int64) (V, bool) {
	e, ok := l.m[k]
	if !ok {
		var zero V
		return zero, false
	}
	if expiry >= 0 && now-e.last > expiry {
		l.remove(e)
		var zero V
		return zero, false
	}
	if now > e.last {
		e.last = now
	}
	l.toFront(e)
	return e.v, true
}

func (l *lru[K, V]) put(k K, v V, now int64) {
	if e, ok := l.m[k]; ok {
		e.v, e.last = v, now
		l.toFront(e)
		return
	}
	if len(l.m) >= l.max && l.tail != nil {
		l.remove(l.tail)
	}
	e := &lruEntry[K, V]{k: k, v: v, last: now}
	l.m[k] = e
	l.pushFront(e)
}

func (l *lru[K, V]) len() int { return len(l.m) }

func (l *lru[K, V]) remove(e *lruEntry[K, V]) {
	l.unlink(e)
	delete(l.m, e.k)
}

func (l *lru[K, V]) unlink(e *lruEntry[K, V]) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		l.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		l.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (l *lru[K, V]) pushFront(e *lruEntry[K, V]) {
	e.next = l.head
	if l.head != nil {
		l.head.prev = e
	}
	l.head = e
	if l.tail == nil {
		l.tail = e
	}
}

func (l *lru[K, V]) toFront(e *lruEntry[K, V]) {
	if l.head == e {
		return
	}
	l.unlink(e)
	l.pushFront(e)
}
