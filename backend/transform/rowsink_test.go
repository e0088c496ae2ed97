package transform

import (
	"encoding/binary"
	"encoding/hex"
	"math/bits"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
)

// sinkRows collects what a RowSink receives, as the lines a transform
// would have written ("hex,,hex"), duplicates included.
type sinkRows struct {
	mu      sync.Mutex
	cols    int
	lines   []string
	workers map[int]bool
}

func (s *sinkRows) add(worker int, rows []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.workers[worker] = true
	for len(rows) > 0 {
		mask := binary.BigEndian.Uint16(rows)
		n := 2 + 32*bits.OnesCount16(mask)
		cells := make([]string, s.cols)
		p := 2
		for c := range cells {
			if mask&(1<<c) != 0 {
				cells[c] = hex.EncodeToString(rows[p : p+32])
				p += 32
			}
		}
		s.lines = append(s.lines, strings.Join(cells, ","))
		rows = rows[n:]
	}
	return nil
}

func (s *sinkRows) distinct() []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range s.lines {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

// A RowSink gets every accepted row's digests in binary (a sync sorts them
// itself), and the run writes no customer file.
func TestRowSinkHandsOverEveryRowInBinary(t *testing.T) {
	input := generate(t, 20000)
	perColumn, rows := expected(t, input)
	src, _ := inputs.LocalFile(input)

	sink := &sinkRows{cols: 4, workers: map[int]bool{}}
	out := filepath.Join(t.TempDir(), "out")
	m := runTransform(t, Options{Source: src, Mappings: allMappings(t), OutDir: out, Workers: 3, RowSink: sink.add})
	if len(m.Files) != 0 {
		t.Fatalf("with a RowSink the run wrote %d files", len(m.Files))
	}
	if onDisk, _ := filepath.Glob(filepath.Join(out, "*")); len(onDisk) != 1 {
		t.Errorf("output folder holds %v, want the manifest only", onDisk)
	}
	sameSet(t, "combined rows", sink.distinct(), rows)
	c := m.Counters
	if got := int64(len(sink.lines)); got != c.RowsRead-c.NoIdentifier-c.Malformed || got == int64(len(rows)) {
		t.Errorf("the sink got %d rows: want every row with an identifier (%d), duplicates included (%d distinct)",
			got, c.RowsRead-c.NoIdentifier-c.Malformed, len(rows))
	}
	for w := range sink.workers {
		if w < 0 || w >= 3 {
			t.Errorf("worker index %d, want 0 to 2", w)
		}
	}

	// Separate layout: each hash is a row of its own.
	one := &sinkRows{cols: 1, workers: map[int]bool{}}
	m = runTransform(t, Options{Source: src, Mappings: allMappings(t)[:1], OutDir: filepath.Join(t.TempDir(), "out"), Workers: 2, RowSink: one.add})
	if m.Layout != LayoutSeparate || len(m.Files) != 0 {
		t.Fatalf("layout %s, %d files", m.Layout, len(m.Files))
	}
	sameSet(t, "email rows", one.distinct(), perColumn[0])
	if tc := m.Counters.Types["email"]; int64(len(one.lines)) != tc.Valid+tc.Prehashed {
		t.Errorf("the sink got %d email rows, want every valid one (%d)", len(one.lines), tc.Valid+tc.Prehashed)
	}
}

// A separate layout of several identifier types cannot be handed over as
// binary rows (a row does not say its type): refused before any work.
func TestRowSinkRefusesSeveralSeparateTypes(t *testing.T) {
	src, _ := inputs.LocalFile(generate(t, 100))
	called := false
	_, err := Run(t.Context(), Options{Source: src, Mappings: allMappings(t)[:2], Layout: LayoutSeparate,
		OutDir: filepath.Join(t.TempDir(), "out"), RowSink: func(int, []byte) error { called = true; return nil }})
	if !IsUsageError(err) || !strings.Contains(err.Error(), "combined layout") || called {
		t.Fatalf("err %v, sink called %v", err, called)
	}
}
