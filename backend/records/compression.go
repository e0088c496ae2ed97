package records

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip" // the same stream as compress/gzip's, inflated about twice as fast
	"github.com/klauspost/compress/zstd"
)

// Compression is how a text input is compressed; decided from its first bytes, never from its name.
type Compression string

const (
	CompressionNone  Compression = ""
	CompressionGzip  Compression = "gzip"
	CompressionZstd  Compression = "zstd"
	CompressionBzip2 Compression = "bzip2"
)

// sniffCompression names the compression whose magic bytes start h.
func sniffCompression(h []byte) Compression {
	switch {
	case len(h) >= 2 && h[0] == 0x1f && h[1] == 0x8b:
		return CompressionGzip
	case bytes.HasPrefix(h, []byte{0x28, 0xB5, 0x2F, 0xFD}):
		return CompressionZstd
	case len(h) >= 4 && bytes.HasPrefix(h, []byte("BZh")) && h[3] >= '1' && h[3] <= '9':
		return CompressionBzip2
	}
	return CompressionNone
}

// decoder is a compressed text's decompressor as the Reader holds it.
type decoder interface {
	io.Reader
	// Inflation is how many bytes of text each compressed byte has given so far (1 before any).
	Inflation() float64
	// Close stops the decoder's goroutines; it does not close the compressed source.
	Close() error
}

// compressedReadSize is how much of the compressed file one read takes: the decompressors read a byte at
// a time from a buffer, and a 4 KiB one (their default) costs a system call per 4 KiB.
const compressedReadSize = 256 << 10

// decompress wraps src in the decoder for c. gzip and zstd inflate on their own goroutine (readAhead), so
// inflating and the framing after it run on two cores; bzip2 too.
func decompress(c Compression, src *sourceErrors, name string) (decoder, error) {
	switch c {
	case CompressionGzip:
		br := bufio.NewReaderSize(src, compressedReadSize)
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("reading the gzip header of %s: %w", name, err)
		}
		return newCountedReadAhead(io.NopCloser(zr), func() int64 { return src.n - int64(br.Buffered()) }), nil
	case CompressionZstd:
		// Concurrency 1 decodes on the caller's Read (the read-ahead goroutine), so nothing but that
		// goroutine runs, and Close ends it.
		br := bufio.NewReaderSize(src, compressedReadSize)
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxWindow), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, fmt.Errorf("reading the zstd header of %s: %w", name, err)
		}
		return newCountedReadAhead(io.NopCloser(zr), func() int64 { return src.n - int64(br.Buffered()) }), nil
	case CompressionBzip2:
		// One core: decoding blocks on both (pbzip2's scanner, each block its own stream) took ~40% more
		// CPU here and no less time, since the inverse BWT waits on memory the other core shares.
		br := bufio.NewReaderSize(src, compressedReadSize)
		return newCountedReadAhead(io.NopCloser(bzip2.NewReader(br)), func() int64 { return src.n - int64(br.Buffered()) }), nil
	}
	return nil, fmt.Errorf("reading %s: internal error: no decoder for %q", name, c)
}

// sourceErrors remembers the last error of the compressed source, so a decompressor's own errors (the data
// is damaged) can be told from the source's (a disk or network failure). It is read on the decoder's
// goroutine; the error is also looked at from the Reader's.
type sourceErrors struct {
	r   io.Reader
	mu  sync.Mutex
	err error
	n   int64 // compressed bytes read so far, on the decoder's goroutine only
}

func (s *sourceErrors) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)
	if err != nil && err != io.EOF {
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
	}
	return n, err
}

// failed reports whether err is the source's error.
func (s *sourceErrors) failed(err error) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err != nil && errors.Is(err, s.err)
}

// decompressError turns a decompressor's error into a sentence that says the data is damaged. It returns
// nil for errors that are not about the compressed data (src's own errors among them).
func decompressError(c Compression, name string, err error, src *sourceErrors) error {
	switch {
	case c == CompressionNone, src.failed(err):
		return nil
	case errors.Is(err, io.ErrUnexpectedEOF),
		c == CompressionGzip && (errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader)),
		c == CompressionBzip2, c == CompressionZstd:
		return fmt.Errorf("decompressing %s (corrupt or truncated %s data; check the file was copied completely): %w", name, c, err)
	}
	return nil
}
