package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Reader streams an object: ranged GETs of growing size (FirstChunk up to
// ChunkSize) are fetched ReadAhead at a time in parallel and handed out in
// order. A chunk whose stream breaks is resumed from the byte it reached.
// Reading only the start (schema discovery) fetches only the first chunks.
type Reader struct {
	c      *Client
	obj    Object
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	next    int64 // offset of the next chunk to schedule
	size    int64 // size of the next chunk to schedule
	queue   []*chunk
	cur     *chunk
	off     int // read position within cur.data
	pos     int64
	closed  bool
	warm    bool // a second chunk was asked for: read ahead from now on
	fetched atomic.Int64
	resumed atomic.Int64

	// Random access (ReadAt, for Parquet and Excel): small reads are served
	// from a few cached blocks, and the object's tail (a Parquet footer) is
	// fetched with one ranged GET.
	atMu     sync.Mutex
	atBlocks []atBlock
	atTail   []byte
}

type atBlock struct {
	off  int64
	data []byte
}

type chunk struct {
	off, n int64
	data   []byte
	err    error
	done   chan struct{}
}

// Open streams bucket/key from the start.
func (c *Client) Open(ctx context.Context, bucket, key string) (*Reader, error) {
	obj, err := c.Stat(ctx, bucket, key)
	if err != nil {
		return nil, err
	}
	return c.OpenAt(ctx, *obj, 0), nil
}

// OpenAt streams a stat'ed object from a byte offset. Ranged GETs carry the
// ETag, so an object replaced mid-read fails instead of mixing two versions.
func (c *Client) OpenAt(ctx context.Context, obj Object, offset int64) *Reader {
	rctx, cancel := context.WithCancel(ctx)
	return &Reader{c: c, obj: obj, ctx: rctx, cancel: cancel, next: offset, pos: offset, size: c.opts.FirstChunk}
}

// ReadHead returns the first n bytes of a stat'ed object (all of it when
// smaller) in one ranged GET, resumed like any chunk: for a glance at the
// start without the read-ahead of a stream.
func (c *Client) ReadHead(ctx context.Context, obj Object, n int64) ([]byte, error) {
	n = min(n, obj.Size)
	if n <= 0 {
		return nil, nil
	}
	r := c.OpenAt(ctx, obj, 0)
	defer r.Close()
	return r.fetch(0, n)
}

// BytesFetched is how many bytes came over the network so far.
func (r *Reader) BytesFetched() int64 { return r.fetched.Load() }

// Resumptions is how many times a broken stream was resumed.
func (r *Reader) Resumptions() int64 { return r.resumed.Load() }

// schedule keeps ReadAhead chunks in flight once the reader has gone past
// its first chunk; before that only the first is fetched, so a reader that
// only sniffs the start (or then reads by offset, as for Parquet) costs one
// small GET.
func (r *Reader) schedule() {
	ahead := 1
	if r.warm {
		ahead = r.c.opts.ReadAhead
	}
	for len(r.queue) < ahead && r.next < r.obj.Size {
		n := min(r.size, r.obj.Size-r.next)
		ch := &chunk{off: r.next, n: n, done: make(chan struct{})}
		r.next += n
		r.size = min(r.size*2, r.c.opts.ChunkSize)
		r.queue = append(r.queue, ch)
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			defer close(ch.done)
			ch.data, ch.err = r.fetch(ch.off, ch.n)
		}()
	}
}

func (r *Reader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, errors.New("reading " + r.obj.URL() + ": the reader is closed")
	}
	for r.cur == nil || r.off >= len(r.cur.data) {
		if r.cur != nil {
			r.warm = true
		}
		if r.pos >= r.obj.Size {
			return 0, io.EOF
		}
		r.schedule()
		ch := r.queue[0]
		select {
		case <-ch.done:
		case <-r.ctx.Done():
			return 0, fmt.Errorf("reading %s: %w", r.obj.URL(), r.ctx.Err())
		}
		if ch.err != nil {
			return 0, ch.err
		}
		r.queue = r.queue[1:]
		r.cur, r.off = ch, 0
		r.schedule() // keep the pipeline full while this chunk is consumed
	}
	n := copy(p, r.cur.data[r.off:])
	r.off += n
	r.pos += int64(n)
	return n, nil
}

// Close stops the read-ahead and waits for its requests to end.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.cancel()
	r.wg.Wait()
	r.queue, r.cur = nil, nil
	return nil
}

// fetch reads [off, off+n) and resumes after a broken or stalled stream
// from the last byte received, backing off a little between tries.
func (r *Reader) fetch(off, n int64) ([]byte, error) {
	buf := make([]byte, n)
	var got int64
	for tries := 0; ; {
		k, err := r.fetchOnce(off+got, buf[got:])
		got += int64(k)
		if got == n {
			return buf, nil
		}
		what := fmt.Sprintf("reading %s at byte %d", r.obj.URL(), off+got)
		if r.ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", what, r.ctx.Err())
		}
		if !retryable(err) || tries >= r.c.opts.MaxRetries {
			if errors.Is(err, errStalled) {
				return nil, fmt.Errorf("%s: the connection stalled (no data for %s) and %d retries did not get past it; check the network connection and start again",
					what, r.c.opts.IdleTimeout, tries)
			}
			return nil, explain(what, err)
		}
		tries++
		r.resumed.Add(1)
		select {
		case <-time.After(time.Duration(tries*tries) * 50 * time.Millisecond):
		case <-r.ctx.Done():
			return nil, fmt.Errorf("%s: %w", what, r.ctx.Err())
		}
	}
}

