package records

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// The source's errors come through as they are, io.ErrUnexpectedEOF (a truncated stream) included: only
// io.EOF ends the data.
func TestReadAheadPassesErrorsOn(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 300_000) // three buffers
	for _, want := range []error{io.ErrUnexpectedEOF, errors.New("disk error")} {
		src := io.NopCloser(io.MultiReader(iotest.HalfReader(bytes.NewReader(data)), iotest.ErrReader(want)))
		r := newReadAhead(src)
		got, err := io.ReadAll(r)
		r.Close()
		if !errors.Is(err, want) || !bytes.Equal(got, data) {
			t.Fatalf("read %d of %d bytes, error %v; want all, then %v", len(got), len(data), err, want)
		}
	}
	r := newReadAhead(io.NopCloser(bytes.NewReader(data)))
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d of %d bytes, error %v", len(got), len(data), err)
	}
	r.Close()
}

// Closing before the end stops the reading goroutine (Close waits for it).
func TestReadAheadCloseEarly(t *testing.T) {
	r := newReadAhead(io.NopCloser(bytes.NewReader(make([]byte, 10<<20))))
	if _, err := r.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}
