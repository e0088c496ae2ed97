package transform

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/audience-uploader/audience-uploader/backend/directio"
)

const (
	writeBufferSize = 1 << 20
	writeBuffers    = 4 // per file set: one being filled, the rest in flight
)

// TikTok takes at most 500 file_paths in one create or update, and reports
// at most 500 files per audience: a file set (one audience) never has more
// parts. Variables so tests can reach the limits with small inputs.
var (
	maxPartsPerSet = 500
	partBytesLimit = int64(MaxFileBytesLimit)
)

// fileSet writes one output stream (the combined file, or one identifier
// type's files) as numbered parts no larger than maxBytes. The collector
// fills buffers; a goroutine of the set's own computes each part's MD5 and
// writes the buffers, so hashing and system calls overlap deduplication.
// It writes into the run's staging folder, under the files' final names.
type fileSet struct {
	dir           string
	prefix        string // e.g. "combined", "email"
	single        string // or: the one file's name, never split (Meta's rows)
	calculateType string
	header        []byte // written at the top of every part (combined layout)
	maxBytes      int64
	askedBytes    int64 // the part size asked for, before any raise
	total         int64 // bytes of every line so far, headers not included

	part    int
	file    *directio.File
	md5     hash.Hash
	buf     []byte
	written int64 // bytes in the current part, buffered or not
	rows    int64

	writer *bufferWriter

	done []*File // closed parts; MD5 set by the writer
}

func newFileSet(dir, prefix, calculateType string, header []byte, maxBytes int64) *fileSet {
	return &fileSet{dir: dir, prefix: prefix, calculateType: calculateType, header: header, maxBytes: maxBytes, askedBytes: maxBytes}
}

func (f *fileSet) partName() string {
	if f.single != "" {
		return f.single
	}
	return partName(f.prefix, f.part)
}

// newSingleFile is a set of one file, name, however large (Meta takes rows
// in requests, not files).
func newSingleFile(dir, name string) *fileSet {
	f := newFileSet(dir, name, "", nil, singleFileBytes)
	f.single = name
	return f
}

// singleFileBytes is a single file's part size: never reached, so never split.
const singleFileBytes = 1 << 62

func partName(prefix string, part int) string {
	return fmt.Sprintf("%s-%04d.csv", prefix, part)
}

// planFor raises the part size, before the first line, when a set of about
// expectBytes would otherwise need more than maxPartsPerSet parts.
func (f *fileSet) planFor(expectBytes int64) {
	if need := partSizeFor(expectBytes, f.header); need > f.maxBytes {
		f.maxBytes = min(need, partBytesLimit)
	}
}

