package records

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
	"github.com/xuri/excelize/v2"
)

// The fixtures were written by DuckDB, openpyxl and the zstd/bzip2 tools (testdata/gen/generate.sh); the
// end-to-end hashes of every row are checked in backend/cli/formats_test.go.

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "binary", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// openBytes opens data as a file would be: a stream plus random access to the same bytes.
func openBytes(data []byte, opts Options) (*Reader, error) {
	if opts.Name == "" {
		opts.Name = "test.file"
	}
	opts.At, opts.Size = bytes.NewReader(data), int64(len(data))
	return Open(bytes.NewReader(data), opts)
}

// extractAll reads every record and extracts fields from it.
func extractAll(t testing.TB, r *Reader, fields ...string) ([][]Value, []int64) {
	t.Helper()
	ex, err := r.NewExtractor(fields)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]Value
	var lines []int64
	var c Chunk
	for {
		err := r.NextChunk(&c, 300)
		if err == io.EOF {
			return out, lines
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, sp := range c.Records {
			vals := make([]Value, len(fields))
			if err := ex.Extract(c.Data[sp.Start:sp.End], sp.Line, vals); err != nil {
				t.Fatal(err)
			}
			for i := range vals {
				vals[i].Bytes = append([]byte(nil), vals[i].Bytes...)
			}
			out = append(out, vals)
			lines = append(lines, sp.Line)
		}
	}
}

func TestParquetValuesAndKinds(t *testing.T) {
	r, err := openBytes(fixture(t, "list_zstd.parquet"), Options{Name: "list_zstd.parquet"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Format() != FormatParquet || r.RowCount() != 4500 {
		t.Fatalf("format %s, rows %d", r.Format(), r.RowCount())
	}
	rows, lines := extractAll(t, r, "phone", "phone_double", "phone_decimal", "maid", "contact.level.phone", "email", "segment")
	if len(rows) != 4500 || lines[0] != 1 || lines[4499] != 4500 {
		t.Fatalf("%d rows, lines %d..%d", len(rows), lines[0], lines[len(lines)-1])
	}
	for _, i := range []int{0, 3, 5, 7, 2047, 2048, 4499} { // across the row groups' boundaries
		v := rows[i]
		wantPhone := Value{Kind: Number, Bytes: []byte(fmt.Sprint(16135550000 + i))}
		if i == 0 {
			wantPhone.Bytes = []byte("16134444444")
		}
		if i%10 == 3 {
			wantPhone = Value{Kind: Null}
		}
		check := func(name string, got, want Value) {
			if got.Kind != want.Kind || string(got.Bytes) != string(want.Bytes) {
				t.Errorf("row %d %s = %s %q; want %s %q", i, name, got.Kind, got.Bytes, want.Kind, want.Bytes)
			}
		}
		check("phone", v[0], wantPhone)
		check("phone_double", v[1], Value{Kind: Number, Bytes: []byte(fmt.Sprint(16138880000 + i))})
		check("phone_decimal", v[2], Value{Kind: Number, Bytes: []byte(fmt.Sprint(16136660000 + i))})
		if i%10 != 5 && i != 0 {
			check("maid", v[3], Value{Kind: String, Bytes: []byte(fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i))})
		}
		check("contact.level.phone", v[4], Value{Kind: Number, Bytes: []byte(fmt.Sprint(16137770000 + i))})
		if i%10 == 7 && v[5].Kind != Null {
			t.Errorf("row %d email = %s; want null", i, v[5].Kind)
		}
		seg := "retail"
		if i%2 == 1 {
			seg = "online"
		}
		check("segment", v[6], Value{Kind: String, Bytes: []byte(seg)})
	}
}

// rangeRecorder records the byte ranges read through ReadAt.
type rangeRecorder struct {
	r      io.ReaderAt
	mu     sync.Mutex
	ranges [][2]int64
}

func (rr *rangeRecorder) ReadAt(p []byte, off int64) (int, error) {
	n, err := rr.r.ReadAt(p, off)
	rr.mu.Lock()
	rr.ranges = append(rr.ranges, [2]int64{off, off + int64(n)})
	rr.mu.Unlock()
	return n, err
}

// Only the mapped column's chunks are read, in every row group: no byte of another column's chunk.
func TestParquetReadsOnlyMappedColumns(t *testing.T) {
	data := fixture(t, "list_snappy.parquet")
	meta := parquetFooter(t, data)
	rec := &rangeRecorder{r: bytes.NewReader(data)}
	r, err := Open(bytes.NewReader(data[:8]), Options{Name: "list_snappy.parquet", At: rec, Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := extractAll(t, r, "contact.email")
	if len(rows) != 4500 {
		t.Fatalf("%d rows", len(rows))
	}
	footerStart := int64(len(data)) - 8 - int64(binary.LittleEndian.Uint32(data[len(data)-8:]))
	var mapped, others [][2]int64
	for _, g := range meta.RowGroups {
		for _, c := range g.Columns {
			md := c.MetaData
			start := md.DataPageOffset
			if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
				start = md.DictionaryPageOffset
			}
			span := [2]int64{start, start + md.TotalCompressedSize}
			if strings.Join(md.PathInSchema, ".") == "contact.email" {
				mapped = append(mapped, span)
			} else {
				others = append(others, span)
			}
		}
	}
	if len(mapped) != 3 {
		t.Fatalf("%d chunks of contact.email; want 3 (one per row group)", len(mapped))
	}
	var read int64
	for _, rg := range rec.ranges {
		read += rg[1] - rg[0]
		if rg[1] <= 4 || rg[0] >= footerStart {
			continue // magic, footer
		}
		for _, o := range others {
			if rg[0] < o[1] && o[0] < rg[1] {
				t.Fatalf("read bytes %d-%d, which belong to another column's chunk (%d-%d)", rg[0], rg[1], o[0], o[1])
			}
		}
	}
	if read > int64(len(data))/4 {
		t.Fatalf("read %d of %d bytes for one column of 13", read, len(data))
	}
}

func parquetFooter(t *testing.T, data []byte) *format.FileMetaData {
	t.Helper()
	n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	var md format.FileMetaData
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), data[len(data)-8-n:len(data)-8], &md); err != nil {
		t.Fatal(err)
	}
	return &md
}

