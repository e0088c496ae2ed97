//go:build !amd64 && !arm64

package bigmem

import "unsafe"

// Prefetch does nothing on this architecture: a hint only, never needed
// for correctness.
func Prefetch(addr unsafe.Pointer) {}
