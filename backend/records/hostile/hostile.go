// Package hostile writes files that state sizes, counts, depths and lengths past the records readers'
// bounds (xlsxlimits.go, parquetlimits.go, textlimits.go), for the tests that check every reader ends
// each one cleanly, in bounded memory. Each file is generated when asked, never committed: the largest
// unpack to 600 MB but take a few hundred KB on disk.
package hostile

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dsnet/compress/bzip2"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Case is one hostile file and how reading it must end.
type Case struct {
	Name string // also the file's base name
	// Want is in the sentence reading ends with (Counted false), or in the counted bad row's (Counted
	// true: reading goes on, and the good rows around it are read).
	Want    string
	Counted bool
	// Mapping is a column mapping a transform of the file can use (email=EMAIL).
	Mapping string
	// GoodRows is how many rows a run reads from a file whose bad row is counted.
	GoodRows int
	write    func(path string) error
}

// Write writes the case's file into dir and returns its path.
func (c Case) Write(dir string) (string, error) {
	p := filepath.Join(dir, c.Name)
	if err := c.write(p); err != nil {
		return "", fmt.Errorf("writing %s: %w", c.Name, err)
	}
	return p, nil
}

// HugeCell is the length of the one oversized cell (and field, and value): 600 MB.
const HugeCell = 600_000_000

// Cases lists every hostile file, one or more per bound.
func Cases() []Case { return cases(HugeCell) }

// FuzzSeeds is Cases for a fuzz corpus, where every input is run many times under coverage
// instrumentation (to minimize each new one; the engine counts one over 10 s as a hang): the 600 MB
// values are 256 KiB (still 8 times the longest cell), and the shared-strings tables sized past their
// bounds are left out.
func FuzzSeeds() []Case {
	var out []Case
	for _, c := range cases(256 << 10) {
		if !strings.HasPrefix(c.Name, "shared-strings-") {
			out = append(out, c)
		}
	}
	return out
}

