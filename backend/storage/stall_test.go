package storage

import (
	"bytes"
	"context"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/storage/s3test"
)

// stallingProxy is a TCP proxy in front of S3 that, when its rule says so,
// stops passing the server's bytes on without closing anything: the
// connection stays open and silent, as a stalled network path does.
type stallingProxy struct {
	target string
	ln     net.Listener
	// stallOnceAfter: the first connection to carry more than this many
	// response bytes stalls there (0: none).
	stallOnceAfter int64
	// stallAllAfter: once all connections together carried this many
	// response bytes, every connection stalls (0: never).
	stallAllAfter int64

	mu      sync.Mutex
	total   int64
	stalls  int
	stalled bool // the one stallOnceAfter stall happened
	conns   []net.Conn
	wg      sync.WaitGroup
}

func startStallingProxy(t *testing.T, target string, mod func(*stallingProxy)) *stallingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallingProxy{target: target, ln: ln}
	mod(p)
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *stallingProxy) endpoint() string { return "http://" + p.ln.Addr().String() }

func (p *stallingProxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()
		clientGone := make(chan struct{})
		p.wg.Add(2)
		go func() { // requests pass through untouched
			defer p.wg.Done()
			io.Copy(server, client)
			close(clientGone)
			client.Close()
			server.Close()
		}()
		go func() {
			defer p.wg.Done()
			p.forward(client, server, clientGone)
		}()
	}
}

// forward passes the server's bytes to the client until the rule says stall;
// then it holds the connection open, silent, until the client gives up.
func (p *stallingProxy) forward(client, server net.Conn, clientGone <-chan struct{}) {
	defer client.Close()
	defer server.Close()
	var carried int64
	buf := make([]byte, 16<<10)
	for {
		n, err := server.Read(buf)
		if n > 0 {
			pass, stall := p.allow(carried, int64(n))
			carried += pass
			if _, werr := client.Write(buf[:pass]); werr != nil {
				return
			}
			if stall {
				<-clientGone
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// allow says how many of n more response bytes a connection that carried
// `carried` so far may pass on, and whether it stalls after them.
func (p *stallingProxy) allow(carried, n int64) (int64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pass, stall := n, false
	if p.stallOnceAfter > 0 && !p.stalled && carried+n > p.stallOnceAfter {
		pass, stall, p.stalled = p.stallOnceAfter-carried, true, true
	}
	if p.stallAllAfter > 0 && p.total+pass > p.stallAllAfter {
		pass, stall = max(p.stallAllAfter-p.total, 0), true
	}
	p.total += pass
	if stall {
		p.stalls++
	}
	return pass, stall
}

func (p *stallingProxy) stallCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stalls
}

func (p *stallingProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// hangGuard bounds a test that, without an idle timeout, would hang forever.
func hangGuard(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestStalledBodyIsResumed(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "reads")
	data := randomBytes(t, 1<<20+17)
	srv.Put(t, "reads", "stall.bin", data)
	proxy := startStallingProxy(t, strings.TrimPrefix(srv.Endpoint, "http://"), func(p *stallingProxy) {
		p.stallOnceAfter = 100 << 10 // mid-way through the first 256 KiB body
	})

	c := newClient(srv, Options{Endpoint: proxy.endpoint(), ChunkSize: 256 << 10, FirstChunk: 256 << 10, ReadAhead: 2,
		IdleTimeout: 200 * time.Millisecond})
	r, err := c.Open(hangGuard(t), "reads", "stall.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read through a stalling connection: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("the resumed read differs from the object (%d vs %d bytes)", len(got), len(data))
	}
	if proxy.stallCount() != 1 || r.Resumptions() < 1 {
		t.Fatalf("stalls = %d, resumptions = %d: the proxy should have stalled one body and the read resumed it",
			proxy.stallCount(), r.Resumptions())
	}
	// The range was resumed from the byte reached, not fetched again.
	if r.BytesFetched() != int64(len(data)) {
		t.Fatalf("fetched %d bytes for %d", r.BytesFetched(), len(data))
	}
}

func TestStalledBodyGivesUpNamingObjectAndOffset(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "reads")
	data := randomBytes(t, 512<<10)
	srv.Put(t, "reads", "dead.bin", data)
	proxy := startStallingProxy(t, strings.TrimPrefix(srv.Endpoint, "http://"), func(p *stallingProxy) {
		p.stallAllAfter = 64 << 10 // the HEAD and part of the first body, then silence everywhere
	})

	c := newClient(srv, Options{Endpoint: proxy.endpoint(), ChunkSize: 256 << 10, FirstChunk: 256 << 10, ReadAhead: 1,
		IdleTimeout: 100 * time.Millisecond, MaxRetries: 2})
	r, err := c.Open(hangGuard(t), "reads", "dead.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = io.ReadAll(r)
	if err == nil {
		t.Fatal("a read whose connection never delivers finished without an error")
	}
	m := regexp.MustCompile(`^reading s3://reads/dead\.bin at byte (\d+): the connection stalled .* 2 retries`).FindStringSubmatch(err.Error())
	if m == nil {
		t.Fatalf("error does not name the object, offset and retries: %v", err)
	}
	if off, _ := strconv.Atoi(m[1]); off <= 0 || off >= len(data) || int64(off) != r.BytesFetched() {
		t.Fatalf("error names byte %d; %d bytes had arrived", off, r.BytesFetched())
	}
	if !strings.Contains(err.Error(), "check the network connection") {
		t.Fatalf("error does not say what to do: %v", err)
	}
}
