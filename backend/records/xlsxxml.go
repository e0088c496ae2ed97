package records

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// xmlScanner is a streaming tokenizer for the parts of a workbook this app reads: tags and text, with
// nesting depth, tag length and text length bounded (xlsxlimits.go), so that memory never depends on what
// the file holds. Text is decoded (entities, CDATA) only into a textSink the caller passes, and only up to
// the sink's limit; the rest is counted as it streams past. Namespaces are ignored: an element is known by
// its local name, which is how transitional and strict OOXML (and prefixed writers) are read alike.
type xmlScanner struct {
	r     *bufio.Reader
	depth int
	tag   []byte // the last tag's bytes, reused
}

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{r: bufio.NewReaderSize(r, 64<<10)}
}

// xmlToken kinds.
const (
	xmlEOF = iota
	xmlStart
	xmlEnd
	xmlEmpty // <name/>
)

// errXMLDamaged is the cause of a part that is not well-formed enough to read.
type errXMLDamaged string

func (e errXMLDamaged) Error() string { return string(e) }

// textSink receives the decoded text of one value, up to limit characters; past it, over is set and the
// text is only counted.
type textSink struct {
	buf   []byte
	chars int
	over  bool
	limit int
}

func (s *textSink) reset(limit int) { s.buf, s.chars, s.over, s.limit = s.buf[:0], 0, false, limit }

func (s *textSink) add(b []byte) {
	if s.over {
		return
	}
	for _, c := range b {
		if !utf8.RuneStart(c) {
			continue
		}
		s.chars++
	}
	if s.chars > s.limit {
		s.over = true
		s.buf = s.buf[:0]
		return
	}
	s.buf = append(s.buf, b...)
}

// next skips to the next tag, feeding the text before it to sink (nil: the text is skipped), and returns
// the tag: its kind, its local name and its raw attributes (both valid until the next call).
func (x *xmlScanner) next(sink *textSink) (kind int, name, attrs []byte, err error) {
	for {
		if err := x.text(sink); err != nil {
			if err == io.EOF {
				return xmlEOF, nil, nil, nil
			}
			return 0, nil, nil, err
		}
		// At '<'.
		p, _ := x.r.Peek(9)
		switch {
		case len(p) >= 2 && p[1] == '?':
			if err := x.skipPast("?>"); err != nil {
				return 0, nil, nil, err
			}
			continue
		case bytes.HasPrefix(p, []byte("<!--")):
			if err := x.skipPast("-->"); err != nil {
				return 0, nil, nil, err
			}
			continue
		case bytes.HasPrefix(p, []byte("<![CDATA[")):
			x.r.Discard(9)
			if err := x.cdata(sink); err != nil {
				return 0, nil, nil, err
			}
			continue
		case len(p) >= 2 && p[1] == '!':
			// A DTD: workbooks never have one, and its entities are how XML bombs are made.
			return 0, nil, nil, errXMLDamaged("it declares a DTD (<!DOCTYPE>), which workbooks never do")
		}
		return x.readTag()
	}
}

// text consumes text up to the next '<' (left unread), decoding it into sink.
func (x *xmlScanner) text(sink *textSink) error {
	for {
		if _, err := x.r.Peek(1); err != nil {
			if err == io.EOF {
				return io.EOF
			}
			return err
		}
		p, _ := x.r.Peek(x.r.Buffered())
		var i int
		if sink == nil {
			i = bytes.IndexByte(p, '<')
		} else {
			i = bytes.IndexAny(p, "<&")
		}
		if i < 0 {
			if sink != nil {
				sink.add(p)
			}
			x.r.Discard(len(p))
			continue
		}
		if sink != nil {
			sink.add(p[:i])
		}
		x.r.Discard(i)
		if p[i] == '<' {
			return nil
		}
		if err := x.entity(sink); err != nil {
			return err
		}
	}
}

// entity decodes the entity at '&' into sink.
func (x *xmlScanner) entity(sink *textSink) error {
	p, _ := x.r.Peek(12)
	j := bytes.IndexByte(p, ';')
	if j < 0 {
		return errXMLDamaged("it has an unterminated entity (&…)")
	}
	ent := p[1:j]
	var r rune
	switch string(ent) {
	case "lt":
		r = '<'
	case "gt":
		r = '>'
	case "amp":
		r = '&'
	case "quot":
		r = '"'
	case "apos":
		r = '\''
	default:
		if len(ent) < 2 || ent[0] != '#' {
			return errXMLDamaged("it uses an entity XML does not define")
		}
		var n uint64
		var err error
		if ent[1] == 'x' {
			n, err = strconv.ParseUint(string(ent[2:]), 16, 32)
		} else {
			n, err = strconv.ParseUint(string(ent[1:]), 10, 32)
		}
		if err != nil || n > utf8.MaxRune {
			return errXMLDamaged("it has a damaged character reference (&#…;)")
		}
		r = rune(n)
	}
	var enc [utf8.UTFMax]byte
	sink.add(enc[:utf8.EncodeRune(enc[:], r)])
	x.r.Discard(j + 1)
	return nil
}

