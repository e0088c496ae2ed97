package tiktok_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin/standintest"
)

// TestUploadSendsContentLength: against a gateway that answers 411 to
// chunked request bodies, upload, create and get all go through, so every
// request carries its length (and the stand-in's HTTP server checks the
// body matches it).
func TestUploadSendsContentLength(t *testing.T) {
	s := standin.New(standin.Options{RejectChunked: true})
	c := newClient(t, standintest.Start(t, s), s.Token(), nil, func(c *tiktok.Config) { c.MaxAttempts = 1 })
	ctx := context.Background()
	dir := t.TempDir()
	var paths []string
	for _, name := range []string{"a.csv", "b.txt"} {
		p, sum := writeHashFile(t, dir, name, name, 1200)
		fp, err := c.UploadFile(ctx, tiktok.UploadRequest{AdvertiserID: s.Advertiser(), CalculateType: tiktok.EmailSHA256, Path: p, MD5: sum})
		if err != nil {
			t.Fatalf("upload %s: %v", name, err)
		}
		paths = append(paths, fp)
	}
	id, err := c.CreateAudience(ctx, tiktok.CreateRequest{AdvertiserID: s.Advertiser(), Name: "length", FilePaths: paths, CalculateType: tiktok.EmailSHA256})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	d, err := c.GetAudience(ctx, s.Advertiser(), id, 5)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	// get names the kind "type" (TikTok's SDK definition), list "audience_type".
	if d.Audience.AudienceType != "Customer File" {
		t.Fatalf("get's type read as %q, want %q", d.Audience.AudienceType, "Customer File")
	}
	list, err := c.ListAudiences(ctx, s.Advertiser())
	if err != nil || len(list) != 1 || list[0].AudienceType != "Customer File" {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if st := s.Stats(); st.Uploads != 2 {
		t.Fatalf("stand-in accepted %d uploads, want 2", st.Uploads)
	}
}

// smallSendBuffer makes the client's kernel buffer little of the body, so
// the bytes the transport takes follow the bytes the server reads (as they
// do on a real slow link, where the buffers are small next to a 250 MB part).
func smallSendBuffer() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetWriteBuffer(32 << 10)
		}
		return conn, err
	}
	return &http.Client{Transport: tr}
}

func uploadReq(s *standin.Server, p, sum string) tiktok.UploadRequest {
	return tiktok.UploadRequest{AdvertiserID: s.Advertiser(), CalculateType: tiktok.EmailSHA256, Path: p, MD5: sum}
}

// TestSlowUploadSucceedsWhileProgressing: a part that takes longer than
// the stall timeout (and longer than the retry time budget) but keeps
// moving is not cut off.
func TestSlowUploadSucceedsWhileProgressing(t *testing.T) {
	s := standin.New(standin.Options{UploadReadRate: 1 << 20})
	c := newClient(t, standintest.Start(t, s), s.Token(), nil, func(c *tiktok.Config) {
		c.HTTPClient = smallSendBuffer()
		c.UploadStallTimeout = time.Second
		c.MaxRetryTime = time.Second
		c.MaxAttempts = 1
	})
	p, sum := writeHashFile(t, t.TempDir(), "slow.csv", "slow", 40000) // 2.6 MB: 2.6 s at 1 MB/s
	if _, err := c.UploadFile(context.Background(), uploadReq(s, p, sum)); err != nil {
		t.Fatalf("slow upload: %v", err)
	}
	if st := s.Stats(); st.Uploads != 1 {
		t.Fatalf("%d uploads accepted, want 1", st.Uploads)
	}
}

// TestStalledUploadRetried: a server that stops reading the body (or
// stops before answering) ends the attempt after the stall timeout; the
// upload is retried and lands once, even though the failed attempt (which
// made progress for a while) took longer than the retry time budget.
func TestStalledUploadRetried(t *testing.T) {
	p, sum := writeHashFile(t, t.TempDir(), "part.csv", "part", 20000) // 1.3 MB
	tests := []struct {
		name       string
		readRate   int64
		stallAfter int64
		why        string
	}{
		// 0.7 s of progress, then none: the attempt outlives MaxRetryTime.
		{"body stops being read", 1 << 20, 700 << 10, "took no byte of the request"},
		{"no answer after the whole body", 0, 64 << 20, "did not answer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := standin.New(standin.Options{UploadReadRate: tc.readRate, StallUploads: 1, StallAfterBytes: tc.stallAfter, StallFor: 30 * time.Second})
			log := &logSink{}
			c := newClient(t, standintest.Start(t, s), s.Token(), log, func(c *tiktok.Config) {
				c.HTTPClient = smallSendBuffer()
				c.UploadStallTimeout = 500 * time.Millisecond
				c.UploadAnswerTimeout = 500 * time.Millisecond
				c.MaxRetryTime = 500 * time.Millisecond
			})
			if _, err := c.UploadFile(context.Background(), uploadReq(s, p, sum)); err != nil {
				t.Fatalf("upload: %v", err)
			}
			var attempts, stalls int
			for _, e := range log.all() {
				if e.RetryIn > 0 {
					continue
				}
				attempts++
				if strings.Contains(e.Err, tc.why) {
					stalls++
				}
			}
			if attempts != 2 || stalls != 1 {
				t.Fatalf("%d attempts, %d stalled with %q; want 2 and 1: %+v", attempts, stalls, tc.why, log.all())
			}
			if st := s.Stats(); st.Uploads != 1 || st.Requests != 2 {
				t.Fatalf("stand-in: %d uploads accepted of %d requests, want 1 of 2", st.Uploads, st.Requests)
			}
		})
	}
}

// TestStalledUploadRetriesCounted: a server that always stalls gets exactly
// MaxAttempts attempts, then an error saying so.
func TestStalledUploadRetriesCounted(t *testing.T) {
	s := standin.New(standin.Options{StallUploads: 100, StallAfterBytes: 0, StallFor: 30 * time.Second})
	c := newClient(t, standintest.Start(t, s), s.Token(), nil, func(c *tiktok.Config) {
		c.HTTPClient = smallSendBuffer()
		c.UploadStallTimeout = 200 * time.Millisecond
		c.UploadAnswerTimeout = 200 * time.Millisecond
		c.MaxAttempts = 3
	})
	p, sum := writeHashFile(t, t.TempDir(), "part.csv", "part", 20000)
	_, err := c.UploadFile(context.Background(), uploadReq(s, p, sum))
	if !errors.Is(err, tiktok.ErrRetriesExhausted) || !errors.Is(err, tiktok.ErrStalled) {
		t.Fatalf("err = %v, want ErrRetriesExhausted wrapping ErrStalled", err)
	}
	if !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("err does not count the attempts: %v", err)
	}
	if n := s.Stats().Requests; n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
}
