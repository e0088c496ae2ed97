package s3test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// The helpers below build a Spark-style result folder (as Glue, Athena and
// AWS Clean Rooms write one), put it on S3 or in a local folder, and compare
// what the transform makes of each: the storage and Clean Rooms tests check
// that a prefix on S3 reads exactly as the same files in a folder.

// SparkName is a part file's name as Spark writes it.
func SparkName(i int, ext string) string {
	return fmt.Sprintf("part-%05d-1b9c6c4e-7a52-4f0e-9d3c-2b1f0e6a8c%02d-c000.%s", i, i, ext)
}

// Gzipped is s compressed with gzip.
func Gzipped(t testing.TB, s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// SparkFolder is the files of one Spark-style result: the parts, an empty
// part (zero bytes), for csv.gz a part that is only an empty gzip stream,
// _SUCCESS and Hadoop's checksum and commit files.
func SparkFolder(t testing.TB, parts [][]byte, ext string) map[string][]byte {
	files := map[string][]byte{"_SUCCESS": nil, "_committed_12345": []byte("{}"), "_started_12345": nil}
	for i, p := range parts {
		files[SparkName(i, ext)] = p
		files["."+SparkName(i, ext)+".crc"] = []byte("crc")
	}
	files[SparkName(len(parts), ext)] = nil
	if ext == "csv.gz" {
		files[SparkName(len(parts)+1, ext)] = Gzipped(t, "")
	}
	return files
}

// PutFolder puts files (name: content) under prefix in bucket.
func (s *Server) PutFolder(t testing.TB, bucket, prefix string, files map[string][]byte) {
	for name, data := range files {
		s.Put(t, bucket, prefix+name, data)
	}
}

// WriteFolder writes files (name: content) into dir, making it.
func WriteFolder(t testing.TB, dir string, files map[string][]byte) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// RunParts transforms src with the mappings ("email=email", …) into a
// temporary folder with one worker, so parts are read in name order and the
// output is the same on every run.
func RunParts(t testing.TB, src inputs.Source, maps ...string) *transform.Manifest {
	t.Helper()
	var ms []transform.Mapping
	for _, s := range maps {
		m, err := transform.ParseMapping(s)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	m, err := transform.Run(context.Background(), transform.Options{Source: src, Mappings: ms,
		OutDir: filepath.Join(t.TempDir(), "out"), Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// FileHashes lists the manifest's output files with their rows and MD5, one
// a line: two runs made the same output when these are equal.
func FileHashes(m *transform.Manifest) string {
	var s []string
	for _, f := range m.Files {
		s = append(s, fmt.Sprintf("%s %d %s", f.Path, f.Rows, f.MD5))
	}
	return strings.Join(s, "\n")
}
