package records

import (
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

// decompress wraps src in the decompressor for c.
func decompress(c Compression, src io.Reader, name string) (io.Reader, error) {
	switch c {
	case CompressionGzip:
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, fmt.Errorf("reading the gzip header of %s: %w", name, err)
		}
		return zr, nil
	case CompressionZstd:
		// One decoder goroutine-free stream: concurrency 1 decodes on the caller's Read, so nothing is left
		// running when the reader is dropped.
		zr, err := zstd.NewReader(src, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxWindow), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, fmt.Errorf("reading the zstd header of %s: %w", name, err)
		}
		return zr, nil
	case CompressionBzip2:
		return bzip2.NewReader(src), nil
	}
	return src, nil
}

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
