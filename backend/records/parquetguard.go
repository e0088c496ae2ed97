package records

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// parquet-go trusts the sizes a file states: a footer list that claims 2^31 entries, a page header that
// claims a 2 GiB page or 2^31 values, is allocated before the bytes behind it are read, and an allocation
// the machine cannot satisfy kills the process (Go's "out of memory" is fatal, not a panic). So every
// size is checked against the bytes that are really there before parquet-go sees the footer or a page.

// The bounds themselves are in parquetlimits.go.

var errThriftDamaged = errors.New("damaged metadata")

// checkThrift walks one Thrift compact-protocol struct at the start of b without building it and returns
// its length. It fails where a length or count is larger than the bytes left (every element of a list or
// map takes at least one byte), where nesting is deeper than maxThriftDepth, or where b ends early
// (io.ErrUnexpectedEOF), so a decoder given the same bytes never allocates more than they can fill.
func checkThrift(b []byte) (int, error) {
	c := thriftChecker{b: b}
	if err := c.structure(0); err != nil {
		return 0, err
	}
	return c.i, nil
}

type thriftChecker struct {
	b []byte
	i int
}

func (c *thriftChecker) left() int { return len(c.b) - c.i }

func (c *thriftChecker) byte1() (byte, error) {
	if c.i >= len(c.b) {
		return 0, io.ErrUnexpectedEOF
	}
	c.i++
	return c.b[c.i-1], nil
}

func (c *thriftChecker) uvarint() (uint64, error) {
	v, n := binary.Uvarint(c.b[c.i:])
	if n == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	if n < 0 {
		return 0, errThriftDamaged
	}
	c.i += n
	return v, nil
}

func (c *thriftChecker) skip(n uint64) error {
	if n > uint64(c.left()) {
		return io.ErrUnexpectedEOF
	}
	c.i += int(n)
	return nil
}

func (c *thriftChecker) structure(depth int) error {
	if depth > maxThriftDepth {
		return errThriftDamaged
	}
	for {
		h, err := c.byte1()
		if err != nil {
			return err
		}
		if h == 0 { // stop
			return nil
		}
		if h>>4 == 0 { // long form: the field id follows
			if _, err := c.uvarint(); err != nil {
				return err
			}
		}
		if err := c.value(h&0x0f, depth); err != nil {
			return err
		}
	}
}

// value skips one value of compact type t (a field's; list elements of type bool are a byte each).
func (c *thriftChecker) value(t byte, depth int) error {
	switch t {
	case 1, 2: // bool, in the field header
		return nil
	case 3: // byte
		return c.skip(1)
	case 4, 5, 6: // i16, i32, i64
		_, err := c.uvarint()
		return err
	case 7: // double
		return c.skip(8)
	case 8: // binary
		n, err := c.uvarint()
		if err != nil {
			return err
		}
		return c.skip(n)
	case 9, 10: // list, set
		h, err := c.byte1()
		if err != nil {
			return err
		}
		n, et := uint64(h>>4), h&0x0f
		if n == 15 {
			if n, err = c.uvarint(); err != nil {
				return err
			}
		}
		if n > uint64(c.left()) {
			return io.ErrUnexpectedEOF
		}
		for range n {
			if et == 1 || et == 2 {
				et = 3 // a bool element is a byte
			}
			if err := c.value(et, depth+1); err != nil {
				return err
			}
		}
		return nil
	case 11: // map
		n, err := c.uvarint()
		if err != nil || n == 0 {
			return err
		}
		if n > uint64(c.left())/2 {
			return io.ErrUnexpectedEOF
		}
		kv, err := c.byte1()
		if err != nil {
			return err
		}
		kt, vt := kv>>4, kv&0x0f
		if kt == 1 || kt == 2 {
			kt = 3
		}
		if vt == 1 || vt == 2 {
			vt = 3
		}
		for range n {
			if err := c.value(kt, depth+1); err != nil {
				return err
			}
			if err := c.value(vt, depth+1); err != nil {
				return err
			}
		}
		return nil
	case 12: // struct
		return c.structure(depth + 1)
	case 13: // uuid
		return c.skip(16)
	}
	return errThriftDamaged
}

