package transform

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestKeySetIsExactAndGrows(t *testing.T) {
	s := newKeySet(0, 1<<30)
	rng := rand.New(rand.NewPCG(1, 2))
	keys := make([]Key, 200000)
	for i := range keys {
		keys[i] = Key{rng.Uint64(), rng.Uint64()}
	}
	keys[7] = Key{} // the zero key is a valid key too
	for i, k := range keys {
		if added, full := s.Insert(k); !added || full {
			t.Fatalf("key %d: added=%v full=%v", i, added, full)
		}
	}
	for i, k := range keys {
		if added, _ := s.Insert(k); added {
			t.Fatalf("key %d inserted twice", i)
		}
		if !s.Contains(k) {
			t.Fatalf("key %d missing", i)
		}
	}
	if s.Len() != int64(len(keys)) {
		t.Errorf("len %d", s.Len())
	}
	if s.Contains(Key{1, 1}) {
		t.Error("contains a key never inserted")
	}
	if per := float64(s.Bytes()) / float64(s.Len()); per > 40 {
		t.Errorf("%.1f bytes per key", per)
	}
}

func TestKeySetPresizedStaysNearItsFloorPerKey(t *testing.T) {
	const n = 1 << 20
	s := newKeySet(n, 1<<30)
	rng := rand.New(rand.NewPCG(3, 4))
	for range n {
		s.Insert(Key{rng.Uint64(), rng.Uint64()})
	}
	if per := float64(s.Bytes()) / n; per > 14.5 {
		t.Errorf("%.1f bytes per key for a presized set, want about 10.7/load plus headroom", per)
	}
}

func TestKeySetReportsFullAtBudget(t *testing.T) {
	s := newKeySet(0, 300<<10)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; ; i++ {
		k := Key{rng.Uint64(), rng.Uint64()}
		added, full := s.Insert(k)
		if full {
			if s.Contains(k) || s.Bytes() > 300<<10 {
				t.Fatalf("full set inserted anyway or exceeded its budget (%d bytes)", s.Bytes())
			}
			return
		}
		if !added || i > 1e6 {
			t.Fatalf("insert %d: added=%v", i, added)
		}
	}
}

func BenchmarkKeySetInsert(b *testing.B) {
	s := newKeySet(int64(b.N), 1<<34)
	rng := rand.New(rand.NewPCG(1, 2))
	keys := make([]Key, b.N)
	for i := range keys {
		keys[i] = Key{rng.Uint64(), rng.Uint64()}
	}
	b.ResetTimer()
	for i := range b.N {
		s.Insert(keys[i])
	}
}

// TestKeySetKeepsEveryKeyAtFullLoad fills a small set to its budget with keys that differ only in the bits the
// table stores last, and checks every key is found and no other is.
func TestKeySetKeepsEveryKeyAtFullLoad(t *testing.T) {
	s := newKeySet(1<<40, 4<<20) // every shard starts at the budget
	rng := rand.New(rand.NewPCG(7, 8))
	var in, refused []Key
	capacity := int(s.Bytes() / bucketBytes * bucketSlots * maxLoadNum / maxLoadDen)
	var k Key
	for i := range capacity * 6 / 5 {
		if i%3 == 0 {
			k = Key{rng.Uint64(), rng.Uint64()}
		} else {
			k[1] ^= 1 << (i % 3) // the same first 64 bits as the last key
		}
		added, full := s.Insert(k)
		if full {
			refused = append(refused, k)
			continue
		}
		if !added {
			t.Fatalf("a new key was taken for a duplicate after %d keys", len(in))
		}
		in = append(in, k)
	}
	if load := float64(s.Len()) / float64(s.Bytes()/bucketBytes*bucketSlots); load < 0.85 {
		t.Errorf("full at load %.2f, want the set to fill its budget", load)
	}
	for i, k := range in {
		if !s.Contains(k) {
			t.Fatalf("key %d of %d lost", i, len(in))
		}
		if added, full := s.Insert(k); added || full {
			t.Fatalf("key %d inserted again (added=%v full=%v)", i, added, full)
		}
		if s.Contains(Key{k[0], k[1] ^ 1<<5}) || s.Contains(Key{k[0] ^ 1, k[1]}) {
			t.Fatalf("a key near key %d is reported present", i)
		}
	}
	for _, k := range refused {
		if added, full := s.Insert(k); added || !full || s.Contains(k) {
			t.Fatalf("a key refused by a full shard was then added=%v full=%v", added, full)
		}
	}
}

// BenchmarkKeySetMissAtFullLoad is the lookup that decides a new key at the
// table's highest load: it must stay about one cache line.
func BenchmarkKeySetMissAtFullLoad(b *testing.B) {
	for _, n := range []int64{1 << 16, 1 << 22} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchmarkMiss(b, n) })
	}
}

func benchmarkMiss(b *testing.B, n int64) {
	s := newKeySet(1<<40, n*bucketBytes/bucketSlots)
	rng := rand.New(rand.NewPCG(1, 2))
	for range n * 6 / 5 {
		s.Insert(Key{rng.Uint64(), rng.Uint64()})
	}
	b.ReportMetric(float64(s.Len())/float64(s.Bytes()/bucketBytes*bucketSlots), "load")
	keys := make([]Key, 1<<20)
	for i := range keys {
		keys[i] = Key{rng.Uint64(), rng.Uint64()}
	}
	b.ResetTimer()
	for i := range b.N {
		if s.Contains(keys[i&(len(keys)-1)]) {
			b.Fatal("found a key never inserted")
		}
	}
}

// BenchmarkKeySetInsertPrefetched inserts as the collector does, prefetching
// each batch of keys first, into a table of realistic size (a 10M-row separate
// run holds ~38M keys in 512 MiB).
func BenchmarkKeySetInsertPrefetched(b *testing.B) {
	const n = 1 << 25
	s := newKeySet(n, 512<<20)
	defer s.Free()
	rng := rand.New(rand.NewPCG(1, 2))
	keys := make([]Key, n)
	for i := range keys {
		keys[i] = Key{rng.Uint64(), rng.Uint64()}
	}
	b.ResetTimer()
	for i := range b.N {
		i %= n
		if i%prefetchBatch == 0 {
			if i == 0 {
				b.StopTimer()
				s.Reset()
				b.StartTimer()
			}
			for _, k := range keys[i:min(i+prefetchBatch, n)] {
				s.Prefetch(k)
			}
		}
		s.Insert(keys[i])
	}
}
