package records

import (
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/audience-uploader/audience-uploader/backend/identifiers"
)

// Schema is what Discover learned from a sample of a file.
type Schema struct {
	Name      string `json:"name"`
	Format    Format `json:"format"`
	Delimiter string `json:"delimiter,omitempty"`
	// HeaderRow says whether a CSV file's first row names its columns (absent for JSON). Without one,
	// the columns are column_1 … and HeaderReason says why the first row was taken as data.
	HeaderRow    *bool  `json:"header_row,omitempty"`
	HeaderReason string `json:"header_reason,omitempty"`
	Records      int    `json:"records_sampled"`
	// Rows is the exact number of data rows when the file states it (Parquet's footer); absent otherwise.
	Rows *int64 `json:"rows,omitempty"`
	// Sheet is the Excel worksheet read, Sheets all of the workbook's worksheets (for a picker).
	Sheet     string         `json:"sheet,omitempty"`
	Sheets    []string       `json:"sheets,omitempty"`
	Fields    []Field        `json:"fields"` // in first-seen order (CSV: header order)
	Malformed []*RecordError `json:"malformed,omitempty"`
	Warnings  []string       `json:"warnings,omitempty"`
}

// Field describes one column or (flattened) JSON path.
type Field struct {
	Name       string      `json:"name"`      // dotted path for nested JSON
	Type       string      `json:"type"`      // string, number, boolean, object, array, null, mixed
	FillRate   float64     `json:"fill_rate"` // share of sampled records where it is present, not null, not blank
	Samples    []string    `json:"samples"`   // up to 3 distinct non-empty values (the UI masks them)
	Suggestion *Suggestion `json:"suggestion,omitempty"`
}

// Suggestion is the identifier type a field probably holds.
type Suggestion struct {
	Type       identifiers.Type `json:"-"`
	TypeName   string           `json:"type"`       // "email", ...
	Confidence float64          `json:"confidence"` // 0..1
	Reason     string           `json:"reason"`     // e.g. "column name and 98% of values are e-mail addresses"
}

// DefaultSample is the number of records Discover reads when given 0.
const DefaultSample = 1000

const (
	maxMalformed   = 100 // malformed records listed in a schema
	maxSampleBytes = 120 // a sample value is cut to this many bytes
)

// Discover reads up to sample records from r (using NextChunk; it consumes them) and reports the union of
// their fields. norm may be nil: suggestions then come from the field names only.
func Discover(r *Reader, sample int, norm *identifiers.Normalizer) (*Schema, error) {
	if sample <= 0 {
		sample = DefaultSample
	}
	s := &Schema{Name: r.name, Format: r.format, Warnings: append([]string(nil), r.warnings...)}
	d := &discoverer{norm: norm, index: map[string]int{}, schema: s}
	s.Sheet, s.Sheets = r.sheet, r.sheets
	if r.rowCount >= 0 {
		rows := r.rowCount
		s.Rows = &rows
	}
	if r.Tabular() {
		if r.format == FormatCSV {
			s.Delimiter = string(rune(r.delim))
		}
		if r.format != FormatParquet {
			hasHeader := r.hasHeader
			s.HeaderRow = &hasHeader
			s.HeaderReason = r.headerReason
		}
		// Every column is listed (the header is bounded by the record limit), in header order.
		for i, h := range r.header {
			d.index[h] = i
			d.stats = append(d.stats, &fieldStat{name: h, lastRec: -1})
		}
		ex, err := r.NewExtractor(r.header)
		if err != nil {
			return nil, fmt.Errorf("discovering the schema of %s: %w", r.name, err)
		}
		d.csv = ex
		d.vals = make([]Value, len(r.header))
	}
	var c Chunk
	seen := 0
	for seen < sample {
		err := r.NextChunk(&c, min(256, sample-seen))
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("discovering the schema of %s: %w", r.name, err)
		}
		for _, e := range c.Errors {
			d.malformed(e)
		}
		seen += len(c.Errors)
		for _, sp := range c.Records {
			seen++
			if err := d.add(c.Data[sp.Start:sp.End], sp.Line); err != nil {
				d.malformed(err)
				continue
			}
			s.Records++
		}
	}
	if d.dropped > 0 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("more than %d distinct fields; %d were not listed", maxFields, d.dropped))
	}
	if d.nMalformed > len(s.Malformed) {
		s.Warnings = append(s.Warnings, fmt.Sprintf("%d malformed records in the sample; the first %d are listed", d.nMalformed, len(s.Malformed)))
	}
	s.Fields = make([]Field, 0, len(d.stats))
	for _, st := range d.stats {
		s.Fields = append(s.Fields, st.field(s.Records, norm != nil))
	}
	return s, nil
}

