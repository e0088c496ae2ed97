package transform

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/sampledata"
)

// firstChunkEstimate is the row count the run sizes its dedup set from:
// the input is checked and read as Run does, up to its first chunk.
func firstChunkEstimate(t *testing.T, src inputs.Source) int64 {
	t.Helper()
	p, err := newPlan(Options{Source: src, Mappings: allMappings(t), OutDir: t.TempDir(), Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pp, err := checkInput(ctx, src, p.Format, p.Header, p.columns())
	if err != nil {
		t.Fatal(err)
	}
	got := int64(-1)
	var read atomic.Int64
	work := make(chan *batch, 64)
	go func() {
		for range work {
		}
	}()
	err = feedParts(ctx, p, pp, &read, work, func(b *batch) {
		got = expectRows(src.Size, pp.rows, b)
		cancel()
	})
	close(work)
	if got < 0 {
		t.Fatalf("no chunk was read: %v", err)
	}
	return got
}

// sampleRows is sampledata's JSONL rows (seed 7), decoded.
func sampleRows(t *testing.T, rows int64) []map[string]any {
	t.Helper()
	var buf bytes.Buffer
	if _, err := sampledata.WriteJSONL(&buf, sampledata.Options{Rows: rows, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

type estimateRow struct {
	Email      string  `parquet:"email"`
	Phone      string  `parquet:"phone"`
	IDFA       string  `parquet:"idfa"`
	GAID       string  `parquet:"gaid"`
	CustomerID string  `parquet:"customer_id"`
	Plan       string  `parquet:"plan,dict"`
	Country    string  `parquet:"country,dict"`
	Value      float64 `parquet:"lifetime_value"`
	Note       string  `parquet:"note"`
}

func writeParquetPart(t *testing.T, path string, rows []map[string]any) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[estimateRow](f, parquet.Compression(&parquet.Snappy), parquet.MaxRowsPerRowGroup(3000))
	for i, m := range rows {
		str := func(k string) string {
			if v, ok := m[k]; ok && v != nil {
				return fmt.Sprint(v)
			}
			return ""
		}
		r := estimateRow{Email: str("email"), Phone: str("phone"), IDFA: str("idfa"), GAID: str("gaid"),
			CustomerID: str("customer_id"), Plan: str("plan"), Country: []string{"US", "GB", "DE"}[i%3],
			Value: float64(i%1000) / 7, Note: fmt.Sprintf("row %d of the estimate test, padding that compresses well", i)}
		if _, err := w.Write([]estimateRow{r}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// A Parquet input's dedup set is sized from the rows its footer states,
// summed over the parts of a list; the size over the first chunk's bytes
// per record (all columns compressed, over the mapped ones decoded) is not
// the row count.
func TestExpectRowsParquetFooter(t *testing.T) {
	rows := sampleRows(t, 20000)
	dir := t.TempDir()
	one := filepath.Join(dir, "one.parquet")
	writeParquetPart(t, one, rows)
	src, err := inputs.LocalFile(one)
	if err != nil {
		t.Fatal(err)
	}
	if got := firstChunkEstimate(t, src); got != 20000 {
		t.Errorf("one Parquet file of 20000 rows: estimate %d, want the footer's 20000", got)
	}

	a, b := filepath.Join(dir, "part-0.parquet"), filepath.Join(dir, "part-1.parquet")
	writeParquetPart(t, a, rows[:12000])
	writeParquetPart(t, b, rows[12000:17000])
	pa, err := inputs.LocalFile(a)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := inputs.LocalFile(b)
	if err != nil {
		t.Fatal(err)
	}
	list := inputs.Source{Name: dir, Size: pa.Size + pb.Size, Parts: []inputs.Source{pa, pb}}
	if got := firstChunkEstimate(t, list); got != 17000 {
		t.Errorf("two Parquet parts of 12000 and 5000 rows: estimate %d, want 17000", got)
	}
}

// A gzip-compressed input's estimate accounts for the compression: its
// size over the first chunk's decompressed bytes per record alone comes
// out several times too small, and the dedup set then grows on the heap.
func TestExpectRowsGzipWithinFactor(t *testing.T) {
	const rows = 60000
	path := filepath.Join(t.TempDir(), "customers.jsonl.gz")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	if _, err := sampledata.WriteJSONL(zw, sampledata.Options{Rows: rows, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	src, err := inputs.LocalFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := firstChunkEstimate(t, src)
	if got < rows*2/3 || got > rows*3/2 {
		t.Errorf("gzip JSONL of %d rows: estimate %d, want within a factor of 1.5", rows, got)
	}
	t.Logf("gzip JSONL of %d rows: estimate %d", rows, got)
}
