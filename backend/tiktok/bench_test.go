package tiktok_test

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin/standintest"
)

// BenchmarkRequestRateQPS5: the stand-in allows 5 requests/s; the client's
// default ceiling is 5. Reports the achieved rate as a share of the limit
// and how many requests TikTok would have refused (40100).
func BenchmarkRequestRateQPS5(b *testing.B) {
	s := standin.New(standin.Options{QPS: 5})
	c := newClient(b, standintest.Start(b, s), s.Token(), nil, func(c *tiktok.Config) { c.QPS = 5; c.InitialBackoff = 200 * time.Millisecond })
	const n = 31
	ctx := context.Background()
	// Warm: the first request is free (burst); measure the steady state.
	if _, _, err := c.ListPage(ctx, s.Advertiser(), 1, 10, nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		for j := 0; j < n; j++ {
			if _, _, err := c.ListPage(ctx, s.Advertiser(), 1, 10, nil); err != nil {
				b.Fatal(err)
			}
		}
		el := time.Since(start).Seconds()
		rate := float64(n) / el
		b.ReportMetric(rate, "req/s")
		b.ReportMetric(100*rate/5, "%-of-limit")
	}
	b.ReportMetric(float64(s.Stats().RateLimited), "40100s")
}

// writeBig writes a file of 64-hex lines of about size bytes.
func writeBig(b *testing.B, dir string, size int64) (string, string) {
	b.Helper()
	p := filepath.Join(dir, fmt.Sprintf("big-%d.csv", size))
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	h := md5.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	line := make([]byte, 65)
	line[64] = '\n'
	const hexd = "0123456789abcdef"
	for i := int64(0); i*65 < size; i++ {
		v := uint64(i) * 0x9e3779b97f4a7c15
		for j := 0; j < 64; j++ {
			line[j] = hexd[(v>>(uint(j)%60))&15^uint64(j&15)]
		}
		w.Write(line)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return p, hex.EncodeToString(h.Sum(nil))
}

// peakHeap samples HeapInuse while fn runs.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(stop)
	wg.Wait()
	return peak.Load()
}

// BenchmarkUpload measures loopback upload throughput (client streaming the
// multipart body, stand-in checking every line and the MD5, no QPS limit)
// and the peak heap of the process during one upload, for two file sizes:
// a flat peak means neither side holds the file in memory.
func BenchmarkUpload(b *testing.B) {
	s := standin.New(standin.Options{NoRecord: true})
	c := newClient(b, standintest.Start(b, s), s.Token(), nil)
	dir := b.TempDir()
	for _, size := range []int64{16 << 20, 200 << 20} {
		p, sum := writeBig(b, dir, size)
		st, _ := os.Stat(p)
		b.Run(fmt.Sprintf("%dMB", size>>20), func(b *testing.B) {
			b.SetBytes(st.Size())
			var peak uint64
			for i := 0; i < b.N; i++ {
				pk := peakHeap(func() {
					if _, err := c.UploadFile(context.Background(), tiktok.UploadRequest{AdvertiserID: s.Advertiser(), CalculateType: tiktok.EmailSHA256, Path: p, MD5: sum}); err != nil {
						b.Fatal(err)
					}
				})
				peak = max(peak, pk)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}
