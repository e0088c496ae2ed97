package records

import (
	"io"
	"sync"
)

// readAhead reads src on its own goroutine into a few large buffers, so that decompressing a worksheet
// (a third of the time it takes to read one) runs on another core while the XML before it is parsed.
// At most readAheadBuffers × readAheadSize bytes are held.
type readAhead struct {
	full  chan []byte // filled buffers, in order
	free  chan []byte // buffers handed back
	done  chan struct{}
	err   error // src's error, read after full is closed
	cur   []byte
	buf   []byte // the buffer cur is a part of, handed back when cur is used up
	close sync.Once
	src   io.ReadCloser
	wg    sync.WaitGroup
}

const (
	readAheadSize    = 1 << 20
	readAheadBuffers = 3
)

func newReadAhead(src io.ReadCloser) *readAhead {
	r := &readAhead{full: make(chan []byte, readAheadBuffers), free: make(chan []byte, readAheadBuffers),
		done: make(chan struct{}), src: src}
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
			select {
			case r.full <- b[:n]:
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
		b, ok := <-r.full
		if !ok {
			if r.err != nil {
				return 0, r.err
			}
			return 0, io.EOF
		}
		r.cur, r.buf = b, b
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// Close stops the reading goroutine, then closes src.
func (r *readAhead) Close() error {
	r.close.Do(func() { close(r.done) })
	r.wg.Wait()
	return r.src.Close()
}
