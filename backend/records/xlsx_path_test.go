package records

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/xuri/excelize/v2"
)

// readAtCounter counts the bytes read through it.
type readAtCounter struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *readAtCounter) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// openFile opens a local file the way the transform does: a stream, random
// access to it, and its path.
func openFile(t *testing.T, path string, opts Options) (*Reader, *readAtCounter, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	at := &readAtCounter{r: f}
	opts.At, opts.Size, opts.Path = at, st.Size(), path
	opts.Name = filepath.Base(path)
	rd, err := Open(f, opts)
	return rd, at, err
}

// A local workbook is read by offset, each byte once (the sheet streamed from its ZIP entry, never copied
// whole into memory first), and nothing is written to the temporary folder: the rows are all read.
func TestExcelLocalFileIsNotCopied(t *testing.T) {
	const rows = 20000
	path := filepath.Join(t.TempDir(), "list.xlsx")
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.SetRow("A1", []any{"email", "note"}); err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, []any{fmt.Sprintf("user%d@example.com", i), fmt.Sprintf("note %d %x", i, i*7919)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	rd, at, err := openFile(t, path, Options{TempDir: tmp})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	size := int64(0)
	if st, err := os.Stat(path); err == nil {
		size = st.Size()
	}
	vals, _ := extractAll(t, rd, "email")
	if got := at.n.Load(); got > size+size/10 {
		t.Errorf("reading a %d-byte workbook read %d bytes through At: parts were read more than once", size, got)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("reading the workbook wrote %d files to the temporary folder", len(left))
	}
	if len(vals) != rows || string(vals[rows-1][0].Bytes) != fmt.Sprintf("user%d@example.com", rows-1) {
		t.Fatalf("read %d rows; want %d, the last user%d@example.com", len(vals), rows, rows-1)
	}
}

// The ZIP's stated sizes are checked before excelize opens the file by path.
func TestExcelLocalFileSizesAreChecked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.xlsx")
	bomb := withStatedSize(t, fixture(t, "list.xlsx"), "xl/styles.xml", 8, 1<<31)
	if err := os.WriteFile(path, bomb, 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := openFile(t, path, Options{})
	if err == nil || !strings.Contains(err.Error(), "is damaged or is a ZIP bomb") {
		t.Fatalf("error %v; want the ZIP bomb check's", err)
	}
}
