// Package records reads customer files as a stream of records: JSON Lines, a JSON array of objects (or a
// sequence of pretty-printed objects), and CSV/TSV/TXT with or without a header row (detected: a list of
// bare identifiers, like TikTok's .txt template, has none), each optionally gzip-, zstd- or bzip2-compressed; and, given an io.ReaderAt, Parquet files and Excel
// .xlsx workbooks (see Options.At).
//
// The work is split for the transform pipeline: one goroutine frames records with cheap byte scanning
// (Reader.NextChunk), and worker goroutines pull the mapped fields out of them (Extractor.Extract).
// Errors never contain a record's values: they are customer PII.
package records

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format is the layout of a customer file.
type Format string

const (
	FormatAuto  Format = "auto"
	FormatJSONL Format = "jsonl"
	FormatJSON  Format = "json"
	FormatCSV   Format = "csv"
	// Binary formats: read through Options.At (random access), never framed from text.
	FormatParquet Format = "parquet"
	FormatXLSX    Format = "xlsx"
)

// ParseFormat accepts the names a person or a flag would use ("jsonl", "ndjson", "json", "csv", "tsv", "auto", "").
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return FormatAuto, nil
	case "jsonl", "ndjson", "jsonlines", "json-lines", "json_lines":
		return FormatJSONL, nil
	case "json":
		return FormatJSON, nil
	case "csv", "tsv", "txt":
		return FormatCSV, nil
	case "parquet", "pq":
		return FormatParquet, nil
	case "xlsx", "excel":
		return FormatXLSX, nil
	}
	return "", fmt.Errorf("unknown file format %q (want auto, jsonl, json, csv, parquet or xlsx)", s)
}

// Options says how to read a file.
type Options struct {
	Name           string     // file name used in error messages (base name or s3:// URL)
	Format         Format     // FormatAuto (or "") detects from content
	Delimiter      byte       // CSV only; 0 detects , ; or tab from the header line
	Header         HeaderMode // CSV only; "" or HeaderAuto detects whether the first row names the columns
	MaxRecordBytes int        // 0 means 1 MiB

	// At and Size give random access to the same bytes as src. Parquet needs them (its footer is at the
	// end, and only the mapped columns' chunks are read); Excel uses them to avoid copying the file into
	// memory. A local file or an S3 object read with ranged GETs can provide them.
	At   io.ReaderAt
	Size int64
	// Path is the local file that At reads, "" for other sources. Excel opens it by path: excelize
	// then reads it by offset, where given a reader it would copy the whole workbook into memory.
	// The ZIP's stated sizes are still checked first, through At.
	Path string
	// Sheet is the Excel worksheet to read; "" reads the first one.
	Sheet string
	// TempDir was where excelize decompressed a worksheet over 16 MiB; no reader writes temporary files
	// now (worksheets are streamed from their ZIP entry), so it is unused.
	TempDir string
}

// Buffer sizes; variables so that fuzz tests can shrink them and exercise records split across reads.
var (
	prefixBytes = 64 << 10  // what Open reads to detect encoding and format
	readBytes   = 256 << 10 // the initial read buffer; grows only for long records
)

// RecordError is one malformed record (or a framing problem). It never carries the record's values.
type RecordError struct {
	File   string `json:"file"`
	Sheet  string `json:"sheet,omitempty"` // Excel: the worksheet; Line is then its row number
	Line   int64  `json:"line"`
	Column int    `json:"column,omitempty"` // 0 = unknown
	Msg    string `json:"message"`
}

func (e *RecordError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Sheet != "" {
		fmt.Fprintf(&b, ", sheet %q, row %d", SafeColumnName(e.Sheet), e.Line)
		if e.Column > 0 {
			b.WriteString(", column ")
			b.WriteString(columnLetters(e.Column))
		}
		b.WriteString(": ")
		b.WriteString(e.Msg)
		return b.String()
	}
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(e.Line, 10))
		if e.Column > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Reader frames records from one file. It is used from one goroutine; Extractors made from it may be
