package transform

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
)

// partialSuffix marks files that are still being written: a cancelled or
// failed run leaves nothing under a final name.
const partialSuffix = ".partial"

const writeBufferSize = 1 << 20

// fileSet writes one output stream (the combined file, or one identifier
// type's files) as numbered parts no larger than maxBytes, computing each
// part's MD5 on the way.
type fileSet struct {
	dir           string
	prefix        string // e.g. "combined", "email"
	calculateType string
	header        []byte // written at the top of every part (combined layout)
	maxBytes      int64

	part    int
	file    *os.File
	md5     hash.Hash
	buf     []byte
	written int64 // bytes in the current part, buffered or not
	rows    int64

	done    []File   // finished parts, still under their partial names
	created []string // every path this set created, for clean-up
}

func newFileSet(dir, prefix, calculateType string, header []byte, maxBytes int64) *fileSet {
	return &fileSet{dir: dir, prefix: prefix, calculateType: calculateType, header: header, maxBytes: maxBytes}
}

func (f *fileSet) partName() string {
	return fmt.Sprintf("%s-%04d.csv", f.prefix, f.part)
}

// WriteLine appends one line (ending in '\n'), starting a new part when this
// line would push the current one past the size cap.
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
	if len(f.buf)+len(line) > cap(f.buf) {
		if err := f.flush(); err != nil {
			return err
		}
	}
	f.buf = append(f.buf, line...)
	f.written += int64(len(line))
	f.rows++
	return nil
}

func (f *fileSet) openPart() error {
	f.part++
	path := filepath.Join(f.dir, f.partName()+partialSuffix)
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("creating output file: %w", err)
	}
	f.created = append(f.created, path)
	f.file = file
	f.md5 = md5.New()
	if f.buf == nil {
		f.buf = make([]byte, 0, writeBufferSize)
	}
	f.buf = append(f.buf[:0], f.header...)
	f.written = int64(len(f.header))
	f.rows = 0
	return nil
}

func (f *fileSet) flush() error {
	if len(f.buf) == 0 {
		return nil
	}
	f.md5.Write(f.buf)
	if _, err := f.file.Write(f.buf); err != nil {
		return fmt.Errorf("writing %s: %w", f.partName(), err)
	}
	f.buf = f.buf[:0]
	return nil
}

func (f *fileSet) closePart() error {
	if f.file == nil {
		return nil
	}
	err := f.flush()
	if err == nil {
		err = f.file.Sync()
	}
	if cerr := f.file.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("closing %s: %w", f.partName(), cerr)
	}
	f.file = nil
	if err != nil {
		return err
	}
	f.done = append(f.done, File{
		Path:          f.partName(),
		CalculateType: f.calculateType,
		Rows:          f.rows,
		Bytes:         f.written,
		MD5:           hex.EncodeToString(f.md5.Sum(nil)),
	})
	return nil
}

// Finish closes the last part and gives every finished part its final name.
func (f *fileSet) Finish() ([]File, error) {
	if err := f.closePart(); err != nil {
		return nil, err
	}
	for _, d := range f.done {
		final := filepath.Join(f.dir, d.Path)
		if err := os.Rename(final+partialSuffix, final); err != nil {
			return nil, fmt.Errorf("finishing output file: %w", err)
		}
		f.created = append(f.created, final)
	}
	return f.done, nil
}

// Remove deletes everything this set wrote (after a failure or cancel).
func (f *fileSet) Remove() error {
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
