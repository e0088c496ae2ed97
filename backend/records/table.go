package records

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// A table yields rows of typed cells: the binary formats (Parquet, Excel), which are not framed from text.
// Reader.NextChunk encodes its rows into Chunk.Data as cells (see appendCell), so workers extract them
// like any other record, in parallel with the reading.
type table interface {
	// read appends up to max rows to c, with the cells of the columns in cols only (header indexes,
	// ascending). It returns io.EOF, with no rows, at the end.
	read(c *Chunk, max int, cols []int) error
	close() error
}

// sniffBinary names the binary format whose magic bytes start h ("" for text or compressed text).
// An OLE2 compound file is an encrypted workbook or an old .xls: openXLSX tells them apart.
func sniffBinary(h []byte) Format {
	switch {
	case bytes.HasPrefix(h, []byte("PAR1")), bytes.HasPrefix(h, []byte("PARE")):
		return FormatParquet
	case bytes.HasPrefix(h, []byte("PK\x03\x04")), bytes.HasPrefix(h, oleMagic):
		return FormatXLSX
	}
	return ""
}

var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// openBinary opens a Parquet file or an Excel workbook over opts.At (or, for Excel without it, over src
// read into memory).
func openBinary(r *Reader, src io.Reader, head []byte, format Format, header HeaderMode, opts Options) (rd *Reader, err error) {
	defer recoverAsError(r.name, &err)
	r.format = format
	switch format {
	case FormatParquet:
		if opts.At == nil || opts.Size <= 0 {
			return nil, fmt.Errorf("%s is a Parquet file, which can only be read from a file on this computer or an S3 object (random access is needed)", r.name)
		}
		if err := openParquet(r, opts.At, opts.Size); err != nil {
			return nil, err
		}
	case FormatXLSX:
		if err := openXLSX(r, src, head, header, opts); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%s is a %s file, not %s: run again with --format auto (or %s)", r.name, sniffBinary(head), format, sniffBinary(head))
	}
	return r, nil
}

// recoverAsError turns a panic inside a file-format library (on a damaged or hostile file) into an error
// that says so, instead of crashing the app.
func recoverAsError(name string, err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%s could not be read: the file is damaged or uses a feature this app does not support (%v)", name, p)
	}
}

// Tabular reports whether the file has named columns (CSV/TXT, Parquet, Excel) rather than JSON records.
func (r *Reader) Tabular() bool { return r.format == FormatCSV || r.tab != nil }

// RowCount is the exact number of data rows when the file's metadata states it (Parquet's footer), or -1.
func (r *Reader) RowCount() int64 { return r.rowCount }

// Sheet is the Excel worksheet being read ("" for other formats); Sheets lists the workbook's worksheets.
func (r *Reader) Sheet() string    { return r.sheet }
func (r *Reader) Sheets() []string { return r.sheets }

// Close releases what the reader holds besides the source: a compressed text's decoding goroutines, an
// Excel sheet's inflating one. It does not close the source.
func (r *Reader) Close() error {
	if r.dec != nil {
		r.dec.Close()
		r.dec = nil
		if r.readErr == nil {
			r.readErr = fmt.Errorf("reading %s: the reader is closed", r.name)
		}
	}
	if r.tab == nil {
		return nil
	}
	err := r.tab.close()
	r.tab = nil
	if r.readErr == nil {
		r.readErr = fmt.Errorf("reading %s: the reader is closed", r.name)
	}
	return err
}

// project records that an extractor will read these columns. Before the first NextChunk it widens what is
// read; afterwards the columns must already be among those read.
func (r *Reader) project(cols []int) error {
	if r.started {
		for _, c := range cols {
			if r.proj != nil && !r.proj[c] {
				return fmt.Errorf("column %q of %s was not asked for before reading started", SafeColumnName(r.header[c]), r.name)
			}
		}
		return nil
	}
	if r.proj == nil {
		r.proj = make([]bool, len(r.header))
	}
	for _, c := range cols {
		r.proj[c] = true
	}
	return nil
}

func (r *Reader) nextTableChunk(c *Chunk, maxRecords int) (err error) {
	if !r.started {
		r.started = true
		for i := range r.header {
			if r.proj == nil || r.proj[i] {
				r.projected = append(r.projected, i)
			}
		}
	}
	defer func() {
		if err != nil && err != io.EOF {
			r.readErr = err
		}
	}()
	defer recoverAsError(r.name, &err)
	err = r.tab.read(c, maxRecords, r.projected)
	if err == io.EOF && len(c.Records)+len(c.Errors) > 0 {
		return nil
	}
	return err
}

// A record of a table is a sequence of cells: uvarint column index, kind byte, uvarint length, bytes.
// Absent cells are Missing.

func appendCell(dst []byte, col int, kind Kind, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(col))
	dst = append(dst, byte(kind))
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

var errBadCell = errors.New("internal error: damaged cell encoding")

// extractTable fills out from a table record.
func (e *Extractor) extractTable(rec []byte, out []Value) error {
	for i := 0; i < len(rec); {
		col, n := binary.Uvarint(rec[i:])
		if n <= 0 || i+n >= len(rec) {
			return errBadCell
		}
		i += n
		kind := Kind(rec[i])
		i++
		l, n := binary.Uvarint(rec[i:])
		if n <= 0 || uint64(len(rec)-i-n) < l {
			return errBadCell
		}
		i += n
		b := rec[i : i+int(l)]
		i += int(l)
		if col < uint64(len(e.target)) {
			if t := e.target[col]; t >= 0 {
				out[t] = Value{Kind: kind, Bytes: b}
			}
		}
	}
	for _, d := range e.dups {
		out[d[0]] = out[d[1]]
	}
	return nil
}
