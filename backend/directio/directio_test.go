package directio

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"testing/iotest"
)

func TestAlignedBuffer(t *testing.T) {
	for _, n := range []int{1, 4095, 4096, 1 << 20, 1<<20 + 1} {
		b := AlignedBuffer(n)
		if len(b) != 0 || cap(b) < n || cap(b)%Alignment != 0 {
			t.Fatalf("AlignedBuffer(%d): len %d cap %d", n, len(b), cap(b))
		}
		if !IsAligned(b[:Alignment]) {
			t.Fatalf("AlignedBuffer(%d) is not aligned", n)
		}
	}
	if IsAligned(AlignedBuffer(8192)[1:4097]) {
		t.Fatal("an offset slice counts as aligned")
	}
}

// TestDirectThenBuffered writes aligned blocks directly and an odd tail
// after Disable, and reads back exactly what was written.
func TestDirectThenBuffered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	direct := Enable(f)
	if runtime.GOOS == "linux" && !direct {
		t.Logf("direct writes are not supported on %s's file system; buffered path tested only", path)
	}
	if direct {
		// Proof that direct mode is on: the kernel refuses a misaligned write.
		if _, err := f.Write(AlignedBuffer(2 * Alignment)[1 : 1+Alignment]); err == nil {
			t.Fatal("a misaligned write succeeded after Enable: direct mode is not on")
		}
	}
	want := []byte{}
	buf := AlignedBuffer(3 * Alignment)
	for i := range 3 * Alignment {
		buf = append(buf, byte(i*7))
	}
	for range 2 {
		if _, err := f.Write(buf); err != nil {
			t.Fatalf("direct write: %v", err)
		}
		want = append(want, buf...)
	}
	if err := Disable(f); err != nil {
		t.Fatal(err)
	}
	tail := []byte("the last, shorter piece\n")
	if _, err := f.Write(tail); err != nil {
		t.Fatalf("buffered write after Disable: %v", err)
	}
	want = append(want, tail...)
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes, wrote %d", len(got), len(want))
	}
}

// TestWriterAndReaderRoundTrip writes records of odd sizes through a Writer
// with a small buffer, reads them back through a Reader, and compares.
func TestWriterAndReaderRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spill")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := NewWriter(f, 2*Alignment)
	var want []byte
	for i := range 3000 {
		rec := bytes.Repeat([]byte{byte(i)}, i%97+1)
		if _, err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		want = append(want, rec...)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(iotest.OneByteReader(NewReader(f, 3*Alignment)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes, wrote %d", len(got), len(want))
	}
	// And again with reads of every size the buffer gives.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if got, err = io.ReadAll(NewReader(f, Alignment)); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("second read: %d bytes, %v", len(got), err)
	}
}
