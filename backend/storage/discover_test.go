package storage

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/records"
	"github.com/audience-uploader/audience-uploader/backend/storage/s3test"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// bigSparseObject puts a CSV of `rows` rows at the start of a sparse file of
// `size` bytes in the S3 server's backend: a 10 GB object that costs no disk.
func bigSparseObject(t testing.TB, srv *s3test.Server, bucket, key string, rows int, size int64) {
	t.Helper()
	var b strings.Builder
	b.WriteString("customer_id,email,phone,signup\n")
	for i := 0; i < rows; i++ {
		fmt.Fprintf(&b, "%d,user%d@example.com,+1 415 555 %04d,2024-01-%02d\n", i, i, i%10000, i%28+1)
	}
	srv.PutFile(t, bucket, key, []byte(b.String()))
	if err := os.Truncate(filepath.Join(srv.Root, bucket, filepath.FromSlash(key)), size); err != nil {
		t.Fatal(err)
	}
}

// countingSource wraps a Source to report the bytes its readers fetched.
func countingSource(src inputs.Source, fetched *atomic.Int64) inputs.Source {
	open := src.Open
	src.Open = func(ctx context.Context) (io.ReadCloser, error) {
		rc, err := open(ctx)
		if err != nil {
			return nil, err
		}
		return &countingReader{Reader: rc.(*Reader), total: fetched}, nil
	}
	return src
}

type countingReader struct {
	*Reader
	total *atomic.Int64
}

func (c *countingReader) Close() error {
	err := c.Reader.Close()
	c.total.Add(c.BytesFetched())
	return err
}

// TestDiscoverReadsOnlyARange runs schema discovery on a 10 GB object and
// checks it fetched a few megabytes, not the object.
func TestDiscoverReadsOnlyARange(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "big")
	bigSparseObject(t, srv, "big", "huge.csv", 20000, 10<<30)
	c := newClient(srv, Options{})
	src, err := c.Source(context.Background(), "s3://big/huge.csv")
	if err != nil {
		t.Fatal(err)
	}
	if src.Size != 10<<30 || src.Name != "s3://big/huge.csv" {
		t.Fatalf("source %q size %d", src.Name, src.Size)
	}
	var fetched atomic.Int64
	schema, err := transform.Discover(context.Background(), countingSource(src, &fetched), records.FormatAuto, records.HeaderAuto, 1000, "US")
	if err != nil {
		t.Fatal(err)
	}
	if schema.Format != records.FormatCSV || len(schema.Fields) != 4 {
		t.Fatalf("schema: format %s, %d fields", schema.Format, len(schema.Fields))
	}
	if got := fetched.Load(); got == 0 || got > 64<<20 {
		t.Fatalf("discovery fetched %d bytes of a 10 GB object; want a small range", got)
	}
	t.Logf("discovery fetched %d bytes of 10 GiB", fetched.Load())
}

// BenchmarkDiscover10GB: schema discovery of a 10 GB S3 object on loopback.
func BenchmarkDiscover10GB(b *testing.B) {
	srv := s3test.Start(b)
	srv.Bucket(b, "big")
	bigSparseObject(b, srv, "big", "huge.csv", 20000, 10<<30)
	c := newClient(srv, Options{})
	var fetched atomic.Int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		src, err := c.Source(context.Background(), "s3://big/huge.csv")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := transform.Discover(context.Background(), countingSource(src, &fetched), records.FormatAuto, records.HeaderAuto, 1000, "US"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(fetched.Load())/float64(b.N), "bytes-fetched/op")
}

// BenchmarkTransform compares the same transform from a local file and from
// S3 on loopback (the target: S3 within 15% of local).
func BenchmarkTransform(b *testing.B) {
	srv := s3test.Start(b)
	srv.Bucket(b, "data")
	var sb strings.Builder
	sb.WriteString("id,email,phone\n")
	for i := 0; i < 1000000; i++ {
		fmt.Fprintf(&sb, "%d,User%d@Example.com,(415) 555-%04d\n", i, i, i%10000)
	}
	data := []byte(sb.String())
	srv.Put(b, "data", "list.csv", data)
	local := filepath.Join(b.TempDir(), "list.csv")
	if err := os.WriteFile(local, data, 0o600); err != nil {
		b.Fatal(err)
	}
	c := newClient(srv, Options{})
	sources := map[string]func() (inputs.Source, error){
		"local": func() (inputs.Source, error) { return inputs.LocalFile(local) },
		"s3":    func() (inputs.Source, error) { return c.Source(context.Background(), "s3://data/list.csv") },
	}
	for _, name := range []string{"local", "s3"} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				src, err := sources[name]()
				if err != nil {
					b.Fatal(err)
				}
				_, err = transform.Run(context.Background(), transform.Options{
					Source: src, Format: records.FormatCSV, OutDir: filepath.Join(b.TempDir(), "out"),
					Mappings: []transform.Mapping{{Column: "email", TypeName: "email"}, {Column: "phone", TypeName: "phone"}},
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRead is the raw streaming speed of one object on loopback.
func BenchmarkRead(b *testing.B) {
	srv := s3test.Start(b)
	srv.Bucket(b, "data")
	data := make([]byte, 64<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	srv.PutFile(b, "data", "blob.bin", data)
	c := newClient(srv, Options{})
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := c.Open(context.Background(), "data", "blob.bin")
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(data)) {
			b.Fatalf("read %d bytes: %v", n, err)
		}
		r.Close()
	}
}
