package records

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// xlsxTable streams one worksheet's rows with sheetReader, straight from the ZIP entry: no temporary file,
// and only the shared-string table is kept in memory. Cells are read raw (no display formatting), so a
// number is its stored digits and a date is its serial number; a formula is its cached result.
type xlsxTable struct {
	name    string
	sheet   string
	rows    *sheetReader
	stream  io.Closer
	pending []xlsxRow // rows read ahead for the header decision, handed out first
	width   int       // number of columns
}

type xlsxRow struct {
	num   int64
	cells []string
	bad   *RecordError // a row past a bound, counted when its turn comes
}

func openXLSX(r *Reader, src io.Reader, head []byte, mode HeaderMode, opts Options) error {
	at, size := opts.At, opts.Size
	if at == nil || size <= 0 {
		b, err := io.ReadAll(src)
		if err != nil {
			return fmt.Errorf("reading %s: %w", r.name, err)
		}
		at, size = bytes.NewReader(b), int64(len(b))
	}
	if bytes.HasPrefix(head, oleMagic) {
		return oleError(r.name, io.NewSectionReader(at, 0, size))
	}
	zr, err := zip.NewReader(at, size)
	if err != nil {
		return fmt.Errorf("%s is a ZIP archive that cannot be read (damaged or cut short?): %w", r.name, err)
	}
	if what := notAWorkbook(zr); what != "" {
		return fmt.Errorf("%s %s", r.name, what)
	}
	if err := checkXLSXSizes(r.name, zr); err != nil {
		return err
	}
	book, err := readXLSXBook(zr)
	if err != nil {
		return fmt.Errorf("%s could not be opened as an Excel workbook (%v): open it in Excel, save it again as .xlsx, and try again", r.name, err)
	}
	t := &xlsxTable{name: r.name}
	ok := false
	defer func() {
		if !ok {
			t.close()
		}
	}()
	sheets := book.sheets
	if len(sheets) == 0 {
		return fmt.Errorf("%s has no worksheets", r.name)
	}
	sheet := sheets[0]
	if opts.Sheet != "" {
		sheet = ""
		for _, s := range sheets {
			if s == opts.Sheet {
				sheet = s
			}
		}
		for _, s := range sheets {
			if sheet == "" && strings.EqualFold(strings.TrimSpace(s), strings.TrimSpace(opts.Sheet)) {
				sheet = s
			}
		}
		if sheet == "" {
			return fmt.Errorf("%s has no sheet named %q; its sheets are %s", r.name, SafeColumnName(opts.Sheet), quoteNames(sheets))
		}
	}
	t.sheet = sheet
	r.sheet, r.sheets = sheet, sheets
	part, found := book.partOf(sheet)
	if !found {
		return fmt.Errorf("%s, sheet %q, could not be read: %w", r.name, SafeColumnName(sheet), errNoSheetPart)
	}
	var sst *sharedStrings
	if f := book.sharedStringsPart(); f != nil {
		if sst, err = readSharedStrings(f); err != nil {
			return fmt.Errorf("%s: its shared strings (the text of its cells) could not be read: %v: open it in Excel, save it again as .xlsx, and try again", r.name, err)
		}
	}
	rc, err := part.Open()
	if err != nil {
		return fmt.Errorf("%s, sheet %q, could not be read: %w", r.name, SafeColumnName(sheet), err)
	}
	ahead := newReadAhead(rc)
	t.stream, t.rows = ahead, newSheetReader(ahead, sst)

	// The first row with a value is the header candidate; the rows below it decide, as for CSV.
	first, err := t.nextRow()
	if _, bad := err.(*RecordError); bad {
		return fmt.Errorf("reading the first row: %w", err)
	}
	if err == io.EOF {
		return fmt.Errorf("%s, sheet %q, is empty (no cell has a value): choose another sheet with --sheet", r.name, SafeColumnName(sheet))
	}
	if err != nil {
		return err
	}
	for len(t.pending) < headerSampleRows {
		row, err := t.nextRow()
		if err == io.EOF {
			break
		}
		if re, bad := err.(*RecordError); bad {
			row = xlsxRow{num: re.Line, bad: re} // counted when its turn comes
		} else if err != nil {
			return err
		}
		t.pending = append(t.pending, row)
	}
	var body [][]string
	width := len(first.cells)
	for _, p := range t.pending {
		if p.bad == nil {
			body = append(body, p.cells)
			width = max(width, len(p.cells))
		}
	}
	hasHeader := mode == HeaderYes
	switch mode {
	case HeaderAuto, "":
		var why string
		hasHeader, why = decideHeader(first.cells, body, false)
		r.headerReason = why
	case HeaderNo:
		r.headerReason = "the sheet was read without one, as asked"
	}
	if hasHeader {
		r.hasHeader, r.headerReason = true, ""
		names := append([]string(nil), first.cells...)
		for len(names) < width {
			names = append(names, "")
		}
		if err := r.nameColumns(names); err != nil {
			return err
		}
	} else {
		r.header = numberedColumns(max(width, 1))
		t.pending = append([]xlsxRow{first}, t.pending...)
	}
	t.width = len(r.header)
	r.tab = t
	ok = true
	return nil
}

