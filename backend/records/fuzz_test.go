package records

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// smallBuffers shrinks the read buffers so fuzz inputs cross read boundaries.
func smallBuffers(t testing.TB) {
	p, r := prefixBytes, readBytes
	prefixBytes, readBytes = 16, 32
	t.Cleanup(func() { prefixBytes, readBytes = p, r })
}

// frameResult is everything a reader produced, for comparing two reads of the same input.
type frameResult struct {
	openErr string
	format  Format
	header  []string
	hasHdr  bool
	rows    []row
	errs    []string
	fatal   string
}

// frameAll reads src completely, checking the invariants every reader must keep.
func frameAll(t *testing.T, src io.Reader, size int, opts Options, per int) frameResult {
	t.Helper()
	var res frameResult
	r, err := Open(src, opts)
	if err != nil {
		if !strings.Contains(err.Error(), opts.Name) {
			t.Fatalf("Open error does not name the file: %v", err)
		}
		res.openErr = err.Error()
		return res
	}
	res.format, res.header, res.hasHdr = r.Format(), r.Header(), r.HasHeader()
	if r.Format() == FormatCSV && !r.HasHeader() {
		if opts.Header == HeaderYes || r.HeaderReason() == "" {
			t.Fatalf("no header row (mode %q) and reason %q", opts.Header, r.HeaderReason())
		}
		for _, h := range r.Header() {
			if !strings.HasPrefix(h, "column_") {
				t.Fatalf("column %q of a file without a header row", h)
			}
		}
	}
	maxRec := opts.MaxRecordBytes
	var c Chunk
	lastLine := int64(0)
	for calls := 0; ; calls++ {
		if calls > size+10 {
			t.Fatalf("more than %d NextChunk calls for %d bytes", calls, size)
		}
		err := r.NextChunk(&c, per)
		if err == io.EOF {
			if len(c.Records)+len(c.Errors) != 0 {
				t.Fatal("records returned with io.EOF")
			}
			break
		}
		if err != nil {
			if !strings.Contains(err.Error(), opts.Name) {
				t.Fatalf("fatal error does not name the file: %v", err)
			}
			res.fatal = err.Error()
			break
		}
		if n := len(c.Records) + len(c.Errors); n == 0 || n > per {
			t.Fatalf("chunk with %d records and errors, limit %d", n, per)
		}
		if cap(r.buf) > maxRec+2*readBytes {
			t.Fatalf("read buffer %d bytes, record limit %d", cap(r.buf), maxRec)
		}
		for _, s := range c.Records {
			if s.Start < 0 || s.Start > s.End || s.End > len(c.Data) || s.End-s.Start > maxRec || s.End == s.Start {
				t.Fatalf("bad span %+v of %d bytes", s, len(c.Data))
			}
			if s.Line < 1 || s.Line < lastLine {
				t.Fatalf("line %d after %d", s.Line, lastLine)
			}
			lastLine = s.Line
			res.rows = append(res.rows, row{s.Line, string(c.Data[s.Start:s.End])})
		}
		for _, e := range c.Errors {
			if e.File != opts.Name || e.Line < 1 {
				t.Fatalf("error without file or line: %+v", e)
			}
			res.errs = append(res.errs, e.Error())
		}
	}
	// Extraction must not panic, and its errors must be RecordErrors.
	fields := []string{"email", "contact.phone", "a.b.c"}
	if r.Format() == FormatCSV {
		fields = r.Header()
	}
	ex, err := r.NewExtractor(fields)
	if err != nil {
		t.Fatalf("NewExtractor: %v", err)
	}
	out := make([]Value, len(fields))
	for _, rw := range res.rows {
		if err := ex.Extract([]byte(rw.Text), rw.Line, out); err != nil {
			if re, ok := err.(*RecordError); !ok || re.Line < rw.Line || re.File != opts.Name {
				t.Fatalf("Extract error %#v", err)
			}
		}
	}
	return res
}

