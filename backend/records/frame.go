package records

import (
	"bytes"
	"io"
)

// Chunk is a batch of framed records handed from the framing goroutine to a worker.
type Chunk struct {
	Data    []byte // the records' bytes; owned by the chunk and reused by the next NextChunk call on it
	Records []Span
	Errors  []*RecordError
}

// Span locates one record in Chunk.Data. Line is the 1-based physical line where the record starts;
// Data[Start:End] is the record without its line terminator.
type Span struct {
	Line       int64
	Start, End int
}

// framer statuses
const (
	frRecord = iota // a record was found
	frError         // a framing problem was found
	frMore          // more input is needed
	frDone          // no more records
)

// A framer finds the next record in r.buf[r.pos:r.end], advancing r.pos and r.line past what it consumed.
// A returned record aliases r.buf and is valid until the next fill.
type framer interface {
	next(r *Reader) (rec []byte, line int64, err *RecordError, status int)
}

// NextChunk replaces c's contents with up to maxRecords complete records (fewer at the end). It returns io.EOF
// when there are no more records (a chunk with records is never returned together with io.EOF). Framing problems
// (an over-long record, an unterminated quote or object at EOF) do not stop reading: they are appended to
// c.Errors and reading goes on with the next record. A non-nil error other than io.EOF is fatal (I/O, gzip corruption).
// Called from one goroutine. Blank lines are skipped (not records, not errors).
func (r *Reader) NextChunk(c *Chunk, maxRecords int) error {
	c.Data = c.Data[:0]
	c.Records = c.Records[:0]
	clear(c.Errors)
	c.Errors = c.Errors[:0]
	if r.readErr != nil {
		return r.readErr
	}
	if maxRecords <= 0 {
		maxRecords = 1
	}
	if r.tab != nil {
		return r.nextTableChunk(c, maxRecords)
	}
	if r.pending != nil {
		// The first row of a file without a header row is data.
		c.Data = append(c.Data, r.pending...)
		c.Records = append(c.Records, Span{Line: r.pendingLine, Start: 0, End: len(c.Data)})
		r.pending = nil
	}
	// Errors count against the limit too, so a file of nothing but bad records still comes in bounded chunks.
	for len(c.Records)+len(c.Errors) < maxRecords {
		rec, line, rerr, st := r.fr.next(r)
		switch st {
		case frRecord:
			start := len(c.Data)
			c.Data = append(c.Data, rec...)
			c.Records = append(c.Records, Span{Line: line, Start: start, End: len(c.Data)})
		case frError:
			c.Errors = append(c.Errors, rerr)
		case frMore:
			if err := r.fill(); err != nil {
				r.readErr = err
				return err
			}
		case frDone:
			if len(c.Records) == 0 && len(c.Errors) == 0 {
				return io.EOF
			}
			return nil
		}
	}
	return nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}

func (r *Reader) tooLong(line int64) *RecordError {
	return r.recErr(line, 0, "record longer than %d bytes, skipped", r.maxRec)
}

// jsonlFramer: a record is a line.
type jsonlFramer struct {
	scan     int // bytes after r.pos already searched for '\n'
	skipping bool
}

func (f *jsonlFramer) next(r *Reader) ([]byte, int64, *RecordError, int) {
	for {
		b := r.buf[r.pos:r.end]
		i := -1
		if f.scan < len(b) {
			if j := bytes.IndexByte(b[f.scan:], '\n'); j >= 0 {
				i = f.scan + j
			}
		}
		if i < 0 {
			if f.skipping {
				r.pos, f.scan = r.end, 0
				if r.eof {
					f.skipping = false
					return nil, 0, nil, frDone
				}
				return nil, 0, nil, frMore
			}
			if !r.eof {
				if len(b) > r.maxRec+1 { // +1: the line may end in "\r\n"
					// Stream past the rest of the line instead of buffering it.
					line := r.line
					f.skipping = true
					r.pos, f.scan = r.end, 0
					return nil, 0, r.tooLong(line), frError
				}
				f.scan = len(b)
				return nil, 0, nil, frMore
			}
			if len(b) == 0 {
				return nil, 0, nil, frDone
			}
			i = len(b) // the last line has no newline
		}
		line := r.line
		rec := b[:i]
		r.pos += min(i+1, len(b))
		r.line++
		f.scan = 0
		if f.skipping {
			f.skipping = false
			continue
		}
		rec = trimCR(rec)
		if len(rec) > r.maxRec {
			return nil, 0, r.tooLong(line), frError
		}
		if len(rec) == 0 || (isSpace(rec[0]) && isBlank(rec)) {
			continue
		}
		return rec, line, nil, frRecord
	}
}

