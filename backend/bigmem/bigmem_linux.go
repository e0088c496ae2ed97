package bigmem

import "golang.org/x/sys/unix"

const hugePage = 2 << 20

// Alloc returns n zeroed bytes, mapped privately and marked for huge pages
// (the kernel's transparent huge pages in "madvise" mode, the usual
// default, back only regions that ask). It falls back to the Go heap when
// the mapping is refused.
func Alloc(n int) *Block {
	size := (n + hugePage - 1) &^ (hugePage - 1)
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return &Block{Bytes: make([]byte, n)}
	}
	// Best effort: without huge pages the table is only slower.
	_ = unix.Madvise(mem, unix.MADV_HUGEPAGE)
	return &Block{Bytes: mem[:n:n], free: func() { unix.Munmap(mem) }}
}
