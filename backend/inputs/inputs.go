// Package inputs resolves what a person gives as the input — a file, a
// folder, a glob such as exports/2026-11/*.csv.gz, or (through
// backend/storage) an S3 prefix — into one Source whose parts are
// read as one list. It decides which files of a folder are data: the
// bookkeeping files that Spark, Glue, Athena and AWS Clean Rooms write beside
// their part files (_SUCCESS, _committed_*, .crc, …) and empty parts are not.
package inputs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// MaxParts bounds how many part files one input may have.
const MaxParts = 10000

// Skip reports whether a file in a folder of parts is bookkeeping rather
// than data: names starting with "_" (_SUCCESS, _committed_*, _started_*,
// _metadata) or "." (Hadoop's .part-….crc), checksums (*.crc), *.metadata
// files, and the "folder$" markers some S3 tools create.
func Skip(name string) bool {
	base := path.Base(filepath.ToSlash(name))
	switch {
	case base == "", base == ".", base == "/":
		return true
	case strings.HasPrefix(base, "_"), strings.HasPrefix(base, "."):
		return true
	case strings.HasSuffix(base, ".crc"), strings.HasSuffix(base, ".metadata"), strings.HasSuffix(base, "$folder$"):
		return true
	}
	return false
}

// Found is what a folder, glob or prefix listing found.
type Found struct {
	Parts       []Source // data files, in any order
	Bookkeeping int      // files skipped by Skip
	Empty       int      // zero-byte files skipped
}

// Combine makes the one Source for the parts found under name (a folder, a
// glob or an s3:// prefix): parts in name order (part-00000, part-00001, …),
// so runs over the same files give the same output.
func Combine(name string, f Found) (Source, error) {
	if len(f.Parts) == 0 {
		return Source{}, fmt.Errorf("%s holds no data files to read (%s): choose the folder or prefix that holds the part files", name, describeSkipped(f))
	}
	if len(f.Parts) > MaxParts {
		return Source{}, fmt.Errorf("%s holds %d files, more than the %d this app reads as one list: choose a narrower folder or prefix", name, len(f.Parts), MaxParts)
	}
	parts := append([]Source(nil), f.Parts...)
	sort.Slice(parts, func(i, j int) bool { return parts[i].Name < parts[j].Name })
	var total int64
	for _, p := range parts {
		total += p.Size
	}
	return Source{Name: name, Size: total, Parts: parts}, nil
}

func describeSkipped(f Found) string {
	switch {
	case f.Bookkeeping == 0 && f.Empty == 0:
		return "it is empty"
	case f.Empty == 0:
		return fmt.Sprintf("only %d bookkeeping file(s) such as _SUCCESS or .crc", f.Bookkeeping)
	case f.Bookkeeping == 0:
		return fmt.Sprintf("only %d empty file(s)", f.Empty)
	}
	return fmt.Sprintf("only %d bookkeeping file(s) such as _SUCCESS or .crc and %d empty file(s)", f.Bookkeeping, f.Empty)
}

// IsGlob reports whether s has glob metacharacters (and so names files by pattern).
func IsGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

// Local resolves a local input: a file (one part), a folder (its files, not
// its sub-folders) or a glob pattern such as exports/2026-11/*.csv.gz. A
// path that exists is taken as it is, even with glob characters in its name.
func Local(input string) (Source, error) {
	st, err := os.Stat(input)
	switch {
	case err == nil && st.IsDir():
		return localFolder(input)
	case err == nil:
		return LocalFile(input)
	case IsGlob(input):
		return localGlob(input)
	}
	return LocalFile(input) // says the file cannot be read
}

func localFolder(dir string) (Source, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Source{}, fmt.Errorf("cannot read the input folder %s: %w", dir, err)
	}
	name := filepath.Base(filepath.Clean(dir))
	var f Found
	folders := 0
	for _, e := range entries {
		if e.IsDir() {
			folders++
			continue
		}
		if err := addLocal(&f, filepath.Join(dir, e.Name()), name+"/"+e.Name()); err != nil {
			return Source{}, err
		}
	}
	if len(f.Parts) == 0 && folders > 0 {
		return Source{}, fmt.Errorf("the folder %s holds %d folder(s) but no data files (sub-folders are not read): choose the folder that holds the part files", dir, folders)
	}
	return Combine(name, f)
}

func localGlob(pattern string) (Source, error) {
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return Source{}, fmt.Errorf("the input pattern %s is not a valid glob (%v): use * and ? in file names, e.g. exports/*.csv.gz", pattern, err)
	}
	if len(matches) == 0 {
		return Source{}, fmt.Errorf("no file matches %s: check the folder and the pattern", pattern)
	}
	var f Found
	for _, m := range matches {
		st, err := os.Stat(m)
		if err == nil && st.IsDir() {
			continue
		}
		if err := addLocal(&f, m, filepath.ToSlash(m)); err != nil {
			return Source{}, err
		}
	}
	return Combine(pattern, f)
}

// addLocal adds one file of a folder or glob, unless it is bookkeeping or empty.
func addLocal(f *Found, file, name string) error {
	if Skip(file) {
		f.Bookkeeping++
		return nil
	}
	src, err := LocalFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // removed while listing; a broken link
	}
	if err != nil {
		return err
	}
	if src.Size == 0 {
		f.Empty++
		return nil
	}
	src.Name = name
	f.Parts = append(f.Parts, src)
	return nil
}