// csvState is the resumable state of CSV record framing.
type csvState struct {
	inQuote      bool // inside a quoted field
	quotePending bool // saw '"' inside a quoted field as the last byte: escape or close, decided by the next byte
	fieldStart   bool // at the start of a field (a '"' here opens a quoted field)
	quoteOff     int  // offset of the opening quote from the record start
}

func (s *csvState) reset() { *s = csvState{fieldStart: true} }

// scan advances over b[from:] and returns the index of the '\n' that ends the record, or len(b), false.
// A quote opens a quoted field only at the start of a field; elsewhere it is a literal character.
// It jumps between quotes and newlines with bytes.IndexByte rather than looking at every byte.
func (s *csvState) scan(b []byte, from int, delim byte) (int, bool) {
	i := from
	for i < len(b) {
		if s.quotePending {
			s.quotePending = false
			if b[i] == '"' {
				i++ // "" is an escaped quote
				continue
			}
			s.inQuote = false
			s.fieldStart = false
		}
		if s.inQuote {
			j := bytes.IndexByte(b[i:], '"')
			if j < 0 {
				return len(b), false
			}
			i += j + 1
			s.quotePending = true
			continue
		}
		rest := b[i:]
		n := bytes.IndexByte(rest, '\n')
		seg := rest
		if n >= 0 {
			seg = rest[:n]
		}
		// The first quote in seg that starts a field opens a quoted field; others are literal.
		q := bytes.IndexByte(seg, '"')
		for q >= 0 && !((q == 0 && s.fieldStart) || (q > 0 && seg[q-1] == delim)) {
			k := bytes.IndexByte(seg[q+1:], '"')
			if k < 0 {
				q = -1
				break
			}
			q += 1 + k
		}
		if q >= 0 {
			s.inQuote = true
			s.quoteOff = i + q
			s.fieldStart = false
			i += q + 1
			continue
		}
		if n >= 0 {
			return i + n, true
		}
		if len(seg) > 0 {
			s.fieldStart = seg[len(seg)-1] == delim
		}
		return len(b), false
	}
	return len(b), false
}

func (s *csvState) unterminated() bool { return s.inQuote && !s.quotePending }

// csvFramer: a record is a line, or several when a quoted field holds newlines.
type csvFramer struct {
	delim    byte
	scan     int
	slow     bool // this record has a quote: run the state machine
	st       csvState
	skipping bool
	skipLine int64
}

func (f *csvFramer) resetRecord() {
	f.scan = 0
	f.slow = false
	f.st.reset()
}

func (f *csvFramer) next(r *Reader) ([]byte, int64, *RecordError, int) {
	for {
		b := r.buf[r.pos:r.end]
		end := -1
		if !f.slow {
			// Fast path: a line without quotes is a record.
			lineEnd := len(b)
			j := bytes.IndexByte(b[f.scan:], '\n')
			if j >= 0 {
				lineEnd = f.scan + j
			}
			if bytes.IndexByte(b[f.scan:lineEnd], '"') >= 0 {
				// The part before f.scan had no quote: the state there is plain unquoted text.
				f.slow = true
				f.st.reset()
				if f.scan > 0 {
					f.st.fieldStart = b[f.scan-1] == f.delim
				}
			} else if j >= 0 {
				end = lineEnd
			} else {
				f.scan = len(b)
			}
		}
		if f.slow {
			if k, ok := f.st.scan(b, f.scan, f.delim); ok {
				end = k
			} else {
				f.scan = len(b)
			}
		}
		if end < 0 {
			if !r.eof {
				var rerr *RecordError
				if !f.skipping && len(b) > r.maxRec+1 { // +1: the record may end in "\r\n"
					f.skipping = true
					f.skipLine = r.line
					rerr = r.tooLong(r.line)
					if !f.slow {
						f.slow = true
						f.st.reset()
						f.st.fieldStart = len(b) > 0 && b[len(b)-1] == f.delim
					}
				}
				if f.skipping {
					r.line += int64(bytes.Count(b, nl))
					r.pos, f.scan = r.end, 0
				}
				if rerr != nil {
					return nil, 0, rerr, frError
				}
				return nil, 0, nil, frMore
			}
			if f.slow && f.st.unterminated() {
				if !f.skipping && len(b) > r.maxRec {
					// Too long to resume inside: report it like a long record, then as unterminated.
					f.skipping = true
					f.skipLine = r.line
					return nil, 0, r.tooLong(r.line), frError
				}
				return f.unterminated(r, b)
			}
			if len(b) == 0 {
				f.resetRecord()
				f.skipping = false
				return nil, 0, nil, frDone
			}
			end = len(b)
		}
		rec := b[:end]
		line := r.line
		if f.slow {
			r.line += int64(bytes.Count(rec, nl))
		}
		if end < len(b) {
			r.line++
		}
		r.pos += min(end+1, len(b))
		f.resetRecord()
		if f.skipping {
			f.skipping = false
			continue
		}
		rec = trimCR(rec)
		if len(rec) > r.maxRec {
			return nil, 0, r.tooLong(line), frError
		}
		if len(rec) == 0 || (isSpace(rec[0]) && isBlank(rec)) {
			continue
		}
		return rec, line, nil, frRecord
	}
}

