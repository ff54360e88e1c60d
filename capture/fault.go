package capture

import (
	"errors"
	"fmt"
)

// ErrMappedFault is what a run over a mapped capture (OpenMapped) returns when the file
// was truncated while it was read: the kernel answers an access to a mapped page past the
// new end with SIGBUS, which runtime/debug.SetPanicOnFault turns into a panic that the
// goroutines reading the mapping recover (FaultError) instead of ending the process.
var ErrMappedFault = errors.New("capture file changed (truncated?) while it was read through a memory map")

// FaultError reports whether v, a value recovered from a panic, is a memory fault at a
// non-nil address — what SetPanicOnFault makes of an access to a truncated mapping — and
// returns it as an error wrapping ErrMappedFault. Any other panic is not its business.
func FaultError(v any) (error, bool) {
	f, ok := v.(interface{ Addr() uintptr })
	if !ok {
		return nil, false
	}
	return fmt.Errorf("%w (fault at %#x)", ErrMappedFault, f.Addr()), true
}
