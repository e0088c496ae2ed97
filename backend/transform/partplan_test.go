package transform

import (
	"compress/gzip"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
)

// countRepacks records the sets repacked until the test ends.
func countRepacks(t *testing.T) func() []string {
	var mu sync.Mutex
	var sets []string
	old := repacked
	repacked = func(prefix string) {
		mu.Lock()
		sets = append(sets, prefix)
		mu.Unlock()
	}
	t.Cleanup(func() { repacked = old })
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), sets...)
	}
}

// TestPartSizePlannedFromTheExpectedRows: the part size is raised before the
// first line from the rows the dedup set is sized for (Parquet footers, the
// measured compression of gzip text), so compressed and columnar inputs
// are written once in parts that fit TikTok's limit instead of being
// rewritten at the end. Their size in bytes alone understates their rows
// several times over.
func TestPartSizePlannedFromTheExpectedRows(t *testing.T) {
	dir := t.TempDir()
	plain := generate(t, 30000)
	gz := filepath.Join(dir, "customers.jsonl.gz")
	in, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(gz)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	zw.Write(in)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	pq := filepath.Join(dir, "customers.parquet")
	writeParquetPart(t, pq, sampleRows(t, 30000))

	for _, path := range []string{gz, pq} {
		src, err := inputs.LocalFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, layout := range []Layout{LayoutCombined, LayoutSeparate} {
			withPartLimits(t, partLimits[layout], 250<<20)
			repacks := countRepacks(t)
			out := filepath.Join(t.TempDir(), "out")
			m := runTransform(t, Options{Source: src, Mappings: allMappings(t), OutDir: out, Layout: layout, MaxFileBytes: 1 << 20})
			checkParts(t, src, out, m, layout)
			if got := repacks(); len(got) != 0 {
				t.Errorf("%s, %s layout: the %v files were repacked at the end; the part size should have been planned from the expected rows", filepath.Base(path), layout, got)
			}
		}
	}
}
