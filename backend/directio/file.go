package directio

import (
	"errors"
	"io"
	"os"
	"syscall"
)

// File is a file being written once, front to back, directly where possible.
type File struct {
	*os.File
	direct bool // whole aligned buffers go past the page cache
}

// NewFile switches f to direct writes if its file system allows.
func NewFile(f *os.File) *File {
	return &File{File: f, direct: Enable(f)}
}

// Write writes buf, directly while it can: a buffer that is not a whole
// number of aligned blocks (a file's last) switches the file back to
// buffered writes for the rest, as does a refusal of a direct write.
func (f *File) Write(buf []byte) (int, error) {
	done := 0
	if f.direct {
		whole := buf[:len(buf)&^(Alignment-1)]
		if IsAligned(whole) {
			n, err := f.File.Write(whole)
			done, buf = n, buf[n:]
			if err != nil && !errors.Is(err, syscall.EINVAL) {
				return done, err
			}
		}
		if len(buf) == 0 {
			return done, nil
		}
		if err := Disable(f.File); err != nil {
			return done, err
		}
		f.direct = false
	}
	n, err := f.File.Write(buf)
	return done + n, err
}

// Writer buffers small writes into whole aligned blocks for a File.
// Flush writes the rest and should come last: later writes are buffered by
// the system.
type Writer struct {
	f   *File
	buf []byte
}

// NewWriter writes to f through a buffer of size bytes (a multiple of
// Alignment is best).
func NewWriter(f *os.File, size int) *Writer {
	return &Writer{f: NewFile(f), buf: AlignedBuffer(size)}
}

func (w *Writer) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		c := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf, p = w.buf[:len(w.buf)+c], p[c:]
		if len(w.buf) == cap(w.buf) {
			if err := w.Flush(); err != nil {
				return n - len(p), err
			}
		}
	}
	return n, nil
}

// Flush writes what is buffered.
func (w *Writer) Flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.f.Write(w.buf)
	w.buf = w.buf[:0]
	return err
}

// Reader reads a file front to back, directly where possible, through an
// aligned buffer: for data written once and read once, such as spill files,
// so that neither pass fills the page cache.
type Reader struct {
	f      *os.File
	direct bool
	buf    []byte
	pos    int
	err    error
}

// NewReader reads f from its current offset, which must be 0 (or another
// multiple of Alignment) for direct reads.
func NewReader(f *os.File, size int) *Reader {
	buf := AlignedBuffer(size)
	return &Reader{f: f, direct: Enable(f), buf: buf[:0]}
}

func (r *Reader) Read(p []byte) (int, error) {
	if r.pos == len(r.buf) {
		if r.err != nil {
			return 0, r.err
		}
		r.fill()
		if r.pos == len(r.buf) {
			return 0, r.err
		}
	}
	n := copy(p, r.buf[r.pos:])
	r.pos += n
	return n, nil
}

// fill reads the next buffer; an error is kept for when the data read
// with it has been consumed.
func (r *Reader) fill() {
	for {
		n, err := r.f.Read(r.buf[:cap(r.buf)])
		if err != nil && r.direct && errors.Is(err, syscall.EINVAL) {
			// Refused: an offset left unaligned by a short read, or a file
			// system that took the flag but not the read. Go on buffered.
			r.direct = false
			if err := Disable(r.f); err != nil {
				r.buf, r.pos, r.err = r.buf[:0], 0, err
				return
			}
			continue
		}
		r.buf, r.pos = r.buf[:max(n, 0)], 0
		if n == 0 && err == nil {
			err = io.EOF
		}
		r.err = err
		return
	}
}
