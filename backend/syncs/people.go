package syncs

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
)

// People, not rows: TikTok matches each row to its users through any
// identifier in it, so a REMOVE row takes out everyone any of its
// identifiers matches. A sync therefore treats identifiers that share a
// row, in its state or in the new list, as one person (the connected
// components of that graph) and removes a person only when none of their
// identifiers is in the new list.
//
// Finding the components of tens of millions of rows in memory would not
// fit the sync's budget, and it is not needed: every identifier of an
// unchanged row (in both the state and the list) is in the list, so only
// the changed rows (state only: D, list only: A) need a graph. One more
// pass over the state then links them through the unchanged rows that
// share one of their identifiers. A state-only row is removed exactly when
// its component holds no list row and touches no unchanged row.

// idKey is an identifier's first 8 bytes: the graph's key. Two different
// hashes with the same key only join two people, which keeps someone in
// the audience, never removes someone from it.
func idKey(h []byte) uint64 { return binary.BigEndian.Uint64(h) }

// peopleGraph is a union-find over rows linked by shared identifiers.
type peopleGraph struct {
	parent []int32
	ids    map[uint64]int32 // identifier -> a row holding it
	bloom  []uint64         // a bit per identifier key: most lookups end here
}

func newPeopleGraph(rows int) *peopleGraph {
	bits := 1 << 16
	for bits < 16*rows && bits < 1<<26 {
		bits <<= 1
	}
	return &peopleGraph{ids: make(map[uint64]int32, rows), bloom: make([]uint64, bits/64)}
}

func (g *peopleGraph) find(i int32) int32 {
	for g.parent[i] != i {
		g.parent[i] = g.parent[g.parent[i]]
		i = g.parent[i]
	}
	return i
}

func (g *peopleGraph) union(a, b int32) {
	a, b = g.find(a), g.find(b)
	if a != b {
		if b < a {
			a, b = b, a
		}
		g.parent[b] = a
	}
}

func (g *peopleGraph) bit(k uint64) (int, uint64) {
	i := int((k ^ k>>29) & uint64(len(g.bloom)*64-1))
	return i / 64, 1 << (i % 64)
}

// add makes row the next element, joined with every earlier element that
// shares an identifier with it.
func (g *peopleGraph) add(row []byte) int32 {
	i := int32(len(g.parent))
	g.parent = append(g.parent, i)
	for p := 2; p+hashLen <= len(row); p += hashLen {
		k := idKey(row[p:])
		if j, ok := g.ids[k]; ok {
			g.union(i, j)
		} else {
			g.ids[k] = i
			w, b := g.bit(k)
			g.bloom[w] |= b
		}
	}
	return i
}

// mayTouch reports whether row may share an identifier with an element
// (false: it surely does not).
func (g *peopleGraph) mayTouch(row []byte) bool {
	for p := 2; p+hashLen <= len(row); p += hashLen {
		if w, b := g.bit(idKey(row[p:])); g.bloom[w]&b != 0 {
			return true
		}
	}
	return false
}

// touch joins every element sharing an identifier with row (a row that
// is not an element) and returns one of them, or -1 when none does.
func (g *peopleGraph) touch(row []byte) int32 {
	first := int32(-1)
	for p := 2; p+hashLen <= len(row); p += hashLen {
		k := idKey(row[p:])
		if w, b := g.bit(k); g.bloom[w]&b == 0 {
			continue
		}
		if j, ok := g.ids[k]; ok {
			if first < 0 {
				first = j
			} else {
				g.union(first, j)
			}
		}
	}
	return first
}

// people is the number of components.
func (g *peopleGraph) people() int64 {
	var n int64
	for i := range g.parent {
		if g.parent[i] == int32(i) {
			n++
		}
	}
	return n
}

// changeSet keeps the rows a merge found in only one side, in merge order.
type changeSet struct {
	arena  []byte
	offs   []int32
	inList []bool // list only (A); otherwise state only (D)
	limit  int    // rows; past it the set overflows
	over   bool
}

func (c *changeSet) add(row []byte, inList bool) {
	if c.over || len(c.offs) >= c.limit {
		c.over = true
		return
	}
	c.offs = append(c.offs, int32(len(c.arena)))
	c.arena = append(c.arena, row...)
	c.inList = append(c.inList, inList)
}

func (c *changeSet) row(i int) []byte {
	off := int(c.offs[i])
	return c.arena[off : off+rowLen(binary.BigEndian.Uint16(c.arena[off:]))]
}

// peopleDiff is what the change analysis decided.
type peopleDiff struct {
	removed []bool // per change: a state-only row of a person who left
	// People who left (every identifier gone), who are new (no identifier
	// in the state), and who are still in the list with rows changed.
	removedPeople, addedPeople, changedPeople int64
}

// analyse links the changed rows through each other and through the
// unchanged rows of the state, which scan calls its function with (in any
// order: a row that is a changed row itself is recognised by its bytes),
// and decides who left.
func analyse(c *changeSet, scan func(fn func(row []byte)) error) (*peopleDiff, error) {
	n := len(c.offs)
	g := newPeopleGraph(n)
	self := make(map[uint64]int32) // the state-only rows, by a hash of their bytes
	seed := maphash.MakeSeed()
	for i := range n {
		r := c.row(i)
		g.add(r)
		if !c.inList[i] {
			self[maphash.Bytes(seed, r)] = int32(i)
		}
	}
	// One more pass over the state: its unchanged rows that share an
	// identifier with a changed row keep that row's person in the list.
	touched := make([]bool, n)
	err := scan(func(row []byte) {
		if !g.mayTouch(row) {
			return
		}
		if j, ok := self[maphash.Bytes(seed, row)]; ok && bytes.Equal(c.row(int(j)), row) {
			return // a changed row itself
		}
		if j := g.touch(row); j >= 0 {
			touched[j] = true
		}
	})
	if err != nil {
		return nil, err
	}
	const hasList, hasState, hasUnchanged = 1, 2, 4
	kind := make([]uint8, n)
	for i := range n {
		r := g.find(int32(i))
		if c.inList[i] {
			kind[r] |= hasList
		} else {
			kind[r] |= hasState
		}
		if touched[i] {
			kind[r] |= hasUnchanged
		}
	}
	d := &peopleDiff{removed: make([]bool, n)}
	for i := range n {
		if g.parent[i] == int32(i) {
			switch k := kind[i]; {
			case k&(hasList|hasUnchanged) == 0:
				d.removedPeople++
			case k == hasList:
				d.addedPeople++
			default:
				d.changedPeople++
			}
		}
	}
	for i := range n {
		if !c.inList[i] && kind[g.find(int32(i))]&(hasList|hasUnchanged) == 0 {
			d.removed[i] = true
		}
	}
	return d, nil
}

// countPeople is the number of people among the rows of sets.
func countPeople(sets ...[][]byte) int64 {
	n := 0
	for _, s := range sets {
		n += len(s)
	}
	g := newPeopleGraph(n)
	for _, s := range sets {
		for _, r := range s {
			g.add(r)
		}
	}
	return g.people()
}
