package records

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/xuri/excelize/v2"
)

// benchPerson is the Parquet benchmark's row: 4 identifier columns and 6 others, as the benchmark.
type benchPerson struct {
	CustomerID int64   `parquet:"customer_id"`
	Email      string  `parquet:"email,dict"`
	Phone      int64   `parquet:"phone"`
	IDFA       string  `parquet:"idfa"`
	GAID       string  `parquet:"gaid,optional"`
	FirstName  string  `parquet:"first_name,dict"`
	LastName   string  `parquet:"last_name"`
	City       string  `parquet:"city,dict"`
	Spend      float64 `parquet:"spend"`
	SignupDate string  `parquet:"signup_date"`
}

const benchBinaryRows = 200_000

var benchParquetOnce = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[benchPerson](&buf, parquet.Compression(&parquet.Snappy), parquet.MaxRowsPerRowGroup(64<<10))
	rows := make([]benchPerson, 0, 4096)
	for i := range benchBinaryRows {
		rows = append(rows, benchPerson{
			CustomerID: 1_000_000 + int64(i),
			Email:      fmt.Sprintf("firstname.lastname%07d@example-mail.com", i),
			Phone:      16135550000 + int64(i%10000),
			IDFA:       fmt.Sprintf("%08X-D195-4A8B-AF47-44683FE11DB9", i),
			GAID:       fmt.Sprintf("%08x-9c4d-4e7f-b8e2-17d3a1e69b25", i),
			FirstName:  "Alexandria", LastName: fmt.Sprintf("Catherine%d", i%977), City: "Ottawa",
			Spend: float64(i) * 1.25, SignupDate: fmt.Sprintf("2024-03-%02dT10:11:12Z", i%28+1),
		})
		if len(rows) == cap(rows) || i == benchBinaryRows-1 {
			if _, err := w.Write(rows); err != nil {
				panic(err)
			}
			rows = rows[:0]
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
})

var benchXLSXOnce = sync.OnceValue(func() []byte {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		panic(err)
	}
	sw.SetRow("A1", []any{"customer_id", "email", "phone", "idfa", "first_name", "signup_date"})
	for i := range benchBinaryRows / 4 {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		sw.SetRow(cell, []any{1_000_000 + i, fmt.Sprintf("firstname.lastname%07d@example-mail.com", i), 16135550000 + i%10000,
			fmt.Sprintf("%08X-D195-4A8B-AF47-44683FE11DB9", i), "Alexandria", 45292 + i%365})
	}
	if err := sw.Flush(); err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		panic(err)
	}
	return buf.Bytes()
})

// benchTable reads every row of data and extracts fields, as a transform's reader and one worker would.
func benchTable(b *testing.B, data []byte, rows int, fields ...string) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var c Chunk
	vals := make([]Value, len(fields))
	cpu := startCPU(b)
	defer cpu.report(b, int64(len(data)))
	for b.Loop() {
		r, err := openBytes(data, Options{Name: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		ex, err := r.NewExtractor(fields)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			err := r.NextChunk(&c, 4096)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			for _, sp := range c.Records {
				if err := ex.Extract(c.Data[sp.Start:sp.End], sp.Line, vals); err != nil {
					b.Fatal(err)
				}
			}
			n += len(c.Records)
		}
		r.Close()
		if n != rows {
			b.Fatalf("%d rows", n)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// Parquet, snappy, 10 columns: the 2 and the 4 identifier columns mapped (projection), and all 10.
func BenchmarkParquet2Of10Columns(b *testing.B) {
	benchTable(b, benchParquetOnce(), benchBinaryRows, "email", "phone")
}
func BenchmarkParquet4Of10Columns(b *testing.B) {
	benchTable(b, benchParquetOnce(), benchBinaryRows, "email", "phone", "idfa", "gaid")
}
func BenchmarkParquetAll10Columns(b *testing.B) {
	benchTable(b, benchParquetOnce(), benchBinaryRows, "customer_id", "email", "phone", "idfa", "gaid", "first_name", "last_name", "city", "spend", "signup_date")
}

// Excel, shared strings (as Excel writes them), 6 columns, 2 mapped.
func BenchmarkXLSX2Of6Columns(b *testing.B) {
	benchTable(b, benchXLSXOnce(), benchBinaryRows/4, "email", "phone")
}

// BenchmarkParquet2MRowsMemory reads a 2M-row, 16-row-group Parquet file (snappy, 10 columns, 4 mapped)
// from disk, as the transform does, and reports the heap's peak above where it started (sampled every
// 64k rows) while the first row group is read and over the whole file, and the bytes allocated per row
// group: the peak over 16 row groups is that of the first, about one row group's mapped columns, so a
// 10M- or 100M-row file needs no more memory than this one.
func BenchmarkParquet2MRowsMemory(b *testing.B) {
	const rows, perGroup = 2_000_000, 125_000
	path := filepath.Join(b.TempDir(), "big.parquet")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := parquet.NewGenericWriter[benchPerson](f, parquet.Compression(&parquet.Snappy), parquet.MaxRowsPerRowGroup(perGroup))
	batch := make([]benchPerson, 0, 4096)
	for i := range rows {
		batch = append(batch, benchPerson{
			CustomerID: 1_000_000 + int64(i),
			Email:      fmt.Sprintf("firstname.lastname%07d@example-mail.com", i),
			Phone:      16135550000 + int64(i),
			IDFA:       fmt.Sprintf("%08X-D195-4A8B-AF47-44683FE11DB9", i),
			GAID:       fmt.Sprintf("%08x-9c4d-4e7f-b8e2-17d3a1e69b25", i),
			FirstName:  "Alexandria", LastName: fmt.Sprintf("Catherine%d", i%977), City: "Ottawa",
			Spend: float64(i) * 1.25, SignupDate: fmt.Sprintf("2024-03-%02dT10:11:12Z", i%28+1),
		})
		if len(batch) == cap(batch) || i == rows-1 {
			if _, err := w.Write(batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	if f, err = os.Open(path); err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	fields := []string{"email", "phone", "idfa", "gaid"}
	vals := make([]Value, len(fields))
	var c Chunk
	var ms runtime.MemStats
	var peak, peakFirst, allocs, groups uint64
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		base, startAlloc := ms.HeapInuse, ms.TotalAlloc
		r, err := Open(io.NewSectionReader(f, 0, st.Size()), Options{Name: "big.parquet", At: f, Size: st.Size()})
		if err != nil {
			b.Fatal(err)
		}
		ex, err := r.NewExtractor(fields)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			err := r.NextChunk(&c, 4096)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			for _, sp := range c.Records {
				if err := ex.Extract(c.Data[sp.Start:sp.End], sp.Line, vals); err != nil {
					b.Fatal(err)
				}
			}
			n += len(c.Records)
			if n%(64<<10) < 4096 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse-min(base, ms.HeapInuse))
				if n <= perGroup {
					peakFirst = peak
				}
			}
		}
		groups = uint64(len(r.tab.(*parquetTable).file.RowGroups()))
		r.Close()
		runtime.ReadMemStats(&ms)
		allocs = ms.TotalAlloc - startAlloc
		if n != rows {
			b.Fatalf("%d rows", n)
		}
	}
	b.ReportMetric(float64(st.Size())/(1<<20), "file-MiB")
	b.ReportMetric(float64(groups), "row-groups")
	b.ReportMetric(float64(peakFirst)/(1<<20), "peak-heap-1st-group-MiB")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(allocs)/float64(groups)/(1<<20), "alloc-MiB/row-group")
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
