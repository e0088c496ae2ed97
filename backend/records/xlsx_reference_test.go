package records

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/xuri/excelize/v2"
)

// The decoder the streaming sheet reader replaced, kept here as the reference it is checked against: the
// rows excelize's row iterator gave (RawCellValue), numbers as exactNumber writes them, blank rows skipped.
// Each row is "num|cell|cell..." or, for a bad row, "num!message".

func excelizeRows(t testing.TB, data []byte, sheet string) []string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true, TmpDir: t.TempDir()})
	if err != nil {
		t.Fatalf("excelize cannot open the workbook: %v", err)
	}
	return excelizeFileRows(t, f, sheet)
}

// excelizeRowsIfOpens is excelizeRows, ok false when excelize cannot open the workbook.
func excelizeRowsIfOpens(t testing.TB, data []byte) ([]string, bool) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true, TmpDir: t.TempDir()})
	if err != nil {
		return nil, false
	}
	return excelizeFileRows(t, f, ""), true
}

// wellFormed is true when encoding/xml reads the whole document without an error.
func wellFormed(doc string) bool {
	d := xml.NewDecoder(strings.NewReader(doc))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
	}
}

func excelizeFileRows(t testing.TB, f *excelize.File, sheet string) []string {
	defer f.Close()
	if sheet == "" {
		sheet = f.GetSheetList()[0]
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for n := int64(1); rows.Next(); n++ {
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			out = append(out, fmt.Sprintf("%d!%v", n, err))
			continue
		}
		blank := true
		for i, c := range cells {
			cells[i] = exactNumber(c)
			blank = blank && strings.TrimSpace(cells[i]) == ""
		}
		if !blank {
			out = append(out, fmt.Sprintf("%d|%s", n, strings.Join(cells, "|")))
		}
	}
	if err := rows.Error(); err != nil {
		out = append(out, "error: "+err.Error())
	}
	return out
}

// streamedRows reads the same sheet with sheetReader, in the same form; a bad row's message is excelize's
// error where the two report the same thing.
func streamedRows(t testing.TB, data []byte, sheet string) ([]string, error) {
	return streamedRowsVia(t, data, sheet, nil)
}

// streamedRowsVia reads each part through wrap (iotest.OneByteReader, say), so every token crosses the
// scanner's buffer refills.
func streamedRowsVia(t testing.TB, data []byte, sheet string, wrap func(io.Reader) io.Reader) ([]string, error) {
	if wrap == nil {
		wrap = func(r io.Reader) io.Reader { return r }
	}
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	book, err := readXLSXBook(zr)
	if err != nil {
		return nil, err
	}
	if sheet == "" {
		sheet = book.sheets[0]
	}
	part, ok := book.partOf(sheet)
	if !ok {
		return nil, errNoSheetPart
	}
	var sst *sharedStrings
	if f := book.sharedStringsPart(); f != nil {
		if sst, err = readSharedStringsVia(f, wrap); err != nil {
			return nil, err
		}
	}
	rc, err := part.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	r := newSheetReader(wrap(rc), sst)
	var out []string
	for {
		err := r.next()
		if err == io.EOF {
			return out, nil
		}
		var bad *xlsxRowError
		if errors.As(err, &bad) {
			msg := strings.TrimPrefix(bad.msg, "the row could not be read: ")
			out = append(out, fmt.Sprintf("%d!%s", bad.row, msg))
			continue
		}
		if err != nil {
			return out, err
		}
		cells := make([]string, len(r.cells))
		for i := range cells {
			cells[i] = string(r.cell(i))
		}
		out = append(out, fmt.Sprintf("%d|%s", r.row, strings.Join(cells, "|")))
	}
}

// sameRows fails the test where the streamed rows differ from excelize's.
func sameRows(t *testing.T, what string, data []byte, sheet string) {
	t.Helper()
	want := excelizeRows(t, data, sheet)
	got, err := streamedRows(t, data, sheet)
	if err != nil {
		t.Fatalf("%s: streamed reader: %v", what, err)
	}
	sameRowsAs(t, what, got, want)
	// Every token split across reads: a value must never be read from a buffer that has moved.
	got, err = streamedRowsVia(t, data, sheet, iotest.OneByteReader)
	if err != nil {
		t.Fatalf("%s: streamed reader, one byte per read: %v", what, err)
	}
	sameRowsAs(t, what+", one byte per read", got, want)
}

func sameRowsAs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d rows streamed, excelize read %d", what, len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("%s: row %d differs:\n streamed %q\n excelize %q", what, i, got[i], want[i])
		}
	}
}
