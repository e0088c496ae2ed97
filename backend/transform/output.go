package transform

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/audience-uploader/audience-uploader/backend/directio"
)

// partialSuffix marks files that are still being written: a cancelled or
// failed run leaves nothing under a final name.
const partialSuffix = ".partial"

const (
	writeBufferSize = 1 << 20
	writeBuffers    = 4 // per file set: one being filled, the rest in flight
)

// fileSet writes one output stream (the combined file, or one identifier
// type's files) as numbered parts no larger than maxBytes. The collector
// fills buffers; a goroutine of the set's own computes each part's MD5 and
// writes the buffers, so hashing and system calls overlap deduplication.
type fileSet struct {
	dir           string
	prefix        string // e.g. "combined", "email"
	calculateType string
	header        []byte // written at the top of every part (combined layout)
	maxBytes      int64

	part    int
	file    *directio.File
	md5     hash.Hash
	buf     []byte
	written int64 // bytes in the current part, buffered or not
	rows    int64

	writer *bufferWriter

	done    []*File  // closed parts, still under their partial names; MD5 set by the writer
	created []string // every path this set created, for clean-up
}

func newFileSet(dir, prefix, calculateType string, header []byte, maxBytes int64) *fileSet {
	return &fileSet{dir: dir, prefix: prefix, calculateType: calculateType, header: header, maxBytes: maxBytes}
}

func (f *fileSet) partName() string {
	return fmt.Sprintf("%s-%04d.csv", f.prefix, f.part)
}

// WriteLine appends one line (ending in '\n'), starting a new part when this
// line would push the current one past the size cap. A line that does not
// fit the buffer is split across two, so every buffer but a part's last is
// written whole (and, on Linux, directly: see package directio).
func (f *fileSet) WriteLine(line []byte) error {
	if f.file != nil && f.written+int64(len(line)) > f.maxBytes && f.rows > 0 {
		if err := f.closePart(); err != nil {
			return err
		}
	}
	if f.file == nil {
		if err := f.openPart(); err != nil {
			return err
		}
	}
	f.written += int64(len(line))
	f.rows++
	for {
		n := copy(f.buf[len(f.buf):cap(f.buf)], line)
		f.buf = f.buf[:len(f.buf)+n]
		if len(f.buf) == cap(f.buf) {
			if err := f.flush(); err != nil {
				return err
			}
		}
		if line = line[n:]; len(line) == 0 {
			return nil
		}
	}
}

func (f *fileSet) openPart() error {
	if f.writer == nil {
		f.writer = newBufferWriter()
		f.buf = f.writer.take()
	}
	f.part++
	path := filepath.Join(f.dir, f.partName()+partialSuffix)
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("creating output file: %w", err)
	}
	f.created = append(f.created, path)
	f.file = directio.NewFile(file)
	f.md5 = md5.New()
	f.buf = append(f.buf[:0], f.header...)
	f.written = int64(len(f.header))
	f.rows = 0
	return nil
}

// flush hands the filled buffer to the writer and takes an empty one.
func (f *fileSet) flush() error {
	if len(f.buf) == 0 {
		return nil
	}
	if err := f.writer.write(f.file, f.md5, f.buf); err != nil {
		return fmt.Errorf("writing %s: %w", f.partName(), err)
	}
	f.buf = f.writer.take()
	return nil
}

// closePart queues the part's last buffer and its closing: the writer syncs
// and closes the file and records its MD5 while the collector goes on.
func (f *fileSet) closePart() error {
	if f.file == nil {
		return nil
	}
	if err := f.flush(); err != nil {
		return err
	}
	part := &File{Path: f.partName(), CalculateType: f.calculateType, Rows: f.rows, Bytes: f.written}
	f.done = append(f.done, part)
	f.writer.finish(f.file, f.md5, part)
	f.file = nil
	return nil
}

// Finish closes the last part, waits for every part to be on disk and gives
// each its final name.
func (f *fileSet) Finish() ([]File, error) {
	err := f.closePart()
	if err == nil && f.writer != nil {
		err = f.writer.wait()
	}
	f.stopWriter()
	if err != nil {
		return nil, fmt.Errorf("writing the %s files: %w", f.prefix, err)
	}
	files := make([]File, 0, len(f.done))
	for _, d := range f.done {
		final := filepath.Join(f.dir, d.Path)
		if err := os.Rename(final+partialSuffix, final); err != nil {
			return nil, fmt.Errorf("finishing output file: %w", err)
		}
		f.created = append(f.created, final)
		files = append(files, *d)
	}
	return files, nil
}

func (f *fileSet) stopWriter() {
	if f.writer != nil {
		f.writer.stop()
		f.writer = nil
	}
}

// Remove deletes everything this set wrote (after a failure or cancel).
func (f *fileSet) Remove() error {
	f.stopWriter()
	if f.file != nil {
		f.file.Close()
		f.file = nil
	}
	var errs []error
	for _, p := range f.created {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// bufferWriter hashes and writes buffers in order on its own goroutine,
// handing each buffer back for reuse. The first error sticks: later writes
// are skipped and every wait reports it.
type bufferWriter struct {
	jobs    chan writeJob
	free    chan []byte
	failed  atomic.Pointer[error] // the first write error, seen early by write
	stopped sync.WaitGroup
}

type writeJob struct {
	file   *directio.File
	sum    hash.Hash
	buf    []byte     // data to hash and write
	closed *File      // or: sync and close file, and record its MD5 here
	done   chan error // or: a barrier, answered once every earlier job is done
}

func newBufferWriter() *bufferWriter {
	w := &bufferWriter{jobs: make(chan writeJob, writeBuffers), free: make(chan []byte, writeBuffers)}
	for range writeBuffers {
		w.free <- directio.AlignedBuffer(writeBufferSize)
	}
	w.stopped.Add(1)
	go w.run()
	return w
}

func (w *bufferWriter) run() {
	defer w.stopped.Done()
	var failed error
	for j := range w.jobs {
		switch {
		case j.done != nil:
			j.done <- failed
		case j.closed != nil:
			if failed == nil {
				failed = j.file.Sync()
			}
			if err := j.file.Close(); failed == nil {
				failed = err
			}
			j.closed.MD5 = hex.EncodeToString(j.sum.Sum(nil))
		default:
			if failed == nil {
				j.sum.Write(j.buf)
				_, failed = j.file.Write(j.buf)
			}
			w.free <- j.buf[:0]
		}
		if failed != nil && w.failed.Load() == nil {
			w.failed.Store(&failed)
		}
	}
}

// take returns an empty buffer, waiting while all are in flight.
func (w *bufferWriter) take() []byte { return <-w.free }

// write queues buf; it reports an error from an earlier write, if any, so
// a full disk stops the run at once rather than at the end of the part.
func (w *bufferWriter) write(file *directio.File, sum hash.Hash, buf []byte) error {
	if err := w.failed.Load(); err != nil {
		return *err
	}
	w.jobs <- writeJob{file: file, sum: sum, buf: buf}
	return nil
}

// finish queues the closing of a part.
func (w *bufferWriter) finish(file *directio.File, sum hash.Hash, part *File) {
	w.jobs <- writeJob{file: file, sum: sum, closed: part}
}

// wait returns once every queued buffer is written, with the first error.
func (w *bufferWriter) wait() error {
	done := make(chan error, 1)
	w.jobs <- writeJob{done: done}
	return <-done
}

func (w *bufferWriter) stop() {
	close(w.jobs)
	w.stopped.Wait()
}
