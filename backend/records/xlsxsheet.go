package records

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// maxXLSXCellBytes is how much of a value is kept while it is decoded: more is over maxXLSXCellChars
// (xlsxlimits.go) whatever its characters, and the rest streams past uncounted.
const maxXLSXCellBytes = 4 * maxXLSXCellChars

// sheetReader streams one worksheet's rows from its XML, decoding only the sheetData grammar: rows, cells,
// their values (numbers, shared strings, inline strings with rich-text runs, formulas' cached results),
// the r= references that place them, with gaps. It gives each cell the text excelize gave with
// RawCellValue (so no output byte changed when it replaced excelize), without allocating per row.
type sheetReader struct {
	x   *xmlScanner
	sst *sharedStrings

	row     int64 // Excel number of the current row
	elemRow int64 // number of the last row element read (rows out of order join the row before them)
	atRow   bool  // a row's start tag has been read, numbered nextNum
	nextNum int64
	buf     []byte     // the current row's decoded values
	cells   []cellSpan // the current row's cells, by column (gaps are empty)
	done    bool

	val, isv, t, runs, run []byte // a cell's <v> and <is> as they are decoded
}

type cellSpan struct{ start, end int }

// The cell types whose text is not their <v> as it is (t="s" and t="inlineStr"); excelize gave every other
// type's <v> raw.
const (
	cellOther = iota
	cellShared
	cellInline
)

// xlsxRowError is a bad row: the reader has moved past it and reading can go on.
type xlsxRowError struct {
	row int64
	col int // 1-based; 0 when the row as a whole is wrong
	msg string
}

func (e *xlsxRowError) Error() string { return e.msg }

func newSheetReader(src io.Reader, sst *sharedStrings) *sheetReader {
	return &sheetReader{x: newXMLScanner(src), sst: sst}
}

// cell is the text of a cell of the current row.
func (r *sheetReader) cell(i int) []byte { return r.buf[r.cells[i].start:r.cells[i].end] }

// next reads the next row with at least one value into r.cells. It returns io.EOF after the last row, an
// *xlsxRowError for a bad row (reading can go on), or another error when the sheet cannot be read further.
func (r *sheetReader) next() error {
	for !r.done {
		if !r.atRow {
			if err := r.x.next(); err != nil {
				return r.fatal(err)
			}
			switch r.x.kind {
			case xmlEOF:
				r.done = true
				continue
			case xmlEnd:
				if string(r.x.name) == "sheetData" {
					r.done = true
				}
				continue
			case xmlStart:
				if string(r.x.name) != "row" {
					continue
				}
			default:
				continue
			}
			num, err := r.rowNumber()
			if err != nil {
				return err
			}
			r.atRow, r.nextNum = true, num
		}
		r.atRow = false
		blank, err := r.readRow(r.nextNum)
		if err != nil {
			return err
		}
		if !blank {
			return nil
		}
	}
	return io.EOF
}

func (r *sheetReader) fatal(err error) error {
	return fmt.Errorf("after row %d: %w", r.row, err)
}

// rowNumber is the number of the row whose start tag was just read: its r=, else one after the row
// element before it.
func (r *sheetReader) rowNumber() (int64, error) {
	num := r.elemRow + 1
	if v, ok := r.x.attr("r"); ok {
		n, perr := strconv.Atoi(string(v))
		switch {
		case perr != nil || n < 0:
			r.row = num
			return 0, r.skipRow(r.x.depth, r.badRow(0, fmt.Sprintf("the row could not be read: its number %q is not a number", truncateForMessage(v))))
		case n > maxXLSXRows:
			return 0, fmt.Errorf("row number %d is past %d, Excel's last row: the sheet is damaged", n, maxXLSXRows)
		case n > 0:
			num = int64(n)
		}
	}
	return num, nil
}

// readRow reads the row whose start tag was just read, numbered num; blank is true when no cell has a value.
// A row element numbered at or before it that follows it adds its cells to it, as excelize's iterator
// did (real writers never write rows out of order; this keeps damaged sheets reading as they did).
func (r *sheetReader) readRow(num int64) (blank bool, err error) {
	r.row, r.elemRow = num, num
	r.buf, r.cells = r.buf[:0], r.cells[:0]
	col := 0
	for {
		if err := r.readRowElement(&col); err != nil {
			return false, err
		}
		// Past the row element: find the next one, or the end of the sheet's data.
		for {
			if err := r.x.next(); err != nil {
				return false, r.fatal(err)
			}
			if r.x.kind == xmlEOF || r.x.kind == xmlEnd && string(r.x.name) == "sheetData" {
				r.done = true
				return r.finishRow(), nil
			}
			if r.x.kind == xmlStart && string(r.x.name) == "row" {
				break
			}
		}
		n, err := r.rowNumber()
		if err != nil {
			return false, err
		}
		if n > r.row {
			r.atRow, r.nextNum = true, n
			return r.finishRow(), nil
		}
		r.elemRow = n
	}
}

