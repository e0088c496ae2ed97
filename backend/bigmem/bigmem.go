// Package bigmem allocates large, pointer-free tables outside the Go heap,
// backed by huge pages where the system offers them. A hash table of
// hundreds of megabytes read at random spends most of its time on
// address-translation misses with 4 KiB pages; with 2 MiB pages its whole
// range fits the processor's translation cache. Go's own heap does not ask
// for huge pages, hence this package.
package bigmem

// Block is memory from Alloc. Bytes is zeroed; Free returns it to the
// system, after which Bytes must not be used.
type Block struct {
	Bytes []byte
	free  func()
}

// Free releases the block. It is safe to call more than once.
func (b *Block) Free() {
	if b.free != nil {
		b.free()
		b.free = nil
	}
	b.Bytes = nil
}
