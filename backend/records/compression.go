package records

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"

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
// inflating and the framing after it run on two cores; bzip2 decodes its blocks on every core (bzip2.go).
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
		return &serialBzip2{Reader: bzip2.NewReader(src), src: src}, nil
	}
	return nil, fmt.Errorf("reading %s: internal error: no decoder for %q", name, c)
}

// serialBzip2 is compress/bzip2's decoder, on the caller's goroutine.
type serialBzip2 struct {
	io.Reader
	src  *sourceErrors
	text int64
}

func (b *serialBzip2) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	b.text += int64(n)
	return n, err
}

func (b *serialBzip2) Inflation() float64 {
	if b.src.n == 0 || b.text == 0 {
		return 1
	}
	return float64(b.text) / float64(b.src.n)
}

func (b *serialBzip2) Close() error { return nil }

// sourceErrors remembers the last error of the compressed source, so a decompressor's own errors (the data
// is damaged) can be told from the source's (a disk or network failure).
type sourceErrors struct {
	r   io.Reader
	err error
	n   int64 // compressed bytes read so far
}

func (s *sourceErrors) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// decompressError turns a decompressor's error into a sentence that says the data is damaged. It returns
// nil for errors that are not about the compressed data (src's own errors among them).
func decompressError(c Compression, name string, err error, src *sourceErrors) error {
	var bzErr bzip2.StructuralError
	switch {
	case c == CompressionNone, src != nil && src.err != nil && errors.Is(err, src.err):
		return nil
	case errors.Is(err, io.ErrUnexpectedEOF),
		c == CompressionGzip && (errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader)),
		c == CompressionBzip2 && errors.As(err, &bzErr),
		c == CompressionZstd:
		return fmt.Errorf("decompressing %s (corrupt or truncated %s data; check the file was copied completely): %w", name, c, err)
	}
	return nil
}
