package metaupload

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
)

// The rows file is the job's record of what to send: one row a line, its
// cells (already normalized and hashed, identifiers.AppendMetaCell)
// separated by tabs, in the order of the job's schema. It holds no raw
// value, so it may stay on disk until the job is done.

// scanRows checks every line has one cell per key and returns the row
// count and the file's SHA-256, which a resume must find unchanged.
func scanRows(path string, keys int) (int, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	sc := bufio.NewScanner(io.TeeReader(f, h))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		if cells := strings.Count(sc.Text(), "\t") + 1; cells != keys {
			return 0, "", fmt.Errorf("%s line %d column 1: %d cells, the schema has %d keys", path, n, cells, keys)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, "", fmt.Errorf("reading %s after line %d: %w", path, n, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// rowReader hands out consecutive rows of the file.
type rowReader struct {
	f    *os.File
	sc   *bufio.Scanner
	next int // index of the row the scanner gives next
}

func openRows(path string) (*rowReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	return &rowReader{f: f, sc: sc}, nil
}

func (r *rowReader) Close() error { return r.f.Close() }

// read returns rows [first, first+n); first must not be behind the reader.
func (r *rowReader) read(first, n int) ([][]string, error) {
	if first < r.next {
		return nil, fmt.Errorf("rows %d.. were already read", first)
	}
	out := make([][]string, 0, n)
	for r.next < first+n {
		if !r.sc.Scan() {
			if err := r.sc.Err(); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("the rows file ended at row %d, the job has more", r.next)
		}
		if r.next >= first {
			out = append(out, strings.Split(r.sc.Text(), "\t"))
		}
		r.next++
	}
	return out, nil
}