// readRowElement reads the cells of the row element whose start tag was just read; col is the column of
// the last cell read.
func (r *sheetReader) readRowElement(col *int) error {
	if r.x.selfClose {
		return r.x.next()
	}
	depth := r.x.depth
	for {
		if ok, c, bad := r.fastCell(*col); ok {
			*col = c
			if bad != nil {
				return r.skipRow(depth, bad)
			}
			continue
		}
		if err := r.x.next(); err != nil {
			return r.fatal(err)
		}
		switch r.x.kind {
		case xmlEOF:
			return r.fatal(errXMLEOF)
		case xmlEnd:
			if r.x.depth < depth {
				return nil
			}
		case xmlText:
			// Only whitespace is expected between cells; a fast cell may follow it.
		case xmlStart:
			if string(r.x.name) != "c" {
				continue // excelize looked for cells inside any element of a row
			}
			c, bad, err := r.readCell(*col)
			if err != nil {
				return r.fatal(err)
			}
			*col = c
			if bad != nil {
				return r.skipRow(depth, bad)
			}
		}
	}
}

func (r *sheetReader) badRow(col int, msg string) *xlsxRowError {
	return &xlsxRowError{row: r.row, col: col, msg: msg}
}

// skipRow reads past the rest of a bad row.
func (r *sheetReader) skipRow(depth int, bad *xlsxRowError) error {
	for r.x.depth >= depth {
		if err := r.x.next(); err != nil {
			return r.fatal(err)
		}
		if r.x.kind == xmlEOF {
			return r.fatal(errXMLEOF)
		}
	}
	return bad
}

// finishRow writes stored numbers as their digits (exactNumber) and reports whether the row is blank.
func (r *sheetReader) finishRow() (blank bool) {
	blank = true
	for i, c := range r.cells {
		b := r.buf[c.start:c.end]
		if len(b) >= 3 && mayBeFloatNotation(b) {
			s := unsafe.String(unsafe.SliceData(b), len(b)) // exactNumber keeps no reference to it
			if out := exactNumber(s); out != s {
				start := len(r.buf)
				r.buf = append(r.buf, out...)
				r.cells[i] = cellSpan{start, len(r.buf)}
				b = r.buf[start:]
			}
		}
		blank = blank && len(bytes.TrimSpace(b)) == 0
	}
	return blank
}

// readCell reads the cell whose start tag was just read; prev is the column of the cell before it.
func (r *sheetReader) readCell(prev int) (col int, bad *xlsxRowError, err error) {
	col = prev + 1
	typ := cellOther // attribute values live in the scanner's buffer, which the children's reads move
	for _, a := range r.x.attrs {
		switch string(a.name) {
		case "r":
			if len(a.value) > 0 {
				c, ok := cellColumn(a.value)
				if !ok {
					msg := fmt.Sprintf("the row could not be read: a cell has the reference %q, which is not a cell name", truncateForMessage(a.value))
					if c > maxXLSXColumns {
						msg = pastXFDMessage()
					}
					return col, r.badRow(0, msg), r.skipCell()
				}
				col = c
			}
		case "t":
			switch string(a.value) {
			case "s":
				typ = cellShared
			case "inlineStr":
				typ = cellInline
			}
		}
	}
	if col > maxXLSXColumns {
		return col, r.badRow(0, pastXFDMessage()), r.skipCell()
	}
	hasF, hasIS, longV, longIS := false, false, false, false
	r.val, r.isv = r.val[:0], r.isv[:0]
	if !r.x.selfClose {
		depth := r.x.depth
		for {
			if err := r.x.next(); err != nil {
				return col, nil, err
			}
			if r.x.kind == xmlEOF {
				return col, nil, errXMLEOF
			}
			if r.x.kind == xmlEnd && r.x.depth < depth {
				break
			}
			if r.x.kind != xmlStart {
				continue
			}
			switch string(r.x.name) {
			case "v":
				if r.val, longV, err = readXMLText(r.x, r.val[:0]); err != nil {
					return col, nil, err
				}
			case "f":
				hasF = true
				if err := r.x.skipElement(); err != nil {
					return col, nil, err
				}
			case "is":
				hasIS = true
				if r.isv, longIS, err = r.readSI(r.isv[:0]); err != nil {
					return col, nil, err
				}
			}
		}
	} else if err := r.x.next(); err != nil {
		return col, nil, err
	}
	val, long := r.val, longV
	if typ == cellInline && hasIS {
		val, long = r.isv, longIS
	}
	return col, r.placeCell(col, typ, val, long, hasF), nil
}

