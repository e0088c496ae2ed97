package transform

import (
	"math"
	"math/bits"
	"unsafe"

	"github.com/audience-uploader/audience-uploader/backend/bigmem"
)

// Key identifies an output line for deduplication: 128 bits taken from a hash
// of the line. The set keeps 80 of them (10 bytes), 70 of which tell apart
// the keys of one shard: the chance that a run takes two distinct lines for
// one is about n²/2^81 — 6·10^-10 at 38 million lines, 10^-9 at 50 million —
// below the rate of undetected memory errors on the machines that run it.
// Ten bytes are what fit six keys in a cache line.
type Key [2]uint64

// keySet is an exact set of Keys tuned for tens of millions of entries:
// 1,024 independently growing shards of open-addressed buckets, each bucket
// one 64-byte cache line holding six keys. Keys are already uniformly
// distributed, so their bits pick the shard and the home bucket directly.
// A bucket remembers whether a key ever had to move past it, so a lookup
// that misses stops at its home bucket while the table is not crowded.
// Linear probing's runs grow fast with the load (a miss reads 1.7 lines at
// 3/4 full, 4.5 at 7/8, 9 with five slots at 9/10: each line a random
// memory access), hence six slots and growth at 7/8: about 12 bytes a key.
// Sharding keeps each rehash small (a shard grows by half), so growth never
// needs two copies of the whole set at once.
type keySet struct {
	shards   [shardCount]shard
	initial  *bigmem.Block // the shards' first tables, in one block; Free releases it
	bytes    int64         // memory held by all tables
	maxBytes int64         // growth beyond this is refused: the caller spills instead
	len      int64
}

const (
	shardBits     = 10
	shardCount    = 1 << shardBits
	bucketSlots   = 6
	maxLoadNum    = 7 // grow at 7/8 full
	maxLoadDen    = 8
	minBucketsPer = 4
	bucketBytes   = 64
)

// bucket is one cache line: the first 64 bits of each key, 16 more, and
// meta (slots used in the low bits, overflowed above them).
type bucket struct {
	hi   [bucketSlots]uint64
	lo   [bucketSlots]uint16
	meta uint32
}

const (
	metaUsed       = 0x7 // slots used, filled in order (keys are never removed)
	metaOverflowed = 0x8 // some key whose probe passed this bucket is stored further on
)

// A bucket must be exactly one cache line, with six slots (see holds).
var _ [bucketBytes - unsafe.Sizeof(bucket{})]byte
var _ [unsafe.Sizeof(bucket{}) - bucketBytes]byte

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
	per = min(per, maxBytes/bucketBytes/shardCount)
	nb := int(max(per, minBucketsPer))
	s.initial = bigmem.Alloc(nb * shardCount * bucketBytes)
	all := unsafe.Slice((*bucket)(unsafe.Pointer(unsafe.SliceData(s.initial.Bytes))), nb*shardCount)
	for i := range s.shards {
		s.shards[i].buckets = all[i*nb : (i+1)*nb : (i+1)*nb]
	}
	s.bytes = int64(nb) * shardCount * bucketBytes
	return s
}

// Insert adds k. It reports whether k was new, and full=true (without
// inserting) when k is new but its shard may not grow any further. A shard
// that is full stays full, so every later copy of such a key is reported
// full again rather than added: the caller deduplicates those elsewhere.
func (s *keySet) Insert(k Key) (added, full bool) {
	sh := s.shard(k)
	hi, lo := k[0], uint16(k[1])
	n := len(sh.buckets)
	for i := sh.home(hi); ; {
		b := &sh.buckets[i]
		used := b.meta & metaUsed
		if b.holds(hi, lo, used) {
			return false, false
		}
		if used < bucketSlots && !sh.needsGrowth() {
			// The common case, in one pass: room where the probe ends.
			b.hi[used], b.lo[used] = hi, lo
			b.meta++
			sh.len++
			s.len++
			return true, false
		}
		if used < bucketSlots || b.meta&metaOverflowed == 0 {
			break // k is absent
		}
		if i++; i == n {
			i = 0
		}
	}
	if sh.needsGrowth() {
		grow := int64(len(sh.buckets)/2) * bucketBytes
		if s.bytes+grow > s.maxBytes {
			return false, true
		}
		sh.grow()
		s.bytes += grow
	}
	sh.put(hi, lo)
	s.len++
	return true, false
}

