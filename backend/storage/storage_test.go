package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/storage/s3test"
)

func newClient(srv *s3test.Server, opts Options) *Client {
	if opts.Endpoint == "" {
		opts.Endpoint = srv.Endpoint
	}
	return New(srv.Config(), opts)
}

func keys(p *Page) []string {
	var out []string
	for _, e := range p.Entries {
		out = append(out, e.Key)
	}
	return out
}

func TestListFolders(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "data")
	for _, k := range []string{"a.csv", "b.jsonl", "lists/x.csv", "lists/2024/y.csv", "lists/2024/z.csv", "empty/"} {
		body := []byte("email\n" + k + "\n")
		if strings.HasSuffix(k, "/") {
			body = nil // a folder marker, as the S3 console makes
		}
		srv.Put(t, "data", k, body)
	}
	c := newClient(srv, Options{})
	ctx := context.Background()
	for _, tc := range []struct{ prefix, want string }{
		{"", "empty/ lists/ a.csv b.jsonl"},
		{"lists/", "lists/2024/ lists/x.csv"},
		{"lists/2024/", "lists/2024/y.csv lists/2024/z.csv"},
		{"empty/", ""},
	} {
		p, err := c.List(ctx, "data", tc.prefix, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(keys(p), " "); got != tc.want {
			t.Errorf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
		for _, e := range p.Entries {
			if !e.Folder && (e.Size != int64(len("email\n"+e.Key+"\n")) || e.LastModified.IsZero()) {
				t.Errorf("%s: size %d, date %v", e.Key, e.Size, e.LastModified)
			}
			if e.Folder && (!strings.HasSuffix(e.Name, "/") || strings.Contains(strings.TrimSuffix(e.Name, "/"), "/")) {
				t.Errorf("folder display name %q", e.Name)
			}
		}
	}
	_, err := c.List(ctx, "no-such-bucket", "", "", 0)
	if err == nil || !strings.Contains(err.Error(), "bucket does not exist") {
		t.Fatalf("missing bucket: %v", err)
	}
	_, err = c.Stat(ctx, "data", "missing.csv")
	if err == nil || !strings.Contains(err.Error(), "no such object") {
		t.Fatalf("missing object: %v", err)
	}
}

func TestListPagesThrough1500Objects(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "big")
	const n = 1550
	for i := 0; i < n; i++ {
		srv.PutFile(t, "big", fmt.Sprintf("many/file-%05d.csv", i), []byte("x"))
	}
	c := newClient(srv, Options{})
	for _, pageSize := range []int{0, 400} {
		t.Run(fmt.Sprint("page size ", pageSize), func(t *testing.T) {
			seen := map[string]bool{}
			token, pages := "", 0
			for {
				p, err := c.List(context.Background(), "big", "many/", token, pageSize)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for _, k := range keys(p) {
					if seen[k] {
						t.Fatalf("%s listed twice", k)
					}
					seen[k] = true
				}
				if token = p.NextToken; token == "" {
					break
				}
			}
			size := pageSize
			if size == 0 {
				size = DefaultPageSize
			}
			if len(seen) != n || pages != (n+size-1)/size {
				t.Fatalf("saw %d objects in %d pages, want %d in %d", len(seen), pages, n, (n+size-1)/size)
			}
		})
	}
}

