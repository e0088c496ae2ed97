package bigmem

import "testing"

func TestAllocIsZeroedWritableAndFreed(t *testing.T) {
	for _, n := range []int{1, 4096, 3<<20 + 5} {
		b := Alloc(n)
		if len(b.Bytes) != n {
			t.Fatalf("Alloc(%d) gave %d bytes", n, len(b.Bytes))
		}
		for i, v := range b.Bytes {
			if v != 0 {
				t.Fatalf("Alloc(%d): byte %d is %d", n, i, v)
			}
		}
		b.Bytes[0], b.Bytes[n-1] = 1, 2
		b.Free()
		b.Free()
		if b.Bytes != nil {
			t.Fatal("Bytes kept after Free")
		}
	}
}
