package records

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the JSON kind of an extracted value.
type Kind uint8

const (
	Missing Kind = iota
	Null
	String
	Number
	Bool
	Object
	Array
)

func (k Kind) String() string {
	switch k {
	case Missing:
		return "missing"
	case Null:
		return "null"
	case String:
		return "string"
	case Number:
		return "number"
	case Bool:
		return "boolean"
	case Object:
		return "object"
	case Array:
		return "array"
	}
	return "unknown"
}

// Value is one extracted field. String: unescaped/unquoted text; Number: the raw number text; others: raw JSON.
// A CSV cell is always String (an empty cell is String with empty bytes).
type Value struct {
	Kind  Kind
	Bytes []byte
}

// Extractor pulls the named fields (CSV column names, or JSON keys / dotted paths) out of records.
// One per worker goroutine; not safe for concurrent use.
type Extractor struct {
	name   string
	format Format
	fields []string

	// JSON: a trie of keys; each field is reachable by every split of its dotted name.
	nodes   []jnode
	prio    []int32
	scratch []byte
	keyBuf  []byte

	// CSV, Parquet, Excel
	table  bool // Parquet, Excel: records are encoded cells
	delim  byte
	ncols  int
	target []int32  // column -> field index, -1 when not wanted
	dups   [][2]int // {field, same column as field}: a column asked for twice
	header []string
}

type jnode struct {
	key    string
	leaves []jleaf
	kids   []int32
	// bySlot finds a kid by the keySlot of its key without comparing a
	// record's key with every kid: the kid's index+1, 0 when no kid has that
	// slot (so most unwanted keys cost no comparison), -1 when several do.
	bySlot [kidSlots]int32
}

// kidSlots is the size of a node's kid table (a power of two).
const kidSlots = 64

// keySlot is a cheap hash of a key's length and outer bytes.
func keySlot[T string | []byte](key T) int {
	n := len(key)
	if n == 0 {
		return 0
	}
	return int((uint(n)*7 + uint(key[0])*3 + uint(key[n-1])) & (kidSlots - 1))
}

type jleaf struct {
	field int32
	prio  int32 // lower wins: the literal key beats a nested path
}

const maxPathSplits = 6 // a name with more dots is matched literally or fully split only

// NewExtractor prepares extraction of fields. It fails for a CSV column that is not in the header.
func (r *Reader) NewExtractor(fields []string) (*Extractor, error) {
	e := &Extractor{name: r.name, format: r.format, fields: append([]string(nil), fields...)}
	if len(fields) == 0 {
		return nil, errors.New("no fields to extract")
	}
	if r.Tabular() {
		e.table = r.tab != nil
		e.delim = r.delim
		e.header = r.header
		e.ncols = len(r.header)
		e.target = make([]int32, e.ncols)
		for i := range e.target {
			e.target[i] = -1
		}
		for fi, f := range fields {
			col := findColumn(r.header, f)
			if col < 0 {
				if r.format == FormatParquet {
					return nil, fmt.Errorf("column %q is not in %s (a nested field is named by its dotted path, like contact.email)", SafeColumnName(f), r.name)
				}
				if !r.hasHeader {
					return nil, fmt.Errorf("column %q is not in %s, which has no header row: its columns are column_1 to column_%d", SafeColumnName(f), r.name, len(r.header))
				}
				return nil, fmt.Errorf("column %q is not in the header of %s", SafeColumnName(f), r.name)
			}
			if prev := e.target[col]; prev >= 0 {
				e.dups = append(e.dups, [2]int{fi, int(prev)})
				continue
			}
			e.target[col] = int32(fi)
		}
		if e.table {
			cols := make([]int, 0, len(fields))
			for c, t := range e.target {
				if t >= 0 {
					cols = append(cols, c)
				}
			}
			if err := r.project(cols); err != nil {
				return nil, err
			}
		}
		return e, nil
	}
	e.nodes = []jnode{{}}
	e.prio = make([]int32, len(fields))
	for fi, f := range fields {
		if f == "" {
			return nil, errors.New("empty field name")
		}
		for p, segs := range splits(f) {
			n := 0
			for _, s := range segs {
				n = e.child(n, s)
			}
			e.nodes[n].leaves = append(e.nodes[n].leaves, jleaf{field: int32(fi), prio: int32(p)})
		}
	}
	return e, nil
}

