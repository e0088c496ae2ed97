package inputs

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Source opens the input: a local file here, an S3 object elsewhere; or,
// with Parts, many files read as one list (a folder, a glob, an S3 prefix:
// see backend/inputs).
type Source struct {
	Name string // base name or s3:// URL, used in messages
	Size int64  // bytes, -1 if unknown (with Parts: their total)
	Path string // the local file's path, "" for other sources (Excel opens a local workbook by path)
	Open func(ctx context.Context) (io.ReadCloser, error)
	// Sheet is the Excel worksheet to read ("" for the first); other formats ignore it.
	Sheet string
	// Parts, when set, are the files read one after the other as one list
	// (Open is then unused): one format, the same columns, deduplicated
	// together. Their names (in errors and counters) say which part.
	Parts []Source
	// Resolved, for an input that names whatever is newest
	// (cleanrooms://M/latest), says in a sentence what this open read; Pin,
	// when set, is the address that keeps later reads to the same thing
	// (the newest result of that query's analysis), for what is saved.
	Resolved string
	Pin      string
}

// PartList is the files to read: the parts, or the source itself.
func (s Source) PartList() []Source {
	if len(s.Parts) == 0 {
		return []Source{s}
	}
	parts := make([]Source, len(s.Parts))
	for i, p := range s.Parts {
		p.Sheet = s.Sheet
		parts[i] = p
	}
	return parts
}

// LocalFile is a Source for a file on disk.
func LocalFile(path string) (Source, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Source{}, fmt.Errorf("cannot read the input file: %w", err)
	}
	if st.IsDir() {
		return Source{}, fmt.Errorf("the input %s is a folder, not a file", path)
	}
	return Source{
		Name: filepath.Base(path),
		Size: st.Size(),
		Path: path,
		Open: func(context.Context) (io.ReadCloser, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, fmt.Errorf("cannot open the input file: %w", err)
			}
			return f, nil
		},
	}, nil
}
