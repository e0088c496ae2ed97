package transform

import (
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
	if per := float64(s.Bytes()) / n; per > 21.5 {
		t.Errorf("%.1f bytes per key for a presized set, want about 16/load plus headroom", per)
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
