package transform

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/audience-uploader/audience-uploader/backend/directio"
	"github.com/audience-uploader/audience-uploader/backend/osfile"
)

// spill takes over deduplication where the in-memory key set has reached its
// memory budget. A line whose key is not in its shard of the set, when that
// shard is full (and so frozen), is appended to a partition file by key; at
// the end each partition is deduplicated on its own, with a set sized to that
// partition only. The
// partition files hold output lines (hashes), never raw identifiers, and are
// removed when the run ends, whatever the outcome.
type spill struct {
	dir   string
	parts [spillPartitions]*spillPart
	lines int64
}

const spillPartitions = 64

type spillPart struct {
	path  string
	file  *os.File
	w     *directio.Writer
	lines int64
}

// spillBuffer is each partition file's write buffer, and the drain's read
// buffer. Spill files are written and read with direct I/O where the system
// allows: they are read back once, so caching them would only cost CPU.
const spillBuffer = 256 << 10

func newSpill(outDir string) (*spill, error) {
	dir, err := os.MkdirTemp(outDir, ".spill-")
	if err != nil {
		return nil, fmt.Errorf("creating the deduplication spill folder: %w", err)
	}
	return &spill{dir: dir}, nil
}

// Add records one line of stream (an index into the run's file sets).
func (s *spill) Add(k Key, stream uint8, line []byte) error {
	p := s.parts[k[0]%spillPartitions]
	if p == nil {
		path := filepath.Join(s.dir, fmt.Sprintf("part-%02d", k[0]%spillPartitions))
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("creating a deduplication spill file: %w", err)
		}
		p = &spillPart{path: path, file: f, w: directio.NewWriter(f, spillBuffer)}
		s.parts[k[0]%spillPartitions] = p
	}
	var head [19]byte
	binary.LittleEndian.PutUint64(head[0:], k[0])
	binary.LittleEndian.PutUint64(head[8:], k[1])
	head[16] = stream
	binary.LittleEndian.PutUint16(head[17:], uint16(len(line)))
	if _, err := p.w.Write(head[:]); err != nil {
		return fmt.Errorf("writing a deduplication spill file: %w", err)
	}
	if _, err := p.w.Write(line); err != nil {
		return fmt.Errorf("writing a deduplication spill file: %w", err)
	}
	p.lines++
	s.lines++
	return nil
}

// Drain deduplicates each partition and hands every first-seen line to emit;
// the others are reported through duplicate.
func (s *spill) Drain(emit func(stream uint8, line []byte) error, duplicate func(stream uint8)) error {
	// One set, sized for the largest partition, serves them all in turn: a
	// partition holds 1/64 of what overflowed the budget, so it is small
	// (it outgrows the memory budget only on billions of rows).
	var largest int64
	for _, p := range s.parts {
		if p != nil {
			largest = max(largest, p.lines)
		}
	}
	set := newKeySet(largest, 1<<62)
	defer set.Free()
	for _, p := range s.parts {
		if p == nil {
			continue
		}
		if err := p.w.Flush(); err != nil {
			return fmt.Errorf("writing a deduplication spill file: %w", err)
		}
		if _, err := p.file.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("reading a deduplication spill file: %w", err)
		}
		set.Reset()
		r := directio.NewReader(p.file, spillBuffer)
		var head [19]byte
		line := make([]byte, 0, 1024)
		for i := int64(0); i < p.lines; i++ {
			if _, err := io.ReadFull(r, head[:]); err != nil {
				return fmt.Errorf("reading a deduplication spill file: %w", err)
			}
			k := Key{binary.LittleEndian.Uint64(head[0:]), binary.LittleEndian.Uint64(head[8:])}
			stream := head[16]
			n := int(binary.LittleEndian.Uint16(head[17:]))
			line = line[:n]
			if _, err := io.ReadFull(r, line); err != nil {
				return fmt.Errorf("reading a deduplication spill file: %w", err)
			}
			if added, _ := set.Insert(k); !added {
				duplicate(stream)
				continue
			}
			if err := emit(stream, line); err != nil {
				return err
			}
		}
		p.file.Close()
		os.Remove(p.path)
		p.file = nil
	}
	return nil
}

// Remove deletes the spill folder and everything in it.
func (s *spill) Remove() error {
	var errs []error
	for _, p := range s.parts {
		if p != nil && p.file != nil {
			p.file.Close()
		}
	}
	if err := osfile.RemoveDir(s.dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