// findColumn matches a header name exactly, else by a unique case-insensitive, space-trimmed match.
func findColumn(header []string, name string) int {
	for i, h := range header {
		if h == name {
			return i
		}
	}
	found := -1
	want := strings.TrimSpace(name)
	for i, h := range header {
		if strings.EqualFold(strings.TrimSpace(h), want) {
			if found >= 0 {
				return -1
			}
			found = i
		}
	}
	return found
}

func (e *Extractor) child(n int, key string) int {
	for _, k := range e.nodes[n].kids {
		if e.nodes[k].key == key {
			return int(k)
		}
	}
	e.nodes = append(e.nodes, jnode{key: key})
	k := len(e.nodes) - 1
	e.nodes[n].kids = append(e.nodes[n].kids, int32(k))
	if slot := &e.nodes[n].bySlot[keySlot(key)]; *slot == 0 {
		*slot = int32(k) + 1
	} else {
		*slot = -1
	}
	return k
}

// splits lists the ways to read a dotted name as a path, the literal key first and fewer splits before more.
func splits(name string) [][]string {
	parts := strings.Split(name, ".")
	if len(parts) == 1 {
		return [][]string{{name}}
	}
	if len(parts)-1 > maxPathSplits {
		return [][]string{{name}, parts}
	}
	gaps := len(parts) - 1
	var out [][]string
	for nsplit := 0; nsplit <= gaps; nsplit++ {
		for mask := 0; mask < 1<<gaps; mask++ {
			if popcount(mask) != nsplit {
				continue
			}
			var segs []string
			start := 0
			for g := 0; g < gaps; g++ {
				if mask&(1<<g) != 0 {
					segs = append(segs, strings.Join(parts[start:g+1], "."))
					start = g + 1
				}
			}
			segs = append(segs, strings.Join(parts[start:], "."))
			out = append(out, segs)
		}
	}
	return out
}

func popcount(x int) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// Fields returns the field names the extractor was made for.
func (e *Extractor) Fields() []string { return e.fields }

// Extract fills out[i] for fields[i]. Values alias rec or the extractor's scratch and are valid until the next call.
// A record that does not parse returns a *RecordError (line, column, message; no values), and out is undefined.
func (e *Extractor) Extract(rec []byte, line int64, out []Value) error {
	if len(out) < len(e.fields) {
		return fmt.Errorf("extracting from %s: %d output slots for %d fields", e.name, len(out), len(e.fields))
	}
	out = out[:len(e.fields)]
	for i := range out {
		out[i] = Value{}
	}
	e.scratch = e.scratch[:0]
	if e.table {
		if err := e.extractTable(rec, out); err != nil {
			return &RecordError{File: e.name, Line: line, Msg: err.Error()}
		}
		return nil
	}
	if e.format == FormatCSV {
		return e.extractCSV(rec, line, out)
	}
	return e.extractJSON(rec, line, out)
}

func (e *Extractor) errAt(rec []byte, off int, line int64, msg string) *RecordError {
	l, c := lineCol(rec, off, line)
	return &RecordError{File: e.name, Line: l, Column: c, Msg: msg}
}

