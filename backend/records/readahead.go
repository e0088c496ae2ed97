package records

import (
	"io"
	"sync"
)

// readAhead reads src on its own goroutine into a few large buffers, so that decompressing a worksheet
// (a third of the time it takes to read one) or a gzip or zstd text runs on another core while the XML or
// text before it is parsed. At most readAheadBuffers × readAheadSize bytes are held.
type readAhead struct {
	full  chan filled // filled buffers, in order
	free  chan []byte // buffers handed back
	done  chan struct{}
	err   error // src's error, read after full is closed
	cur   []byte
	buf   []byte // the buffer cur is a part of, handed back when cur is used up
	close sync.Once
	src   io.ReadCloser
	wg    sync.WaitGroup

	// consumed, when set, says how many compressed bytes the decompressor src has taken so far; it is
	// called on the filling goroutine after each buffer, so Inflation needs no lock.
	consumed           func() int64
	given, givenStamps int64 // bytes of the buffers handed to Read so far, and consumed() after the last
}

// filled is one buffer of src's bytes and consumed() once it was full.
type filled struct {
	b     []byte
	stamp int64
}

const (
	readAheadSize    = 1 << 20
	readAheadBuffers = 3
)

func newReadAhead(src io.ReadCloser) *readAhead { return newCountedReadAhead(src, nil) }

// newCountedReadAhead is newReadAhead for a decompressor, whose Inflation is then known.
func newCountedReadAhead(src io.ReadCloser, consumed func() int64) *readAhead {
	r := &readAhead{full: make(chan filled, readAheadBuffers), free: make(chan []byte, readAheadBuffers),
		done: make(chan struct{}), src: src, consumed: consumed}
	for range readAheadBuffers {
		r.free <- make([]byte, readAheadSize)
	}
	r.wg.Add(1)
	go r.fill()
	return r
}

func (r *readAhead) fill() {
	defer r.wg.Done()
	defer close(r.full)
	for {
		var b []byte
		select {
		case b = <-r.free:
		case <-r.done:
			return
		}
		// Not io.ReadFull: it reports a short last read as io.ErrUnexpectedEOF, which is also what a
		// decompressor says of a truncated stream.
		n := 0
		var err error
		for n < len(b) && err == nil {
			var m int
			m, err = r.src.Read(b[n:])
			n += m
		}
		if n > 0 {
			var stamp int64
			if r.consumed != nil {
				stamp = r.consumed()
			}
			select {
			case r.full <- filled{b[:n], stamp}:
			case <-r.done:
				return
			}
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			r.err = err
			return
		}
	}
}

func (r *readAhead) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.buf != nil {
			r.free <- r.buf[:cap(r.buf)]
			r.buf = nil
		}
		f, ok := <-r.full
		if !ok {
			if r.err != nil {
				return 0, r.err
			}
			return 0, io.EOF
		}
		r.cur, r.buf = f.b, f.b
		r.given += int64(len(f.b))
		r.givenStamps = f.stamp
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// Inflation is the bytes of the buffers handed out so far per compressed byte the decompressor took to
// make them (1 before the first, or without consumed). It is called from Read's goroutine.
func (r *readAhead) Inflation() float64 {
	if r.givenStamps <= 0 || r.given == 0 {
		return 1
	}
	return float64(r.given) / float64(r.givenStamps)
}

// Close stops the reading goroutine, then closes src.
func (r *readAhead) Close() error {
	r.close.Do(func() { close(r.done) })
	r.wg.Wait()
	return r.src.Close()
}