// placeCell stores the cell's text (val: its <v>, or its inline string) at col of the current row.
func (r *sheetReader) placeCell(col, typ int, val []byte, long, hasF bool) *xlsxRowError {
	if typ == cellShared {
		if long {
			return r.badRow(col, overLongMessage())
		}
		if len(val) > 0 {
			// excelize read a number it could not parse as index 0.
			idx, _ := strconv.Atoi(string(bytes.TrimSpace(val)))
			s, ok, tooLong := r.sst.get(idx)
			if !ok {
				return r.badRow(0, fmt.Sprintf("the row could not be read: invalid shared string index %d", idx))
			}
			if tooLong {
				return r.badRow(col, overLongMessage())
			}
			val = s
		}
	}
	if long || len(val) > maxXLSXCellChars && utf8.RuneCount(val) > maxXLSXCellChars {
		return r.badRow(col, overLongMessage())
	}
	if len(val) == 0 && !hasF {
		return nil
	}
	if len(r.buf)+len(val) > maxXLSXRowBytes {
		return r.badRow(col, fmt.Sprintf("the row holds more than %d MiB of text", maxXLSXRowBytes>>20))
	}
	for len(r.cells) < col-1 {
		r.cells = append(r.cells, cellSpan{len(r.buf), len(r.buf)})
	}
	start := len(r.buf)
	r.buf = append(r.buf, val...)
	r.cells = append(r.cells, cellSpan{start, len(r.buf)})
	return nil
}

// fastCell reads a cell in one of the forms writers use for nearly every cell, straight from the scanner's
// buffer: <c …/>, <c …></c>, <c …><v>text</v></c>, <c …><is><t>text</t></is></c> (t may have
// xml:space="preserve"), all of it in the buffer. Any other form, or a cell the buffer cuts, is left to
// readCell (ok false), which reads every form; both give the same text.
func (r *sheetReader) fastCell(prev int) (ok bool, col int, bad *xlsxRowError) {
	x := r.x
	b := x.buf[x.pos:x.end]
	if len(b) < 4 || b[0] != '<' || b[1] != 'c' || (b[2] != ' ' && b[2] != '>' && b[2] != '/') {
		return false, prev, nil
	}
	// The attributes, name="value" with no space around '=' (how writers write them), up to '>' or '/>'.
	col, typ := prev+1, cellOther
	i := 2
	for {
		for i < len(b) && b[i] == ' ' {
			i++
		}
		if i >= len(b) {
			return false, prev, nil
		}
		if b[i] == '>' || b[i] == '/' {
			break
		}
		eq := bytes.IndexByte(b[i:], '=')
		if eq <= 0 || i+eq+1 >= len(b) || b[i+eq+1] != '"' {
			return false, prev, nil
		}
		name := b[i : i+eq]
		vstart := i + eq + 2
		q := bytes.IndexByte(b[vstart:], '"')
		if q < 0 {
			return false, prev, nil
		}
		value := b[vstart : vstart+q]
		i = vstart + q + 1
		if i < len(b) && b[i] != ' ' && b[i] != '>' && b[i] != '/' {
			return false, prev, nil
		}
		switch string(name) {
		case "r":
			if len(value) > 0 {
				c, valid := cellColumn(value)
				if !valid {
					return false, prev, nil
				}
				col = c
			}
		case "t":
			switch string(value) {
			case "s":
				typ = cellShared
			case "inlineStr":
				typ = cellInline
			}
		default:
			if bytes.IndexByte(name, ':') >= 0 || bytes.IndexByte(name, '&') >= 0 {
				return false, prev, nil // a prefixed attribute may be r= or t= in disguise
			}
		}
	}
	if col > maxXLSXColumns {
		return false, prev, nil
	}
	var text []byte
	if b[i] == '/' {
		if i+1 >= len(b) || b[i+1] != '>' {
			return false, prev, nil
		}
		i += 2
	} else {
		i++ // past '>'
		body := b[i:]
		isInline := false
		var tail string
		switch {
		case bytes.HasPrefix(body, []byte("</c>")):
			i += 4
		case bytes.HasPrefix(body, []byte("<v>")):
			text, tail = body[3:], "</v></c>"
		case bytes.HasPrefix(body, []byte("<is><t>")):
			text, tail, isInline = body[7:], "</t></is></c>", true
		case bytes.HasPrefix(body, []byte(`<is><t xml:space="preserve">`)):
			text, tail, isInline = body[28:], "</t></is></c>", true
		default:
			return false, prev, nil
		}
		if tail != "" {
			lt := bytes.IndexByte(text, '<')
			if lt < 0 || lt > maxXLSXCellChars || !bytes.HasPrefix(text[lt:], []byte(tail)) {
				return false, prev, nil
			}
			i += len(body) - len(text) + lt + len(tail)
			text = text[:lt]
			if isInline && typ != cellInline {
				text = nil // an <is> in a cell of another type: its <v> (none here) is the text
			}
			// Most cells are plain ASCII: their text is the buffer's, as placeCell copies it anyway.
			if !plainCellText(text) {
				var derr error
				if r.val, derr = appendXMLText(r.val[:0], text, false); derr != nil {
					return false, prev, nil // readCell reports it where it is
				}
				text = r.val
				if isInline {
					r.isv = appendUnescapedBSTR(r.isv[:0], text)
					text = r.isv
				}
			}
		}
	}
	x.pos += i
	return true, col, r.placeCell(col, typ, text, false, false)
}