type discoverer struct {
	norm       *identifiers.Normalizer
	schema     *Schema
	stats      []*fieldStat
	index      map[string]int
	dropped    int
	nMalformed int
	rec        int // index of the record being added
	path       []byte
	scratch    []byte
	keyBuf     []byte
	csv        *Extractor
	vals       []Value
}

type fieldStat struct {
	name      string
	kinds     uint8 // bit per Kind
	filled    int
	lastRec   int
	samples   []string
	checked   int // non-blank strings and numbers tried against the identifier types
	valid     [8]int
	prehashed int
	upper     int // valid advertising IDs written in upper case (iOS style)
	lower     int // ... and lower case (Android style)
}

func (d *discoverer) malformed(e error) {
	d.nMalformed++
	if len(d.schema.Malformed) >= maxMalformed {
		return
	}
	re, ok := e.(*RecordError)
	if !ok {
		re = &RecordError{File: d.schema.Name, Msg: e.Error()}
	}
	d.schema.Malformed = append(d.schema.Malformed, re)
}

func (d *discoverer) field(name string) *fieldStat {
	if i, ok := d.index[name]; ok {
		return d.stats[i]
	}
	if len(d.stats) >= maxFields {
		d.dropped++
		return nil
	}
	st := &fieldStat{name: name, lastRec: -1}
	d.index[name] = len(d.stats)
	d.stats = append(d.stats, st)
	return st
}

func (d *discoverer) add(rec []byte, line int64) error {
	d.rec++
	if d.csv != nil {
		if err := d.csv.Extract(rec, line, d.vals); err != nil {
			return err
		}
		for i, v := range d.vals {
			if v.Kind != Missing {
				d.observe(d.stats[i], v)
			}
		}
		return nil
	}
	d.scratch = d.scratch[:0]
	i := skipWS(rec, 0)
	if i >= len(rec) || rec[i] != '{' {
		return errAtRec(d.schema.Name, rec, i, line, "record is not a JSON object")
	}
	d.path = d.path[:0]
	i, err := d.walk(rec, i, 0)
	if err != nil {
		return errAtRec(d.schema.Name, rec, err.off, line, err.msg)
	}
	if i = skipWS(rec, i); i < len(rec) {
		return errAtRec(d.schema.Name, rec, i, line, "unexpected data after the JSON object")
	}
	return nil
}

func errAtRec(name string, rec []byte, off int, line int64, msg string) *RecordError {
	l, c := lineCol(rec, off, line)
	return &RecordError{File: name, Line: l, Column: c, Msg: msg}
}

// walk flattens the object at rec[i] into dotted paths (arrays are not flattened).
func (d *discoverer) walk(rec []byte, i int, depth int) (int, *jsonErr) {
	base := len(d.path)
	i = skipWS(rec, i+1)
	if i < len(rec) && rec[i] == '}' {
		if depth > 0 {
			d.observePath(Value{Kind: Object, Bytes: rec[i-1 : i+1]})
		}
		return i + 1, nil
	}
	for {
		key, next, jerr := objectKey(rec, i, &d.keyBuf)
		if jerr != nil {
			return next, jerr
		}
		i = next
		d.path = d.path[:base]
		if base > 0 {
			d.path = append(d.path, '.')
		}
		d.path = append(d.path, key...)
		vstart := i
		var err *jsonErr
		if i < len(rec) && rec[i] == '{' && depth < maxWalkDepth {
			i, err = d.walk(rec, i, depth+1)
		} else {
			i, err = skipValue(rec, i)
			if err == nil {
				var v Value
				v, err = d.decode(rec, vstart, i)
				if err == nil {
					d.observePath(v)
				}
			}
		}
		if err != nil {
			return i, err
		}
		d.path = d.path[:base]
		next, end, jerr := afterValue(rec, i)
		if jerr != nil || end {
			return next, jerr
		}
		i = next
	}
}