// cases are the hostile files with huge as the length of the oversized cell, field and value.
func cases(huge int) []Case {
	return []Case{
		// Excel (xlsxlimits.go)
		{Name: "inline-cell-600MB.xlsx", Want: "longer than 32767 characters", Counted: true, Mapping: "email=email", GoodRows: 2,
			write: sheet(func(w io.Writer) {
				cellRow(w, 2, "a@example.com", "x")
				fmt.Fprint(w, `<row r="3"><c r="A3" t="inlineStr"><is><t>b@example.com</t></is></c><c r="B3" t="inlineStr"><is><t>`)
				repeat(w, 'x', huge)
				fmt.Fprint(w, `</t></is></c></row>`)
				cellRow(w, 4, "c@example.com", "x")
			}, nil)},
		{Name: "shared-string-100k.xlsx", Want: "longer than 32767 characters", Counted: true, Mapping: "email=email", GoodRows: 1,
			write: sheet(func(w io.Writer) {
				cellRow(w, 2, "a@example.com", "x")
				fmt.Fprint(w, `<row r="3"><c r="A3" t="inlineStr"><is><t>b@example.com</t></is></c><c r="B3" t="s"><v>0</v></c></row>`)
			}, func(w io.Writer) {
				fmt.Fprint(w, `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>`)
				repeat(w, 'y', 100_000)
				fmt.Fprint(w, `</t></si></sst>`)
			})},
		{Name: "cell-past-xfd.xlsx", Want: "past column XFD", Counted: true, Mapping: "email=email", GoodRows: 1,
			write: sheet(func(w io.Writer) {
				cellRow(w, 2, "a@example.com", "x")
				fmt.Fprint(w, `<row r="3"><c r="A3" t="inlineStr"><is><t>b@example.com</t></is></c><c r="XFE3"><v>1</v></c></row>`)
			}, nil)},
		{Name: "row-over-1MiB.xlsx", Want: "more than 1 MiB of text", Counted: true, Mapping: "email=email", GoodRows: 1,
			write: sheet(func(w io.Writer) {
				cellRow(w, 2, "a@example.com", "x")
				fmt.Fprint(w, `<row r="3"><c r="A3" t="inlineStr"><is><t>b@example.com</t></is></c>`)
				for i := range 40 {
					fmt.Fprintf(w, `<c t="inlineStr"><is><t>`)
					repeat(w, byte('a'+i%26), 30_000)
					fmt.Fprint(w, `</t></is></c>`)
				}
				fmt.Fprint(w, `</row>`)
			}, nil)},
		{Name: "nested-100k.xlsx", Want: "nested more than 64 deep",
			write: sheet(func(w io.Writer) {
				cellRow(w, 2, "a@example.com", "x")
				fmt.Fprint(w, `<row r="3"><c r="A3" t="inlineStr"><is>`)
				fmt.Fprint(w, strings.Repeat("<r>", 100_000))
			}, nil)},
		{Name: "tag-1MiB.xlsx", Want: "tag longer than 64 KiB",
			write: sheet(func(w io.Writer) {
				fmt.Fprint(w, `<row r="2" x="`)
				repeat(w, 'z', 1<<20)
				fmt.Fprint(w, `">`)
			}, nil)},
		{Name: "dtd.xlsx", Want: "DTD",
			write: sheet(func(w io.Writer) {
				fmt.Fprint(w, `<!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa">]>`)
			}, nil)},
		{Name: "row-past-1048576.xlsx", Want: "past 1048576",
			write: sheet(func(w io.Writer) {
				cellRow(w, 2, "a@example.com", "x")
				cellRow(w, 1048577, "b@example.com", "x")
			}, nil)},
		{Name: "shared-strings-9M.xlsx", Want: "more than 8388608 shared strings",
			write: sheet(func(w io.Writer) { cellRow(w, 2, "a@example.com", "x") }, func(w io.Writer) {
				fmt.Fprint(w, `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
				for range 9 << 20 {
					io.WriteString(w, `<si/>`)
				}
				fmt.Fprint(w, `</sst>`)
			})},
		{Name: "shared-strings-200MiB.xlsx", Want: "more than 128 MiB of shared strings",
			write: sheet(func(w io.Writer) { cellRow(w, 2, "a@example.com", "x") }, func(w io.Writer) {
				fmt.Fprint(w, `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
				for range 200 << 20 / 30_000 {
					io.WriteString(w, `<si><t>`)
					repeat(w, 's', 30_000)
					io.WriteString(w, `</t></si>`)
				}
				fmt.Fprint(w, `</sst>`)
			})},

		// Parquet (parquetlimits.go)
		{Name: "decimal-scale-2e9.parquet", Want: "DECIMAL(18, 2000000000)",
			write: decimalFile(2_000_000_000, 18)},
		{Name: "decimal-precision-60.parquet", Want: "DECIMAL(60, 2)",
			write: decimalFile(2, 60)},
		{Name: "value-1MB.parquet", Want: "longer than 131068 bytes", Counted: true, Mapping: "email=email", GoodRows: 2,
			write: parquetStrings([][2]string{{"a@example.com", "x"}, {strings.Repeat("v", 1<<20) + "@example.com", "x"}, {"c@example.com", "x"}})},
		{Name: "nested-100.parquet", Want: "nested more than 64 deep",
			write: nestedParquet(100)},
		{Name: "footer-length-695MiB.parquet", Want: "more than the file holds",
			write: bytesFile([]byte("PAR1\x97G'\xb8z+PAR1"))},
		{Name: "footer-list-2e31.parquet", Want: "damaged footer",
			write: bytesFile(parquetWith([]byte{0x15, 0x02, 0x19, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00}))},
		{Name: "page-1GiB.parquet", Want: "more than the 128 MiB this app accepts",
			write: withFirstPage(dataPage(10, 1<<30, 0))},
		{Name: "page-values-2e31.parquet", Want: "rows of its row group",
			write: withFirstPage(dataPage(1<<31-1, 0, 0))},
		{Name: "dictionary-2e30.parquet", Want: "more than its 16 bytes can hold",
			write: withFirstPage(func() format.PageHeader {
				h := format.PageHeader{Type: format.DictionaryPage, UncompressedPageSize: 16, CompressedPageSize: 16}
				h.DictionaryPageHeader.Valid = true
				h.DictionaryPageHeader.V = format.DictionaryPageHeader{NumValues: 1 << 30, Encoding: format.Plain}
				return h
			}())},

		// Text (textlimits.go): one record is at most 1 MiB, however the file is compressed.
		{Name: "field-600MB.csv.gz", Want: "longer than", Counted: true, Mapping: "email=email", GoodRows: 2,
			write: gzipped(func(w io.Writer) {
				fmt.Fprint(w, "email,note\na@example.com,x\nb@example.com,")
				repeat(w, 'x', huge)
				fmt.Fprint(w, "\nc@example.com,x\n")
			})},
		{Name: "quoted-field-600MB.csv.gz", Want: "longer than", Counted: true, Mapping: "email=email", GoodRows: 2,
			write: gzipped(func(w io.Writer) {
				fmt.Fprint(w, "email,note\na@example.com,x\nb@example.com,\"")
				repeat(w, '\n', huge)
				fmt.Fprint(w, "\"\nc@example.com,x\n")
			})},
		// bzip2's first stage turns 5 bytes into up to 259, so a 900 kB block can hold ~46 MB of one byte:
		// the parallel decoder holds only a few blocks.
		{Name: "field-600MB.csv.bz2", Want: "longer than", Counted: true, Mapping: "email=email", GoodRows: 2,
			write: bzip2ed(func(w io.Writer) {
				fmt.Fprint(w, "email,note\na@example.com,x\nb@example.com,")
				repeat(w, 'x', huge)
				fmt.Fprint(w, "\nc@example.com,x\n")
			})},
		{Name: "value-600MB.jsonl.gz", Want: "longer than", Counted: true, Mapping: "email=email", GoodRows: 2,
			write: gzipped(func(w io.Writer) {
				fmt.Fprint(w, `{"email":"a@example.com"}`+"\n"+`{"email":"b@example.com","note":"`)
				repeat(w, 'x', huge)
				fmt.Fprint(w, `"}`+"\n"+`{"email":"c@example.com"}`+"\n")
			})},
		{Name: "array-value-600MB.json.gz", Want: "longer than", Counted: true, Mapping: "email=email", GoodRows: 2,
			write: gzipped(func(w io.Writer) {
				fmt.Fprint(w, `[{"email":"a@example.com"},{"email":"b@example.com","note":"`)
				repeat(w, 'x', huge)
				fmt.Fprint(w, `"},{"email":"c@example.com"}]`)
			})},
		{Name: "nested-500k.jsonl", Want: "", Counted: false, Mapping: "email=email", GoodRows: 3,
			write: plain(func(w io.Writer) {
				fmt.Fprint(w, `{"email":"a@example.com"}`+"\n"+`{"email":"b@example.com","x":`)
				fmt.Fprint(w, strings.Repeat("[", 500_000), strings.Repeat("]", 500_000))
				fmt.Fprint(w, `}`+"\n"+`{"email":"c@example.com"}`+"\n")
			})},
	}
}

// repeat writes n copies of c.
func repeat(w io.Writer, c byte, n int) {
	block := []byte(strings.Repeat(string(c), 64<<10))
	for n > 0 {
		k := min(n, len(block))
		w.Write(block[:k])
		n -= k
	}
}

// cellRow writes a row of two inline strings.
func cellRow(w io.Writer, row int, a, b string) {
	fmt.Fprintf(w, `<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c><c r="B%d" t="inlineStr"><is><t>%s</t></is></c></row>`, row, row, a, row, b)
}

// sheet writes a one-sheet workbook, DEFLATE-compressed as Excel writes it, whose header row is
// email, note; rows writes the rows after it (and may leave the XML unfinished), shared the shared
// strings table (nil: none).
func sheet(rows func(io.Writer), shared func(io.Writer)) func(string) error {
	return func(path string) error {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		zw := zip.NewWriter(f)
		part := func(name string, write func(io.Writer)) error {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
			if err != nil {
				return err
			}
			bw := bufio.NewWriterSize(w, 64<<10)
			write(bw)
			return bw.Flush()
		}
		text := func(s string) func(io.Writer) { return func(w io.Writer) { io.WriteString(w, s) } }
		ct := `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`
		wb := `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`
		rels := `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`
		for _, p := range []struct {
			name  string
			write func(io.Writer)
		}{
			{"[Content_Types].xml", text(ct)},
			{"xl/workbook.xml", text(wb)},
			{"xl/_rels/workbook.xml.rels", text(rels)},
			// Parts excelize (and Excel) expect in every workbook.
			{"_rels/.rels", text(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)},
			{"xl/styles.xml", text(`<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellXfs></styleSheet>`)},
			{"xl/theme/theme1.xml", text(`<?xml version="1.0" encoding="UTF-8"?><a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="Office"></a:theme>`)},
			{"xl/worksheets/sheet1.xml", func(w io.Writer) {
				io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
				cellRow(w, 1, "email", "note")
				rows(w)
				io.WriteString(w, `</sheetData></worksheet>`)
			}},
		} {
			if err := part(p.name, p.write); err != nil {
				return err
			}
		}
		if shared != nil {
			if err := part("xl/sharedStrings.xml", shared); err != nil {
				return err
			}
		}
		if err := zw.Close(); err != nil {
			return err
		}
		return f.Close()
	}
}

func gzipped(write func(io.Writer)) func(string) error {
	return func(path string) error {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
		bw := bufio.NewWriterSize(zw, 64<<10)
		write(bw)
		if err := bw.Flush(); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		return f.Close()
	}
}

func bzip2ed(write func(io.Writer)) func(string) error {
	return func(path string) error {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		zw, err := bzip2.NewWriter(f, &bzip2.WriterConfig{Level: bzip2.BestCompression})
		if err != nil {
			return err
		}
		bw := bufio.NewWriterSize(zw, 64<<10)
		write(bw)
		if err := bw.Flush(); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		return f.Close()
	}
}

func plain(write func(io.Writer)) func(string) error {
	return func(path string) error {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		bw := bufio.NewWriter(f)
		write(bw)
		if err := bw.Flush(); err != nil {
			return err
		}
		return f.Close()
	}
}

// writeParquet writes rows of schema to path.
func writeParquet(path string, schema *parquet.Schema, rows []parquet.Row) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := parquet.NewWriter(f, schema)
	if len(rows) > 0 {
		if _, err := w.WriteRows(rows); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	return f.Close()
}

// decimalFile writes an email column and a DECIMAL(precision, scale) column stored as bytes (the
// issue's file: the scale is what the reader pads a value's digits to).
func decimalFile(scale, precision int) func(string) error {
	return func(path string) error {
		schema := parquet.NewSchema("list", parquet.Group{
			"amount": parquet.Decimal(scale, precision, parquet.ByteArrayType),
			"email":  parquet.String(),
		})
		rows := []parquet.Row{
			{parquet.ValueOf([]byte{0x01, 0x00}).Level(0, 0, 0), parquet.ValueOf("a@example.com").Level(0, 0, 1)},
		}
		return writeParquet(path, schema, rows)
	}
}

// parquetStrings writes email, note rows.
func parquetStrings(rows [][2]string) func(string) error {
	return func(path string) error {
		schema := parquet.NewSchema("list", parquet.Group{"email": parquet.String(), "note": parquet.String()})
		var out []parquet.Row
		for _, r := range rows {
			out = append(out, parquet.Row{parquet.ValueOf(r[0]).Level(0, 0, 0), parquet.ValueOf(r[1]).Level(0, 0, 1)})
		}
		return writeParquet(path, schema, out)
	}
}

// nestedParquet writes a schema of groups depth deep, with no rows.
func nestedParquet(depth int) func(string) error {
	return func(path string) error {
		var n parquet.Node = parquet.String()
		for range depth {
			n = parquet.Group{"a": n}
		}
		return writeParquet(path, parquet.NewSchema("list", parquet.Group{"email": parquet.String(), "deep": n}), nil)
	}
}

func bytesFile(b []byte) func(string) error {
	return func(path string) error { return os.WriteFile(path, b, 0o600) }
}

// parquetWith wraps a footer's bytes in a Parquet file: PAR1, footer, its length, PAR1.
func parquetWith(footer []byte) []byte {
	b := append([]byte("PAR1"), footer...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(footer)))
	return append(b, "PAR1"...)
}

