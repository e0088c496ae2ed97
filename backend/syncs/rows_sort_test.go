package syncs

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"
)

// The sorter's radix sort orders rows as a comparison sort of their bytes
// does: prefixes shared by many rows (one mask for all, equal first hash
// bytes) included.
func TestSorterOrdersRowsAsBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	s := newSorter(t.TempDir(), 1<<20)
	defer s.free()
	var want [][]byte
	for i := range 5000 {
		mask := uint16(3)
		if i%7 == 0 {
			mask = 1 << (i % 3)
		}
		row := binary.BigEndian.AppendUint16(nil, mask)
		for range rowLen(mask) / hashLen {
			h := make([]byte, hashLen)
			for j := range h {
				h[j] = byte(r.Uint32())
			}
			if i%5 == 0 {
				copy(h, "same-prefix") // rows whose 8-byte prefix ties
			}
			row = append(row, h...)
		}
		if err := s.addRow(row); err != nil {
			t.Fatal(err)
		}
		want = append(want, row)
	}
	slices.SortFunc(want, bytes.Compare)
	s.sortArena()
	for i, k := range s.offs {
		if !bytes.Equal(s.rowAt(k), want[i]) {
			t.Fatalf("row %d out of order", i)
		}
	}
}