// plainCellText reports whether appendXMLText and appendUnescapedBSTR would give text back as it is:
// printable ASCII, tab and LF, with no entity ('&') and no '_' (that may start an _xHHHH_ escape).
func plainCellText(text []byte) bool {
	for _, c := range text {
		if (c < 0x20 && c != '\t' && c != '\n') || c >= 0x80 || c == '&' || c == '_' {
			return false
		}
	}
	return true
}

func overLongMessage() string {
	return fmt.Sprintf("the cell is longer than %d characters, Excel's own limit for a cell", maxXLSXCellChars)
}

func pastXFDMessage() string {
	return fmt.Sprintf("a cell is past column XFD, Excel's last (column %d)", maxXLSXColumns)
}

func (r *sheetReader) skipCell() error {
	if r.x.selfClose {
		return r.x.next()
	}
	return r.x.skipElement()
}

// readXMLText appends the text directly inside the element whose start tag was just read (the text of
// elements nested in it is skipped, as encoding/xml does for a string field); long reports a text past
// maxXLSXCellBytes, of which only the start is kept.
func readXMLText(x *xmlScanner, dst []byte) (out []byte, long bool, err error) {
	if x.selfClose {
		return dst, false, x.next()
	}
	depth := x.depth
	for {
		if err := x.next(); err != nil {
			return dst, long, err
		}
		switch x.kind {
		case xmlEOF:
			return dst, long, errXMLEOF
		case xmlEnd:
			if x.depth < depth {
				return dst, long, nil
			}
		case xmlStart:
			if err := x.skipElement(); err != nil {
				return dst, long, err
			}
		case xmlText:
			if long || len(dst)+len(x.text) > maxXLSXCellBytes {
				// Still checked, but not kept.
				if _, err := appendXMLText(nil, x.text, x.cdata); err != nil {
					return dst, long, x.syntax("%v", err)
				}
				long = true
				continue
			}
			if dst, err = appendXMLText(dst, x.text, x.cdata); err != nil {
				return dst, long, x.syntax("%v", err)
			}
		}
	}
}

// readSI appends the text of a string item (<si> or <is>) whose start tag was just read: its <t>, then
// its rich-text runs' <t>, with Excel's _xHHHH_ escapes decoded, as excelize's xlsxSI.String gave it.
// Phonetic runs (<rPh>) are not part of the text.
func (r *sheetReader) readSI(dst []byte) (out []byte, long bool, err error) {
	r.t, r.runs = r.t[:0], r.runs[:0]
	out, long, err = readStringItem(r.x, dst, &r.t, &r.runs, &r.run)
	return out, long, err
}

