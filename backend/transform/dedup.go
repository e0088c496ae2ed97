package transform

import (
	"math"
	"math/bits"
)

// Key identifies an output line for deduplication: 128 bits taken from a hash
// of the line, so a collision between two distinct lines is astronomically
// unlikely (2^-64 at 2^32 distinct lines) while costing 16 bytes per entry.
type Key [2]uint64

// keySet is an exact set of Keys tuned for tens of millions of entries:
// 1,024 independently growing shards of open-addressed buckets holding four
// keys each (one 64-byte cache line), probed linearly. Keys are already
// uniformly distributed, so they index the table directly. Sharding keeps
// each rehash small (a shard grows by half), so growth never needs two
// copies of the whole set at once.
type keySet struct {
	shards   [shardCount]shard
	bytes    int64 // memory held by all tables
	maxBytes int64 // growth beyond this is refused: the caller spills instead
	len      int64
}

const (
	shardBits     = 10
	shardCount    = 1 << shardBits
	bucketSlots   = 4
	maxLoadNum    = 7 // grow at 7/8 full
	maxLoadDen    = 8
	minBucketsPer = 4
)

type bucket [bucketSlots]Key

type shard struct {
	buckets []bucket
	len     int
}

// newKeySet sizes the set for about expected keys (0 if unknown), never
// allocating more than maxBytes. Bucket counts need not be powers of two
// (keys are mapped to buckets by multiplication), so the tables can be sized
// close to what is needed.
func newKeySet(expected int64, maxBytes int64) *keySet {
	s := &keySet{maxBytes: maxBytes}
	// Keys spread over shards binomially: leave four standard deviations of
	// headroom so that almost no shard has to grow.
	mean := float64(expected) / shardCount
	perShard := mean + 4*math.Sqrt(mean)
	per := int64(perShard*maxLoadDen/maxLoadNum/bucketSlots) + 1
	per = min(per, maxBytes/64/shardCount)
	nb := int(max(per, minBucketsPer))
	for i := range s.shards {
		s.shards[i].buckets = make([]bucket, nb)
	}
	s.bytes = int64(nb) * shardCount * 64
	return s
}

// normalize keeps the all-zero key free to mark empty slots.
func (k Key) normalize() Key {
	if k[0] == 0 && k[1] == 0 {
		k[1] = 1
	}
	return k
}

// Insert adds k. It reports whether k was new, and full=true (without
// inserting) when k is new but the set may not grow any further.
func (s *keySet) Insert(k Key) (added, full bool) {
	k = k.normalize()
	sh := &s.shards[k[0]>>(64-shardBits)]
	if found := sh.find(k); found {
		return false, false
	}
	if (sh.len+1)*maxLoadDen > len(sh.buckets)*bucketSlots*maxLoadNum {
		grow := int64(len(sh.buckets)/2) * 64
		if s.bytes+grow > s.maxBytes {
			return false, true
		}
		sh.grow()
		s.bytes += grow
	}
	sh.put(k)
	s.len++
	return true, false
}

// Touch reads k's home bucket and returns a word of it. Touching a batch of
// keys before inserting them lets the processor fetch many buckets from
// memory at once instead of waiting for each miss in turn: on a table of
// hundreds of megabytes that halves the time per insert.
func (s *keySet) Touch(k Key) uint64 {
	sh := &s.shards[k[0]>>(64-shardBits)]
	return sh.buckets[sh.home(k)][0][0]
}

// Contains reports whether k is in the set.
func (s *keySet) Contains(k Key) bool {
	k = k.normalize()
	return s.shards[k[0]>>(64-shardBits)].find(k)
}

// Reset empties the set, keeping its tables for reuse.
func (s *keySet) Reset() {
	for i := range s.shards {
		clear(s.shards[i].buckets)
		s.shards[i].len = 0
	}
	s.len = 0
}

// Len is the number of keys held.
func (s *keySet) Len() int64 { return s.len }

// Bytes is the memory held by the tables.
func (s *keySet) Bytes() int64 { return s.bytes }

func (sh *shard) home(k Key) int {
	hi, _ := bits.Mul64(k[1], uint64(len(sh.buckets)))
	return int(hi)
}

func (sh *shard) find(k Key) bool {
	n := len(sh.buckets)
	for i := sh.home(k); ; i++ {
		if i == n {
			i = 0
		}
		b := &sh.buckets[i]
		for j := range b {
			if b[j] == k {
				return true
			}
			if b[j] == (Key{}) {
				return false
			}
		}
	}
}

// put stores k, known to be absent, in the first free slot from its home.
func (sh *shard) put(k Key) {
	n := len(sh.buckets)
	for i := sh.home(k); ; i++ {
		if i == n {
			i = 0
		}
		b := &sh.buckets[i]
		for j := range b {
			if b[j] == (Key{}) {
				b[j] = k
				sh.len++
				return
			}
		}
	}
}

func (sh *shard) grow() {
	old := sh.buckets
	sh.buckets = make([]bucket, len(old)+len(old)/2)
	sh.len = 0
	for i := range old {
		for _, k := range old[i] {
			if k != (Key{}) {
				sh.put(k)
			}
		}
	}
}
