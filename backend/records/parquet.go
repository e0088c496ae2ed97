package records

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// parquetTable reads a Parquet file one row group at a time, and of each row group only the column chunks
// of the projected columns: memory is bounded by one row group's mapped columns, and a file read through a
// ranged-GET ReaderAt costs the footer plus those chunks.
type parquetTable struct {
	name   string
	file   *parquet.File
	at     io.ReaderAt       // the file, for checking page headers before parquet-go reads them
	leaves []*parquet.Column // the readable leaf columns, in header order

	group     int // next row group to open
	groupRows int64
	groupRead int64
	cols      []*parquetColumn // projected columns of the open row group
	row       int64            // data rows handed out so far
}

// parquetColumn is one projected column's reading state within a row group.
type parquetColumn struct {
	index int // in the header
	leaf  *parquet.Column
	conv  func(dst []byte, v parquet.Value) (Kind, []byte)
	pages parquet.Pages
	page  parquet.Page
	vals  parquet.ValueReader
	buf   []parquet.Value // values read from the page, not yet used
	next  int

	// the batch's cells, converted at once so page buffers can be released
	kinds []Kind
	ends  []int
	data  []byte
}

// Codecs parquet-go decodes; LZO and the old Hadoop LZ4 framing are not among them.
var parquetCodecs = map[format.CompressionCodec]bool{
	format.Uncompressed: true, format.Snappy: true, format.Gzip: true, format.Brotli: true, format.Zstd: true, format.Lz4Raw: true,
}

func openParquet(r *Reader, at io.ReaderAt, size int64) error {
	at, err := checkParquetFooter(r.name, at, size)
	if err != nil {
		return err
	}
	f, err := parquet.OpenFile(at, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true), parquet.ReadBufferSize(1<<20))
	if err != nil {
		return parquetOpenError(r.name, size, err)
	}
	t := &parquetTable{name: r.name, file: f, at: at}
	var names, lists []string
	var walk func(c *parquet.Column)
	walk = func(c *parquet.Column) {
		if !c.Leaf() {
			for _, k := range c.Columns() {
				walk(k)
			}
			return
		}
		name := strings.Join(c.Path(), ".")
		if c.MaxRepetitionLevel() > 0 {
			lists = append(lists, name)
			return
		}
		t.leaves = append(t.leaves, c)
		names = append(names, name)
	}
	walk(f.Root())
	if len(lists) > 0 {
		r.warnings = append(r.warnings, fmt.Sprintf("%d list (repeated) column(s) cannot be mapped and are not listed, the first: %q", len(lists), SafeColumnName(lists[0])))
	}
	if len(t.leaves) == 0 {
		return fmt.Errorf("%s has no column that holds one value per row", r.name)
	}
	// Names are unique paths already; nameColumns only fills a (theoretically) empty one.
	if err := r.nameColumns(names); err != nil {
		return err
	}
	r.hasHeader = true
	r.rowCount = f.NumRows()
	r.tab = t
	return nil
}

// parquetOpenError explains why the footer could not be read.
func parquetOpenError(name string, size int64, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "DecryptionConfig"), strings.Contains(msg, "encrypted"):
		return fmt.Errorf("%s is an encrypted Parquet file, which this app cannot read: export it without Parquet encryption", name)
	case size < 12, strings.Contains(msg, "magic footer"), strings.Contains(msg, "reading footer"), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%s is not a complete Parquet file (its footer is missing or cut short; was the download or copy interrupted?): %w", name, err)
	case strings.Contains(msg, "magic header"):
		return fmt.Errorf("%s does not start with Parquet's PAR1 mark: %w", name, err)
	}
	return fmt.Errorf("%s is not a readable Parquet file (damaged footer): %w", name, err)
}

func (t *parquetTable) close() error {
	t.closeGroup()
	return nil
}

func (t *parquetTable) closeGroup() {
	for _, c := range t.cols {
		if c.page != nil {
			parquet.Release(c.page)
			c.page = nil
		}
		if c.pages != nil {
			c.pages.Close()
			c.pages = nil
		}
	}
}

