package records

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// xmlScanner is a pull reader of the few XML tokens a worksheet or a shared-strings part is made of: start
// and end tags, text and CDATA. It decodes what encoding/xml decodes (the five entities, numeric character
// references, CR LF as LF) and refuses what it refuses in strict mode (an unknown entity, a character XML
// does not allow, invalid UTF-8, mismatched tags), but it allocates nothing per token: names, attributes
// and text are slices of its buffer, valid until the next call. Namespaces are matched by local name, as
// excelize matched them, so a prefixed sheet (<x:row>) reads like a plain one.
type xmlScanner struct {
	src      io.Reader
	buf      []byte
	pos, end int
	eof      bool
	readErr  error
	consumed int64 // bytes before buf[0], for error messages

	kind      xmlKind
	name      []byte    // local name of the start or end tag
	attrs     []xmlAttr // of the start tag
	text      []byte    // raw (undecoded) text; one token may be one piece of a longer text
	cdata     bool      // text is a CDATA section (no entities)
	selfClose bool      // the start tag was <name/>: an end token follows

	stack []byte // open elements' local names, each followed by its length byte
	depth int
}

type xmlKind uint8

const (
	xmlEOF xmlKind = iota
	xmlStart
	xmlEnd
	xmlText
)

type xmlAttr struct {
	name, value []byte // local name; raw value (entities not yet decoded)
}

// Bounds on what one token may make the scanner hold: a tag (with its attributes), a comment or a CDATA
// section longer than maxXMLToken, or elements nested deeper than maxXLSXDepth, end the part with an error
// instead of growing memory with what the file claims.
const (
	xmlReadSize = 256 << 10
	maxXMLToken = 1 << 20
	maxXMLName  = 255
)

func newXMLScanner(src io.Reader) *xmlScanner {
	return &xmlScanner{src: src, buf: make([]byte, xmlReadSize)}
}

var errXMLEOF = errors.New("the XML ends in the middle of an element (the file is cut short?)")

// offset is the position in the part, for error messages.
func (s *xmlScanner) offset() int64 { return s.consumed + int64(s.pos) }

func (s *xmlScanner) syntax(format string, args ...any) error {
	return fmt.Errorf("XML error at byte %d: %s", s.offset(), fmt.Sprintf(format, args...))
}

// fill reads more input after buf[pos:end], moving it to the front first; it grows the buffer when the
// unread part fills it, up to maxXMLToken. It reports false at the end of input.
func (s *xmlScanner) fill() (bool, error) {
	if s.eof {
		return false, s.readErr
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.consumed += int64(s.pos)
		s.pos, s.end = 0, n
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= maxXMLToken+xmlReadSize {
			return false, s.syntax("a tag, comment or CDATA section longer than %d bytes", maxXMLToken)
		}
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	for {
		n, err := s.src.Read(s.buf[s.end:])
		s.end += n
		if err == io.EOF {
			s.eof = true
			return n > 0, nil
		}
		if err != nil {
			s.eof, s.readErr = true, err
			return n > 0, err
		}
		if n > 0 {
			return true, nil
		}
	}
}

// next reads the next token (comments, processing instructions and the XML declaration are skipped).
func (s *xmlScanner) next() error {
	if s.selfClose {
		s.selfClose = false
		s.kind = xmlEnd
		s.pop()
		return nil
	}
	for {
		if s.pos >= s.end {
			more, err := s.fill()
			if err != nil {
				return err
			}
			if !more {
				if s.depth > 0 {
					return errXMLEOF
				}
				s.kind = xmlEOF
				return nil
			}
		}
		if s.buf[s.pos] != '<' {
			return s.scanText()
		}
		skip, err := s.scanMarkup()
		if err != nil {
			return err
		}
		if !skip {
			return nil
		}
	}
}

// scanText reads text up to the next '<' or the end of the buffer. A piece never ends inside an entity
// reference or between CR and LF, so each piece decodes on its own.
func (s *xmlScanner) scanText() error {
	for {
		rest := s.buf[s.pos:s.end]
		if i := bytes.IndexByte(rest, '<'); i >= 0 {
			s.kind, s.text, s.cdata = xmlText, rest[:i], false
			s.pos += i
			return nil
		}
		cut := len(rest)
		if !s.eof {
			if amp := bytes.LastIndexByte(rest, '&'); amp >= 0 && bytes.IndexByte(rest[amp:], ';') < 0 {
				cut = amp
			}
			if cut > 0 && rest[cut-1] == '\r' {
				cut--
			}
			cut = runeBoundary(rest[:cut])
		}
		if cut > 0 {
			s.kind, s.text, s.cdata = xmlText, rest[:cut], false
			s.pos += cut
			return nil
		}
		if s.end-s.pos > 64 {
			return s.syntax("an entity reference with no ';'")
		}
		more, err := s.fill()
		if err != nil {
			return err
		}
		if !more {
			s.eof = true // decode what is left; an unfinished entity is reported there
		}
	}
}

// runeBoundary is len(b), less an unfinished UTF-8 sequence at its end.
func runeBoundary(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		c := b[i]
		if c < 0x80 {
			return len(b)
		}
		if c >= 0xC0 { // the start of the last sequence
			if n := len(b) - i; n < utf8SeqLen(c) {
				return i
			}
			return len(b)
		}
	}
	return len(b)
}