// used concurrently (one per goroutine).
type Reader struct {
	name     string
	format   Format
	delim    byte
	header   []string
	warnings []string

	hasHeader    bool   // CSV: the first row named the columns
	headerReason string // CSV without a header row: why (no values in it)
	pending      []byte // CSV without a header row: the first record, handed out by the first NextChunk
	pendingLine  int64
	maxRec       int

	src        io.Reader
	comp       Compression   // how src was compressed (it decompresses)
	compressed *sourceErrors // the compressed bytes' source, when comp is set
	dec        decoder       // src, when comp is set
	buf        []byte
	pos        int   // start of unconsumed data in buf
	end        int   // end of valid data in buf
	eof        bool  // src returned io.EOF
	readErr    error // fatal error from src, reported once buf is drained
	line       int64 // physical line number at buf[pos]

	fr framer

	// Parquet and Excel: rows come from a table instead of the framer.
	tab       table
	proj      []bool // columns some extractor asked for; nil reads every column
	projected []int  // the columns read, fixed by the first NextChunk
	started   bool
	sheet     string   // Excel: the worksheet read
	sheets    []string // Excel: every worksheet, in workbook order
	rowCount  int64    // exact number of data rows when the format says it (Parquet), else -1
}

// Format reports the detected (or given) format.
func (r *Reader) Format() Format { return r.format }

// Delimiter reports the CSV delimiter (0 for JSON formats).
func (r *Reader) Delimiter() byte { return r.delim }

// Header returns the CSV column names after renaming duplicates (column_1 … when the file has no header
// row); nil for JSON formats.
func (r *Reader) Header() []string { return r.header }

// HasHeader reports whether the CSV file's first row names its columns (false for JSON formats).
func (r *Reader) HasHeader() bool { return r.hasHeader }

// HeaderReason says why a CSV file was read without a header row ("" when it has one). It holds no values.
func (r *Reader) HeaderReason() string { return r.headerReason }

// Warnings returns notes about the file that are not errors (e.g. renamed duplicate columns).
func (r *Reader) Warnings() []string { return r.warnings }

// Inflation is how many bytes of text each compressed byte has given so far
// (1 when the input is not compressed): a compressed file's size times it
// estimates the size of its text. Call it between chunks, not concurrently.
func (r *Reader) Inflation() float64 {
	if r.dec == nil {
		return 1
	}
	return r.dec.Inflation()
}

// Name returns the file name used in messages.
func (r *Reader) Name() string { return r.name }