// checkParquetFooter reads and checks the footer's metadata before parquet-go decodes it, and returns a
// ReaderAt that serves parquet-go's own footer read from the bytes already read.
func checkParquetFooter(name string, at io.ReaderAt, size int64) (io.ReaderAt, error) {
	if size < 12 {
		return nil, fmt.Errorf("%s is not a complete Parquet file (its footer is missing or cut short; was the download or copy interrupted?)", name)
	}
	var tail [8]byte
	if _, err := at.ReadAt(tail[:], size-8); err != nil {
		return nil, fmt.Errorf("reading the end of %s: %w", name, err)
	}
	if string(tail[4:]) != "PAR1" {
		// PARE (encrypted) and a missing footer are explained by parquet-go's error.
		return at, nil
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n > size-12 {
		return nil, fmt.Errorf("%s is not a complete Parquet file (its footer says it is %d bytes, more than the file holds; was the download or copy interrupted?)", name, n)
	}
	if n > maxParquetFooter {
		return nil, fmt.Errorf("%s is not a readable Parquet file: its footer says it is %d bytes, more than the %d MiB this app accepts", name, n, maxParquetFooter>>20)
	}
	footer := make([]byte, n+8)
	if _, err := at.ReadAt(footer, size-8-n); err != nil {
		return nil, fmt.Errorf("reading the footer of %s: %w", name, err)
	}
	if _, err := checkThrift(footer[:n]); err != nil {
		return nil, fmt.Errorf("%s is not a readable Parquet file (damaged footer: a size or count in it is larger than the file)", name)
	}
	if err := checkParquetSchema(name, footer[:n]); err != nil {
		return nil, err
	}
	return &tailReaderAt{ReaderAt: at, off: size - 8 - n, tail: footer}, nil
}

// tailReaderAt serves reads inside the file's last bytes from memory.
type tailReaderAt struct {
	io.ReaderAt
	off  int64
	tail []byte
}

func (t *tailReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= t.off && off+int64(len(p)) <= t.off+int64(len(t.tail)) {
		return copy(p, t.tail[off-t.off:]), nil
	}
	return t.ReaderAt.ReadAt(p, off)
}

// checkParquetPages walks the page headers of one column chunk (start, length within the file) before
// parquet-go reads it: each header must be sound, each page must lie inside the chunk, no page may
// state more than maxParquetPageSize bytes, and a data page may hold no more values than the row group
// has rows (the column is not repeated) nor more than its decoded values could fit in maxParquetPageSize.
func checkParquetPages(at io.ReaderAt, start, length, rows int64, valueSize int64) error {
	buf := make([]byte, 0, 4096)
	for pos, end := start, start+length; pos < end; {
		var h format.PageHeader
		var hlen int
		for want := int64(256); ; want *= 4 {
			want = min(want, end-pos, 16<<20)
			if int64(cap(buf)) < want {
				buf = make([]byte, want) // a header with a long value's statistics
			}
			buf = buf[:want]
			if _, err := at.ReadAt(buf, pos); err != nil && err != io.EOF {
				return err
			}
			n, err := checkThrift(buf)
			if err == io.ErrUnexpectedEOF && want < min(end-pos, 16<<20) {
				continue
			}
			if err != nil {
				return fmt.Errorf("the page header at byte %d is damaged", pos)
			}
			if err := thrift.Unmarshal(new(thrift.CompactProtocol), buf[:n], &h); err != nil {
				return fmt.Errorf("the page header at byte %d is damaged: %w", pos, err)
			}
			hlen = n
			break
		}
		pos += int64(hlen)
		comp, uncomp := int64(h.CompressedPageSize), int64(h.UncompressedPageSize)
		switch {
		case comp < 0 || uncomp < 0:
			return fmt.Errorf("the page at byte %d states a negative size", pos)
		case comp > end-pos:
			return fmt.Errorf("the page at byte %d says it is %d bytes, more than its column chunk holds", pos, comp)
		case uncomp > maxParquetPageSize:
			return fmt.Errorf("the page at byte %d says it is %d bytes uncompressed, more than the %d MiB this app accepts", pos, uncomp, maxParquetPageSize>>20)
		}
		var values int64
		switch {
		case h.DataPageHeader.Valid:
			values = int64(h.DataPageHeader.V.NumValues)
		case h.DataPageHeaderV2.Valid:
			values = int64(h.DataPageHeaderV2.V.NumValues)
			if v := h.DataPageHeaderV2.V; int64(v.DefinitionLevelsByteLength)+int64(v.RepetitionLevelsByteLength) > comp {
				return fmt.Errorf("the page at byte %d states levels longer than the page", pos)
			}
		case h.DictionaryPageHeader.Valid:
			// PLAIN dictionary values take at least a bit each.
			if n := int64(h.DictionaryPageHeader.V.NumValues); n > 8*uncomp+8 || n*max(valueSize, 4) > maxParquetPageSize {
				return fmt.Errorf("the dictionary page at byte %d says it has %d values, more than its %d bytes can hold", pos, n, uncomp)
			}
		}
		if values > rows {
			return fmt.Errorf("the page at byte %d says it has %d values, more than the %d rows of its row group", pos, values, rows)
		}
		if values*max(valueSize, 4) > maxParquetPageSize {
			return fmt.Errorf("the page at byte %d says it has %d values, more than this app reads from one page", pos, values)
		}
		pos += comp
	}
	return nil
}
