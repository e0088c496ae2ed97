package records

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// The workbook's structure (sheet names and their parts), its shared strings and one sheet's rows, read
// straight from the ZIP entries with the bounded xmlScanner: nothing else of the workbook is read, and
// nothing is written to disk.

// xlsxBook is the parts of a workbook this app reads.
type xlsxBook struct {
	files  map[string]*zip.File // by lower-cased name
	sheets []string
	parts  map[string]string // sheet name → its part
	shared string            // the shared-strings part ("" when none)
}

func (b *xlsxBook) file(name string) *zip.File { return b.files[strings.ToLower(name)] }

// readXLSXBook reads xl/workbook.xml and its relationships.
func readXLSXBook(name string, zr *zip.Reader) (*xlsxBook, error) {
	b := &xlsxBook{files: map[string]*zip.File{}, parts: map[string]string{}}
	for _, f := range zr.File {
		b.files[strings.ToLower(strings.ReplaceAll(f.Name, "\\", "/"))] = f
	}
	damaged := func(part string, err error) error {
		return fmt.Errorf("%s could not be opened as an Excel workbook (its %s is damaged: %v): open it in Excel, save it again as .xlsx, and try again", name, part, err)
	}
	var wb struct {
		Sheets []struct {
			Name  string     `xml:"name,attr"`
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := decodeXLSXPart(b.file("xl/workbook.xml"), &wb); err != nil {
		return nil, damaged("xl/workbook.xml", err)
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if f := b.file("xl/_rels/workbook.xml.rels"); f != nil {
		if err := decodeXLSXPart(f, &rels); err != nil {
			return nil, damaged("xl/_rels/workbook.xml.rels", err)
		}
	}
	targets := map[string]string{}
	for _, r := range rels.Rels {
		t := strings.ReplaceAll(r.Target, "\\", "/")
		if strings.HasPrefix(t, "/") {
			t = path.Clean(t[1:])
		} else {
			t = path.Join("xl", t)
		}
		targets[r.ID] = t
		if strings.HasSuffix(r.Type, "/sharedStrings") {
			b.shared = t
		}
	}
	if b.shared == "" && b.file("xl/sharedStrings.xml") != nil {
		b.shared = "xl/sharedStrings.xml"
	}
	for i, s := range wb.Sheets {
		part := ""
		for _, a := range s.Attrs {
			if a.Name.Local == "id" {
				part = targets[a.Value]
			}
		}
		if part == "" {
			part = fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1) // as Excel names them
		}
		b.sheets = append(b.sheets, s.Name)
		if _, dup := b.parts[s.Name]; !dup {
			b.parts[s.Name] = part
		}
	}
	return b, nil
}

// decodeXLSXPart decodes a small part whole, refusing one over maxXLSXWorkbookPart.
func decodeXLSXPart(f *zip.File, v any) error {
	if f == nil {
		return fmt.Errorf("it is missing")
	}
	if f.UncompressedSize64 > maxXLSXWorkbookPart {
		return fmt.Errorf("it says it is %d MiB, more than the %d MiB a workbook's list of sheets can be", f.UncompressedSize64>>20, maxXLSXWorkbookPart>>20)
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxXLSXWorkbookPart+1))
	if err != nil {
		return err
	}
	if len(data) > maxXLSXWorkbookPart {
		return fmt.Errorf("it is more than the %d MiB a workbook's list of sheets can be", maxXLSXWorkbookPart>>20)
	}
	return xml.Unmarshal(data, v)
}

// sharedStrings holds the shared-strings table in memory, in blocks so it never needs one allocation
// larger than a block: index entry i packs (block, offset, length); a string over maxXLSXCellChars is
// kept as a marker only.
type sharedStrings struct {
	blocks [][]byte
	index  [][]uint64 // pages of sstPage entries, so the index never reallocates as it grows
	n      int
}

const sstPage = 1 << 16

func (s *sharedStrings) push(e uint64) {
	if s.n%sstPage == 0 {
		s.index = append(s.index, make([]uint64, 0, sstPage))
	}
	k := len(s.index) - 1
	s.index[k] = append(s.index[k], e)
	s.n++
}

const (
	sstBlock    = 1 << 20
	sstLenBits  = 18 // a string is at most 32,767 characters of 4 bytes: under 2^17 bytes
	sstOverlong = 1<<sstLenBits - 1
)

func (s *sharedStrings) add(b []byte, overlong bool) {
	if overlong {
		s.push(sstOverlong)
		return
	}
	if len(s.blocks) == 0 || len(s.blocks[len(s.blocks)-1])+len(b) > sstBlock {
		s.blocks = append(s.blocks, make([]byte, 0, sstBlock))
	}
	k := len(s.blocks) - 1
	off := len(s.blocks[k])
	s.blocks[k] = append(s.blocks[k], b...)
	s.push(uint64(k)<<(20+sstLenBits) | uint64(off)<<sstLenBits | uint64(len(b)))
}

// get returns string i; ok is false past the table, overlong true for a string too long to be read.
func (s *sharedStrings) get(i int) (v string, ok, overlong bool) {
	if s == nil || i < 0 || i >= s.n {
		return "", false, false
	}
	e := s.index[i/sstPage][i%sstPage]
	n := int(e & sstOverlong)
	if n == sstOverlong {
		return "", true, true
	}
	off := int(e>>sstLenBits) & (sstBlock - 1)
	return string(s.blocks[e>>(20+sstLenBits)][off : off+n]), true, false
}

// readSharedStrings reads the shared-strings part within the bounds of xlsxlimits.go.
func readSharedStrings(name string, f *zip.File) (*sharedStrings, error) {
	sst := &sharedStrings{}
	if f == nil {
		return sst, nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: its shared strings could not be read: %w", name, err)
	}
	defer rc.Close()
	x := newXMLScanner(rc)
	var sink textSink
	var total int
	inSI, inT, phonetic := false, false, 0
	var tdepth int
	for {
		var into *textSink
		if inT {
			into = &sink
		}
		kind, el, _, err := x.next(into)
		if err != nil {
			return nil, xlsxPartError(name, "shared strings", err)
		}
		if kind == xmlEOF {
			break
		}
		switch string(el) {
		case "si":
			switch kind {
			case xmlStart, xmlEmpty:
				if sst.n >= maxXLSXSharedStrings {
					return nil, fmt.Errorf("%s has more than %d shared strings, more than this app reads from one workbook: save the sheet as CSV", name, maxXLSXSharedStrings)
				}
				sink.reset(maxXLSXCellChars)
				inSI = kind == xmlStart
				if kind == xmlEmpty {
					sst.add(nil, false)
				}
			case xmlEnd:
				if inSI {
					v := bstrDecode(sink.buf)
					total += len(v)
					if total > maxXLSXSharedBytes {
						return nil, fmt.Errorf("%s has more than %d MiB of shared strings, more than this app reads from one workbook: save the sheet as CSV", name, maxXLSXSharedBytes>>20)
					}
					sst.add(v, sink.over)
				}
				inSI = false
			}
		case "rPh": // phonetic guide: not the cell's text
			switch kind {
			case xmlStart:
				phonetic++
			case xmlEnd:
				phonetic--
			}
		case "t":
			switch kind {
			case xmlStart:
				inT, tdepth = inSI && phonetic == 0, x.depth
			case xmlEnd:
				if x.depth < tdepth {
					inT = false
				}
			}
		}
	}
	return sst, nil
}

// xlsxPartError is the sentence for a part that could not be read.
func xlsxPartError(name, what string, err error) error {
	if d, ok := err.(errXMLDamaged); ok {
		return fmt.Errorf("%s is damaged: its %s could not be read (%s): open it in Excel, save it again as .xlsx, and try again", name, what, string(d))
	}
	return fmt.Errorf("%s: its %s could not be read (damaged or cut short?): %w", name, what, err)
}

// sheetRows streams one worksheet's rows.
type sheetRows struct {
	name, sheet string
	rc          io.ReadCloser
	x           *xmlScanner
	sst         *sharedStrings
	row         int64 // the last row's number
	sink        textSink
	done        bool
}

func openSheetRows(name, sheet string, f *zip.File, sst *sharedStrings) (*sheetRows, error) {
	if f == nil {
		return nil, fmt.Errorf("%s, sheet %q, could not be read: its part is missing from the workbook (a chart sheet, or a damaged file)", name, SafeColumnName(sheet))
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s, sheet %q, could not be read: %w", name, SafeColumnName(sheet), err)
	}
	return &sheetRows{name: name, sheet: sheet, rc: rc, x: newXMLScanner(rc), sst: sst}, nil
}

func (s *sheetRows) close() error { return s.rc.Close() }

func (s *sheetRows) fatal(err error) error {
	return xlsxPartError(s.name, fmt.Sprintf("sheet %q after row %d", SafeColumnName(s.sheet), s.row), err)
}

// next returns the next <row>: its number and cells (cells[i] is column i+1, "" where none), or a
// *RecordError for a row past a bound (the rest of the row is skipped), or io.EOF.
func (s *sheetRows) next() (int64, []string, error) {
	if s.done {
		return 0, nil, io.EOF
	}
	// Find the row.
	var kind int
	var el, attrs []byte
	var err error
	for {
		kind, el, attrs, err = s.x.next(nil)
		if err != nil {
			return 0, nil, s.fatal(err)
		}
		if kind == xmlEOF || (kind == xmlEnd && string(el) == "sheetData") {
			s.done = true
			return 0, nil, io.EOF
		}
		if (kind == xmlStart || kind == xmlEmpty) && string(el) == "row" {
			break
		}
	}
	num := s.row + 1
	if r, ok := xmlAttr(attrs, "r"); ok {
		n, err := strconv.ParseInt(string(bytes.TrimSpace(r)), 10, 64)
		if err != nil || n < 1 {
			return 0, nil, s.fatal(errXMLDamaged("a row has a damaged number"))
		}
		num = n
	}
	if num > maxXLSXRows {
		return 0, nil, s.fatal(errXMLDamaged(fmt.Sprintf("a row is numbered past %d, Excel's last row", maxXLSXRows)))
	}
	s.row = num
	if kind == xmlEmpty {
		return num, nil, nil
	}
	rowDepth := s.x.depth
	var cells []string
	var bad *RecordError
	badCell := func(col int, msg string) {
		if bad == nil {
			bad = &RecordError{File: s.name, Sheet: s.sheet, Line: num, Column: col, Msg: msg}
		}
	}
	rowBytes, col := 0, 0
	// The cell being read.
	var typ string
	inCell, inValue, inInline, formula, collecting := false, false, false, false, false
	phonetic, valueDepth := 0, 0
	for {
		var into *textSink
		if collecting && bad == nil {
			into = &s.sink
		}
		kind, el, attrs, err = s.x.next(into)
		if err != nil {
			return 0, nil, s.fatal(err)
		}
		if kind == xmlEOF {
			return 0, nil, s.fatal(errXMLDamaged("it ends inside a row"))
		}
		if kind == xmlEnd && s.x.depth < rowDepth {
			break // </row>
		}
		switch string(el) {
		case "c":
			if kind == xmlEnd {
				if inCell && bad == nil {
					v, ok := s.cellValue(typ, inValue || inInline, col, badCell)
					if ok && (v != "" || formula) {
						rowBytes += len(v)
						if rowBytes > maxXLSXRowBytes {
							badCell(col, fmt.Sprintf("the row holds more than %d MiB of text (no list of identifiers has rows that long); the row was skipped", maxXLSXRowBytes>>20))
						} else {
							for len(cells) < col-1 {
								cells = append(cells, "")
							}
							cells = append(cells, v)
						}
					}
				}
				inCell = false
				continue
			}
			col++
			if r, ok := xmlAttr(attrs, "r"); ok {
				c, err := cellColumn(r)
				switch {
				case err == errXLSXPastLastColumn:
					badCell(0, fmt.Sprintf("a cell lies past column XFD (%d), Excel's last column (a damaged sheet); the row was skipped", maxXLSXColumns))
				case err != nil:
					badCell(0, "a cell has a damaged reference; the row was skipped")
				default:
					col = c
				}
			}
			if col > maxXLSXColumns {
				badCell(0, fmt.Sprintf("the row has more than %d cells, Excel's last column (a damaged sheet); the row was skipped", maxXLSXColumns))
			}
			t, _ := xmlAttr(attrs, "t")
			typ = string(t)
			s.sink.reset(maxXLSXCellChars)
			inCell, inValue, inInline, formula, collecting, phonetic = kind == xmlStart, false, false, false, false, 0
		case "v":
			if inCell && kind == xmlStart && !inInline {
				inValue, collecting, valueDepth = true, true, s.x.depth
			} else if kind == xmlEnd && collecting && s.x.depth < valueDepth {
				collecting = false
			}
		case "f":
			if inCell && kind != xmlEnd {
				formula = true
			}
		case "is":
			if inCell && kind == xmlStart {
				inInline = true
			}
		case "rPh":
			switch kind {
			case xmlStart:
				phonetic++
			case xmlEnd:
				phonetic--
			}
		case "t":
			if inInline && kind == xmlStart && phonetic == 0 {
				collecting, valueDepth = true, s.x.depth
			} else if kind == xmlEnd && collecting && s.x.depth < valueDepth {
				collecting = false
			}
		}
	}
	if bad != nil {
		return num, nil, bad
	}
	return num, cells, nil
}

// cellValue is a finished cell's text as excelize's raw reading gave it: a shared string looked up, an
// inline string decoded, anything else as stored. ok is false when the cell is bad (reported to badCell).
func (s *sheetRows) cellValue(typ string, has bool, col int, badCell func(int, string)) (string, bool) {
	overlong := func() {
		badCell(col, fmt.Sprintf("the cell is longer than %d characters, Excel's own limit for a cell (no identifier is that long); the row was skipped", maxXLSXCellChars))
	}
	if s.sink.over {
		overlong()
		return "", false
	}
	if !has {
		return "", true
	}
	switch typ {
	case "s":
		txt := strings.TrimSpace(string(s.sink.buf))
		if txt == "" {
			return "", true
		}
		i, err := strconv.Atoi(txt)
		v, ok, long := s.sst.get(i)
		switch {
		case err != nil || !ok:
			badCell(col, fmt.Sprintf("the cell points past the workbook's shared strings (%d of them); the row was skipped", s.sst.n))
			return "", false
		case long:
			overlong()
			return "", false
		}
		return v, true
	case "inlineStr":
		return string(bstrDecode(s.sink.buf)), true
	}
	return string(s.sink.buf), true
}

// bstrDecode undoes Office's escape for characters XML cannot hold (_x000D_ is a carriage return;
// _x005F_ a literal underscore).
func bstrDecode(b []byte) []byte {
	if !bytes.Contains(b, []byte("_x")) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		if i+7 <= len(b) && b[i] == '_' && b[i+1] == 'x' && b[i+6] == '_' {
			if n, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 16); err == nil {
				if n == 0x5F {
					out = append(out, '_')
				} else {
					out = append(out, string(rune(n))...)
				}
				i += 7
				continue
			}
		}
		out = append(out, b[i])
		i++
	}
	return out
}