// openGroup starts the next row group with a page reader per projected column.
func (t *parquetTable) openGroup(cols []int) error {
	t.closeGroup()
	groups := t.file.RowGroups()
	for t.group < len(groups) && groups[t.group].NumRows() == 0 {
		t.group++
	}
	if t.group >= len(groups) {
		return io.EOF
	}
	g := groups[t.group]
	meta := t.file.Metadata().RowGroups[t.group]
	t.group++
	t.groupRows, t.groupRead = g.NumRows(), 0
	if t.cols == nil {
		for _, ci := range cols {
			leaf := t.leaves[ci]
			t.cols = append(t.cols, &parquetColumn{index: ci, leaf: leaf, conv: parquetConverter(leaf)})
		}
	}
	chunks := g.ColumnChunks()
	for _, c := range t.cols {
		li := c.leaf.Index()
		if li < 0 || li >= len(chunks) || li >= len(meta.Columns) {
			return fmt.Errorf("%s is damaged: row group %d has no chunk for column %q", t.name, t.group, SafeColumnName(strings.Join(c.leaf.Path(), ".")))
		}
		if codec := meta.Columns[li].MetaData.Codec; !parquetCodecs[codec] {
			return fmt.Errorf("column %q of %s is compressed with %s, which this app cannot read: write the file with snappy, gzip, zstd or no compression", SafeColumnName(strings.Join(c.leaf.Path(), ".")), t.name, codec)
		}
		md := meta.Columns[li].MetaData
		start := md.DataPageOffset
		if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
			start = md.DictionaryPageOffset
		}
		if start < 4 || md.TotalCompressedSize < 0 || start+md.TotalCompressedSize > t.file.Size() {
			return fmt.Errorf("%s is damaged: column %q of row group %d lies outside the file", t.name, SafeColumnName(strings.Join(c.leaf.Path(), ".")), t.group)
		}
		if err := checkParquetPages(t.at, start, md.TotalCompressedSize, g.NumRows(), parquetValueSize(c.leaf)); err != nil {
			return fmt.Errorf("%s is damaged: column %q of row group %d: %w", t.name, SafeColumnName(strings.Join(c.leaf.Path(), ".")), t.group, err)
		}
		c.pages = chunks[li].Pages()
		c.vals, c.buf, c.next = nil, c.buf[:0], 0
	}
	return nil
}

func (t *parquetTable) read(c *Chunk, max int, cols []int) error {
	for len(c.Records) < max {
		if t.groupRead >= t.groupRows {
			if err := t.openGroup(cols); err != nil {
				return err
			}
			continue
		}
		n := int(min(int64(max-len(c.Records)), t.groupRows-t.groupRead))
		for _, col := range t.cols {
			if err := t.fill(col, n); err != nil {
				return err
			}
		}
		for i := range n {
			if re := t.tooLong(i); re != nil {
				// A counted bad row; its values are never copied into the chunk.
				t.row++
				re.Line = t.row
				c.Errors = append(c.Errors, re)
				continue
			}
			start := len(c.Data)
			for _, col := range t.cols {
				s := 0
				if i > 0 {
					s = col.ends[i-1]
				}
				c.Data = appendCell(c.Data, col.index, col.kinds[i], col.data[s:col.ends[i]])
			}
			t.row++
			c.Records = append(c.Records, Span{Line: t.row, Start: start, End: len(c.Data)})
		}
		t.groupRead += int64(n)
	}
	return nil
}

// tooLongValue marks a value over maxParquetValueBytes: no identifier, so the row is counted as bad.
const tooLongValue Kind = 255

// tooLong reports row i of the batch when one of its values is over maxParquetValueBytes.
func (t *parquetTable) tooLong(i int) *RecordError {
	for _, col := range t.cols {
		if col.kinds[i] == tooLongValue {
			return &RecordError{File: t.name, Column: col.index + 1,
				Msg: fmt.Sprintf("column %q holds a value longer than %d bytes (no identifier is that long); the row was skipped", SafeColumnName(strings.Join(col.leaf.Path(), ".")), maxParquetValueBytes)}
		}
	}
	return nil
}

// fill converts the column's next n values into col.kinds/ends/data, reading pages as needed.
func (t *parquetTable) fill(col *parquetColumn, n int) error {
	col.kinds, col.ends, col.data = col.kinds[:0], col.ends[:0], col.data[:0]
	for len(col.kinds) < n {
		if col.next >= len(col.buf) {
			if err := t.readValues(col); err != nil {
				return err
			}
			continue
		}
		v := col.buf[col.next]
		col.next++
		var kind Kind
		if v.IsNull() {
			kind = Null
		} else if k := v.Kind(); (k == parquet.ByteArray || k == parquet.FixedLenByteArray) && len(v.ByteArray()) > maxParquetValueBytes {
			kind = tooLongValue
		} else {
			kind, col.data = col.conv(col.data, v)
		}
		col.kinds = append(col.kinds, kind)
		col.ends = append(col.ends, len(col.data))
	}
	return nil
}

// readValues refills col.buf from the current page, or the next page.
func (t *parquetTable) readValues(col *parquetColumn) error {
	if cap(col.buf) == 0 {
		col.buf = make([]parquet.Value, 1024)
	}
	col.buf, col.next = col.buf[:cap(col.buf)], 0
	for {
		if col.vals != nil {
			k, err := col.vals.ReadValues(col.buf)
			col.buf = col.buf[:k]
			if k > 0 {
				return nil
			}
			if err != nil && err != io.EOF {
				return t.columnError(col, err)
			}
			col.buf = col.buf[:cap(col.buf)]
			col.vals = nil
			parquet.Release(col.page)
			col.page = nil
		}
		p, err := col.pages.ReadPage()
		if err == io.EOF {
			return fmt.Errorf("%s is damaged: column %q ends before row %d of its row group (%d rows)", t.name, SafeColumnName(strings.Join(col.leaf.Path(), ".")), t.groupRead+1, t.groupRows)
		}
		if err != nil {
			return t.columnError(col, err)
		}
		col.page, col.vals = p, p.Values()
	}
}

