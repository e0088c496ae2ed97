package records

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/dsnet/compress/bzip2"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// sampleText is n CSV rows of pseudo-random identifiers (they compress about 2:1, like real lists).
func sampleText(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	b.WriteString("email,phone\n")
	for i := range n {
		fmt.Fprintf(&b, "user%x.%d@example.com,+1%010d\n", rng.Uint64(), i, rng.Uint64N(1e10))
	}
	return b.Bytes()
}

func gzipBytes(t *testing.T, text []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(text)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zstdBytes(t *testing.T, text []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, _ := zstd.NewWriter(&b)
	w.Write(text)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bzip2Bytes compresses text with bzip2 blocks of level × 100 kB (dsnet's writer, an encoder independent of
// the decoders under test).
func bzip2Bytes(t *testing.T, text []byte, level int) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := bzip2.NewWriter(&b, &bzip2.WriterConfig{Level: level})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(text)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The decoders read ahead of the framing (gzip and zstd on their own goroutine, bzip2 a block or more),
// yet Inflation, which sizes the deduplication table from the first chunk, still says how many text
// bytes each compressed byte gave, and every row arrives once, in order.
func TestCompressedTextInflation(t *testing.T) {
	text := sampleText(200_000)
	for _, tc := range []struct {
		name string
		data []byte
	}{{"list.csv.gz", gzipBytes(t, text)}, {"list.csv.zst", zstdBytes(t, text)}, {"list.csv.bz2", bzip2Bytes(t, text, 1)}} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Open(bytes.NewReader(tc.data), Options{Name: tc.name})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var c Chunk
			if err := r.NextChunk(&c, 4096); err != nil {
				t.Fatal(err)
			}
			want := float64(len(text)) / float64(len(tc.data))
			if got := r.Inflation(); got < want*0.8 || got > want*1.25 {
				t.Errorf("Inflation after the first chunk = %.2f; the file's ratio is %.2f", got, want)
			}
			var out bytes.Buffer
			out.WriteString("email,phone\n")
			for {
				for _, s := range c.Records {
					out.Write(c.Data[s.Start:s.End])
					out.WriteByte('\n')
				}
				if err := r.NextChunk(&c, 4096); err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(out.Bytes(), text) {
				t.Fatalf("read %d bytes of rows; want the %d of the text", out.Len(), len(text))
			}
		})
	}
}

// Close stops a decoder's goroutines when the reader is dropped before the end (schema discovery reads a
// sample only), and a closed reader says so rather than ending as if the file had.
func TestCloseStopsTheDecoder(t *testing.T) {
	text := sampleText(300_000)
	for _, tc := range []struct {
		name string
		data []byte
	}{{"list.csv.gz", gzipBytes(t, text)}, {"list.csv.zst", zstdBytes(t, text)}, {"list.csv.bz2", bzip2Bytes(t, text, 1)}} {
		t.Run(tc.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			r, err := Open(bytes.NewReader(tc.data), Options{Name: tc.name})
			if err != nil {
				t.Fatal(err)
			}
			var c Chunk
			if err := r.NextChunk(&c, 100); err != nil {
				t.Fatal(err)
			}
			r.Close()
			if err := r.NextChunk(&c, 100); err == nil || err == io.EOF {
				t.Errorf("a closed reader's NextChunk returned %v; want an error saying it is closed", err)
			}
			for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; {
				if time.Now().After(deadline) {
					t.Fatalf("%d goroutines after Close; %d before Open", runtime.NumGoroutine(), before)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