func TestSearch(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "search")
	old := time.Date(2023, 1, 15, 0, 0, 0, 0, time.UTC)
	files := []struct {
		key  string
		size int
		date time.Time
	}{
		{"Customers-2023.csv", 100, old},
		{"customers-2024.csv", 5000, time.Time{}},
		{"orders.csv", 100, time.Time{}},
		{"archive/customers-2019.csv", 100, old},
	}
	for _, f := range files {
		srv.PutFile(t, "search", f.key, bytes.Repeat([]byte("a"), f.size))
		if !f.date.IsZero() {
			if err := os.Chtimes(filepath.Join(srv.Root, "search", f.key), f.date, f.date); err != nil {
				t.Fatal(err)
			}
		}
	}
	c := newClient(srv, Options{})
	cut := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		q    Query
		want string
	}{
		{"name prefix, any case", Query{NamePrefix: "CUSTOMERS"}, "Customers-2023.csv customers-2024.csv"},
		{"recursive", Query{NamePrefix: "customers", Recursive: true}, "Customers-2023.csv archive/customers-2019.csv customers-2024.csv"},
		{"min size", Query{MinSize: 1000}, "customers-2024.csv"},
		{"max size", Query{MaxSize: 1000, NamePrefix: "c"}, "Customers-2023.csv"},
		{"modified before", Query{ModifiedBefore: cut, Recursive: true}, "Customers-2023.csv archive/customers-2019.csv"},
		{"modified after", Query{ModifiedAfter: cut}, "customers-2024.csv orders.csv"},
		{"folder by name", Query{NamePrefix: "arch"}, "archive/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := c.Search(context.Background(), "search", tc.q, "")
			if err != nil {
				t.Fatal(err)
			}
			got := keys(p)
			sort.Strings(got)
			if strings.Join(got, " ") != tc.want || p.NextToken != "" {
				t.Fatalf("got %q (next %q), want %q", strings.Join(got, " "), p.NextToken, tc.want)
			}
		})
	}
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRangedReadAhead(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "reads")
	data := randomBytes(t, 5<<20+123)
	srv.Put(t, "reads", "blob.bin", data)
	opts := Options{ChunkSize: 1 << 20, FirstChunk: 64 << 10, ReadAhead: 3}
	c := newClient(srv, opts)
	ctx := context.Background()

	t.Run("whole object", func(t *testing.T) {
		r, err := c.Open(ctx, "reads", "blob.bin")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read %d bytes, err %v; equal %v", len(got), err, bytes.Equal(got, data))
		}
		if r.BytesFetched() != int64(len(data)) {
			t.Fatalf("fetched %d bytes for a %d-byte object", r.BytesFetched(), len(data))
		}
	})
	t.Run("only the start", func(t *testing.T) {
		r, err := c.Open(ctx, "reads", "blob.bin")
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1000)
		if _, err := io.ReadFull(r, buf); err != nil || !bytes.Equal(buf, data[:1000]) {
			t.Fatalf("first bytes: %v", err)
		}
		r.Close()
		// At most the first ReadAhead+1 chunks (64+128+256+512 KiB), never the object.
		if max := int64(960 << 10); r.BytesFetched() > max {
			t.Fatalf("fetched %d bytes to read 1000; want at most %d", r.BytesFetched(), max)
		}
	})
	t.Run("head only", func(t *testing.T) {
		obj, err := c.Stat(ctx, "reads", "blob.bin")
		if err != nil {
			t.Fatal(err)
		}
		head, err := c.ReadHead(ctx, *obj, 100<<10)
		if err != nil || !bytes.Equal(head, data[:100<<10]) {
			t.Fatalf("head: %d bytes, %v", len(head), err)
		}
		whole, err := c.ReadHead(ctx, *obj, int64(len(data))+1000)
		if err != nil || !bytes.Equal(whole, data) {
			t.Fatalf("head of more than the object: %d bytes, %v", len(whole), err)
		}
	})
	t.Run("from an offset", func(t *testing.T) {
		obj, err := c.Stat(ctx, "reads", "blob.bin")
		if err != nil {
			t.Fatal(err)
		}
		r := c.OpenAt(ctx, *obj, 3<<20+7)
		defer r.Close()
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, data[3<<20+7:]) {
			t.Fatalf("tail: %d bytes, %v", len(got), err)
		}
	})
	t.Run("cancel stops", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		r, err := c.Open(cctx, "reads", "blob.bin")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Read(make([]byte, 10)); err != nil {
			t.Fatal(err)
		}
		cancel()
		if _, err := io.ReadAll(r); err == nil {
			t.Fatal("reading after cancel should fail")
		}
		r.Close()
	})
}

// cuttingProxy forwards to S3 but breaks the first `cuts` object bodies
// after `after` bytes, as a flaky network would.
type cuttingProxy struct {
	proxy *httputil.ReverseProxy
	after int
	cuts  atomic.Int32
	done  atomic.Int32
}

func (p *cuttingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Query().Has("list-type") || p.done.Load() >= p.cuts.Load() {
		p.proxy.ServeHTTP(w, r)
		return
	}
	p.done.Add(1)
	p.proxy.ServeHTTP(&cutWriter{ResponseWriter: w, left: p.after}, r)
}

type cutWriter struct {
	http.ResponseWriter
	left int
}

func (w *cutWriter) Write(b []byte) (int, error) {
	if len(b) > w.left {
		n, _ := w.ResponseWriter.Write(b[:w.left])
		w.left -= n
		if f, ok := w.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler) // drop the connection mid-body
	}
	w.left -= len(b)
	return w.ResponseWriter.Write(b)
}

func TestResumeAfterBrokenStream(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "reads")
	data := randomBytes(t, 3<<20)
	srv.Put(t, "reads", "flaky.bin", data)
	target, _ := url.Parse(srv.Endpoint)
	cp := &cuttingProxy{proxy: httputil.NewSingleHostReverseProxy(target), after: 100 << 10}
	cp.proxy.ErrorLog = nil
	proxy := httptest.NewServer(cp)
	defer proxy.Close()
	cp.cuts.Store(4)

	c := newClient(srv, Options{Endpoint: proxy.URL, ChunkSize: 1 << 20, FirstChunk: 512 << 10, ReadAhead: 2})
	r, err := c.Open(context.Background(), "reads", "flaky.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read through a flaky proxy: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("resumed stream differs from the object (%d vs %d bytes)", len(got), len(data))
	}
	if r.Resumptions() < 4 || cp.done.Load() != 4 {
		t.Fatalf("resumptions = %d, cuts = %d; the proxy should have broken 4 streams", r.Resumptions(), cp.done.Load())
	}
	// Resuming fetches only what was missing: at most one cut's worth is re-read.
	if r.BytesFetched() != int64(len(data)) {
		t.Fatalf("fetched %d bytes for %d: a resume re-read data", r.BytesFetched(), len(data))
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct{ in, bucket, key string }{
		{"s3://b/k.csv", "b", "k.csv"},
		{"s3://b/dir/k.csv", "b", "dir/k.csv"},
		{"s3://b", "b", ""},
		{"https://b/k", "", ""},
		{"s3:///k", "", ""},
	} {
		b, k, err := ParseURL(tc.in)
		if (err != nil) != (tc.bucket == "") || b != tc.bucket || k != tc.key {
			t.Errorf("ParseURL(%q) = %q, %q, %v", tc.in, b, k, err)
		}
	}
}
