package storage

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/records"
	"github.com/audience-uploader/audience-uploader/backend/storage/s3test"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// objectGets is an S3 front that counts the GETs of each object (listings,
// which name no key, are not counted) on their way to versitygw.
type objectGets struct {
	mu   sync.Mutex
	gets map[string]int
}

func countObjectGets(t *testing.T, target string) (*objectGets, string) {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	c := &objectGets{gets: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/"); key != "" && r.Method == http.MethodGet {
			c.mu.Lock()
			c.gets[key]++
			c.mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return c, srv.URL
}

func (c *objectGets) reset() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	got := c.gets
	c.gets = map[string]int{}
	return got
}

// TestDiscoverOpensOnlySampledParts: discovery on a 64-part prefix reads
// the parts it samples (at most 8), not all 64; the transform still checks
// every part before any work. For Parquet it also reads the footers of the
// parts it does not sample, so the row count stays exact.
func TestDiscoverOpensOnlySampledParts(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "results")
	var csvParts [][]byte
	for p := 0; p < 64; p++ {
		var b strings.Builder
		b.WriteString("id,email,phone\n")
		for i := p * 50; i < (p+1)*50; i++ {
			fmt.Fprintf(&b, "%d,person%d@example.com,+1 415 555 %04d\n", i, i, i)
		}
		csvParts = append(csvParts, s3test.Gzipped(t, b.String()))
	}
	srv.PutFolder(t, "results", "csv/", s3test.SparkFolder(t, csvParts, "csv.gz"))
	pq := [][]byte{}
	for range 16 {
		pq = append(pq, fixture(t, "list_snappy.parquet"))
	}
	srv.PutFolder(t, "results", "parquet/", s3test.SparkFolder(t, pq, "snappy.parquet"))

	gets, front := countObjectGets(t, srv.Endpoint)
	c := newClient(srv, Options{Endpoint: front})
	ctx := context.Background()

	src, err := c.Source(ctx, "s3://results/csv/")
	if err != nil {
		t.Fatal(err)
	}
	gets.reset()
	schema, err := transform.Discover(ctx, src, records.FormatAuto, records.HeaderAuto, 1000, "US")
	if err != nil {
		t.Fatal(err)
	}
	if schema.Format != records.FormatCSV || len(schema.Fields) != 3 || schema.Records == 0 {
		t.Fatalf("schema: format %s, %d fields, %d records", schema.Format, len(schema.Fields), schema.Records)
	}
	if got := gets.reset(); len(got) > 8 {
		t.Errorf("discovery of 64 gzip CSV parts read %d of them, want the 8 it samples at most", len(got))
	}

	src, err = c.Source(ctx, "s3://results/parquet/")
	if err != nil {
		t.Fatal(err)
	}
	one, err := transform.Discover(ctx, inputs.Source{Name: src.Parts[0].Name, Size: src.Parts[0].Size, Open: src.Parts[0].Open},
		records.FormatAuto, records.HeaderAuto, 1000, "US")
	if err != nil || one.Rows == nil {
		t.Fatalf("one part: rows %v, err %v", one.Rows, err)
	}
	gets.reset()
	schema, err = transform.Discover(ctx, src, records.FormatAuto, records.HeaderAuto, 1000, "US")
	if err != nil {
		t.Fatal(err)
	}
	if schema.Rows == nil || *schema.Rows != 16**one.Rows {
		t.Errorf("16 Parquet parts of %d rows: discovery says %v rows", *one.Rows, schema.Rows)
	}
	t.Logf("Parquet: %d objects read", len(gets.reset()))
}