func dataPage(values, uncompressed, compressed int32) format.PageHeader {
	h := format.PageHeader{Type: format.DataPage, UncompressedPageSize: uncompressed, CompressedPageSize: compressed}
	h.DataPageHeader.Valid = true
	h.DataPageHeader.V = format.DataPageHeader{NumValues: values, Encoding: format.Plain, DefinitionLevelEncoding: format.RLE, RepetitionLevelEncoding: format.RLE}
	return h
}

// withFirstPage writes 50 rows of email, note and replaces the email column chunk of the first row group
// with the page header h, zero-padded to the chunk's length, so the footer still describes the file.
func withFirstPage(h format.PageHeader) func(string) error {
	return func(path string) error {
		var rows [][2]string
		for i := range 50 {
			rows = append(rows, [2]string{fmt.Sprintf("person%02d@example.com", i), "x"})
		}
		if err := parquetStrings(rows)(path); err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return err
		}
		for _, c := range f.Metadata().RowGroups[0].Columns {
			md := c.MetaData
			if strings.Join(md.PathInSchema, ".") != "email" {
				continue
			}
			start := md.DataPageOffset
			if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
				start = md.DictionaryPageOffset
			}
			hb, err := thrift.Marshal(new(thrift.CompactProtocol), &h)
			if err != nil {
				return err
			}
			if int64(len(hb)) > md.TotalCompressedSize {
				return fmt.Errorf("a %d-byte header does not fit the %d-byte chunk", len(hb), md.TotalCompressedSize)
			}
			chunk := data[start : start+md.TotalCompressedSize]
			clear(chunk)
			copy(chunk, hb)
			return os.WriteFile(path, data, 0o600)
		}
		return fmt.Errorf("no email column")
	}
}
