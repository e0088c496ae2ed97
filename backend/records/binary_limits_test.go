package records

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// parquetWith wraps a footer's bytes in a Parquet file: PAR1, body, footer, its length, PAR1.
func parquetWith(body, footer []byte) []byte {
	b := append([]byte("PAR1"), body...)
	b = append(b, footer...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(footer)))
	return append(b, "PAR1"...)
}

// withFirstPage replaces the whole "email" column chunk of the first row group with one page header h,
// zero-padded to the chunk's length, so the footer still describes the file.
func withFirstPage(t *testing.T, data []byte, h format.PageHeader) []byte {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
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
			t.Fatal(err)
		}
		if int64(len(hb)) > md.TotalCompressedSize {
			t.Fatalf("a %d-byte header does not fit the %d-byte chunk", len(hb), md.TotalCompressedSize)
		}
		out := append([]byte(nil), data...)
		chunk := out[start : start+md.TotalCompressedSize]
		clear(chunk)
		copy(chunk, hb)
		return out
	}
	t.Fatal("no email column")
	return nil
}

func dataPage(values, uncompressed, compressed int32) format.PageHeader {
	h := format.PageHeader{Type: format.DataPage, UncompressedPageSize: uncompressed, CompressedPageSize: compressed}
	h.DataPageHeader.Valid = true
	h.DataPageHeader.V = format.DataPageHeader{NumValues: values, Encoding: format.Plain, DefinitionLevelEncoding: format.RLE, RepetitionLevelEncoding: format.RLE}
	return h
}

// parquet-go allocates what a footer or page header states before reading the bytes behind it, and an
// allocation that cannot be satisfied kills the process (found by FuzzParquet: a 14-byte file whose footer
// length says 695 MiB made every fuzzing worker allocate that much, until one hung). Each stated size is
// checked against the file first, and the file gets an error that names it.
func TestParquetStatedSizesAreChecked(t *testing.T) {
	good := fixture(t, "list_uncompressed.parquet")
	var hugeList []byte // FileMetaData{version: 1, schema: a list that says it has 2^31-1 elements}
	hugeList = append(hugeList, 0x15, 0x02, 0x19, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00)
	var deep []byte // structs nested far deeper than any Parquet footer (unknown field 15, again and again)
	for range 100000 {
		deep = append(deep, 0xfc)
	}
	dict := format.PageHeader{Type: format.DictionaryPage, UncompressedPageSize: 16, CompressedPageSize: 16}
	dict.DictionaryPageHeader.Valid = true
	dict.DictionaryPageHeader.V = format.DictionaryPageHeader{NumValues: 1 << 30, Encoding: format.Plain}
	for _, tc := range []struct {
		name string
		data []byte
		want string // in Open's error, or else in the first NextChunk's
	}{
		{"footer length larger than the file (fuzz crasher)", []byte("PAR1\x97G'\xb8z+PAR1"), "its footer says it is 729462823 bytes, more than the file holds"},
		{"footer list of 2^31-1 elements", parquetWith(nil, hugeList), "damaged footer"},
		{"footer nested 100000 deep", parquetWith(nil, deep), "damaged footer"},
		{"page larger than its chunk", withFirstPage(t, good, dataPage(10, 1<<31-1, 1<<31-1)), "more than its column chunk holds"},
		{"page of 128 MiB + 1 uncompressed", withFirstPage(t, good, dataPage(10, maxParquetPageSize+1, 0)), "more than the 128 MiB this app accepts"},
		{"page with more values than its row group has rows", withFirstPage(t, good, dataPage(1<<31-1, 0, 0)), "more than the 250 rows of its row group"},
		{"dictionary of 2^30 values in 16 bytes", withFirstPage(t, good, dict), "more than its 16 bytes can hold"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := openBytes(tc.data, Options{Name: "list.parquet", Format: FormatParquet})
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
}

func TestCheckThrift(t *testing.T) {
	// A real footer passes and its length is found.
	good := fixture(t, "list_snappy.parquet")
	n := int(binary.LittleEndian.Uint32(good[len(good)-8:]))
	footer := good[len(good)-8-n : len(good)-8]
	if got, err := checkThrift(footer); err != nil || got != n {
		t.Fatalf("a DuckDB footer: length %d, error %v; want %d, none", got, err, n)
	}
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"list longer than the bytes", []byte{0x19, 0xfc, 0x80, 0x80, 0x04, 0x00}},
		{"binary longer than the bytes", []byte{0x18, 0x80, 0x80, 0x04, 'a', 0x00}},
		{"map larger than the bytes", []byte{0x1b, 0xff, 0xff, 0x03, 0x55, 0x00}},
		{"no stop", []byte{0x15, 0x02}},
		{"unknown type", []byte{0x1e, 0x00}},
	} {
		if _, err := checkThrift(tc.b); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

// excelize reads a workbook part whole into memory, with a buffer of the size the ZIP states; the sizes
// are checked first.
func TestXLSXStatedSizesAreChecked(t *testing.T) {
	good := fixture(t, "list.xlsx")
	honest := zipWith(t, good, "xl/styles.xml", bytes.Repeat([]byte{' '}, 8<<20)) // 8 MiB of spaces: ~8 KiB deflated
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"a part whose ratio no DEFLATE reaches", withStatedSize(t, good, "xl/styles.xml", 8, 1<<31), "is damaged or is a ZIP bomb"},
		{"a stored part larger than what is read into memory", withStatedSize(t, good, "xl/styles.xml", 0, maxXLSXPart+1), "more than the 256 MiB this app reads"},
		{"all parts together too large", withStatedSize(t, withStatedSize(t, good, "xl/worksheets/sheet1.xml", 0, 3<<30), "xl/worksheets/sheet2.xml", 0, 2<<30), "unpacks to more than 4 GiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := openBytes(tc.data, Options{Name: "list.xlsx"})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "list.xlsx") {
				t.Fatalf("error %v; want one naming the file and saying %q", err, tc.want)
			}
		})
	}
	// A highly compressible but honest part (1000:1 is within DEFLATE's reach) is read.
	r, err := openBytes(honest, Options{Name: "list.xlsx"})
	if err != nil {
		t.Fatalf("a workbook with 8 MiB of styles: %v", err)
	}
	r.Close()
}