func utf8SeqLen(c byte) int {
	switch {
	case c >= 0xF0:
		return 4
	case c >= 0xE0:
		return 3
	}
	return 2
}

// need makes n bytes from pos available; false at the end of input.
func (s *xmlScanner) need(n int) (bool, error) {
	for s.end-s.pos < n {
		more, err := s.fill()
		if err != nil || !more {
			return false, err
		}
	}
	return true, nil
}

// find returns the index (from pos) of the first occurrence of sep at or after from, reading more as needed.
func (s *xmlScanner) find(from int, sep string) (int, error) {
	for {
		if i := bytes.Index(s.buf[s.pos+from:s.end], []byte(sep)); i >= 0 {
			return from + i, nil
		}
		from = max(from, s.end-s.pos-len(sep)+1)
		more, err := s.fill()
		if err != nil {
			return 0, err
		}
		if !more {
			return 0, errXMLEOF
		}
	}
}

// scanMarkup reads the tag at pos; skip is true for a comment, processing instruction or declaration.
func (s *xmlScanner) scanMarkup() (skip bool, err error) {
	if ok, err := s.need(2); err != nil {
		return false, err
	} else if !ok {
		return false, errXMLEOF
	}
	switch s.buf[s.pos+1] {
	case '?':
		i, err := s.find(2, "?>")
		if err != nil {
			return false, err
		}
		s.pos += i + 2
		return true, nil
	case '!':
		if ok, _ := s.need(9); ok && bytes.HasPrefix(s.buf[s.pos:], []byte("<![CDATA[")) {
			i, err := s.find(9, "]]>")
			if err != nil {
				return false, err
			}
			s.kind, s.text, s.cdata = xmlText, s.buf[s.pos+9:s.pos+i], true
			s.pos += i + 3
			return false, nil
		}
		if ok, _ := s.need(4); ok && bytes.HasPrefix(s.buf[s.pos:], []byte("<!--")) {
			i, err := s.find(4, "-->")
			if err != nil {
				return false, err
			}
			s.pos += i + 3
			return true, nil
		}
		return false, s.syntax("a DTD (<!DOCTYPE …>) or other <! declaration, which a workbook never has")
	case '/':
		i, err := s.find(2, ">")
		if err != nil {
			return false, err
		}
		name := trimRightXMLSpace(s.buf[s.pos+2 : s.pos+i])
		s.pos += i + 1
		s.kind, s.name = xmlEnd, localName(name)
		return false, s.close(name)
	}
	return false, s.scanStart()
}

