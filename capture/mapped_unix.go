//go:build unix

package capture

import (
	"os"
	"runtime"
	"syscall"
)

// maxMapped bounds the size of a mapped capture (the address space of 32-bit systems).
const maxMapped = int64(^uint(0)>>1) / 2

var pageSize = os.Getpagesize()

func mapFile(f *os.File, size int64) (m []byte, unmap func(), ok bool) {
	m, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, false
	}
	return m, func() { _ = syscall.Munmap(m) }, true
}

// dropPages removes the pages of b (page-aligned) from the mapping; they stay in the page
// cache and are mapped again if touched.
func dropPages(b []byte) {
	if len(b) > 0 {
		_ = syscall.Madvise(b, syscall.MADV_DONTNEED)
	}
}

// madvPopulateRead is Linux's MADV_POPULATE_READ (5.14): map the pages in at once.
const madvPopulateRead = 22

// populate maps the pages of b in ahead of their use where the system can (else they are
// mapped by page faults as they are read).
func populate(b []byte) {
	if len(b) > 0 && runtime.GOOS == "linux" {
		_ = syscall.Madvise(b, madvPopulateRead)
	}
}