func (t *parquetTable) columnError(col *parquetColumn, err error) error {
	return fmt.Errorf("reading column %q of %s (row group %d): %w", SafeColumnName(strings.Join(col.leaf.Path(), ".")), t.name, t.group, err)
}

// parquetValueSize is the bytes one decoded value of the leaf's type takes (a byte array's is its offset).
func parquetValueSize(leaf *parquet.Column) int64 {
	switch typ := leaf.Type(); typ.Kind() {
	case parquet.Int64, parquet.Double:
		return 8
	case parquet.Int96:
		return 12
	case parquet.FixedLenByteArray:
		return int64(typ.Length())
	}
	return 4
}

// parquetConverter picks how a leaf's values become text, once per column: strings as they are, integers
// and floats as their exact decimal digits (phone numbers are often stored as INT64 or DOUBLE), decimals
// with their scale, UUIDs in their canonical 8-4-4-4-12 form (advertising IDs), booleans as booleans (a
// type no identifier can have).
func parquetConverter(leaf *parquet.Column) func([]byte, parquet.Value) (Kind, []byte) {
	typ := leaf.Type()
	var scale int32 = -1
	unsigned := false
	uuid := false
	if lt := typ.LogicalType(); lt != nil {
		switch v := lt.Value.(type) {
		case *format.DecimalType:
			scale = v.Scale
		case *format.IntType:
			unsigned = !v.IsSigned
		case *format.UUIDType:
			uuid = true
		}
	}
	switch typ.Kind() {
	case parquet.Boolean:
		return func(dst []byte, v parquet.Value) (Kind, []byte) { return Bool, strconv.AppendBool(dst, v.Boolean()) }
	case parquet.Int32:
		return func(dst []byte, v parquet.Value) (Kind, []byte) {
			if unsigned {
				return Number, withScale(strconv.AppendUint(dst, uint64(uint32(v.Int32())), 10), len(dst), scale)
			}
			return Number, withScale(strconv.AppendInt(dst, int64(v.Int32()), 10), len(dst), scale)
		}
	case parquet.Int64:
		return func(dst []byte, v parquet.Value) (Kind, []byte) {
			if unsigned {
				return Number, withScale(strconv.AppendUint(dst, uint64(v.Int64()), 10), len(dst), scale)
			}
			return Number, withScale(strconv.AppendInt(dst, v.Int64(), 10), len(dst), scale)
		}
	case parquet.Float, parquet.Double:
		return func(dst []byte, v parquet.Value) (Kind, []byte) {
			f := v.Double()
			if typ.Kind() == parquet.Float {
				f = float64(v.Float())
			}
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return String, strconv.AppendFloat(dst, f, 'f', -1, 64)
			}
			return Number, strconv.AppendFloat(dst, f, 'f', -1, 64)
		}
	case parquet.Int96:
		return func(dst []byte, v parquet.Value) (Kind, []byte) { return String, append(dst, v.String()...) }
	}
	// BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY
	return func(dst []byte, v parquet.Value) (Kind, []byte) {
		b := v.ByteArray()
		switch {
		case uuid && len(b) == 16:
			var s [36]byte
			hex.Encode(s[0:8], b[0:4])
			s[8] = '-'
			hex.Encode(s[9:13], b[4:6])
			s[13] = '-'
			hex.Encode(s[14:18], b[6:8])
			s[18] = '-'
			hex.Encode(s[19:23], b[8:10])
			s[23] = '-'
			hex.Encode(s[24:36], b[10:16])
			return String, append(dst, s[:]...)
		case scale >= 0:
			// Big-endian two's complement.
			n := new(big.Int).SetBytes(b)
			if len(b) > 0 && b[0]&0x80 != 0 {
				n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(len(b)*8)))
			}
			return Number, withScale(n.Append(dst, 10), len(dst), scale)
		}
		return String, append(dst, b...)
	}
}

// withScale inserts the decimal point of a DECIMAL's unscaled digits, dst[from:] (sign included).
func withScale(dst []byte, from int, scale int32) []byte {
	if scale <= 0 {
		return dst
	}
	digits := dst[from:]
	neg := len(digits) > 0 && digits[0] == '-'
	if neg {
		digits = digits[1:]
	}
	s := int(scale)
	if len(digits) <= s {
		pad := strings.Repeat("0", s-len(digits)+1)
		digits = append([]byte(pad), digits...)
	}
	out := dst[:from]
	if neg {
		out = append(out, '-')
	}
	whole, frac := digits[:len(digits)-s], digits[len(digits)-s:]
	fracCopy := append([]byte(nil), frac...)
	out = append(out, whole...)
	out = append(out, '.')
	return append(out, fracCopy...)
}