// fuzzFrame reads data whole and one byte at a time; both must give the same result.
func fuzzFrame(t *testing.T, data []byte, opts Options, per int) frameResult {
	defer memoryCeiling(t, len(data))()
	smallBuffers(t)
	opts.Name = "fuzz.in"
	opts.MaxRecordBytes = 48
	size := plainSize(data)
	a := frameAll(t, bytes.NewReader(data), size, opts, per)
	b := frameAll(t, iotest.OneByteReader(bytes.NewReader(data)), size, opts, 1+per%3)
	if a.fatal != "" || b.fatal != "" {
		// Records before a fatal (gzip) error depend on where the reads stopped.
		if (a.fatal == "") != (b.fatal == "") {
			t.Fatalf("only one read failed: %q, %q", a.fatal, b.fatal)
		}
		return a
	}
	if fmt.Sprintf("%#v", a) != fmt.Sprintf("%#v", b) {
		t.Fatalf("reading whole and byte by byte differ:\n%#v\n%#v", a, b)
	}
	return a
}

// plainSize is the size of data after decompression (what the framers see), up to where it is corrupt.
func plainSize(data []byte) int {
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		return len(data)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return len(data)
	}
	n, _ := io.Copy(io.Discard, io.LimitReader(zr, 1<<26))
	return max(int(n), len(data))
}

var seeds = []string{
	"{\"email\":\"a@b.co\",\"contact\":{\"phone\":1}}\n{\"email\":null}\r\n\n{bad\n{\"a\":",
	"[\n {\"email\": \"x\"},\n {\"a\": {\"b\": {\"c\": [1, \"]\"]}}}, 5, \"s\\\"\"\n]",
	"email,phone\n\"a\nb\",2\n3,4,5\n\"x\"\"y\",\n7,\"8",
	"e-mail;phone number\r\n1;2\r\n",
	"a\tb\n1\t2\n",
	"\xEF\xBB\xBFemail\nx\n",
	"\xFF\xFEe\x00m\x00",
	"[{\"a\":1}]garbage",
	"{\n \"a\": 1\n}\n{\n \"a\": 2\n}",
	strings.Repeat("x", 100) + "\n{\"a\":1}\n",
	// Hostile (issue 18): nesting far deeper than any bound, a quoted field of 5,000 lines.
	"{\"email\":\"a\",\"x\":" + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "}\n{\"email\":\"b\"}\n",
	"email,note\na,\"" + strings.Repeat("\n", 5000) + "\"\nb,x\n",
	// Lists without a header row.
	"alice@example.com\nbob@example.com\n",
	"+1 613 444 4444\n(613) 111-1111\r\n",
	"5f3a2b18-9c4d-4e7f-b8e2-17d3a1e69b25\n918F1D4F-D195-4A8B-AF47-44683FE11DB9",
	"1,Alice\n2,\"Bob\"\n",
}

func FuzzJSONL(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, per uint8) {
		fuzzFrame(t, data, Options{Format: FormatJSONL}, 1+int(per%16))
	})
}

func FuzzJSONArray(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, per uint8) {
		res := fuzzFrame(t, data, Options{Format: FormatJSON}, 1+int(per%16))
		// A valid JSON array of small values frames into exactly its elements.
		var elems []json.RawMessage
		if res.openErr != "" || !json.Valid(data) || json.Unmarshal(data, &elems) != nil {
			return
		}
		for _, e := range elems {
			if len(e) > 48 {
				return
			}
		}
		if len(res.errs) != 0 || len(res.rows) != len(elems) {
			t.Fatalf("valid array: %d elements, got %d rows and errors %v", len(elems), len(res.rows), res.errs)
		}
		for i, e := range elems {
			if res.rows[i].Text != string(e) {
				t.Fatalf("element %d: %q, want %q", i, res.rows[i].Text, e)
			}
		}
	})
}