func readStringItem(x *xmlScanner, dst []byte, t, runs, run *[]byte) (out []byte, long bool, err error) {
	*t, *runs = (*t)[:0], (*runs)[:0]
	if x.selfClose {
		return dst, false, x.next()
	}
	depth := x.depth
	for {
		if err := x.next(); err != nil {
			return dst, false, err
		}
		if x.kind == xmlEOF {
			return dst, false, errXMLEOF
		}
		if x.kind == xmlEnd && x.depth < depth {
			break
		}
		if x.kind != xmlStart {
			continue
		}
		switch string(x.name) {
		case "t":
			var l bool
			if *t, l, err = readXMLText(x, (*t)[:0]); err != nil {
				return dst, false, err
			}
			long = long || l
		case "r":
			// A run's last <t> is its text.
			has, rdepth := false, x.depth
			if x.selfClose {
				if err := x.next(); err != nil {
					return dst, false, err
				}
				continue
			}
			for {
				if err := x.next(); err != nil {
					return dst, false, err
				}
				if x.kind == xmlEOF {
					return dst, false, errXMLEOF
				}
				if x.kind == xmlEnd && x.depth < rdepth {
					break
				}
				if x.kind != xmlStart {
					continue
				}
				if string(x.name) == "t" {
					var l bool
					if *run, l, err = readXMLText(x, (*run)[:0]); err != nil {
						return dst, false, err
					}
					long, has = long || l, true
				} else if err := x.skipElement(); err != nil {
					return dst, false, err
				}
			}
			if has {
				if len(*runs)+len(*run) > maxXLSXCellBytes {
					long = true
				} else {
					*runs = append(*runs, *run...)
				}
			}
		default:
			if err := x.skipElement(); err != nil {
				return dst, false, err
			}
		}
	}
	if long || len(*t)+len(*runs) > maxXLSXCellBytes {
		return dst, true, nil
	}
	start := len(dst)
	dst = append(append(dst, *t...), *runs...)
	return appendUnescapedBSTR(dst[:start], dst[start:]), false, nil
}

// appendUnescapedBSTR decodes Excel's _xHHHH_ escapes in s (the characters XML cannot hold), as
// excelize's bstrUnmarshal does: _x005F_ is '_', a surrogate half is dropped, and matches do not overlap.
// s may be dst's own tail starting at len(dst): decoding never makes text longer.
func appendUnescapedBSTR(dst, s []byte) []byte {
	if bytes.Index(s, []byte("_x")) < 0 {
		return append(dst, s...)
	}
	w := len(dst)
	out := dst[:w]
	for i := 0; i < len(s); {
		if s[i] == '_' && i+6 < len(s) && s[i+1] == 'x' && s[i+6] == '_' && isHex4(s[i+2:i+6]) {
			v, _ := strconv.ParseUint(string(s[i+2:i+6]), 16, 32)
			if v < 0xD800 || v > 0xDFFF {
				var tmp [4]byte
				n := utf8.EncodeRune(tmp[:], rune(v))
				out = append(out, tmp[:n]...)
			}
			i += 7
			continue
		}
		out = append(out, s[i])
		i++
	}
	return out
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// cellColumn is the column of a cell reference ("B7", "$AA$12", "b7"), with excelize's rules: letters (and
// '$') then a row number above 0 and at most Excel's last row.
func cellColumn(ref []byte) (int, bool) {
	isAlpha := func(c byte) bool { return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '$' }
	if len(ref) == 0 || !isAlpha(ref[0]) {
		return 0, false
	}
	last := -1
	for i, c := range ref {
		if isAlpha(c) {
			last = i
		}
	}
	if last == len(ref)-1 {
		return 0, false
	}
	n, ok := rowDigits(ref[last+1:])
	if !ok || n <= 0 || n > maxXLSXRows {
		return 0, false
	}
	col := 0
	for _, c := range ref[:last+1] {
		switch {
		case c == '$':
			continue
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case c < 'A' || c > 'Z':
			return 0, false
		}
		col = col*26 + int(c-'A'+1)
		if col > maxXLSXColumns {
			return col, false // past XFD
		}
	}
	return col, col > 0
}

// rowDigits is strconv.Atoi for a cell reference's row: digits only, with an optional sign, and too many
// digits refused rather than wrapped.
func rowDigits(b []byte) (int, bool) {
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		n, err := strconv.Atoi(string(b))
		return n, err == nil
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// mayBeFloatNotation is false for text exactNumber returns as it is: it has no '.' and no exponent.
func mayBeFloatNotation(b []byte) bool {
	for _, c := range b {
		if c == '.' || c == 'e' || c == 'E' {
			return true
		}
	}
	return false
}