var nl = []byte{'\n'}

// unterminated reports a quoted field still open at the end of the input. When the record is still in the
// buffer, the record up to the line of the unclosed quote is malformed and reading resumes on the next line,
// so one stray quote does not swallow the rest of the file.
func (f *csvFramer) unterminated(r *Reader, b []byte) ([]byte, int64, *RecordError, int) {
	if f.skipping {
		f.skipping = false
		f.resetRecord()
		r.line += int64(bytes.Count(b, nl))
		r.pos = r.end
		return nil, 0, r.recErr(f.skipLine, 0, "unterminated quoted field at end of file; the rest of the file was skipped"), frError
	}
	q := f.st.quoteOff
	line, col := lineCol(b, q, r.line)
	rerr := r.recErr(line, col, "unterminated quoted field at end of file")
	f.resetRecord()
	// Resume after the line of the quote that never closes. Past it, every quote run was even (escaped),
	// and those cannot leave a fresh scan inside a quote: this happens at most once per file.
	if i := bytes.IndexByte(b[q:], '\n'); i >= 0 {
		r.pos += q + i + 1
		r.line = line + 1
	} else {
		r.pos = r.end
	}
	return nil, 0, rerr, frError
}

// lineCol converts an offset in a record that starts on line into a physical line and 1-based byte column.
func lineCol(rec []byte, off int, line int64) (int64, int) {
	off = min(max(off, 0), len(rec))
	pre := rec[:off]
	line += int64(bytes.Count(pre, nl))
	return line, off - bytes.LastIndexByte(pre, '\n')
}

// jsonScanState finds the end of one JSON value without parsing it: strings and bracket depth only.
type jsonScanState struct {
	depth  int
	inStr  bool
	esc    bool // a backslash ended the previous input
	scalar bool // a number or literal: ends at a delimiter or white space
}

func (s *jsonScanState) begin(c byte) {
	*s = jsonScanState{}
	switch c {
	case '{', '[':
		s.depth = 1
	case '"':
		s.inStr = true
	default:
		s.scalar = true
	}
}

// scan consumes b (which follows the bytes already scanned) and returns how much of it belongs to the value
// and whether the value ended there.
func (s *jsonScanState) scan(b []byte) (int, bool) {
	i := 0
	for i < len(b) {
		if s.inStr {
			j, done := scanStringTail(b[i:], &s.esc)
			i += j
			if !done {
				return len(b), false
			}
			s.inStr = false
			if s.depth == 0 {
				return i, true
			}
			continue
		}
		if s.scalar {
			for ; i < len(b); i++ {
				switch c := b[i]; c {
				case ',', ']', '}', '{', '[', '"':
					return i, true
				default:
					if isSpace(c) {
						return i, true
					}
				}
			}
			return len(b), false
		}
		c := b[i]
		i++
		switch c {
		case '"':
			s.inStr = true
		case '{', '[':
			s.depth++
		case '}', ']':
			s.depth--
			if s.depth == 0 {
				return i, true
			}
		}
	}
	return len(b), false
}