// scanStart reads a start tag and its attributes; a '>' inside a quoted value does not end it.
func (s *xmlScanner) scanStart() error {
	end, quote := 1, byte(0)
	for {
		rest := s.buf[s.pos+end : s.end]
		i := 0
		if quote == 0 {
			// Most tags: the first '>' ends the tag when the quotes before it are balanced.
			if gt := bytes.IndexByte(rest, '>'); gt >= 0 && balancedQuotes(rest[:gt]) {
				end += gt
				break
			}
		}
		for ; i < len(rest); i++ {
			c := rest[i]
			if quote != 0 {
				if c == quote {
					quote = 0
				}
			} else if c == '"' || c == '\'' {
				quote = c
			} else if c == '>' {
				break
			}
		}
		end += i
		if i < len(rest) {
			break
		}
		if end > maxXLSXTagBytes {
			return s.syntax("a tag longer than %d KiB", maxXLSXTagBytes>>10)
		}
		more, err := s.fill()
		if err != nil {
			return err
		}
		if !more {
			return errXMLEOF
		}
	}
	if end > maxXLSXTagBytes {
		return s.syntax("a tag longer than %d KiB", maxXLSXTagBytes>>10)
	}
	tag := s.buf[s.pos+1 : s.pos+end]
	s.pos += end + 1
	self := len(tag) > 0 && tag[len(tag)-1] == '/'
	if self {
		tag = tag[:len(tag)-1]
	}
	name, attrs, err := parseTag(tag, s.attrs[:0])
	s.attrs = attrs
	if err != nil {
		return s.syntax("%v", err)
	}
	s.kind, s.name, s.selfClose = xmlStart, localName(name), self
	return s.push(name)
}

// parseTag splits a start tag's inside (without < and > or />) into its name and attributes.
func parseTag(tag []byte, attrs []xmlAttr) (name []byte, _ []xmlAttr, err error) {
	n := 0
	for n < len(tag) && !isXMLSpace(tag[n]) {
		n++
	}
	name = tag[:n]
	if n == 0 || n > maxXMLName {
		return name, attrs, fmt.Errorf("a tag with no name, or a name longer than %d bytes", maxXMLName)
	}
	for rest := tag[n:]; ; {
		rest = trimXMLSpace(rest)
		if len(rest) == 0 {
			return name, attrs, nil
		}
		eq := bytes.IndexByte(rest, '=')
		if eq <= 0 {
			return name, attrs, fmt.Errorf("an attribute with no value in <%s>", name)
		}
		aname := trimRightXMLSpace(rest[:eq])
		rest = trimXMLSpace(rest[eq+1:])
		if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
			return name, attrs, fmt.Errorf("an attribute value with no quotes in <%s>", name)
		}
		q := bytes.IndexByte(rest[1:], rest[0])
		if q < 0 {
			return name, attrs, fmt.Errorf("an unterminated attribute value in <%s>", name)
		}
		attrs = append(attrs, xmlAttr{name: localName(aname), value: rest[1 : 1+q]})
		rest = rest[q+2:]
		if len(rest) > 0 && !isXMLSpace(rest[0]) {
			return name, attrs, fmt.Errorf("attributes not separated by space in <%s>", name)
		}
	}
}

// balancedQuotes is true when b leaves no quoted attribute value open.
func balancedQuotes(b []byte) bool {
	var quote byte
	for _, c := range b {
		if quote != 0 {
			if c == quote {
				quote = 0
			}
		} else if c == '"' || c == '\'' {
			quote = c
		}
	}
	return quote == 0
}

func (s *xmlScanner) push(name []byte) error {
	if s.depth >= maxXLSXDepth {
		return s.syntax("elements nested more than %d deep", maxXLSXDepth)
	}
	s.stack = append(append(s.stack, name...), byte(len(name)))
	s.depth++
	return nil
}

func (s *xmlScanner) pop() {
	n := int(s.stack[len(s.stack)-1])
	s.stack = s.stack[:len(s.stack)-1-n]
	s.depth--
}