func (d *discoverer) decode(rec []byte, s, end int) (Value, *jsonErr) {
	e := Extractor{scratch: d.scratch}
	v, err := e.decode(rec, s, end, true)
	d.scratch = e.scratch
	return v, err
}

func (d *discoverer) observePath(v Value) {
	if st := d.field(string(d.path)); st != nil {
		d.observe(st, v)
	}
}

func (d *discoverer) observe(st *fieldStat, v Value) {
	st.kinds |= 1 << v.Kind
	if v.Kind == Null {
		return
	}
	text := v.Bytes
	if v.Kind == String {
		text = trimSpaceUnicode(text)
	}
	if len(text) == 0 {
		return
	}
	if st.lastRec != d.rec {
		st.lastRec = d.rec
		st.filled++
	}
	if len(st.samples) < 3 {
		s := cutUTF8(text, maxSampleBytes)
		dup := false
		for _, x := range st.samples {
			dup = dup || x == s
		}
		if !dup {
			st.samples = append(st.samples, s)
		}
	}
	if d.norm == nil || (v.Kind != String && v.Kind != Number) {
		return
	}
	st.checked++
	for _, t := range identifiers.Types {
		if t == identifiers.GAID {
			// Same rules as IDFA: reuse its result.
			st.valid[t] = st.valid[identifiers.IDFA]
			continue
		}
		var res identifiers.Result
		if v.Kind == Number {
			res = d.norm.NormalizeNumber(t, text)
		} else {
			res = d.norm.Normalize(t, text)
		}
		switch res.Status {
		case identifiers.Prehashed:
			if t == identifiers.Email {
				st.prehashed++
			}
		case identifiers.Valid:
			if int(t) < len(st.valid) {
				st.valid[t]++
			}
			if t == identifiers.IDFA {
				if hasUpperHex(text) {
					st.upper++
				} else {
					st.lower++
				}
			}
		}
	}
}

func hasUpperHex(b []byte) bool {
	for _, c := range b {
		if c >= 'A' && c <= 'F' {
			return true
		}
	}
	return false
}

// trimSpaceUnicode trims ASCII and Unicode white space (enough to judge blankness).
func trimSpaceUnicode(b []byte) []byte {
	s := strings.TrimFunc(string(b), isTrimRune)
	if len(s) == 0 {
		return nil
	}
	return b
}