func FuzzCSV(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s), uint8(3), uint8(0))
		f.Add([]byte(s), uint8(2), uint8(6))
	}
	f.Fuzz(func(t *testing.T, data []byte, per uint8, d uint8) {
		delim := []byte{0, ',', ';', '\t', '|'}[d%5]
		header := []HeaderMode{HeaderAuto, HeaderYes, HeaderNo}[(d/5)%3]
		res := fuzzFrame(t, data, Options{Format: FormatCSV, Delimiter: delim, Header: header}, 1+int(per%16))
		if delim == ',' {
			compareWithEncodingCSV(t, data, res)
		}
	})
}

// compareWithEncodingCSV checks records against encoding/csv on inputs both must read the same way.
func compareWithEncodingCSV(t *testing.T, data []byte, res frameResult) {
	if res.openErr != "" || res.fatal != "" || bytes.IndexByte(data, '\r') >= 0 || bytes.HasPrefix(data, utf8BOM) {
		return
	}
	for _, l := range bytes.Split(data, nl) {
		if len(l) > 0 && isBlank(l) {
			return // encoding/csv reads a line of spaces as a record; we skip it
		}
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	want, err := cr.ReadAll()
	if err != nil || len(want) == 0 {
		return
	}
	for _, w := range want[1:] {
		if len(w) != len(want[0]) {
			return
		}
	}
	if len(res.errs) != 0 {
		return // a record over the 48-byte limit
	}
	skip, header := 0, HeaderNo
	if res.hasHdr {
		skip, header = 1, HeaderYes
	}
	if len(res.rows) != len(want)-skip {
		t.Fatalf("%d records, encoding/csv %d (header row: %v)", len(res.rows), len(want)-skip, res.hasHdr)
	}
	r, err := Open(bytes.NewReader(data), Options{Name: "x", Format: FormatCSV, Delimiter: ',', Header: header})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := r.NewExtractor(r.Header())
	if err != nil {
		t.Fatal(err)
	}
	out := make([]Value, len(r.Header()))
	for i, rw := range res.rows {
		if err := ex.Extract([]byte(rw.Text), rw.Line, out); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		for j, cell := range want[i+skip] {
			if out[j].Kind != String || string(out[j].Bytes) != cell {
				t.Fatalf("record %d field %d: %q, encoding/csv %q", i, j, out[j].Bytes, cell)
			}
		}
	}
}

func FuzzDetect(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Add(gz(f, seeds[0]))
	f.Add(gz(f, seeds[2]))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzFrame(t, data, Options{}, 4)
	})
}

func FuzzExtractJSON(f *testing.F) {
	f.Add([]byte(`{"email":"a\u00e9","contact":{"phone":12},"contact.phone":"lit"}`), "email,contact.phone")
	f.Add([]byte(`{"a":{"b":{"c":[1,{"x":"]"}]}},"email":null,"email":true}`), "a.b.c,email,a.b")
	f.Add([]byte(` {"x": "\ud83d\ude00\ud800", "y": -1.5e3, "z": {}} `), "x,y,z,w")
	f.Fuzz(func(t *testing.T, rec []byte, spec string) {
		defer memoryCeiling(t, len(rec))()
		var fields []string
		for _, s := range strings.SplitN(spec, ",", 5)[:min(4, len(strings.SplitN(spec, ",", 5)))] {
			if s != "" {
				fields = append(fields, s)
			}
		}
		if len(fields) == 0 {
			fields = []string{"email"}
		}
		r := open(t, "{}\n", Options{Name: "x.jsonl"})
		ex, err := r.NewExtractor(fields)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]Value, len(fields))
		err = ex.Extract(rec, 5, out)
		if err != nil {
			re, ok := err.(*RecordError)
			if !ok || re.Line < 5 || re.Column < 1 || re.File != "x.jsonl" {
				t.Fatalf("error %#v", err)
			}
		}
		if !json.Valid(rec) || !utf8.Valid(rec) {
			return
		}
		top, counts, isObj := topLevel(rec)
		if !isObj {
			if err == nil {
				t.Fatal("a non-object was accepted")
			}
			return
		}
		if err != nil {
			t.Fatalf("valid JSON object rejected: %v", err)
		}
		for i, f := range fields {
			if strings.Contains(f, ".") || counts[f] > 1 {
				continue
			}
			raw, ok := top[f]
			if !ok {
				if out[i].Kind != Missing {
					t.Fatalf("field %q: %v, want missing", f, out[i])
				}
				continue
			}
			checkValue(t, f, raw, out[i])
		}
	})
}