// partSizeFor is the part size, rounded up to whole MiB, at which total
// bytes of lines fit maxPartsPerSet parts with their headers.
func partSizeFor(total int64, header []byte) int64 {
	per := (total+int64(maxPartsPerSet)-1)/int64(maxPartsPerSet) + int64(len(header))
	return (per + 1<<20 - 1) &^ (1<<20 - 1)
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
	f.total += int64(len(line))
	if f.single == "" && f.total > int64(maxPartsPerSet)*(partBytesLimit-int64(len(f.header))) {
		// Certain already: even parts of the largest size cannot hold it.
		return f.tooLarge()
	}
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

// tooLarge is the error for a set that cannot fit TikTok's file limits.
func (f *fileSet) tooLarge() error {
	return usageErrorf("the %s files come to more than %d files of %d MiB (%s so far), and TikTok accepts at most %d files per audience, each at most %d MiB: split the list into smaller lists and upload each to its own audience",
		f.prefix, maxPartsPerSet, partBytesLimit>>20, sizeText(f.total), maxPartsPerSet, partBytesLimit>>20)
}

func sizeText(n int64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

func (f *fileSet) openPart() error {
	if f.writer == nil {
		f.writer = newBufferWriter()
		f.buf = f.writer.take()
	}
	f.part++
	path := filepath.Join(f.dir, f.partName())
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("creating output file: %w", err)
	}
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

// Finish closes the last part and waits for every part to be on disk. A set
// that came out with more parts than TikTok takes (its size was not known
// in time to raise the part size) is rewritten into larger parts.
func (f *fileSet) Finish(ctx context.Context) ([]File, error) {
	err := f.closePart()
	if err == nil && f.writer != nil {
		err = f.writer.wait()
	}
	f.stopWriter()
	if err == nil && len(f.done) > maxPartsPerSet {
		err = f.repack(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("writing the %s files: %w", f.prefix, err)
	}
	files := make([]File, 0, len(f.done))
	for _, d := range f.done {
		files = append(files, *d)
	}
	return files, nil
}

// raised says, for the manifest, that the part size was raised, or "".
func (f *fileSet) raised() string {
	perPart := f.askedBytes - int64(len(f.header))
	if f.maxBytes == f.askedBytes || (f.total+perPart-1)/perPart <= int64(maxPartsPerSet) {
		return "" // not raised, or raised by an estimate and not needed after all
	}
	return fmt.Sprintf("The %s files were split at %d MiB instead of %d MiB, so they stay within TikTok's limit of %d files per audience.",
		f.prefix, f.maxBytes>>20, f.askedBytes>>20, maxPartsPerSet)
}

// repacked is told the prefix of each set that is repacked: tests check
// that an input whose rows were known in time never needs it.
var repacked = func(prefix string) {}

// repack rewrites the set's parts, in order and row by row, into at most
// maxPartsPerSet parts of a raised size, recomputing each one's MD5. Each
// old part is removed once copied, so the disk holds one extra part at most.
func (f *fileSet) repack(ctx context.Context) error {
	repacked(f.prefix)
	f.maxBytes = min(max(partSizeFor(f.total, f.header), f.maxBytes), partBytesLimit)
	old := f.done
	for _, d := range old {
		from := filepath.Join(f.dir, d.Path)
		if err := os.Rename(from, from+".old"); err != nil {
			return err
		}
	}
	f.done, f.part = nil, 0
	var out *os.File
	var cur *File
	var sum hash.Hash
	closeCur := func() error {
		if out == nil {
			return nil
		}
		err := out.Sync()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		cur.MD5 = hex.EncodeToString(sum.Sum(nil))
		f.done = append(f.done, cur)
		out = nil
		return err
	}
	for _, d := range old {
		path := filepath.Join(f.dir, d.Path+".old")
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		r := bufio.NewReaderSize(in, writeBufferSize)
		if _, err := r.Discard(len(f.header)); err != nil {
			in.Close()
			return err
		}
		for {
			line, err := r.ReadSlice('\n')
			if err == io.EOF && len(line) == 0 {
				break
			}
			if err != nil {
				in.Close()
				return fmt.Errorf("reading back %s: %w", d.Path, err)
			}
			if cur != nil && cur.Rows%65536 == 0 && ctx.Err() != nil {
				in.Close()
				return ctx.Err()
			}
			if out != nil && cur.Bytes+int64(len(line)) > f.maxBytes {
				if err := closeCur(); err != nil {
					in.Close()
					return err
				}
			}
			if out == nil {
				f.part++
				cur = &File{Path: f.partName(), CalculateType: f.calculateType}
				if out, err = os.OpenFile(filepath.Join(f.dir, cur.Path), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
					in.Close()
					return err
				}
				sum = md5.New()
				if err := writeHashed(out, sum, f.header); err != nil {
					in.Close()
					return err
				}
				cur.Bytes = int64(len(f.header))
			}
			if err := writeHashed(out, sum, line); err != nil {
				in.Close()
				return err
			}
			cur.Bytes += int64(len(line))
			cur.Rows++
		}
		in.Close()
		if err := os.Remove(path); err != nil {
			return err
		}
	}
	if err := closeCur(); err != nil {
		return err
	}
	if len(f.done) > maxPartsPerSet {
		return f.tooLarge()
	}
	return nil
}

func writeHashed(w io.Writer, sum hash.Hash, b []byte) error {
	sum.Write(b)
	_, err := w.Write(b)
	return err
}

func (f *fileSet) stopWriter() {
	if f.writer != nil {
		f.writer.stop()
		f.writer = nil
	}
}

// abandon stops the writer and closes the open part after a failure or
// cancel; the staging folder, with the parts, is removed by the run.
func (f *fileSet) abandon() {
	f.stopWriter()
	if f.file != nil {
		f.file.Close()
		f.file = nil
	}
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
		failed = w.do(j, failed)
		if failed != nil && w.failed.Load() == nil {
			w.failed.Store(&failed)
		}
	}
}

// do carries out one job; a panic becomes the sticky error (and the buffer
// still goes back), so the run fails and cleans up instead of the process
// ending.
func (w *bufferWriter) do(j writeJob, failed error) (result error) {
	defer func() {
		if r := recover(); r != nil {
			result = panicError(r)
		}
	}()
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
		defer func() { w.free <- j.buf[:0] }() // after a panic too
		if failed == nil {
			j.sum.Write(j.buf)
			_, failed = j.file.Write(j.buf)
		}
	}
	return failed
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