// cdata consumes a CDATA section's text (after "<![CDATA[") into sink.
func (x *xmlScanner) cdata(sink *textSink) error {
	for {
		p, err := x.r.Peek(3)
		if err != nil {
			return errXMLDamaged("it ends inside a CDATA section")
		}
		p, _ = x.r.Peek(x.r.Buffered())
		i := bytes.Index(p, []byte("]]>"))
		if i >= 0 {
			if sink != nil {
				sink.add(p[:i])
			}
			x.r.Discard(i + 3)
			return nil
		}
		n := len(p) - 2 // keep a possible "]]" for the next round
		if sink != nil {
			sink.add(p[:n])
		}
		x.r.Discard(n)
	}
}

// skipPast discards up to and including end.
func (x *xmlScanner) skipPast(end string) error {
	for {
		p, err := x.r.Peek(len(end))
		if err != nil {
			return errXMLDamaged("it ends inside a comment or processing instruction")
		}
		p, _ = x.r.Peek(x.r.Buffered())
		if i := bytes.Index(p, []byte(end)); i >= 0 {
			x.r.Discard(i + len(end))
			return nil
		}
		x.r.Discard(len(p) - len(end) + 1)
	}
}

// readTag reads one tag (at '<'), at most maxXLSXTagBytes long, and tracks the nesting depth.
func (x *xmlScanner) readTag() (int, []byte, []byte, error) {
	x.r.Discard(1)
	x.tag = x.tag[:0]
	var quote byte
	for {
		p, err := x.r.Peek(1)
		if err != nil {
			return 0, nil, nil, errXMLDamaged("it ends inside a tag")
		}
		p, _ = x.r.Peek(x.r.Buffered())
		end := -1
		for i, c := range p {
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				}
			case c == '"' || c == '\'':
				quote = c
			case c == '>':
				end = i
			}
			if end >= 0 {
				break
			}
		}
		take := len(p)
		if end >= 0 {
			take = end
		}
		if len(x.tag)+take > maxXLSXTagBytes {
			return 0, nil, nil, errXMLDamaged("it has a tag longer than 64 KiB")
		}
		x.tag = append(x.tag, p[:take]...)
		if end < 0 {
			x.r.Discard(take)
			continue
		}
		x.r.Discard(take + 1)
		break
	}
	t := x.tag
	kind := xmlStart
	switch {
	case len(t) > 0 && t[0] == '/':
		kind, t = xmlEnd, t[1:]
	case len(t) > 0 && t[len(t)-1] == '/':
		kind, t = xmlEmpty, t[:len(t)-1]
	}
	n := 0
	for n < len(t) && !isXMLSpace(t[n]) {
		n++
	}
	name, attrs := t[:n], t[n:]
	if len(name) == 0 {
		return 0, nil, nil, errXMLDamaged("it has a tag without a name")
	}
	if i := bytes.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	switch kind {
	case xmlStart:
		x.depth++
		if x.depth > maxXLSXDepth {
			return 0, nil, nil, errXMLDamaged("its elements are nested more than 64 deep")
		}
	case xmlEnd:
		x.depth--
	}
	return kind, name, attrs, nil
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// xmlAttr returns the raw value of the attribute with the local name want ("" and false when absent).
func xmlAttr(attrs []byte, want string) ([]byte, bool) {
	for len(attrs) > 0 {
		i := 0
		for i < len(attrs) && isXMLSpace(attrs[i]) {
			i++
		}
		attrs = attrs[i:]
		eq := bytes.IndexByte(attrs, '=')
		if eq < 0 {
			return nil, false
		}
		name := bytes.TrimSpace(attrs[:eq])
		rest := bytes.TrimLeft(attrs[eq+1:], " \t\r\n")
		if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
			return nil, false
		}
		end := bytes.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return nil, false
		}
		val := rest[1 : 1+end]
		if k := bytes.LastIndexByte(name, ':'); k >= 0 {
			name = name[k+1:]
		}
		if string(name) == want {
			return val, true
		}
		attrs = rest[2+end:]
	}
	return nil, false
}

var errNotXLSXRef = errors.New("not a cell reference")

// cellColumn is the 1-based column of a cell reference ("B7" → 2); past maxXLSXColumns is an error.
func cellColumn(ref []byte) (int, error) {
	col, i := 0, 0
	for ; i < len(ref); i++ {
		c := ref[i] | 0x20 // lower case
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a'+1)
		if col > maxXLSXColumns {
			return 0, errXLSXPastLastColumn
		}
	}
	if i == 0 {
		return 0, errNotXLSXRef
	}
	return col, nil
}

var errXLSXPastLastColumn = errors.New("past column XFD")
