package records

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf16"
)

func TestParseFormat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Format
		err  bool
	}{
		{"", FormatAuto, false}, {"auto", FormatAuto, false}, {"JSONL", FormatJSONL, false},
		{"ndjson", FormatJSONL, false}, {"json", FormatJSON, false}, {"csv", FormatCSV, false},
		{"tsv", FormatCSV, false}, {"xml", "", true}, {"parquet", FormatParquet, false},
		{"XLSX", FormatXLSX, false}, {"excel", FormatXLSX, false}, {"xls", "", true},
	} {
		got, err := ParseFormat(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q, err %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func utf16le(s string, bom bool) []byte {
	var b []byte
	if bom {
		b = append(b, 0xFF, 0xFE)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

func utf16be(s string, bom bool) []byte {
	var b []byte
	if bom {
		b = append(b, 0xFE, 0xFF)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

func utf32(s string, bom, le bool) []byte {
	var b []byte
	rs := []rune(s)
	if bom {
		rs = append([]rune{0xFEFF}, rs...)
	}
	for _, r := range rs {
		if le {
			b = append(b, byte(r), byte(r>>8), byte(r>>16), byte(r>>24))
		} else {
			b = append(b, byte(r>>24), byte(r>>16), byte(r>>8), byte(r))
		}
	}
	return b
}

func TestOpenRejects(t *testing.T) {
	const csv = "email,phone\na@example.com,555\n"
	garbage := make([]byte, 4096)
	x := uint32(2463534242)
	for i := range garbage {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		garbage[i] = byte(x)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "customers.csv is empty"},
		{"only BOM", []byte("\xEF\xBB\xBF"), "is empty"},
		{"only white space", []byte(" \r\n\n\t\n"), "is empty"},
		{"empty gzip", gz(t, ""), "is empty"},
		{"binary garbage", garbage, "does not look like a text file"},
		{"NUL bytes", []byte("email\n\x00\x00\x01\x02abc"), "does not look like a text file"},
		{"UTF-16LE with BOM", utf16le(csv, true), "UTF-16 (little-endian)"},
		{"UTF-16BE with BOM", utf16be(csv, true), "UTF-16 (big-endian)"},
		{"UTF-16LE without BOM", utf16le(csv, false), "UTF-16 (little-endian)"},
		{"UTF-16BE without BOM", utf16be(csv, false), "UTF-16 (big-endian)"},
		{"UTF-32LE with BOM", utf32(csv, true, true), "UTF-32 (little-endian)"},
		{"UTF-32BE with BOM", utf32(csv, true, false), "UTF-32 (big-endian)"},
		{"UTF-32LE without BOM", utf32(csv, false, true), "UTF-32 (little-endian)"},
		{"gzipped UTF-16", gz(t, string(utf16le(csv, true))), "UTF-16"},
		{"zip", []byte("PK\x03\x04\x14\x00\x00\x00"), "ZIP archive"},
		{"CR line endings", []byte("email,phone\ra@example.com,555\rb@example.com,556\r"), "CR-only (classic Mac) line endings"},
		{"zstd", []byte{0x28, 0xB5, 0x2F, 0xFD, 0, 0}, "zstd"},
		{"corrupt gzip header", []byte{0x1f, 0x8b, 0x99, 0, 0, 0}, "gzip header"},
		{"unterminated quote in header", []byte("\"email,phone\n"), "test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "customers.csv"
			if tc.name == "unterminated quote in header" {
				name = "test"
			}
			_, err := Open(bytes.NewReader(tc.data), Options{Name: name})
			if err == nil {
				t.Fatalf("Open succeeded; want error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), name) {
				t.Fatalf("error %q; want it to name the file and contain %q", err, tc.want)
			}
		})
	}
}

func TestOpenDetects(t *testing.T) {
	for _, tc := range []struct {
		name   string
		data   []byte
		opts   Options
		format Format
		delim  byte
		header []string
		rows   []string
	}{
		{"jsonl", []byte("{\"a\":1}\n{\"a\":2}\n"), Options{}, FormatJSONL, 0, nil, []string{`{"a":1}`, `{"a":2}`}},
		{"jsonl leading blank lines", []byte("\n\n  {\"a\":1}"), Options{}, FormatJSONL, 0, nil, []string{`  {"a":1}`}},
		{"json array", []byte(" [{\"a\":1},{\"a\":2}]"), Options{}, FormatJSON, 0, nil, []string{`{"a":1}`, `{"a":2}`}},
		{"jsonl with a broken first line", []byte("{\"a\":\n{\"a\":2}\n"), Options{}, FormatJSONL, 0, nil, []string{`{"a":`, `{"a":2}`}},
		{"jsonl with an unclosed first object", []byte("{\"a\":[1,\n"), Options{}, FormatJSONL, 0, nil, []string{`{"a":[1,`}},
		{"pretty nested objects", []byte("{\n  \"a\": {\n    \"b\": 1\n  }\n}\n"), Options{}, FormatJSON, 0, nil, []string{"{\n  \"a\": {\n    \"b\": 1\n  }\n}"}},
		{"pretty objects", []byte("{\n  \"a\": 1\n}\n{\n  \"a\": 2\n}\n"), Options{}, FormatJSON, 0, nil, []string{"{\n  \"a\": 1\n}", "{\n  \"a\": 2\n}"}},
		{"csv comma", []byte("a,b\n1,2\n"), Options{}, FormatCSV, ',', []string{"a", "b"}, []string{"1,2"}},
		{"csv semicolon", []byte("a;b;c\n1;2,5;3\n"), Options{}, FormatCSV, ';', []string{"a", "b", "c"}, []string{"1;2,5;3"}},
		{"tsv", []byte("e-mail\tphone number\nx\ty\n"), Options{}, FormatCSV, '\t', []string{"e-mail", "phone number"}, []string{"x\ty"}},
		{"csv quoted header with delimiters inside", []byte("\"a;b\",c\n1,2\n"), Options{}, FormatCSV, ',', []string{"a;b", "c"}, []string{"1,2"}},
		{"single column csv", []byte("email\nx@y.z\n"), Options{}, FormatCSV, ',', []string{"email"}, []string{"x@y.z"}},
		{"csv BOM CRLF", []byte("\xEF\xBB\xBFemail,phone\r\nx,y\r\n"), Options{}, FormatCSV, ',', []string{"email", "phone"}, []string{"x,y"}},
		{"jsonl BOM CRLF", []byte("\xEF\xBB\xBF{\"a\":1}\r\n{\"a\":2}\r\n"), Options{}, FormatJSONL, 0, nil, []string{`{"a":1}`, `{"a":2}`}},
		{"gzip jsonl", gz(t, "{\"a\":1}\n"), Options{Name: "x.csv"}, FormatJSONL, 0, nil, []string{`{"a":1}`}},
		{"gzip csv with BOM", gz(t, "\xEF\xBB\xBFa,b\n1,2"), Options{Name: "x.json"}, FormatCSV, ',', []string{"a", "b"}, []string{"1,2"}},
		{"gzip json array", gz(t, "[{\"a\":1}]"), Options{}, FormatJSON, 0, nil, []string{`{"a":1}`}},
		{"explicit csv over json-looking content", []byte("{a},b\n1,2\n"), Options{Format: FormatCSV}, FormatCSV, ',', []string{"{a}", "b"}, []string{"1,2"}},
		{"explicit delimiter", []byte("a,b|c\n1,2|3\n"), Options{Delimiter: '|'}, FormatCSV, '|', []string{"a,b", "c"}, []string{"1,2|3"}},
		{"explicit jsonl", []byte("[1]\n[2]\n"), Options{Format: FormatJSONL}, FormatJSONL, 0, nil, []string{"[1]", "[2]"}},
		{"latin-1 text is not binary", []byte("name,city\nJos\xe9,M\xfcnchen\n"), Options{}, FormatCSV, ',', []string{"name", "city"}, []string{"Jos\xe9,M\xfcnchen"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Open(bytes.NewReader(tc.data), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if r.Format() != tc.format || r.Delimiter() != tc.delim {
				t.Fatalf("format %q delimiter %q; want %q %q", r.Format(), r.Delimiter(), tc.format, tc.delim)
			}
			if strings.Join(r.Header(), "|") != strings.Join(tc.header, "|") || (tc.header == nil) != (r.Header() == nil) {
				t.Fatalf("header %q; want %q", r.Header(), tc.header)
			}
			rows, errs, err := readAll(t, r, 10)
			if err != nil || len(errs) > 0 {
				t.Fatalf("read: %v %v", err, errs)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r.Text)
			}
			if strings.Join(got, "\x00") != strings.Join(tc.rows, "\x00") {
				t.Fatalf("rows %q; want %q", got, tc.rows)
			}
		})
	}
}

func TestOpenBadOptions(t *testing.T) {
	for _, o := range []Options{{Format: "xml"}, {Delimiter: '"'}, {Delimiter: '\n'}} {
		if _, err := Open(strings.NewReader("a,b\n"), o); err == nil {
			t.Errorf("Open with %+v succeeded", o)
		}
	}
}

func TestDuplicateAndEmptyColumnNames(t *testing.T) {
	r := open(t, "email,phone,email,,email,email_2\n", Options{})
	want := []string{"email", "phone", "email_3", "column_4", "email_4", "email_2"}
	if strings.Join(r.Header(), ",") != strings.Join(want, ",") {
		t.Fatalf("header %q; want %q", r.Header(), want)
	}
	w := strings.Join(r.Warnings(), "\n")
	for _, s := range []string{`"email" (column 3) was renamed "email_3"`, `"email" (column 5) was renamed "email_4"`, "column 4 has no name"} {
		if !strings.Contains(w, s) {
			t.Errorf("warnings %q lack %q", w, s)
		}
	}
	r = open(t, "a,a,a\n1,2,3\n", Options{})
	if strings.Join(r.Header(), ",") != "a,a_2,a_3" {
		t.Fatalf("header %q", r.Header())
	}
}

func TestRecordErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		e    RecordError
		want string
	}{
		{RecordError{File: "customers.csv", Line: 12, Column: 7, Msg: "unterminated quoted field"}, "customers.csv:12:7: unterminated quoted field"},
		{RecordError{File: "c.jsonl", Line: 3, Msg: "m"}, "c.jsonl:3: m"},
		{RecordError{File: "c.jsonl", Msg: "m"}, "c.jsonl: m"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q; want %q", got, tc.want)
		}
	}
}