func (sh *shard) needsGrowth() bool {
	return (sh.len+1)*maxLoadDen > len(sh.buckets)*bucketSlots*maxLoadNum
}

// holds reports whether one of the bucket's first used slots is the key.
// Slots fill in order, so a match at or past used is an empty slot.
func (b *bucket) holds(hi uint64, lo uint16, used uint32) bool {
	switch {
	case b.hi[0] == hi && b.lo[0] == lo:
		return used > 0
	case b.hi[1] == hi && b.lo[1] == lo:
		return used > 1
	case b.hi[2] == hi && b.lo[2] == lo:
		return used > 2
	case b.hi[3] == hi && b.lo[3] == lo:
		return used > 3
	case b.hi[4] == hi && b.lo[4] == lo:
		return used > 4
	case b.hi[5] == hi && b.lo[5] == lo:
		return used > 5
	}
	return false
}

// Prefetch starts loading k's home bucket. Prefetching a batch of keys
// before inserting them has many buckets in flight from memory at once
// instead of waiting for each miss in turn: on a table of hundreds of
// megabytes that cuts the time per insert by more than half.
func (s *keySet) Prefetch(k Key) {
	sh := s.shard(k)
	bigmem.Prefetch(unsafe.Pointer(&sh.buckets[sh.home(k[0])]))
}

// Contains reports whether k is in the set, without changing it (Insert
// answers the same question on the hot path; tests use this one).
func (s *keySet) Contains(k Key) bool {
	return s.shard(k).find(k[0], uint16(k[1]))
}

// Reset empties the set, keeping its tables for reuse.
func (s *keySet) Reset() {
	for i := range s.shards {
		clear(s.shards[i].buckets)
		s.shards[i].len = 0
	}
	s.len = 0
}

// Free returns the set's memory; the set must not be used afterwards.
func (s *keySet) Free() {
	for i := range s.shards {
		s.shards[i].buckets = nil
	}
	s.initial.Free()
}

// Len is the number of keys held.
func (s *keySet) Len() int64 { return s.len }

// Bytes is the memory held by the tables.
func (s *keySet) Bytes() int64 { return s.bytes }

// shard picks a shard by the key's top bits.
func (s *keySet) shard(k Key) *shard { return &s.shards[k[0]>>(64-shardBits)] }

// home maps the bits of hi below the shard's onto a bucket. Only stored bits
// are used, so a growing shard can place its keys again.
func (sh *shard) home(hi uint64) int {
	b, _ := bits.Mul64(hi<<shardBits, uint64(len(sh.buckets)))
	return int(b)
}

func (sh *shard) find(hi uint64, lo uint16) bool {
	n := len(sh.buckets)
	for i := sh.home(hi); ; {
		b := &sh.buckets[i]
		if b.holds(hi, lo, b.meta&metaUsed) {
			return true
		}
		if b.meta&metaOverflowed == 0 {
			return false
		}
		if i++; i == n {
			i = 0
		}
	}
}

// put stores a key, known to be absent, in the first bucket with room from
// its home, marking the full buckets it passes.
func (sh *shard) put(hi uint64, lo uint16) {
	n := len(sh.buckets)
	for i := sh.home(hi); ; {
		b := &sh.buckets[i]
		if used := b.meta & metaUsed; used < bucketSlots {
			b.hi[used], b.lo[used] = hi, lo
			b.meta++
			sh.len++
			return
		}
		b.meta |= metaOverflowed
		if i++; i == n {
			i = 0
		}
	}
}

func (sh *shard) grow() {
	old := sh.buckets
	sh.buckets = make([]bucket, len(old)+len(old)/2)
	sh.len = 0
	for i := range old {
		b := &old[i]
		for j := range int(b.meta & metaUsed) {
			sh.put(b.hi[j], b.lo[j])
		}
	}
}
