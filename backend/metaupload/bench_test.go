package metaupload

import (
	"bufio"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/meta"
	"github.com/audience-uploader/audience-uploader/backend/meta/standin"
)

// BenchmarkMetaUpload measures rows a second through the uploader (journal
// writes, JSON batches of 10,000, HTTP) into the stand-in at its default
// rate limit (Standard access: 5000 + 40 × audiences calls an hour) on the
// real clock. 200,000 rows are 20 requests, well inside the hour's calls,
// so this is the client's and stand-in's own speed; over an hour the limit
// caps a sustained upload near 5,000 × 10,000 rows (see docs/meta-api.md).
// The #803 a fresh audience answers is switched off: its one-second retry
// would be most of a short run.
func BenchmarkMetaUpload(b *testing.B) { benchUpload(b, 0) }

// BenchmarkMetaUploadAtDefaultCeiling is BenchmarkMetaUpload with the
// ceiling of requests per second the app and the command line use
// (meta.DefaultQPS, --qps): what it costs a short upload.
func BenchmarkMetaUploadAtDefaultCeiling(b *testing.B) { benchUpload(b, meta.DefaultQPS) }

func benchUpload(b *testing.B, qps float64) {
	const rows = 200_000
	dir := b.TempDir()
	path := filepath.Join(dir, "rows")
	f, _ := os.Create(path)
	w := bufio.NewWriter(f)
	norm, _ := identifiers.NewMetaNormalizer("US")
	for i := range rows {
		r := norm.Normalize(identifiers.MetaEmail, fmt.Appendf(nil, "person%d@example.com", i))
		w.Write(identifiers.AppendMetaCell(nil, identifiers.MetaEmail, r))
		w.WriteByte('\n')
	}
	w.Flush()
	f.Close()
	b.SetBytes(rows * 65)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		srv := standin.New(standin.Options{FreshAudienceMisses: -1})
		ts := httptest.NewServer(srv)
		c, err := meta.New(meta.Options{BaseURL: ts.URL + "/v25.0/", Token: srv.Token(), AdAccount: srv.AdAccount(), QPS: qps})
		if err != nil {
			b.Fatal(err)
		}
		st, err := OpenStore(filepath.Join(dir, fmt.Sprintf("j%d.db", i)))
		if err != nil {
			b.Fatal(err)
		}
		u, _ := New(Config{Store: st, Client: c})
		b.StartTimer()
		res, err := u.Run(context.Background(), Job{ID: "bench", AudienceName: "Bench", Action: Add, Schema: []string{"EMAIL_SHA256"}, RowsPath: path})
		b.StopTimer()
		if err != nil || res.Rows != rows || srv.Stats().RateLimited != 0 {
			b.Fatalf("%+v %v %+v", res, err, srv.Stats())
		}
		st.Close()
		ts.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// hybridClock runs at real speed but skips waits: Sleep moves it on, so a
// back-off of an hour costs no real time.
type hybridClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *hybridClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *hybridClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
	return ctx.Err()
}

// BenchmarkMetaUploadAtRateLimit runs an upload long enough to exhaust the
// default limit (5000 + 40 calls an hour for one audience) on a clock
// that skips the back-offs, and reports requests per hour of that clock:
// the sustained rate the limit allows. Batches are 100 rows so the run
// stays short; rows per hour at 10,000 rows a request is the reported
// rate times 10,000 (rows_per_hour_at_10k).
func BenchmarkMetaUploadAtRateLimit(b *testing.B) {
	const batches, batchRows = 12_000, 100
	dir := b.TempDir()
	path := filepath.Join(dir, "rows")
	f, _ := os.Create(path)
	w := bufio.NewWriter(f)
	for i := range batches * batchRows {
		fmt.Fprintf(w, "%064x\n", i+1)
	}
	w.Flush()
	f.Close()
	for i := range b.N {
		clock := &hybridClock{}
		srv := standin.New(standin.Options{FreshAudienceMisses: -1, Now: clock.Now})
		ts := httptest.NewServer(srv)
		c, _ := meta.New(meta.Options{BaseURL: ts.URL + "/v25.0/", Token: srv.Token(), AdAccount: srv.AdAccount(), Now: clock.Now, Sleep: clock.Sleep})
		st, _ := OpenStore(filepath.Join(dir, fmt.Sprintf("r%d.db", i)))
		u, _ := New(Config{Store: st, Client: c, Now: clock.Now, Sleep: clock.Sleep})
		start := clock.Now()
		res, err := u.Run(context.Background(), Job{ID: "limit", AudienceName: "Limit", Action: Add, Schema: []string{"EMAIL_SHA256"}, RowsPath: path, BatchRows: batchRows})
		hours := clock.Now().Sub(start).Hours()
		if err != nil || res.Rows != batches*batchRows || srv.Stats().RateLimited == 0 {
			b.Fatalf("%+v %v %+v", res, err, srv.Stats())
		}
		perHour := float64(srv.Stats().Requests) / hours
		b.ReportMetric(perHour, "requests/h")
		b.ReportMetric(perHour*meta.MaxRowsPerRequest, "rows_per_hour_at_10k")
		b.ReportMetric(float64(srv.Stats().RateLimited), "refused_80003")
		st.Close()
		ts.Close()
	}
}
