package records

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	kflate "github.com/klauspost/compress/flate"
)

// xlsxBook is what is read of a workbook before its rows: the sheets' names in the workbook's order and
// the ZIP entry holding each. The small parts saying this (the package and workbook relationships,
// workbook.xml) are decoded with encoding/xml; worksheets and shared strings are streamed (sheetReader).
type xlsxBook struct {
	parts     map[string]*zip.File // by name, '\' as '/'
	sheets    []string
	sheetPart map[string]string // sheet name → part name, for the sheets whose part exists
}

const (
	relOfficeDocument       = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
	relOfficeDocumentStrict = "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"
)

type xmlRelationships struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

type xmlWorkbook struct {
	Sheets []struct {
		Name  string     `xml:"name,attr"`
		Attrs []xml.Attr `xml:",any,attr"`
	} `xml:"sheets>sheet"`
}

// readXLSXBook finds the workbook's sheets, as excelize found them: the officeDocument relationship names
// workbook.xml (xl/workbook.xml when there is none), its relationships name each sheet's part.
func readXLSXBook(zr *zip.Reader) (*xlsxBook, error) {
	// klauspost's inflate is about twice as fast as compress/flate's on sheet XML; its output is the same.
	// The compressed bytes come through a 256 KiB buffer: the default 4 KiB one costs a ReadAt system call
	// per 4 KiB.
	zr.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser {
		return kflate.NewReader(bufio.NewReaderSize(r, 256<<10))
	})
	b := &xlsxBook{parts: map[string]*zip.File{}, sheetPart: map[string]string{}}
	for _, f := range zr.File {
		b.parts[strings.ReplaceAll(f.Name, "\\", "/")] = f
	}
	wbPath := "xl/workbook.xml"
	var rels xmlRelationships
	if err := b.decodePart("_rels/.rels", &rels); err != nil {
		return nil, err
	}
	for _, r := range rels.Rels {
		if r.Type == relOfficeDocument || r.Type == relOfficeDocumentStrict {
			wbPath = strings.TrimPrefix(r.Target, "/")
			break
		}
	}
	var wb xmlWorkbook
	if _, ok := b.parts[wbPath]; !ok {
		return nil, fmt.Errorf("its workbook part %q is missing", SafeColumnName(wbPath))
	}
	if err := b.decodePart(wbPath, &wb); err != nil {
		return nil, err
	}
	dir := path.Dir(wbPath)
	var wbRels xmlRelationships
	if err := b.decodePart(path.Join(dir, "_rels", path.Base(wbPath)+".rels"), &wbRels); err != nil {
		return nil, err
	}
	for _, s := range wb.Sheets {
		b.sheets = append(b.sheets, s.Name)
		id := ""
		for _, a := range s.Attrs {
			if a.Name.Local == "id" && a.Name.Space != "" {
				id = a.Value
			}
		}
		for _, r := range wbRels.Rels {
			if r.ID != id || id == "" {
				continue
			}
			target := path.Clean(dir + "/" + strings.ReplaceAll(r.Target, "\\", "/"))
			if strings.HasPrefix(r.Target, "/") {
				target = path.Clean(strings.ReplaceAll(r.Target, "\\", "/"))
			}
			target = strings.TrimPrefix(target, "/")
			if _, ok := b.parts[target]; ok {
				b.sheetPart[s.Name] = target
			}
		}
	}
	return b, nil
}

// decodePart decodes a small XML part; a missing part decodes as empty.
func (b *xlsxBook) decodePart(name string, v any) error {
	f, ok := b.parts[name]
	if !ok {
		return nil
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("its part %q cannot be read: %w", SafeColumnName(name), err)
	}
	defer rc.Close()
	d := xml.NewDecoder(io.LimitReader(rc, maxXLSXWorkbookPart))
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	if err := d.Decode(v); err != nil && err != io.EOF {
		return fmt.Errorf("its part %q is not valid XML: %w", SafeColumnName(name), err)
	}
	return nil
}