// advance reads the next row with at least one value into t.rows, or returns io.EOF, a *RecordError for a
// bad row (reading can go on), or an error that ends the sheet.
func (t *xlsxTable) advance() error {
	err := t.rows.next()
	if err == nil || err == io.EOF {
		return err
	}
	if re, ok := err.(*xlsxRowError); ok {
		return &RecordError{File: t.name, Sheet: t.sheet, Line: re.row, Column: re.col, Msg: re.msg}
	}
	return fmt.Errorf("%s, sheet %q, could not be read %w: open it in Excel, save it again as .xlsx, and try again", t.name, SafeColumnName(t.sheet), err)
}

// nextRow returns the next row with at least one value (Excel's row number and its cells, numbers as their
// exact digits), or io.EOF. It copies the cells; read uses them in place.
func (t *xlsxTable) nextRow() (xlsxRow, error) {
	if err := t.advance(); err != nil {
		return xlsxRow{}, err
	}
	cells := make([]string, len(t.rows.cells))
	for i := range cells {
		cells[i] = string(t.rows.cell(i))
	}
	return xlsxRow{num: t.rows.row, cells: cells}, nil
}

func (t *xlsxTable) read(c *Chunk, max int, cols []int) error {
	for len(c.Records)+len(c.Errors) < max {
		if len(t.pending) > 0 {
			row := t.pending[0]
			t.pending = t.pending[1:]
			if row.bad != nil {
				c.Errors = append(c.Errors, row.bad)
				continue
			}
			if re := t.extraCells(row.num, len(row.cells), func(i int) []byte { return []byte(row.cells[i]) }); re != nil {
				c.Errors = append(c.Errors, re)
				continue
			}
			start := len(c.Data)
			for _, col := range cols {
				if col < len(row.cells) && row.cells[col] != "" {
					c.Data = appendCell(c.Data, col, String, []byte(row.cells[col]))
				}
			}
			c.Records = append(c.Records, Span{Line: row.num, Start: start, End: len(c.Data)})
			continue
		}
		err := t.advance()
		if err == io.EOF {
			return io.EOF
		}
		if re, ok := err.(*RecordError); ok {
			// One bad row (a cell that points past the shared strings, an over-long cell): counted, and reading goes on.
			c.Errors = append(c.Errors, re)
			continue
		}
		if err != nil {
			return err
		}
		rows := t.rows
		if re := t.extraCells(rows.row, len(rows.cells), rows.cell); re != nil {
			// Like a CSV row with more fields than the header: counted, and the row is skipped.
			c.Errors = append(c.Errors, re)
			continue
		}
		start := len(c.Data)
		for _, col := range cols {
			if col < len(rows.cells) {
				if b := rows.cell(col); len(b) > 0 {
					c.Data = appendCell(c.Data, col, String, b)
				}
			}
		}
		c.Records = append(c.Records, Span{Line: rows.row, Start: start, End: len(c.Data)})
	}
	return nil
}

// extraCells reports a row with values beyond the columns the header (or, without one, the first rows)
// set: those values belong to no column, so the row is counted as bad rather than read in part.
func (t *xlsxTable) extraCells(num int64, n int, cell func(int) []byte) *RecordError {
	first, last := 0, 0
	for i := t.width; i < n; i++ {
		if len(bytes.TrimSpace(cell(i))) != 0 {
			if first == 0 {
				first = i + 1
			}
			last = i + 1
		}
	}
	if first == 0 {
		return nil
	}
	return &RecordError{File: t.name, Sheet: t.sheet, Line: num, Column: first,
		Msg: fmt.Sprintf("row has %d cells, the header has %d (%d extra)", last, t.width, last-t.width)}
}

func (t *xlsxTable) close() error {
	if t.stream != nil {
		return t.stream.Close()
	}
	return nil
}