// scanStringTail scans the inside of a JSON string up to and including its closing quote.
// *esc carries a pending backslash across calls.
func scanStringTail(b []byte, esc *bool) (int, bool) {
	j := 0
	if *esc {
		if len(b) == 0 {
			return 0, false
		}
		*esc = false
		j = 1
	}
	for {
		q := bytes.IndexByte(b[j:], '"')
		seg := b[j:]
		if q >= 0 {
			seg = seg[:q]
		}
		bs := bytes.IndexByte(seg, '\\')
		if bs < 0 {
			if q < 0 {
				return len(b), false
			}
			return j + q + 1, true
		}
		j += bs + 2
		if j > len(b) {
			*esc = true
			return len(b), false
		}
	}
}

// jsonFramer: a JSON array of values, or a sequence of (pretty-printed) values.
type jsonFramer struct {
	started   bool // the first value (or '[') has been seen
	array     bool // inside [ ... ]
	closed    bool // an array was closed
	stopped   bool // unexpected data after the array: the rest is ignored
	reported  bool // "array not closed" reported
	inValue   bool
	st        jsonScanState
	scan      int // bytes of the value already scanned (from r.pos)
	skipping  bool
	valueLine int64
	first     byte // the value's first byte
}

func (f *jsonFramer) next(r *Reader) ([]byte, int64, *RecordError, int) {
	for {
		b := r.buf[r.pos:r.end]
		if f.stopped {
			r.pos = r.end
			if r.eof {
				return nil, 0, nil, frDone
			}
			return nil, 0, nil, frMore
		}
		if !f.inValue {
			i := 0
		ws:
			for ; i < len(b); i++ {
				switch b[i] {
				case '\n':
					r.line++
				case ' ', '\t', '\r', '\f', '\v', ',':
				default:
					break ws
				}
			}
			r.pos += i
			b = b[i:]
			if len(b) == 0 {
				if !r.eof {
					return nil, 0, nil, frMore
				}
				if f.array && !f.reported {
					f.reported = true
					return nil, 0, r.recErr(r.line, 0, "JSON array is not closed with ']' at end of file (file truncated?)"), frError
				}
				return nil, 0, nil, frDone
			}
			c := b[0]
			if !f.started {
				f.started = true
				if c == '[' {
					f.array = true
					r.pos++
					continue
				}
			}
			switch {
			case c == ']' && f.array:
				f.array, f.closed = false, true
				r.pos++
				continue
			case c == '[' && f.closed:
				f.array, f.closed = true, false // another array follows: read it too
				r.pos++
				continue
			case f.closed:
				f.stopped = true
				return nil, 0, r.recErr(r.line, 0, "unexpected data after the end of the JSON array; the rest of the file was ignored"), frError
			case c == ']' || c == '}':
				r.pos++
				return nil, 0, r.recErr(r.line, 0, "unexpected '%c' between records", c), frError
			}
			f.inValue = true
			f.st.begin(c)
			f.first = c
			f.scan = 1
			f.valueLine = r.line
		}
		i, done := f.st.scan(b[f.scan:])
		if done {
			n := f.scan + i
			rec := b[:n]
			r.line += int64(bytes.Count(rec, nl))
			r.pos += n
			f.inValue = false
			f.scan = 0
			if f.skipping {
				f.skipping = false
				continue
			}
			if n > r.maxRec {
				return nil, 0, r.tooLong(f.valueLine), frError
			}
			return rec, f.valueLine, nil, frRecord
		}
		f.scan = len(b)
		if !r.eof {
			var rerr *RecordError
			if !f.skipping && len(b) > r.maxRec {
				f.skipping = true
				rerr = r.tooLong(f.valueLine)
			}
			if f.skipping {
				r.line += int64(bytes.Count(b, nl))
				r.pos, f.scan = r.end, 0
			}
			if rerr != nil {
				return nil, 0, rerr, frError
			}
			return nil, 0, nil, frMore
		}
		// End of input inside a value.
		f.inValue = false
		f.scan = 0
		r.line += int64(bytes.Count(b, nl))
		r.pos = r.end
		if f.st.scalar {
			if f.skipping {
				f.skipping = false
				continue
			}
			if len(b) > r.maxRec {
				return nil, 0, r.tooLong(f.valueLine), frError
			}
			return b, f.valueLine, nil, frRecord
		}
		f.skipping = false
		f.reported = true // the truncation is the error; do not also report the open array
		what := "JSON object"
		switch f.first {
		case '"':
			what = "JSON string"
		case '[':
			what = "JSON array"
		}
		return nil, 0, r.recErr(f.valueLine, 0, "%s is not complete at end of file (file truncated?)", what), frError
	}
}