// partOf is the part holding a sheet, matched as excelize matched it (exactly, else ignoring case).
func (b *xlsxBook) partOf(sheet string) (*zip.File, bool) {
	name, ok := b.sheetPart[sheet]
	if !ok {
		for s, p := range b.sheetPart {
			if strings.EqualFold(s, sheet) {
				name, ok = p, true
				break
			}
		}
	}
	if !ok {
		return nil, false
	}
	return b.parts[name], true
}

// sharedStringsPart is xl/sharedStrings.xml, whatever its case (excelize's rule), or nil.
func (b *xlsxBook) sharedStringsPart() *zip.File {
	if f, ok := b.parts["xl/sharedStrings.xml"]; ok {
		return f
	}
	for n, f := range b.parts {
		if strings.EqualFold(n, "xl/sharedStrings.xml") {
			return f
		}
	}
	return nil
}

// sharedStrings is a workbook's shared-string table, decoded once into 1 MiB pages (never copied as it
// grows, so memory stays within maxXLSXSharedBytes plus the index).
type sharedStrings struct {
	pages  [][]byte
	starts []uint32 // page<<sstPageBits | offset; a string ends where the next one in its page starts
	long   map[int]bool
	total  int
}

const sstPageBits = 20

func (s *sharedStrings) get(i int) (b []byte, ok, tooLong bool) {
	if s == nil || i < 0 || i >= len(s.starts) {
		return nil, false, false
	}
	if s.long[i] {
		return nil, true, true
	}
	st := s.starts[i]
	page := s.pages[st>>sstPageBits]
	start, end := int(st&(1<<sstPageBits-1)), len(page)
	if i+1 < len(s.starts) && s.starts[i+1]>>sstPageBits == st>>sstPageBits {
		end = int(s.starts[i+1] & (1<<sstPageBits - 1))
	}
	return page[start:end], true, false
}

// readSharedStrings decodes the table's <si> items (the direct children of its root), each as
// excelize's xlsxSI.String gave it.
func readSharedStrings(f *zip.File) (*sharedStrings, error) {
	return readSharedStringsVia(f, func(r io.Reader) io.Reader { return r })
}

// readSharedStringsVia reads the part through wrap (tests split its reads).
func readSharedStringsVia(f *zip.File, wrap func(io.Reader) io.Reader) (*sharedStrings, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	x := newXMLScanner(wrap(rc))
	s := &sharedStrings{}
	var t, runs, run []byte
	for {
		if err := x.next(); err != nil {
			return nil, fmt.Errorf("after shared string %d: %w", len(s.starts), err)
		}
		if x.kind == xmlEOF {
			return s, nil
		}
		if x.kind != xmlStart || x.depth != 2 || string(x.name) != "si" {
			continue
		}
		if len(s.starts) >= maxXLSXSharedStrings {
			return nil, fmt.Errorf("it has more than %d shared strings", maxXLSXSharedStrings)
		}
		if len(s.pages) == 0 || len(s.pages[len(s.pages)-1])+maxXLSXCellBytes > 1<<sstPageBits {
			s.pages = append(s.pages, make([]byte, 0, 1<<sstPageBits))
		}
		last := len(s.pages) - 1
		page := s.pages[last]
		start := len(page)
		var long bool
		if page, long, err = readStringItem(x, page, &t, &runs, &run); err != nil {
			return nil, fmt.Errorf("in shared string %d: %w", len(s.starts), err)
		}
		s.pages[last] = page
		if long {
			if s.long == nil {
				s.long = map[int]bool{}
			}
			s.long[len(s.starts)] = true
		}
		if s.total += len(page) - start; s.total > maxXLSXSharedBytes {
			return nil, fmt.Errorf("it has more than %d MiB of shared strings", maxXLSXSharedBytes>>20)
		}
		s.starts = append(s.starts, uint32(last)<<sstPageBits|uint32(start))
	}
}

var errNoSheetPart = errors.New("the sheet's part is missing from the workbook")