// errStalled is why an attempt was abandoned: no byte for IdleTimeout.
var errStalled = errors.New("the connection stalled")

// fetchOnce is one ranged GET of len(buf) bytes from off. A watchdog
// cancels it when no byte arrives for IdleTimeout, from the request until
// the last byte, so a stalled connection costs one timeout instead of
// hanging the read; it returns the bytes received either way.
func (r *Reader) fetchOnce(off int64, buf []byte) (int, error) {
	idle := r.c.opts.IdleTimeout
	actx, cancel := context.WithCancelCause(r.ctx)
	defer cancel(nil)
	watchdog := time.AfterFunc(idle, func() { cancel(errStalled) })
	defer watchdog.Stop()

	in := &s3.GetObjectInput{Bucket: aws.String(r.obj.Bucket), Key: aws.String(r.obj.Key),
		Range: aws.String(fmt.Sprintf("bytes=%d-%d", off, off+int64(len(buf))-1))}
	if r.obj.ETag != "" {
		in.IfMatch = aws.String(r.obj.ETag)
	}
	out, err := r.c.s3.GetObject(actx, in)
	if err != nil {
		return 0, stallCause(actx, err)
	}
	defer out.Body.Close()
	k, err := io.ReadFull(&progressReader{r: out.Body, progress: func() { watchdog.Reset(idle) }}, buf)
	r.fetched.Add(int64(k))
	r.c.fetched.Add(int64(k))
	if err == nil {
		return k, nil
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return k, stallCause(actx, err)
}

// stallCause reports errStalled for an attempt the watchdog cancelled.
func stallCause(actx context.Context, err error) error {
	if errors.Is(context.Cause(actx), errStalled) {
		return errStalled
	}
	return err
}

// progressReader calls progress after every read that returned bytes.
type progressReader struct {
	r        io.Reader
	progress func()
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.progress()
	}
	return n, err
}

// retryable: broken or stalled streams, network errors and server errors;
// not client errors such as 403, 404 or a changed object (412), nor errors
// that say so themselves (an endpoint refused by secureurl).
func retryable(err error) bool {
	var says interface{ RetryableError() bool }
	if errors.As(err, &says) {
		return says.RetryableError()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode() >= 500 || re.HTTPStatusCode() == http.StatusTooManyRequests
	}
	return true
}

// Random access sizes: reads below atSmallRead go through atBlockSize
// blocks (a zip directory or a page header costs one GET per block, not one
// per read); larger reads (a Parquet column chunk) are fetched as asked, so
// the columns that are not read are not fetched either.
const (
	atBlockSize = 256 << 10
	atSmallRead = 64 << 10
	atMaxBlocks = 4
)

// ReadAt reads len(p) bytes at off with ranged GETs (resumed like a stream's
// chunks). It may be called concurrently.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("reading %s: negative offset %d", r.obj.URL(), off)
	}
	if off >= r.obj.Size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), r.obj.Size-off))
	if err := r.readAt(p[:n], off); err != nil {
		return 0, err
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *Reader) readAt(p []byte, off int64) error {
	tail := min(r.obj.Size, atBlockSize)
	if off >= r.obj.Size-tail {
		data, err := r.tailBytes(tail)
		if err != nil {
			return err
		}
		copy(p, data[off-(r.obj.Size-tail):])
		return nil
	}
	if len(p) >= atSmallRead {
		data, err := r.fetch(off, int64(len(p)))
		if err != nil {
			return err
		}
		copy(p, data)
		return nil
	}
	for len(p) > 0 {
		start := off / atBlockSize * atBlockSize
		data, err := r.block(start)
		if err != nil {
			return err
		}
		k := copy(p, data[off-start:])
		p, off = p[k:], off+int64(k)
	}
	return nil
}

// tailBytes is the object's last n bytes, fetched once.
func (r *Reader) tailBytes(n int64) ([]byte, error) {
	r.atMu.Lock()
	defer r.atMu.Unlock()
	if r.atTail == nil {
		data, err := r.fetch(r.obj.Size-n, n)
		if err != nil {
			return nil, err
		}
		r.atTail = data
	}
	return r.atTail, nil
}

// block is the cached block at start (the few most recent are kept).
func (r *Reader) block(start int64) ([]byte, error) {
	r.atMu.Lock()
	defer r.atMu.Unlock()
	for i, b := range r.atBlocks {
		if b.off == start {
			r.atBlocks = append(append(r.atBlocks[:i:i], r.atBlocks[i+1:]...), b) // most recent last
			return b.data, nil
		}
	}
	data, err := r.fetch(start, min(atBlockSize, r.obj.Size-start))
	if err != nil {
		return nil, err
	}
	if len(r.atBlocks) == atMaxBlocks {
		r.atBlocks = r.atBlocks[1:]
	}
	r.atBlocks = append(r.atBlocks, atBlock{start, data})
	return data, nil
}