// zipWith copies a ZIP archive, adding (or replacing) one entry, deflated.
func zipWith(t *testing.T, data []byte, name string, content []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if f.Name == name {
			continue
		}
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withStatedSize rewrites an entry's central-directory record to state a method (8 deflate, 0 stored) and
// an uncompressed size (and, stored, the same compressed size): a lie the data cannot back, what a
// damaged or hostile file does.
func withStatedSize(t *testing.T, data []byte, name string, method uint16, size uint32) []byte {
	t.Helper()
	out := append([]byte(nil), data...)
	i := bytes.LastIndex(out, []byte("PK\x05\x06"))
	if i < 0 {
		t.Fatal("no end of central directory")
	}
	dir := int(binary.LittleEndian.Uint32(out[i+16:]))
	for p := dir; p+46 <= i && string(out[p:p+4]) == "PK\x01\x02"; {
		nameLen := int(binary.LittleEndian.Uint16(out[p+28:]))
		extraLen := int(binary.LittleEndian.Uint16(out[p+30:]))
		commentLen := int(binary.LittleEndian.Uint16(out[p+32:]))
		if string(out[p+46:p+46+nameLen]) == name {
			binary.LittleEndian.PutUint16(out[p+10:], method)
			if method == zip.Store {
				binary.LittleEndian.PutUint32(out[p+20:], size)
			}
			binary.LittleEndian.PutUint32(out[p+24:], size)
			return out
		}
		p += 46 + nameLen + extraLen + commentLen
	}
	t.Fatalf("no entry %s", name)
	return nil
}
