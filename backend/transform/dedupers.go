package transform

import (
	"math/bits"
	"sync/atomic"
)

// dedupers spreads deduplication over several goroutines, each owning the
// keys of one partition, chosen by the top bits of a key's second word (bits
// the key set does not use). A 10M-row separate-layout run makes about 40
// million random accesses to a table of hundreds of megabytes: done by the
// collector alone they would be the pipeline's longest serial stage; done
// per partition they proceed on every core, with no locks, since no two
// goroutines ever touch the same part of the set.
type dedupers struct {
	parts      []*dedupPart
	partBits   uint
	expectKeys atomic.Int64 // keys expected in the whole run, set by the reader from its first chunk
	maxBytes   int64        // memory budget for all partitions together
}

type dedupPart struct {
	owner *dedupers
	index uint64
	keys  *keySet // created on the first batch, when expectKeys is known
}

// Verdicts a deduper gives each item, for the collector to act on.
const (
	verdictNew       uint8 = iota // first sighting: write the line
	verdictDuplicate              // seen before: count it
	verdictSpill                  // its shard is full: deduplicate it on disk
)

// dedupPartitions is how many goroutines deduplicate for a run with the
// given number of workers: a power of two, one per worker up to four.
func dedupPartitions(workers int) int {
	n := min(max(workers, 1), 4)
	return 1 << (bits.Len(uint(n)) - 1)
}

func newDedupers(partitions int, maxBytes int64) *dedupers {
	d := &dedupers{partBits: uint(bits.Len(uint(partitions)) - 1), maxBytes: maxBytes}
	for i := range partitions {
		d.parts = append(d.parts, &dedupPart{owner: d, index: uint64(i)})
	}
	return d
}

// partition is the index of the goroutine that owns k (0 with one).
func (d *dedupers) partition(k Key) uint64 {
	return k[1] >> (64 - d.partBits) // a shift by 64 is 0 in Go
}

// dedup gives a verdict for each of the batch's items that this partition
// owns (the worker filed them by partition), prefetching a window of them
// before inserting any.
func (p *dedupPart) dedup(b *batch) {
	d := p.owner
	if p.keys == nil {
		n := int64(len(d.parts))
		p.keys = newKeySet(d.expectKeys.Load()/n, d.maxBytes/n)
	}
	all := b.parts[p.index]
	for start := 0; start < len(all); start += prefetchBatch {
		items := all[start:min(start+prefetchBatch, len(all))]
		for i := range items {
			p.keys.Prefetch(items[i].key)
		}
		for i := range items {
			it := &items[i]
			switch added, full := p.keys.Insert(it.key); {
			case full:
				it.verdict = verdictSpill
			case !added:
				it.verdict = verdictDuplicate
			default:
				it.verdict = verdictNew
			}
		}
	}
}

// release returns every partition's memory; the sets must not be used
// afterwards.
func (d *dedupers) release() {
	for _, p := range d.parts {
		if p.keys != nil {
			p.keys.Free()
			p.keys = nil
		}
	}
}

// prefetchBatch is how many keys a deduper prefetches from its key set
// before inserting them: enough misses in flight to hide memory latency,
// few enough that the buckets are still cached when inserted.
const prefetchBatch = 64
