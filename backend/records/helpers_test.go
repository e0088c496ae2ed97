package records

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
)

// row is one framed record (or framing error) as a test sees it.
type row struct {
	Line int64
	Text string
}

// readAll frames every record of data, returning the records, the framing errors and a fatal error.
func readAll(t testing.TB, r *Reader, per int) ([]row, []*RecordError, error) {
	t.Helper()
	var rows []row
	var errs []*RecordError
	var c Chunk
	for n := 0; ; n++ {
		if n > 1_000_000 {
			t.Fatal("NextChunk does not stop")
		}
		err := r.NextChunk(&c, per)
		if err == io.EOF {
			if len(c.Records) != 0 || len(c.Errors) != 0 {
				t.Fatalf("io.EOF returned with %d records and %d errors", len(c.Records), len(c.Errors))
			}
			return rows, errs, nil
		}
		if err != nil {
			return rows, errs, err
		}
		if len(c.Records) == 0 && len(c.Errors) == 0 {
			t.Fatal("empty chunk without io.EOF")
		}
		if len(c.Records)+len(c.Errors) > per {
			t.Fatalf("chunk has %d records and %d errors, limit %d", len(c.Records), len(c.Errors), per)
		}
		for _, s := range c.Records {
			rows = append(rows, row{s.Line, string(c.Data[s.Start:s.End])})
		}
		errs = append(errs, c.Errors...)
	}
}

func open(t testing.TB, data string, opts Options) *Reader {
	t.Helper()
	if opts.Name == "" {
		opts.Name = "test.file"
	}
	r, err := Open(strings.NewReader(data), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return r
}

func gz(t testing.TB, data string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// repeatReader yields prefix, then body repeated count times (count < 0: forever), then suffix,
// without holding more than one copy in memory.
type repeatReader struct {
	prefix, body, suffix []byte
	count                int
	state                int
	off                  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		var cur []byte
		switch r.state {
		case 0:
			cur = r.prefix
		case 1:
			if r.count == 0 {
				r.state, r.off = 2, 0
				continue
			}
			cur = r.body
		case 2:
			cur = r.suffix
		default:
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		}
		k := copy(p[n:], cur[r.off:])
		n += k
		r.off += k
		if r.off == len(cur) {
			r.off = 0
			if r.state == 1 && r.count > 0 {
				r.count--
			}
			if r.state != 1 {
				r.state++
			}
		}
	}
	return n, nil
}

// errReader fails after yielding data.
type errReader struct {
	data []byte
	err  error
}

func (e *errReader) Read(p []byte) (int, error) {
	if len(e.data) == 0 {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

var errBoom = errors.New("boom")