func (e *Extractor) extractCSV(rec []byte, line int64, out []Value) error {
	col := 0
	if bytes.IndexByte(rec, '"') < 0 {
		// Fast path: no quotes, split on the delimiter.
		for i := 0; ; {
			j := bytes.IndexByte(rec[i:], e.delim)
			cell := rec[i:]
			if j >= 0 {
				cell = rec[i : i+j]
			}
			if col >= e.ncols {
				return e.tooManyFields(rec, i, line, col+1+bytes.Count(rec[i:], []byte{e.delim}))
			}
			if t := e.target[col]; t >= 0 {
				out[t] = Value{Kind: String, Bytes: cell}
			}
			col++
			if j < 0 {
				break
			}
			i += j + 1
		}
	} else {
		for i := 0; ; {
			cell, esc, next, errPos, msg := csvField(rec, i, e.delim)
			if errPos >= 0 {
				return e.errAt(rec, errPos, line, msg)
			}
			if col >= e.ncols {
				return e.tooManyFields(rec, i, line, col+1+countFields(rec, next, e.delim))
			}
			if t := e.target[col]; t >= 0 {
				if esc {
					s := len(e.scratch)
					e.scratch = unescapeCSV(e.scratch, cell)
					cell = e.scratch[s:]
				}
				out[t] = Value{Kind: String, Bytes: cell}
			}
			col++
			if next >= len(rec) {
				break
			}
			i = next + 1
		}
	}
	for _, d := range e.dups {
		out[d[0]] = out[d[1]]
	}
	return nil
}

// countFields counts the fields after the delimiter at rec[i] (0 when i is the end).
func countFields(rec []byte, i int, delim byte) int {
	n := 0
	for i < len(rec) {
		_, _, next, errPos, _ := csvField(rec, i+1, delim)
		if errPos >= 0 {
			return n + 1
		}
		n++
		i = next
	}
	return n
}

func (e *Extractor) tooManyFields(rec []byte, off int, line int64, n int) error {
	return e.errAt(rec, off, line, fmt.Sprintf("row has %d fields, the header has %d (%d extra)", n, e.ncols, n-e.ncols))
}

const maxInt32 = int32(^uint32(0) >> 1)

func (e *Extractor) extractJSON(rec []byte, line int64, out []Value) error {
	for i := range e.prio {
		e.prio[i] = maxInt32
	}
	i := skipWS(rec, 0)
	if i >= len(rec) || rec[i] != '{' {
		return e.errAt(rec, i, line, "record is not a JSON object")
	}
	i, err := e.object(rec, i, 0, out)
	if err != nil {
		return e.errAt(rec, err.off, line, err.msg)
	}
	if i = skipWS(rec, i); i < len(rec) {
		return e.errAt(rec, i, line, "unexpected data after the JSON object")
	}
	return nil
}

type jsonErr struct {
	off int
	msg string
}

// object walks the object at rec[i] (a '{'), decoding only values whose key path leads to a wanted field.
// It recurses only along the trie, so its depth is bounded by the longest field path.
// objectKey reads `"key":` at i and returns the key (unescaped into *buf
// when it has escapes) and the index of its value; on error, the index of the
// problem.
func objectKey(rec []byte, i int, buf *[]byte) ([]byte, int, *jsonErr) {
	if i >= len(rec) {
		return nil, i, &jsonErr{i, "JSON object is not complete (truncated record?)"}
	}
	if rec[i] != '"' {
		return nil, i, &jsonErr{i, "expected a quoted key"}
	}
	kend, kesc, ok := scanString(rec, i)
	if !ok {
		return nil, i, &jsonErr{i, "unterminated string"}
	}
	key := rec[i+1 : kend-1]
	if kesc {
		var err error
		*buf, err = unescapeJSON((*buf)[:0], key)
		if err != nil {
			return nil, i, &jsonErr{i, err.Error()}
		}
		key = *buf
	}
	i = skipWS(rec, kend)
	if i >= len(rec) || rec[i] != ':' {
		return nil, i, &jsonErr{i, "expected ':' after a key"}
	}
	return key, skipWS(rec, i+1), nil
}

// afterValue reads what follows a member's value: a ',' (the index of the
// next key is returned) or the closing '}' (end is true, and the index after
// it).
func afterValue(rec []byte, i int) (next int, end bool, err *jsonErr) {
	i = skipWS(rec, i)
	if i >= len(rec) {
		return i, false, &jsonErr{i, "JSON object is not complete (truncated record?)"}
	}
	switch rec[i] {
	case ',':
		return skipWS(rec, i+1), false, nil
	case '}':
		return i + 1, true, nil
	}
	return i, false, &jsonErr{i, "expected ',' or '}' after a value"}
}

