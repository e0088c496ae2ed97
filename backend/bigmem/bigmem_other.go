//go:build !linux

package bigmem

// Alloc returns n zeroed bytes from the Go heap: huge pages are only asked
// for on Linux.
func Alloc(n int) *Block {
	return &Block{Bytes: make([]byte, n)}
}
