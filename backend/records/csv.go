package records

import (
	"bytes"
	"fmt"
	"strconv"
)

// openCSV detects the delimiter, frames the first record and decides (or is told) whether it is a header
// row. A header names the columns; otherwise the columns are named column_1 … and the first record is
// handed out by NextChunk like any other.
func (r *Reader) openCSV(delim byte, mode HeaderMode) error {
	// The detection prefix, kept for looking at the rows below the first; it is the same however the
	// source splits its reads, so the decision is too.
	prefix := append([]byte(nil), r.buf[r.pos:max(r.pos, min(r.end, prefixBytes))]...)
	prefixIsAll := r.eof && r.end <= prefixBytes
	if delim == 0 {
		delim = detectDelimiter(prefix)
	}
	r.delim = delim
	f := &csvFramer{delim: delim}
	f.resetRecord()
	r.fr = f
	for {
		rec, line, rerr, st := f.next(r)
		switch st {
		case frRecord:
			return r.firstRecord(rec, line, mode, prefix, prefixIsAll)
		case frError:
			return fmt.Errorf("reading the header row: %w", rerr)
		case frMore:
			if err := r.fill(); err != nil {
				return err
			}
		case frDone:
			return fmt.Errorf("%s is empty (no header row)", r.name)
		}
	}
}

// firstRecord names the columns from the first record, or keeps it as data.
func (r *Reader) firstRecord(rec []byte, line int64, mode HeaderMode, prefix []byte, prefixIsAll bool) error {
	cells, ferr := r.splitFields(rec, line)
	if mode == HeaderYes || (mode != HeaderNo && ferr != nil) {
		if ferr != nil {
			return fmt.Errorf("reading the header row: %w", ferr)
		}
		r.hasHeader = true
		return r.nameColumns(cells)
	}
	body := peekRows(prefix, prefixIsAll, r.delim, r.maxRec, headerSampleRows)
	if len(body) > 0 {
		body = body[1:] // the first record itself
	}
	if mode == HeaderAuto {
		has, why := decideHeader(cells, body, isTxtName(r.name))
		if has {
			r.hasHeader = true
			return r.nameColumns(cells)
		}
		r.headerReason = why
	} else {
		r.headerReason = "the file was read without one, as asked"
	}
	n := max(len(cells), 1)
	for _, b := range body {
		n = max(n, len(b))
	}
	r.header = numberedColumns(n)
	r.pending = append([]byte(nil), rec...)
	r.pendingLine = line
	return nil
}

// headerSampleRows is how many rows of the prefix the header decision compares the first row with.
const headerSampleRows = 50

// peekRows splits the complete records of p (at most most of them) into cells, without touching the
// reader's state. A record that does not parse is a nil row.
func peekRows(p []byte, atEOF bool, delim byte, maxRec, most int) [][]string {
	pr := &Reader{name: "prefix", buf: p, end: len(p), eof: atEOF, maxRec: maxRec, line: 1, delim: delim}
	f := &csvFramer{delim: delim}
	f.resetRecord()
	var rows [][]string
	for len(rows) < most {
		rec, line, _, st := f.next(pr)
		switch st {
		case frRecord:
			cells, _ := pr.splitFields(rec, line)
			rows = append(rows, cells)
		case frError:
			continue
		default: // frMore: the rest of the prefix is an incomplete record
			return rows
		}
	}
	return rows
}

// detectDelimiter counts the candidate delimiters outside quotes on the first line and picks the most
// frequent (',' when none occurs: a single column).
func detectDelimiter(p []byte) byte {
	p = bytes.TrimLeft(p, "\r\n")
	var comma, semi, tab int
	inQ := false
	for _, c := range p {
		if c == '"' {
			inQ = !inQ
			continue
		}
		if inQ {
			continue
		}
		switch c {
		case '\n':
			goto done
		case ',':
			comma++
		case ';':
			semi++
		case '\t':
			tab++
		}
	}
done:
	switch {
	case tab > comma && tab >= semi:
		return '\t'
	case semi > comma && semi > tab:
		return ';'
	}
	return ','
}

// splitFields splits one CSV record into its (unquoted) cells.
func (r *Reader) splitFields(rec []byte, line int64) ([]string, *RecordError) {
	var names []string
	var buf []byte
	for i := 0; ; {
		cell, esc, next, errPos, msg := csvField(rec, i, r.delim)
		if errPos >= 0 {
			l, c := lineCol(rec, errPos, line)
			return nil, r.recErr(l, c, "%s", msg)
		}
		if esc {
			buf = unescapeCSV(buf[:0], cell)
			cell = buf
		}
		names = append(names, string(cell))
		if next >= len(rec) {
			break
		}
		i = next + 1
	}
	return names, nil
}

// nameColumns takes the header row's cells as column names, naming empty ones and renaming duplicates.
func (r *Reader) nameColumns(names []string) error {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		seen[n] = true
	}
	count := make(map[string]int, len(names))
	for i, n := range names {
		if n == "" {
			n = "column_" + strconv.Itoa(i+1)
			for k := 2; seen[n]; k++ {
				n = "column_" + strconv.Itoa(i+1) + "_" + strconv.Itoa(k)
			}
			seen[n] = true
			names[i] = n
			r.warnings = append(r.warnings, fmt.Sprintf("column %d has no name; it was named %q", i+1, n))
			continue
		}
		count[n]++
		if count[n] == 1 {
			continue
		}
		k := count[n]
		nn := n + "_" + strconv.Itoa(k)
		for seen[nn] {
			k++
			nn = n + "_" + strconv.Itoa(k)
		}
		count[n] = k
		seen[nn] = true
		names[i] = nn
		r.warnings = append(r.warnings, fmt.Sprintf("duplicate column name %q (column %d) was renamed %q", SafeColumnName(n), i+1, SafeColumnName(nn)))
	}
	r.header = names
	return nil
}

// csvField parses the field that starts at rec[i]. It returns the cell (for a quoted field, the text between
// the quotes with "" still doubled when esc), the index of the delimiter after it (or len(rec)), and an error
// position (-1 if none) with its message.
func csvField(rec []byte, i int, delim byte) (cell []byte, esc bool, next int, errPos int, msg string) {
	if i < len(rec) && rec[i] == '"' {
		start := i + 1
		j := start
		for {
			q := bytes.IndexByte(rec[j:], '"')
			if q < 0 {
				return nil, false, len(rec), i, "unterminated quoted field"
			}
			j += q
			if j+1 < len(rec) && rec[j+1] == '"' {
				esc = true
				j += 2
				continue
			}
			break
		}
		cell = rec[start:j]
		j++
		if j < len(rec) && rec[j] != delim {
			k := j
			if rec[j] == '\r' && j+1 == len(rec) {
				return cell, esc, len(rec), -1, ""
			}
			return nil, false, len(rec), k, "unexpected character after a closing quote"
		}
		return cell, esc, j, -1, ""
	}
	j := bytes.IndexByte(rec[i:], delim)
	if j < 0 {
		return rec[i:], false, len(rec), -1, ""
	}
	return rec[i : i+j], false, i + j, -1, ""
}

// unescapeCSV appends cell to dst with each "" made ".
func unescapeCSV(dst, cell []byte) []byte {
	for {
		k := bytes.Index(cell, dquote)
		if k < 0 {
			return append(dst, cell...)
		}
		dst = append(dst, cell[:k+1]...)
		cell = cell[k+2:]
	}
}

var dquote = []byte{'"', '"'}