func (e *Extractor) object(rec []byte, i int, node int, out []Value) (int, *jsonErr) {
	i = skipWS(rec, i+1)
	if i < len(rec) && rec[i] == '}' {
		return i + 1, nil
	}
	for {
		key, next, jerr := objectKey(rec, i, &e.keyBuf)
		if jerr != nil {
			return next, jerr
		}
		i = next
		kid := e.kid(node, key)
		vstart := i
		var err *jsonErr
		vesc := true // unknown: decode looks for backslashes itself
		switch {
		case kid >= 0 && len(e.nodes[kid].kids) > 0 && i < len(rec) && rec[i] == '{':
			i, err = e.object(rec, i, kid, out)
		case i < len(rec) && rec[i] == '"':
			end, esc, ok := scanString(rec, i)
			if !ok {
				return i, &jsonErr{i, "unterminated string"}
			}
			i, vesc = end, esc
		default:
			i, err = skipValue(rec, i)
		}
		if err != nil {
			return i, err
		}
		if kid >= 0 {
			for _, lf := range e.nodes[kid].leaves {
				if lf.prio >= e.prio[lf.field] {
					continue
				}
				v, err := e.decode(rec, vstart, i, vesc)
				if err != nil {
					return vstart, err
				}
				e.prio[lf.field] = lf.prio
				out[lf.field] = v
			}
		}
		next, end, jerr := afterValue(rec, i)
		if jerr != nil || end {
			return next, jerr
		}
		i = next
	}
}

// kid is the child of node whose key is key, or -1.
func (e *Extractor) kid(node int, key []byte) int {
	switch k := e.nodes[node].bySlot[keySlot(key)]; {
	case k > 0:
		if e.nodes[k-1].key == string(key) {
			return int(k - 1)
		}
	case k < 0:
		for _, k := range e.nodes[node].kids {
			if e.nodes[k].key == string(key) {
				return int(k)
			}
		}
	}
	return -1
}