func isTrimRune(r rune) bool {
	switch r {
	case 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r == ' ' || (r >= 0x09 && r <= 0x0D) || (r >= 0x2000 && r <= 0x200B)
}

func cutUTF8(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	b = b[:n]
	for len(b) > 0 && !utf8.Valid(b[max(0, len(b)-utf8.UTFMax):]) {
		b = b[:len(b)-1]
	}
	return string(b) + "…"
}

func (st *fieldStat) field(records int, haveNorm bool) Field {
	f := Field{Name: st.name, Type: st.typeName(), Samples: st.samples}
	if f.Samples == nil {
		f.Samples = []string{}
	}
	if records > 0 {
		f.FillRate = math.Round(float64(st.filled)/float64(records)*1000) / 1000
	}
	switch f.Type {
	case "string", "number", "mixed", "null":
		f.Suggestion = st.suggest(haveNorm)
	}
	return f
}

func (st *fieldStat) typeName() string {
	k := st.kinds &^ (1 << Null)
	switch k {
	case 0:
		return "null"
	case 1 << String:
		return "string"
	case 1 << Number:
		return "number"
	case 1 << Bool:
		return "boolean"
	case 1 << Object:
		return "object"
	case 1 << Array:
		return "array"
	}
	return "mixed"
}

// nameType reads an identifier type from a field name. maid is true for advertising-ID names that do not
// say which platform (IDFA or GAID).
func nameType(name string) (t identifiers.Type, maid, ok bool) {
	if i := strings.LastIndexByte(name, '.'); i >= 0 && i+1 < len(name) {
		name = name[i+1:]
	}
	tokens := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	compact := strings.Join(tokens, "")
	has := func(ws ...string) bool {
		for _, t := range tokens {
			for _, w := range ws {
				if t == w {
					return true
				}
			}
		}
		return false
	}
	contains := func(ws ...string) bool {
		for _, w := range ws {
			if strings.Contains(compact, w) {
				return true
			}
		}
		return false
	}
	switch {
	case contains("idfa"):
		return identifiers.IDFA, false, true
	case contains("gaid", "aaid", "googleadid", "androidadid", "androidadvertisingid") || has("adid"):
		return identifiers.GAID, false, true
	case has("maid", "maids", "ifa") || contains("advertisingid", "mobileadid", "deviceadid", "adsid", "mobileadvertisingid"):
		return identifiers.IDFA, true, true
	case contains("email") || has("mail", "emails"):
		return identifiers.Email, false, true
	case contains("phone", "msisdn", "mobile") || has("tel", "cell", "mob", "cellular"):
		return identifiers.Phone, false, true
	}
	return 0, false, false
}

func describe(t identifiers.Type) string {
	switch t {
	case identifiers.Email:
		return "e-mail addresses"
	case identifiers.Phone:
		return "phone numbers"
	}
	return "mobile advertising IDs"
}

func pct(x float64) string { return fmt.Sprintf("%.0f%%", math.Floor(x*100)) }

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// suggest combines the field name and the share of sampled values that normalize as each type.
func (st *fieldStat) suggest(haveNorm bool) *Suggestion {
	nt, maid, named := nameType(st.name)
	share := func(t identifiers.Type) float64 {
		if st.checked == 0 {
			return 0
		}
		return float64(st.valid[t]) / float64(st.checked)
	}
	// IDFA and GAID values look the same; iOS writes IDFAs in upper case, Android GAIDs in lower case.
	platform := func() (identifiers.Type, string) {
		switch {
		case st.upper > st.lower:
			return identifiers.IDFA, "; upper-case IDs suggest iOS (IDFA)"
		case st.lower > st.upper:
			return identifiers.GAID, "; lower-case IDs suggest Android (GAID)"
		}
		return identifiers.IDFA, "; IDFA or GAID cannot be told apart, check"
	}
	mk := func(t identifiers.Type, conf float64, reason string) *Suggestion {
		return &Suggestion{Type: t, TypeName: t.String(), Confidence: round2(min(max(conf, 0), 1)), Reason: reason}
	}
	if named {
		var note string
		if maid {
			nt, note = platform()
		}
		switch {
		case !haveNorm:
			return mk(nt, 0.7, "column name"+note)
		case st.checked == 0:
			return mk(nt, 0.5, "column name only (no values in the sample)"+note)
		}
		v := share(nt)
		ph := float64(st.prehashed) / float64(st.checked)
		switch {
		case v >= 0.5:
			return mk(nt, 0.6+0.4*v, fmt.Sprintf("column name and %s of values are %s%s", pct(v), describe(nt), note))
		case ph >= 0.5:
			return mk(nt, 0.8, fmt.Sprintf("column name; %s of values are already SHA-256 hashes%s", pct(ph), note))
		default:
			return mk(nt, 0.3+0.4*v, fmt.Sprintf("column name, but only %s of values are valid %s%s", pct(v), describe(nt), note))
		}
	}
	if !haveNorm || st.checked == 0 {
		return nil
	}
	// From the values alone. Numeric columns (ids, zip codes) can pass as phones, so phones need more.
	best, bestConf, bestShare := identifiers.Type(0), 0.0, 0.0
	for _, c := range []struct {
		t      identifiers.Type
		weight float64
		min    float64
	}{{identifiers.Email, 0.95, 0.5}, {identifiers.IDFA, 0.9, 0.5}, {identifiers.Phone, 0.6, 0.8}} {
		v := share(c.t)
		if v >= c.min && v*c.weight > bestConf {
			best, bestConf, bestShare = c.t, v*c.weight, v
		}
	}
	if best == 0 {
		return nil
	}
	reason := fmt.Sprintf("%s of values are %s", pct(bestShare), describe(best))
	if best == identifiers.IDFA {
		var note string
		best, note = platform()
		reason += note
	}
	if best == identifiers.Phone {
		reason += " (the column name does not say so)"
	}
	return mk(best, bestConf, reason)
}