func (r *Reader) recErr(line int64, col int, format string, args ...any) *RecordError {
	return &RecordError{File: r.name, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// Open wraps r (decompressing gzip, zstd or bzip2 when the magic bytes say so), skips a UTF-8 BOM, rejects UTF-16/UTF-32 and
// binary data with a clear error, detects the format (and CSV delimiter) and reads the CSV header.
// It reads only a small prefix of r to do so. An empty input is an error ("<name> is empty").
func Open(src io.Reader, opts Options) (*Reader, error) {
	name := opts.Name
	if name == "" {
		name = "input"
	}
	format := opts.Format
	if format == "" {
		format = FormatAuto
	}
	switch format {
	case FormatAuto, FormatJSONL, FormatJSON, FormatCSV, FormatParquet, FormatXLSX:
	default:
		return nil, fmt.Errorf("opening %s: unknown format %q", name, format)
	}
	header, err := ParseHeaderMode(string(opts.Header))
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", name, err)
	}
	if d := opts.Delimiter; d != 0 && (d == '"' || d == '\n' || d == '\r' || d >= utf8.RuneSelf) {
		return nil, fmt.Errorf("opening %s: delimiter %q cannot be used", name, d)
	}
	maxRec := opts.MaxRecordBytes
	if maxRec <= 0 {
		maxRec = DefaultMaxRecordBytes
	}
	r := &Reader{name: name, maxRec: maxRec, line: 1, rowCount: -1}

	// Compression and the binary formats are decided by magic bytes, never by the name.
	var magic [8]byte
	n, err := io.ReadFull(src, magic[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	head := magic[:n]
	src = io.MultiReader(bytes.NewReader(head), src)
	if n == 0 {
		return nil, fmt.Errorf("%s is empty", name)
	}
	if binFormat := sniffBinary(head); binFormat != "" || format == FormatParquet || format == FormatXLSX {
		if format == FormatAuto {
			format = binFormat
		}
		return openBinary(r, src, head, format, header, opts)
	}
	if what := otherCompression(head); what != "" {
		return nil, fmt.Errorf("%s %s", name, what)
	}
	r.comp = sniffCompression(head)
	r.src = src
	if r.comp != CompressionNone {
		r.compressed = &sourceErrors{r: src}
		if r.dec, err = decompress(r.comp, r.compressed, name); err != nil {
			return nil, err
		}
		r.src = r.dec
	}

	// Read the prefix used for detection into the read buffer: framing starts from it, so nothing is read twice.
	r.buf = make([]byte, readBytes)
	for r.end < prefixBytes && !r.eof {
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
	// Detection looks at prefixBytes only, however much the first reads returned, so it does not depend on
	// how the source splits its data.
	p := r.buf[r.pos:min(r.end, prefixBytes)]
	atEOF := r.eof && r.end <= prefixBytes
	if len(p) == 0 {
		return nil, fmt.Errorf("%s is empty", name)
	}
	if enc := wideEncoding(p); enc != "" {
		return nil, fmt.Errorf("%s is encoded as %s; save it as UTF-8 and try again", name, enc)
	}
	if bytes.HasPrefix(p, utf8BOM) {
		r.pos += len(utf8BOM)
		p = p[len(utf8BOM):]
	}
	if off, ok := looksBinary(p, atEOF); !ok {
		return nil, fmt.Errorf("%s does not look like a text file (binary data near byte %d); expected JSON Lines, JSON or CSV in UTF-8", name, off)
	}
	if bytes.IndexByte(p, '\n') < 0 && bytes.Count(p, []byte{'\r'}) >= 2 {
		// Every record would be one over-long line.
		return nil, fmt.Errorf("%s uses CR-only (classic Mac) line endings; save it with LF or CRLF line endings", name)
	}
	first := bytes.TrimLeft(p, " \t\r\n\f\v")
	if len(first) == 0 && atEOF {
		return nil, fmt.Errorf("%s is empty (only white space)", name)
	}
	if format == FormatAuto {
		format = detectFormat(first)
	}
	r.format = format
	switch format {
	case FormatJSONL:
		r.fr = &jsonlFramer{}
	case FormatJSON:
		r.fr = &jsonFramer{}
	case FormatCSV:
		if err := r.openCSV(opts.Delimiter, header); err != nil {
			return nil, err
		}
	}
	return r, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func otherCompression(h []byte) string {
	switch {
	case bytes.HasPrefix(h, []byte{0xFD, '7', 'z', 'X', 'Z', 0x00}):
		return "is xz-compressed; only gzip, zstd and bzip2 compression are supported: decompress it (xz -d) and try again"
	}
	return ""
}

// wideEncoding recognises UTF-32 and UTF-16 by BOM, or by the NUL bytes that ASCII text has in them.
func wideEncoding(p []byte) string {
	switch {
	case bytes.HasPrefix(p, []byte{0xFF, 0xFE, 0, 0}):
		return "UTF-32 (little-endian)"
	case bytes.HasPrefix(p, []byte{0, 0, 0xFE, 0xFF}):
		return "UTF-32 (big-endian)"
	case bytes.HasPrefix(p, []byte{0xFF, 0xFE}):
		return "UTF-16 (little-endian)"
	case bytes.HasPrefix(p, []byte{0xFE, 0xFF}):
		return "UTF-16 (big-endian)"
	}
	// Without a BOM: look at the zero bytes of the first units.
	n := min(len(p), 512) &^ 3
	if n < 4 {
		return ""
	}
	var z32le, z32be, z16le, z16be, units4, units2 int
	for i := 0; i < n; i += 4 {
		u := p[i : i+4]
		units4++
		if u[0] != 0 && u[1] == 0 && u[2] == 0 && u[3] == 0 {
			z32le++
		}
		if u[0] == 0 && u[1] == 0 && u[2] == 0 && u[3] != 0 {
			z32be++
		}
	}
	for i := 0; i < n; i += 2 {
		units2++
		if p[i] != 0 && p[i+1] == 0 {
			z16le++
		}
		if p[i] == 0 && p[i+1] != 0 {
			z16be++
		}
	}
	switch {
	case z32le*10 >= units4*7:
		return "UTF-32 (little-endian)"
	case z32be*10 >= units4*7:
		return "UTF-32 (big-endian)"
	case z16le*10 >= units2*7:
		return "UTF-16 (little-endian)"
	case z16be*10 >= units2*7:
		return "UTF-16 (big-endian)"
	}
	return ""
}

// looksBinary checks a prefix for NUL bytes, many control characters or mostly invalid UTF-8.
// It returns the offset of the first offending byte and false for binary data.
func looksBinary(p []byte, atEOF bool) (int, bool) {
	n := min(len(p), 8<<10)
	s := p[:n]
	ctl, bad, firstBad := 0, 0, -1
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c == 0 {
				return i, false
			}
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') || c == 0x7f {
				ctl++
				if firstBad < 0 {
					firstBad = i
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size <= 1 {
			// A sequence cut by the end of the sample is not evidence.
			if len(s)-i < utf8.UTFMax && (n < len(p) || !atEOF) {
				break
			}
			bad++
			if firstBad < 0 {
				firstBad = i
			}
		}
		i += size
	}
	if ctl*20 > n || bad*5 > n {
		return max(firstBad, 0), false
	}
	return 0, true
}

// detectFormat looks at the first non-blank bytes: '[' is a JSON array, '{' JSON Lines, or pretty-printed
// JSON objects when the first object spans lines and closes within the prefix (a JSON Lines file with a
// broken first line has another '{' at the start of its second line), anything else CSV.
func detectFormat(first []byte) Format {
	if len(first) == 0 {
		return FormatJSONL
	}
	switch first[0] {
	case '[':
		return FormatJSON
	case '{':
		nl := bytes.IndexByte(first, '\n')
		if nl < 0 {
			return FormatJSONL
		}
		var st jsonScanState
		st.begin('{')
		if _, done := st.scan(first[1:nl]); done {
			return FormatJSONL
		}
		if next := bytes.TrimLeft(first[nl+1:], " \t\r\n"); len(next) > 0 && next[0] == '{' {
			return FormatJSONL
		}
		if _, done := st.scan(first[nl:]); done {
			return FormatJSON
		}
		return FormatJSONL
	}
	return FormatCSV
}

// fill reads more data into buf after compacting it. It returns a fatal error only; io.EOF sets r.eof.
func (r *Reader) fill() error {
	if r.eof {
		return nil
	}
	if r.pos > 0 && r.pos == r.end {
		r.pos, r.end = 0, 0
	}
	if r.end == len(r.buf) {
		if r.pos > 0 {
			r.end = copy(r.buf, r.buf[r.pos:r.end])
			r.pos = 0
		} else {
			// A record longer than the buffer: grow it, bounded by the record limit (framers enforce it).
			nb := make([]byte, min(2*len(r.buf), r.maxRec+readBytes))
			if len(nb) <= len(r.buf) {
				return fmt.Errorf("reading %s: internal error: read buffer full", r.name)
			}
			r.end = copy(nb, r.buf[r.pos:r.end])
			r.pos = 0
			r.buf = nb
		}
	}
	for tries := 0; tries < 100; tries++ {
		n, err := r.src.Read(r.buf[r.end:])
		r.end += n
		if err == io.EOF {
			r.eof = true
			return nil
		}
		if err != nil {
			r.eof = true
			if derr := decompressError(r.comp, r.name, err, r.compressed); derr != nil {
				return derr
			}
			return fmt.Errorf("reading %s: %w", r.name, err)
		}
		if n > 0 {
			return nil
		}
	}
	return fmt.Errorf("reading %s: %w", r.name, io.ErrNoProgress)
}