// withCodec rewrites a Parquet file's footer to claim every chunk uses codec (the pages are unchanged).
func withCodec(t *testing.T, data []byte, codec format.CompressionCodec) []byte {
	t.Helper()
	md := parquetFooter(t, data)
	for i := range md.RowGroups {
		for j := range md.RowGroups[i].Columns {
			md.RowGroups[i].Columns[j].MetaData.Codec = codec
		}
	}
	footer, err := thrift.Marshal(new(thrift.CompactProtocol), md)
	if err != nil {
		t.Fatal(err)
	}
	n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	out := append([]byte(nil), data[:len(data)-8-n]...)
	out = append(out, footer...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(footer)))
	return append(out, "PAR1"...)
}

func TestParquetBadInput(t *testing.T) {
	good := fixture(t, "list_uncompressed.parquet")
	wrongMagic := append([]byte("PAR2"), good[4:]...)
	for _, tc := range []struct {
		name string
		data []byte
		opts Options
		want string // in Open's error, or else in the first NextChunk's
	}{
		{"truncated (no footer)", good[:len(good)/2], Options{}, "is not a complete Parquet file"},
		{"only the magic", []byte("PAR1"), Options{}, "is not a complete Parquet file"},
		{"wrong magic, --format parquet", wrongMagic, Options{Format: FormatParquet}, "does not start with Parquet's PAR1 mark"},
		{"encrypted (DuckDB)", fixture(t, "encrypted.parquet"), Options{}, "is an encrypted Parquet file"},
		{"unsupported codec (LZO)", withCodec(t, good, format.LZO), Options{}, "is compressed with LZO, which this app cannot read"},
		{"damaged footer", append(append([]byte("PAR1"), bytes.Repeat([]byte{0xff}, 64)...), 10, 0, 0, 0, 'P', 'A', 'R', '1'), Options{}, "Parquet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Name = "list.parquet"
			r, err := openBytes(tc.data, tc.opts)
			if err == nil {
				defer r.Close()
				_, err = r.NewExtractor([]string{"email"})
				if err == nil {
					var c Chunk
					err = r.NextChunk(&c, 10)
				}
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "list.parquet") {
				t.Fatalf("error %v; want one naming the file and saying %q", err, tc.want)
			}
		})
	}
	// Without random access (a plain stream), a clear error instead of reading it wrong.
	_, err := Open(bytes.NewReader(good), Options{Name: "list.parquet"})
	if err == nil || !strings.Contains(err.Error(), "list.parquet is a Parquet file") {
		t.Fatalf("stream-only Parquet: %v", err)
	}
}

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, _ := zw.Create(n)
		w.Write([]byte(files[n]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// excelizeBook writes a workbook with excelize (shared strings, as Excel writes them), optionally encrypted.
func excelizeBook(t *testing.T, rows [][]any, password string) []byte {
	t.Helper()
	f := excelize.NewFile()
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf, excelize.Options{Password: password}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExcelBadInput(t *testing.T) {
	good := fixture(t, "list.xlsx")
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"a zip of something else", zipOf(t, map[string]string{"readme.txt": "hello", "data/list.csv": "email\n"}), "is a ZIP archive, not an Excel workbook"},
		{"a Word document", zipOf(t, map[string]string{"[Content_Types].xml": "<x/>", "word/document.xml": "<x/>"}), "is a Word document"},
		{"an .ods", zipOf(t, map[string]string{"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"}), "OpenDocument"},
		{"truncated", good[:len(good)/2], "is a ZIP archive that cannot be read"},
		{"password-protected", excelizeBook(t, [][]any{{"email"}, {"janedoe@gmail.com"}}, "secret"), "is a password-protected Excel workbook"},
		{"old .xls", append(append([]byte(nil), oleMagic...), make([]byte, 1024)...), "old Excel .xls"},
		{"workbook.xml that is not XML", zipOf(t, map[string]string{"xl/workbook.xml": "\x00\x01not xml", "[Content_Types].xml": "<Types/>"}), "list.xlsx"},
		{"empty sheet", excelizeBook(t, nil, ""), `list.xlsx, sheet "Sheet1", is empty`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := openBytes(tc.data, Options{Name: "list.xlsx"})
			if err == nil {
				r.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "list.xlsx") {
				t.Fatalf("error %v; want one naming the file and saying %q", err, tc.want)
			}
		})
	}
}