// decode turns the raw value rec[s:end] (already checked by skipValue) into a Value. esc false says a
// string has no backslash.
func (e *Extractor) decode(rec []byte, s, end int, esc bool) (Value, *jsonErr) {
	raw := rec[s:end]
	switch raw[0] {
	case '"':
		body := raw[1 : len(raw)-1]
		if !esc || bytes.IndexByte(body, '\\') < 0 {
			return Value{Kind: String, Bytes: body}, nil
		}
		st := len(e.scratch)
		var err error
		e.scratch, err = unescapeJSON(e.scratch, body)
		if err != nil {
			return Value{}, &jsonErr{s, err.Error()}
		}
		return Value{Kind: String, Bytes: e.scratch[st:]}, nil
	case '{':
		return Value{Kind: Object, Bytes: raw}, nil
	case '[':
		return Value{Kind: Array, Bytes: raw}, nil
	case 't', 'f':
		return Value{Kind: Bool, Bytes: raw}, nil
	case 'n':
		return Value{Kind: Null, Bytes: raw}, nil
	}
	if !validNumber(raw) {
		return Value{}, &jsonErr{s, "invalid number"}
	}
	return Value{Kind: Number, Bytes: raw}, nil
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString returns the index after the closing quote of the string that starts at rec[i] (a '"'),
// and whether it contains a backslash.
func scanString(rec []byte, i int) (int, bool, bool) {
	j := i + 1
	esc := false
	for {
		k := quoteOrBackslash(rec, j)
		if k < 0 {
			return len(rec), esc, false
		}
		if rec[k] == '"' {
			return k + 1, esc, true
		}
		esc = true
		j = k + 2
		if j > len(rec) {
			return len(rec), esc, false
		}
	}
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// quoteOrBackslash returns the index of the first '"' or '\\' in b[i:], or -1. JSON strings in customer
// records are short, where eight bytes at a time beats the call overhead of two bytes.IndexByte.
func quoteOrBackslash(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		x := w ^ ('"' * lsb)
		y := w ^ ('\\' * lsb)
		// A byte of x or y is zero where w has a quote or a backslash; the lowest flagged byte is exact.
		if t := ((x-lsb)&^x | (y-lsb)&^y) & msb; t != 0 {
			return i + bits.TrailingZeros64(t)/8
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' {
			return i
		}
	}
	return -1
}

// skipValue returns the end of the JSON value at rec[i], checking its structure (brackets and strings
// balanced, literals spelled right) without decoding it.
func skipValue(rec []byte, i int) (int, *jsonErr) {
	if i >= len(rec) {
		return i, &jsonErr{i, "missing value (truncated record?)"}
	}
	switch c := rec[i]; c {
	case '"':
		end, _, ok := scanString(rec, i)
		if !ok {
			return i, &jsonErr{i, "unterminated string"}
		}
		return end, nil
	case '{', '[':
		return skipContainer(rec, i)
	case 't':
		return literal(rec, i, "true")
	case 'f':
		return literal(rec, i, "false")
	case 'n':
		return literal(rec, i, "null")
	default:
		j := i
		for j < len(rec) && numberByte[rec[j]] {
			j++
		}
		if j == i {
			return i, &jsonErr{i, "unexpected character"}
		}
		return j, nil
	}
}

var numberByte = [256]bool{'0': true, '1': true, '2': true, '3': true, '4': true, '5': true, '6': true,
	'7': true, '8': true, '9': true, '-': true, '+': true, '.': true, 'e': true, 'E': true}

func literal(rec []byte, i int, lit string) (int, *jsonErr) {
	if !bytes.HasPrefix(rec[i:], []byte(lit)) {
		return i, &jsonErr{i, "invalid literal"}
	}
	return i + len(lit), nil
}

// skipContainer skips an object or array, tracking bracket kinds on a bit stack (up to 64 levels;
// deeper nesting is only depth-counted).
func skipContainer(rec []byte, i int) (int, *jsonErr) {
	start := i
	depth := 0
	var stack uint64 // 1 = object
	for i < len(rec) {
		switch c := rec[i]; c {
		case '"':
			end, _, ok := scanString(rec, i)
			if !ok {
				return i, &jsonErr{i, "unterminated string"}
			}
			i = end
			continue
		case '{', '[':
			stack <<= 1
			if c == '{' {
				stack |= 1
			}
			depth++
		case '}', ']':
			if depth <= maxBracketCheckDepth && (stack&1 == 1) != (c == '}') {
				return i, &jsonErr{i, "mismatched bracket"}
			}
			stack >>= 1
			depth--
			if depth == 0 {
				return i + 1, nil
			}
		}
		i++
	}
	return start, &jsonErr{start, "JSON value is not complete (truncated record?)"}
}

// validNumber checks JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return false
	}
	if b[i] == '0' {
		i++
	} else if b[i] >= '1' && b[i] <= '9' {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	} else {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	return i == len(b)
}

var errBadEscape = errors.New("invalid escape in string")

// unescapeJSON appends the decoded JSON string body s to dst. Invalid surrogates become U+FFFD.
func unescapeJSON(dst, s []byte) ([]byte, error) {
	for {
		k := bytes.IndexByte(s, '\\')
		if k < 0 {
			return append(dst, s...), nil
		}
		dst = append(dst, s[:k]...)
		s = s[k:]
		if len(s) < 2 {
			return dst, errBadEscape
		}
		switch s[1] {
		case '"', '\\', '/':
			dst = append(dst, s[1])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s[2:])
			if !ok {
				return dst, errBadEscape
			}
			s = s[6:]
			if utf16.IsSurrogate(r) {
				if r2, ok := lowSurrogate(s); ok {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						dst = utf8.AppendRune(dst, dec)
						s = s[6:]
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default:
			return dst, errBadEscape
		}
		s = s[2:]
	}
}

func lowSurrogate(s []byte) (rune, bool) {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return 0, false
	}
	return hex4(s[2:])
}

func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
