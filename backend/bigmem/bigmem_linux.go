package bigmem

import "golang.org/x/sys/unix"

const hugePage = 2 << 20

// Alloc returns n zeroed bytes, already in memory, mapped privately and
// marked for huge pages (the kernel's transparent huge pages in "madvise"
// mode, the usual default, back only regions that ask). It falls back to the Go heap when
// the mapping is refused.
func Alloc(n int) *Block {
	size := (n + hugePage - 1) &^ (hugePage - 1)
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return &Block{Bytes: make([]byte, n)}
	}
	// Best effort: without huge pages the table is only slower.
	_ = unix.Madvise(mem, unix.MADV_HUGEPAGE)
	populate(mem)
	return &Block{Bytes: mem[:n:n], free: func() { unix.Munmap(mem) }}
}

// populate faults the whole mapping in now, in one pass, rather than a page
// at a time under the random accesses of a hash table: a page fault there
// also defeats prefetching, since a prefetch of an unmapped page is dropped.
// It costs about the time to zero the memory (~0.1 s per 512 MiB).
func populate(mem []byte) {
	if unix.Madvise(mem, unix.MADV_POPULATE_WRITE) == nil {
		return
	}
	// Before Linux 5.14: touch every page.
	for i := 0; i < len(mem); i += 4096 {
		mem[i] = 0
	}
}