// A workbook as Excel writes it (shared strings), read with and without random access: numbers stored as
// floats come out as their digits, the header is detected, rows keep Excel's numbers.
func TestExcelSharedStringsAndNumbers(t *testing.T) {
	data := excelizeBook(t, [][]any{
		{"Email", "Phone", "Joined"},
		{"janedoe@gmail.com", 4.47911123456e11, 45292.5},
		{},
		{" Jane.Doe+shopping@Gmail.com ", 16134444444, true},
	}, "")
	for _, stream := range []bool{false, true} {
		var r *Reader
		var err error
		if stream {
			r, err = Open(bytes.NewReader(data), Options{Name: "book.xlsx"})
		} else {
			r, err = openBytes(data, Options{Name: "book.xlsx"})
		}
		if err != nil {
			t.Fatal(err)
		}
		if !r.HasHeader() || strings.Join(r.Header(), ",") != "Email,Phone,Joined" || r.Sheet() != "Sheet1" {
			t.Fatalf("header %v (%v), sheet %q", r.Header(), r.HasHeader(), r.Sheet())
		}
		rows, lines := extractAll(t, r, "Phone", "Email", "Joined")
		r.Close()
		if len(rows) != 2 || lines[0] != 2 || lines[1] != 4 {
			t.Fatalf("%d rows, lines %v", len(rows), lines)
		}
		if got := string(rows[0][0].Bytes); got != "447911123456" {
			t.Errorf("phone stored as a float reads %q; want 447911123456", got)
		}
		if got := string(rows[1][1].Bytes); got != " Jane.Doe+shopping@Gmail.com " {
			t.Errorf("shared string reads %q", got)
		}
		if got := string(rows[0][2].Bytes); got != "45292.5" {
			t.Errorf("a date-like number reads %q", got)
		}
	}
}