// exactNumber writes a number that a spreadsheet stored in floating-point notation
// ("4.47911123456E+11", "447911123456.0") as its exact decimal digits ("447911123456"); any other text is
// returned as it is. Only the notation changes: the digits are moved, never rounded through a float.
func exactNumber(s string) string {
	if len(s) < 3 || len(s) > 40 {
		return s
	}
	neg := s[0] == '-'
	body := s
	if neg {
		body = s[1:]
	}
	mant, exp := body, 0
	if i := strings.IndexAny(body, "eE"); i >= 0 {
		mant = body[:i]
		e := body[i+1:]
		sign := 1
		if e != "" && (e[0] == '+' || e[0] == '-') {
			if e[0] == '-' {
				sign = -1
			}
			e = e[1:]
		} else {
			return s // "1e5" without a sign is not how spreadsheets write numbers; it may be an ID
		}
		if e == "" || len(e) > 3 {
			return s
		}
		for _, c := range e {
			if c < '0' || c > '9' {
				return s
			}
			exp = exp*10 + int(c-'0')
		}
		exp *= sign
	}
	dot := strings.IndexByte(mant, '.')
	if dot < 0 && exp == 0 {
		return s // an integer already
	}
	intPart, frac := mant, ""
	if dot >= 0 {
		intPart, frac = mant[:dot], mant[dot+1:]
	}
	if intPart == "" || !allDigits(intPart) || !allDigits(frac) {
		return s
	}
	digits := intPart + frac
	point := len(intPart) + exp // position of the decimal point in digits
	if point < 0 || point > 40 {
		return s
	}
	for len(digits) < point {
		digits += "0"
	}
	whole, rest := digits[:point], strings.TrimRight(digits[point:], "0")
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	out := whole
	if rest != "" {
		out += "." + rest
	}
	if neg {
		out = "-" + out
	}
	return out
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkXLSXSizes refuses a workbook whose entries state sizes excelize must not be asked to allocate.
func checkXLSXSizes(name string, zr *zip.Reader) error {
	var total uint64
	for _, f := range zr.File {
		size, packed := f.UncompressedSize64, f.CompressedSize64
		entry := strings.ToLower(strings.ReplaceAll(f.Name, "\\", "/"))
		streamed := strings.HasPrefix(entry, "xl/worksheets/sheet") || entry == "xl/sharedstrings.xml"
		switch {
		case f.Method == zip.Store && size != packed,
			size > 0 && packed == 0,
			packed > 0 && size/packed > maxDeflateRatio:
			return fmt.Errorf("%s is damaged or is a ZIP bomb: its part %q says it unpacks to %d bytes from %d: open it in Excel, save it again as .xlsx, and try again", name, SafeColumnName(f.Name), size, packed)
		case !streamed && size > maxXLSXPart:
			return fmt.Errorf("%s has a part %q of %d MiB (an embedded picture or object?), more than the %d MiB this app reads: remove it in Excel, or save the sheet as CSV", name, SafeColumnName(f.Name), size>>20, maxXLSXPart>>20)
		}
		total += size
		if total > maxXLSXUnzipped {
			return fmt.Errorf("%s unpacks to more than %d GiB, more than this app reads from one workbook: save the list as CSV (or split it into several workbooks)", name, maxXLSXUnzipped>>30)
		}
	}
	return nil
}

// notAWorkbook says what a ZIP archive is when it is not an .xlsx workbook ("" when it is one).
func notAWorkbook(zr *zip.Reader) string {
	has := map[string]bool{}
	for _, f := range zr.File {
		has[strings.ToLower(strings.ReplaceAll(f.Name, "\\", "/"))] = true
	}
	switch {
	case has["xl/workbook.xml"]:
		return ""
	case has["xl/workbook.bin"]:
		return "is an Excel binary workbook (.xlsb): open it in Excel and save it as .xlsx or CSV"
	case has["word/document.xml"]:
		return "is a Word document, not an Excel workbook"
	case has["ppt/presentation.xml"]:
		return "is a PowerPoint presentation, not an Excel workbook"
	case has["content.xml"] && has["mimetype"]:
		return "is an OpenDocument file (.ods): save it as .xlsx or CSV"
	}
	return "is a ZIP archive, not an Excel workbook (it has no xl/workbook.xml): unzip it and choose the list inside"
}

// oleError explains an OLE2 compound file: a password-protected (encrypted) workbook, or an old .xls.
func oleError(name string, r io.Reader) error {
	b, _ := io.ReadAll(io.LimitReader(r, maxXLSXScan))
	marker := utf16LEBytes("EncryptedPackage")
	if bytes.Contains(b, marker) {
		return fmt.Errorf("%s is a password-protected Excel workbook: open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password, clear it), save, and try again", name)
	}
	return fmt.Errorf("%s is an old Excel .xls (or other Office) file: open it in Excel and save it as .xlsx or CSV", name)
}

func utf16LEBytes(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

func quoteNames(names []string) string {
	var b strings.Builder
	for i, n := range names {
		if i == 20 {
			fmt.Fprintf(&b, " and %d more", len(names)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", SafeColumnName(n))
	}
	return b.String()
}

// columnLetters is Excel's name for a 1-based column number (1 → A, 27 → AA).
func columnLetters(n int) string {
	var b []byte
	for ; n > 0; n = (n - 1) / 26 {
		b = append([]byte{byte('A' + (n-1)%26)}, b...)
	}
	return string(b)
}
