package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/records"
	"github.com/audience-uploader/audience-uploader/backend/storage/s3test"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// csvParts splits 3000 customers (some repeated across parts, one malformed
// row in the second part) into three gzip CSV parts, each with its header.
func csvParts(t testing.TB) [][]byte {
	var parts [][]byte
	for p := 0; p < 3; p++ {
		var b strings.Builder
		b.WriteString("id,email,phone\n")
		for i := p * 1000; i < (p+1)*1000; i++ {
			fmt.Fprintf(&b, "%d,person%d@example.com,+1 415 555 %04d\n", i, i%2500, i%2500)
			if p == 1 && i == 1500 {
				b.WriteString("\"broken,row\n")
			}
		}
		parts = append(parts, s3test.Gzipped(t, b.String()))
	}
	return parts
}

func fixture(t testing.TB, name string) []byte {
	data, err := os.ReadFile(filepath.Join("..", "records", "testdata", "binary", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestCleanRoomsPrefixEqualsLocalFolder reads a Spark/Clean Rooms-style
// prefix on S3 (part files, _SUCCESS, .crc, empty parts) as one list, in
// Parquet and in gzip CSV, and checks the output is byte for byte what the
// same files give as a local folder (one worker: parts are read in name
// order, so the output is deterministic), that duplicates across parts are
// removed and that a malformed row is named by its part and line.
func TestCleanRoomsPrefixEqualsLocalFolder(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "results")
	c := newClient(srv, Options{})
	cases := []struct {
		name, ext string
		files     map[string][]byte
		maps      []string
		rows      int64
	}{
		{"csv.gz", "csv.gz", s3test.SparkFolder(t, csvParts(t), "csv.gz"), []string{"email=email", "phone=phone"}, 3000},
		// DuckDB's fixtures, each as a part: the same rows twice, so every row of the second is a duplicate.
		{"parquet", "snappy.parquet", s3test.SparkFolder(t, [][]byte{fixture(t, "list_snappy.parquet"), fixture(t, "list_zstd.parquet")}, "snappy.parquet"),
			[]string{"email=email", "phone=phone", "maid=gaid"}, 9000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prefix := "clean-rooms/results/q-" + tc.name + "/"
			srv.PutFolder(t, "results", prefix, tc.files)
			remote, err := c.Source(context.Background(), "s3://results/"+prefix)
			if err != nil {
				t.Fatal(err)
			}
			if len(remote.Parts) != countData(tc.files) {
				t.Fatalf("%d parts, want %d: %v", len(remote.Parts), countData(tc.files), partNames(remote))
			}
			dir := filepath.Join(t.TempDir(), "q-"+tc.name)
			s3test.WriteFolder(t, dir, tc.files)
			local, err := inputs.Local(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(local.Parts) != len(remote.Parts) || local.Size != remote.Size {
				t.Fatalf("local: %d parts, %d bytes; remote: %d parts, %d bytes", len(local.Parts), local.Size, len(remote.Parts), remote.Size)
			}

			schema, err := transform.Discover(context.Background(), remote, records.FormatAuto, records.HeaderAuto, 1000, "US")
			if err != nil {
				t.Fatal(err)
			}
			if tc.ext == "snappy.parquet" && (schema.Rows == nil || *schema.Rows != tc.rows) {
				t.Fatalf("discovery states %v rows, want the footers' sum %d", schema.Rows, tc.rows)
			}

			mr := s3test.RunParts(t, remote, tc.maps...)
			ml := s3test.RunParts(t, local, tc.maps...)
			if s3test.FileHashes(mr) != s3test.FileHashes(ml) || len(mr.Files) == 0 {
				t.Fatalf("S3 prefix output:\n%s\nlocal folder output:\n%s", s3test.FileHashes(mr), s3test.FileHashes(ml))
			}
			if mr.Counters.RowsRead != tc.rows {
				t.Fatalf("read %d rows, want %d", mr.Counters.RowsRead, tc.rows)
			}
			switch tc.ext {
			case "csv.gz":
				// person0..2499 each twice (ids 0..499 and 2500..2999 share them): 500 duplicate rows.
				if mr.Counters.DuplicateRows != 500 || mr.Counters.RowsWritten != 2500 {
					t.Fatalf("duplicates %d, written %d; want 500 and 2500", mr.Counters.DuplicateRows, mr.Counters.RowsWritten)
				}
				if mr.Counters.Malformed != 1 || len(mr.Counters.MalformedErrors) != 1 {
					t.Fatalf("malformed: %d %v", mr.Counters.Malformed, mr.Counters.MalformedErrors)
				}
				e := mr.Counters.MalformedErrors[0]
				want := "s3://results/" + prefix + s3test.SparkName(1, "csv.gz")
				if e.File != want || e.Line != 503 {
					t.Fatalf("malformed row reported as %s:%d, want %s:503", e.File, e.Line, want)
				}
			case "snappy.parquet":
				if mr.Counters.RowsWritten != 4500 || mr.Counters.DuplicateRows != 4500 {
					t.Fatalf("written %d, duplicates %d; want 4500 each (the second part repeats the first)", mr.Counters.RowsWritten, mr.Counters.DuplicateRows)
				}
			}
		})
	}
}

func countData(files map[string][]byte) int {
	n := 0
	for name, data := range files {
		if !inputs.Skip(name) && len(data) > 0 {
			n++
		}
	}
	return n
}

func partNames(s inputs.Source) []string {
	var out []string
	for _, p := range s.Parts {
		out = append(out, p.Name)
	}
	return out
}

// wideParquet writes a Parquet file of 12 columns of random text (so they do
// not compress): one column is a small part of the whole.
func wideParquet(t testing.TB, rows int) []byte {
	type row struct {
		Email string `parquet:"email"`
		C1    string `parquet:"c1"`
		C2    string `parquet:"c2"`
		C3    string `parquet:"c3"`
		C4    string `parquet:"c4"`
		C5    string `parquet:"c5"`
		C6    string `parquet:"c6"`
		C7    string `parquet:"c7"`
		C8    string `parquet:"c8"`
		C9    string `parquet:"c9"`
		C10   string `parquet:"c10"`
		C11   string `parquet:"c11"`
	}
	random := func() string {
		var b [12]byte
		rand.Read(b[:])
		return hex.EncodeToString(b[:])
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf, parquet.Compression(&parquet.Snappy), parquet.MaxRowsPerRowGroup(20000))
	batch := make([]row, 0, 1000)
	for i := 0; i < rows; i++ {
		batch = append(batch, row{fmt.Sprintf("user%d@example.com", i), random(), random(), random(), random(), random(),
			random(), random(), random(), random(), random(), random()})
		if len(batch) == cap(batch) {
			if _, err := w.Write(batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if _, err := w.Write(batch); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestParquetOnS3FetchesOnlyTheMappedColumns transforms one column of a
// 12-column Parquet object through ranged GETs and counts the bytes that
// came from versitygw: the footer and that column's chunks, not the object.
func TestParquetOnS3FetchesOnlyTheMappedColumns(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "wide")
	data := wideParquet(t, 60000)
	srv.Put(t, "wide", "wide.parquet", data)
	c := newClient(srv, Options{})
	src, err := c.Source(context.Background(), "s3://wide/wide.parquet")
	if err != nil {
		t.Fatal(err)
	}
	schema, err := transform.Discover(context.Background(), src, records.FormatAuto, records.HeaderAuto, 100, "US")
	if err != nil {
		t.Fatal(err)
	}
	if schema.Format != records.FormatParquet || schema.Rows == nil || *schema.Rows != 60000 || len(schema.Fields) != 12 {
		t.Fatalf("schema: %s, rows %v, %d fields", schema.Format, schema.Rows, len(schema.Fields))
	}
	before := c.BytesFetched()
	m := s3test.RunParts(t, src, "email=email")
	fetched := c.BytesFetched() - before
	if m.Counters.RowsWritten != 60000 {
		t.Fatalf("wrote %d rows, want 60000", m.Counters.RowsWritten)
	}
	// The email column is about 1/25 of the file; allow the first chunk's
	// sniff, the footer and block rounding, but never most of the object.
	if fetched == 0 || fetched > int64(len(data))/4 {
		t.Fatalf("the transform fetched %d bytes of a %d-byte object for 1 of 12 columns", fetched, len(data))
	}
	t.Logf("fetched %d of %d bytes", fetched, len(data))
}