func TestExactNumber(t *testing.T) {
	for in, want := range map[string]string{
		"4.47911123456E+11": "447911123456", "4.47911123456e+11": "447911123456", "447911123456.0": "447911123456",
		"1.613999E+10": "16139990000", "16134444444": "16134444444", "-1.5E+2": "-150", "1.25E-1": "0.125",
		"45292.5": "45292.5", "1E5": "1E5", "12345678901234567890123456789e12": "12345678901234567890123456789e12",
		"918f1d4f-d195-4a8b-af47-44683fe11db9": "918f1d4f-d195-4a8b-af47-44683fe11db9", "janedoe@gmail.com": "janedoe@gmail.com",
		"1.2.3E+4": "1.2.3E+4", "E+11": "E+11", "1.0E+400": "1.0E+400",
	} {
		if got := exactNumber(in); got != want {
			t.Errorf("exactNumber(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestCompressedTextBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"zstd truncated", fixture(t, "list.csv.zst")[:200], "corrupt or truncated zstd data"},
		{"zstd damaged", damage(fixture(t, "list.csv.zst")), "zstd"},
		{"bzip2 truncated", fixture(t, "list.csv.bz2")[:300], "corrupt or truncated bzip2 data"},
		{"bzip2 damaged", damage(fixture(t, "list.csv.bz2")), "bzip2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Open(bytes.NewReader(tc.data), Options{Name: "list.csv"})
			if err == nil {
				_, _, err = readAll(t, r, 100)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "list.csv") {
				t.Fatalf("error %v; want one naming the file and saying %q", err, tc.want)
			}
		})
	}
}

// damage flips bytes in the middle of compressed data.
func damage(b []byte) []byte {
	b = append([]byte(nil), b...)
	for i := len(b) / 3; i < len(b)/3+16; i++ {
		b[i] ^= 0x5a
	}
	return b
}

// A row past the rows the header was decided on, with values beyond the header's columns, is counted as
// a bad row naming its sheet, row and first extra column, like a CSV row with more fields than the header.
func TestExcelCellsBeyondTheHeader(t *testing.T) {
	rows := [][]any{{"Email", "Phone"}}
	for i := range 60 {
		rows = append(rows, []any{fmt.Sprintf("user%d@example.com", i), 16134440000 + i})
	}
	rows = append(rows, []any{"wide@example.com", 16135550000, nil, "stray note", "more"}) // row 62
	rows = append(rows, []any{"last@example.com", 16135550001, ""})                        // an empty cell is not extra
	data := excelizeBook(t, rows, "")
	r, err := openBytes(data, Options{Name: "book.xlsx"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, errs, err := readAll(t, r, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 61 || got[len(got)-1].Line != 63 {
		t.Fatalf("%d rows read, the last on row %d; want 61, the last on row 63", len(got), got[len(got)-1].Line)
	}
	if len(errs) != 1 {
		t.Fatalf("%d bad rows, want 1: %v", len(errs), errs)
	}
	want := `book.xlsx, sheet "Sheet1", row 62, column D: row has 5 cells, the header has 2 (3 extra)`
	if e := errs[0]; e.Error() != want || e.Sheet != "Sheet1" || e.Line != 62 || e.Column != 4 {
		t.Fatalf("bad row reported as %q (%+v); want %q", e.Error(), *e, want)
	}
}