// close checks an end tag against the open element, as encoding/xml does in strict mode.
func (s *xmlScanner) close(name []byte) error {
	if s.depth == 0 {
		return s.syntax("an end tag </%s> with no element open", name)
	}
	n := int(s.stack[len(s.stack)-1])
	open := s.stack[len(s.stack)-1-n : len(s.stack)-1]
	if !bytes.Equal(open, name) {
		return s.syntax("element <%s> closed by </%s>", open, name)
	}
	s.pop()
	return nil
}

// skipElement reads past the end of the element whose start tag was just read.
func (s *xmlScanner) skipElement() error {
	for depth := s.depth; ; {
		if err := s.next(); err != nil {
			return err
		}
		if s.kind == xmlEnd && s.depth < depth {
			return nil
		}
		if s.kind == xmlEOF {
			return errXMLEOF
		}
	}
}

func (s *xmlScanner) attr(name string) ([]byte, bool) {
	for _, a := range s.attrs {
		if string(a.name) == name {
			return a.value, true
		}
	}
	return nil, false
}

func localName(name []byte) []byte {
	for i, c := range name {
		if c == ':' {
			if i > 0 && i < len(name)-1 {
				return name[i+1:]
			}
			break
		}
	}
	return name
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func trimRightXMLSpace(b []byte) []byte {
	for len(b) > 0 && isXMLSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func trimXMLSpace(b []byte) []byte {
	for len(b) > 0 && isXMLSpace(b[0]) {
		b = b[1:]
	}
	return b
}

// appendXMLText decodes raw text (entities unless cdata, CR LF and CR as LF) onto dst, refusing the
// characters XML does not allow.
func appendXMLText(dst, raw []byte, cdata bool) ([]byte, error) {
	for i := 0; i < len(raw); {
		// Copy a run of plain ASCII at once.
		j := i
		for j < len(raw) {
			if c := raw[j]; c >= 0x20 && c < 0x80 && c != '&' || c == '\t' || c == '\n' {
				j++
				continue
			}
			break
		}
		dst = append(dst, raw[i:j]...)
		if j == len(raw) {
			break
		}
		i = j
		switch c := raw[i]; {
		case c == '\r':
			dst = append(dst, '\n')
			i++
			if i < len(raw) && raw[i] == '\n' {
				i++
			}
		case c == '&' && !cdata:
			semi := bytes.IndexByte(raw[i:], ';')
			if semi < 0 {
				return dst, fmt.Errorf("an entity reference %q with no ';'", truncateForMessage(raw[i:]))
			}
			r, ok := decodeEntity(raw[i+1 : i+semi])
			if !ok {
				return dst, fmt.Errorf("an unknown or invalid entity reference %q", truncateForMessage(raw[i:i+semi+1]))
			}
			dst = utf8.AppendRune(dst, r)
			i += semi + 1
		case c == '&':
			dst = append(dst, c)
			i++
		case c < 0x80:
			return dst, fmt.Errorf("the control character U+%04X, which XML does not allow", c)
		default:
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size <= 1 {
				return dst, errors.New("invalid UTF-8")
			}
			if !isXMLChar(r) {
				return dst, fmt.Errorf("the character %U, which XML does not allow", r)
			}
			dst = append(dst, raw[i:i+size]...)
			i += size
		}
	}
	return dst, nil
}

func truncateForMessage(b []byte) string {
	if len(b) > 16 {
		b = b[:16]
	}
	return string(b)
}

// decodeEntity is the character an entity reference (without & and ;) stands for.
func decodeEntity(name []byte) (rune, bool) {
	switch string(name) {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "apos":
		return '\'', true
	case "quot":
		return '"', true
	}
	if len(name) < 2 || name[0] != '#' {
		return 0, false
	}
	digits, base := name[1:], 10
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	n, err := strconv.ParseUint(string(digits), base, 64)
	if err != nil || n > utf8.MaxRune || !isXMLChar(rune(n)) {
		return 0, false
	}
	return rune(n), true
}

// isXMLChar is XML 1.0's Char production.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
