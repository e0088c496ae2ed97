//go:build amd64 || arm64

package bigmem

import "unsafe"

// Prefetch asks the processor to start loading the cache line at addr and
// returns at once. Unlike a plain load, a prefetch never holds up the
// instructions after it, so a loop can have dozens of table lines in flight
// while it goes on. addr need not be valid memory: a prefetch never faults.
//
//go:noescape
func Prefetch(addr unsafe.Pointer)