// topLevel returns the raw values of an object's top-level keys and how often each occurs.
func topLevel(rec []byte) (map[string]json.RawMessage, map[string]int, bool) {
	dec := json.NewDecoder(bytes.NewReader(rec))
	tok, err := dec.Token()
	if d, ok := tok.(json.Delim); err != nil || !ok || d != '{' {
		return nil, nil, false
	}
	vals, counts := map[string]json.RawMessage{}, map[string]int{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, nil, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, false
		}
		vals[k.(string)] = raw
		counts[k.(string)]++
	}
	return vals, counts, true
}

func checkValue(t *testing.T, f string, raw json.RawMessage, v Value) {
	t.Helper()
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		if v.Kind != String || string(v.Bytes) != s {
			t.Fatalf("field %q: %v %q, want string %q", f, v.Kind, v.Bytes, s)
		}
	case '{', '[', 't', 'f', 'n':
		want := map[byte]Kind{'{': Object, '[': Array, 't': Bool, 'f': Bool, 'n': Null}[raw[0]]
		if v.Kind != want || string(v.Bytes) != string(raw) {
			t.Fatalf("field %q: %v %q, want %v %q", f, v.Kind, v.Bytes, want, raw)
		}
	default:
		if v.Kind != Number || string(v.Bytes) != string(raw) {
			t.Fatalf("field %q: %v %q, want number %q", f, v.Kind, v.Bytes, raw)
		}
	}
}

func FuzzExtractCSV(f *testing.F) {
	f.Add([]byte("a,b,c"), []byte(`"x""y",,"p,q"`), uint8(0))
	f.Add([]byte("a;b"), []byte("1;\"2\n3\";4"), uint8(1))
	f.Add([]byte("a\tb"), []byte("\"unterminated"), uint8(2))
	f.Fuzz(func(t *testing.T, header, rec []byte, d uint8) {
		defer memoryCeiling(t, len(header)+len(rec))()
		delim := []byte{',', ';', '\t'}[d%3]
		if bytes.ContainsAny(header, "\r\n\"") || len(header) == 0 {
			return
		}
		r, err := Open(bytes.NewReader(append(append([]byte{}, header...), '\n')), Options{Name: "x.csv", Format: FormatCSV, Delimiter: delim})
		if err != nil {
			return
		}
		ex, err := r.NewExtractor(r.Header())
		if err != nil {
			t.Fatal(err)
		}
		out := make([]Value, len(r.Header()))
		err = ex.Extract(rec, 2, out)
		if err != nil {
			re, ok := err.(*RecordError)
			if !ok || re.Line < 2 || re.Column < 1 || re.File != "x.csv" {
				t.Fatalf("error %#v", err)
			}
			return
		}
		for _, v := range out {
			if v.Kind != String && v.Kind != Missing {
				t.Fatalf("CSV value of kind %v", v.Kind)
			}
		}
		// Without quotes, the cells are exactly the split record.
		if bytes.IndexByte(rec, '"') < 0 {
			cells := bytes.Split(rec, []byte{delim})
			for i, c := range cells {
				if !bytes.Equal(out[i].Bytes, c) || out[i].Kind != String {
					t.Fatalf("cell %d: %q, want %q", i, out[i].Bytes, c)
				}
			}
			for i := len(cells); i < len(out); i++ {
				if out[i].Kind != Missing {
					t.Fatalf("cell %d present in a short row", i)
				}
			}
		}
	})
}
