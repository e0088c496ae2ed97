package records

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestFraming(t *testing.T) {
	type e struct {
		Line int64
		Msg  string
	}
	for _, tc := range []struct {
		name string
		data string
		opts Options
		rows []row
		errs []e
	}{
		{"jsonl blank lines and CRLF", "{\"a\":1}\r\n\r\n   \n{\"a\":2}\n\n", Options{},
			[]row{{1, `{"a":1}`}, {4, `{"a":2}`}}, nil},
		{"jsonl no trailing newline", "{\"a\":1}\n{\"a\":2}", Options{},
			[]row{{1, `{"a":1}`}, {2, `{"a":2}`}}, nil},
		{"jsonl cut-off last object is framed (Extract reports it)", "{\"a\":1}\n{\"a\":", Options{},
			[]row{{1, `{"a":1}`}, {2, `{"a":`}}, nil},
		{"jsonl over-long line", "{\"a\":1}\n{\"a\":\"" + strings.Repeat("x", 200) + "\"}\n{\"a\":3}\n", Options{MaxRecordBytes: 100},
			[]row{{1, `{"a":1}`}, {3, `{"a":3}`}}, []e{{2, "record longer than 100 bytes, skipped"}}},
		{"jsonl over-long last line without newline", "{\"a\":1}\n" + strings.Repeat("y", 200), Options{MaxRecordBytes: 100},
			[]row{{1, `{"a":1}`}}, []e{{2, "record longer than 100 bytes"}}},
		{"csv quoted newlines keep physical line numbers", "a,b\n\"x\ny\",1\n\"p\"\"q\",2\r\n3,\"\"\n", Options{},
			[]row{{2, "\"x\ny\",1"}, {4, `"p""q",2`}, {5, `3,""`}}, nil},
		{"csv blank lines skipped", "a,b\n\n1,2\n\r\n   \n3,4", Options{},
			[]row{{3, "1,2"}, {6, "3,4"}}, nil},
		{"csv quote inside an unquoted field is literal", "a,b\n5'11\",x\n2,y\n", Options{},
			[]row{{2, `5'11",x`}, {3, "2,y"}}, nil},
		{"csv unterminated quote at EOF resumes on the next line", "a,b\n1,2\n3,\"oops\n4,5\n6,7", Options{},
			[]row{{2, "1,2"}, {4, "4,5"}, {5, "6,7"}}, []e{{3, "unterminated quoted field at end of file"}}},
		{"csv unterminated quote after a multi-line field", "a,b\n1,\"multi\nline\",\"oops\n2,3\n4,\"\"\"\"\n", Options{},
			[]row{{4, "2,3"}, {5, `4,""""`}}, []e{{3, "unterminated quoted field at end of file"}}},
		{"csv unclosed quote reported where it opens", "h,i\n\"\na\",\"", Options{},
			nil, []e{{3, "unterminated quoted field at end of file"}}},
		{"csv unterminated quote on the last line", "a,b\n1,\"x", Options{},
			nil, []e{{2, "unterminated quoted field at end of file"}}},
		{"csv quote closed by EOF", "a,b\n1,\"x\"", Options{},
			[]row{{2, `1,"x"`}}, nil},
		{"csv over-long quoted record", "a,b\n1,\"" + strings.Repeat("z\n", 100) + "\"\n2,3\n", Options{MaxRecordBytes: 50},
			[]row{{103, "2,3"}}, []e{{2, "record longer than 50 bytes, skipped"}}},
		{"csv over-long record with unterminated quote", "a,b\n1,\"" + strings.Repeat("z\n", 100), Options{MaxRecordBytes: 50},
			nil, []e{{2, "record longer than 50 bytes"}, {2, "unterminated quoted field at end of file; the rest of the file was skipped"}}},
		{"json array pretty-printed", "[\n  {\"a\": 1},\n  {\n    \"a\": 2\n  }\n]\n", Options{},
			[]row{{2, `{"a": 1}`}, {3, "{\n    \"a\": 2\n  }"}}, nil},
		{"json array one line", `[{"a":"]}"},{"b":"\"}"}]`, Options{},
			[]row{{1, `{"a":"]}"}`}, {1, `{"b":"\"}"}`}}, nil},
		{"json array of scalars and nested arrays", `[1, "x", null, [1,[2]], true]`, Options{},
			[]row{{1, "1"}, {1, `"x"`}, {1, "null"}, {1, "[1,[2]]"}, {1, "true"}}, nil},
		{"json array truncated inside an object", "[\n{\"a\":1},\n{\"a\":", Options{},
			[]row{{2, `{"a":1}`}}, []e{{3, "JSON object is not complete at end of file"}}},
		{"json array not closed", "[\n{\"a\":1},\n{\"a\":2}\n", Options{},
			[]row{{2, `{"a":1}`}, {3, `{"a":2}`}}, []e{{4, "JSON array is not closed"}}},
		{"json data after the array", "[{\"a\":1}]\nxyz\n{\"a\":2}", Options{},
			[]row{{1, `{"a":1}`}}, []e{{2, "unexpected data after the end of the JSON array"}}},
		{"json two arrays", "[{\"a\":1}]\n[{\"a\":2}]", Options{},
			[]row{{1, `{"a":1}`}, {2, `{"a":2}`}}, nil},
		{"json stray closer", "{\"a\":1}\n}\n{\"a\":2}", Options{Format: FormatJSON},
			[]row{{1, `{"a":1}`}, {3, `{"a":2}`}}, []e{{2, "unexpected '}' between records"}}},
		{"json over-long element", "[{\"a\":\"" + strings.Repeat("q", 300) + "\"},\n{\"a\":2}]", Options{MaxRecordBytes: 100},
			[]row{{2, `{"a":2}`}}, []e{{1, "record longer than 100 bytes"}}},
		{"json truncated string", "[{\"a\":1}, \"abc", Options{},
			[]row{{1, `{"a":1}`}}, []e{{1, "JSON string is not complete"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, per := range []int{1, 2, 1000} {
				r := open(t, tc.data, tc.opts)
				rows, errs, err := readAll(t, r, per)
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(rows) != fmt.Sprint(tc.rows) {
					t.Fatalf("per=%d rows\n %+v\nwant\n %+v", per, rows, tc.rows)
				}
				if len(errs) != len(tc.errs) {
					t.Fatalf("per=%d errors %v; want %v", per, errs, tc.errs)
				}
				for i, w := range tc.errs {
					if errs[i].Line != w.Line || !strings.Contains(errs[i].Msg, w.Msg) || errs[i].File != "test.file" {
						t.Fatalf("per=%d error %d = %v; want line %d %q", per, i, errs[i], w.Line, w.Msg)
					}
				}
			}
		})
	}
}

// A 20 MB line is skipped as malformed while streaming: the buffer stays bounded by the record limit.
func TestHugeLineBoundedMemory(t *testing.T) {
	for _, tc := range []struct {
		name, prefix, body, suffix string
		format                     Format
		errLine, wantLine          int64
	}{
		{"jsonl", "{\"a\":1}\n{\"a\":\"", "0123456789", "\"}\n{\"a\":3}\n", FormatJSONL, 2, 3},
		{"csv", "a,b\n1,2\n3,\"", "0123456789", "\"\n5,6\n", FormatCSV, 3, 4},
		{"csv unquoted", "a,b\n1,2\n3,", "0123456789", "\n5,6\n", FormatCSV, 3, 4},
		{"csv quoted with newlines", "a,b\n1,2\n3,\"", "012345678\n", "\"\n5,6\n", FormatCSV, 3, 4 + 2<<20},
		{"json", "[{\"a\":1},\n{\"a\":\"", "0123456789", "\"},\n{\"a\":3}]", FormatJSON, 2, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &repeatReader{prefix: []byte(tc.prefix), body: []byte(tc.body), suffix: []byte(tc.suffix), count: 2 << 20}
			r, err := Open(src, Options{Name: "big"})
			if err != nil {
				t.Fatal(err)
			}
			if r.Format() != tc.format {
				t.Fatalf("format %s", r.Format())
			}
			rows, errs, err := readAll(t, r, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 || rows[1].Line != tc.wantLine {
				t.Fatalf("rows %+v", rows)
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), fmt.Sprintf("big:%d: record longer than 1048576 bytes", tc.errLine)) {
				t.Fatalf("errors %v", errs)
			}
			if c := cap(r.buf); c > DefaultMaxRecordBytes+2*readBytes {
				t.Fatalf("read buffer grew to %d bytes", c)
			}
		})
	}
}

// Reading the first 20 records of an endless file touches only its start.
func TestFirstRecordsReadOnlyThePrefix(t *testing.T) {
	for _, tc := range []struct{ name, prefix, body string }{
		{"jsonl", "", `{"email":"someone@example.com","phone":"+1 613 444 4444","x":1}` + "\n"},
		{"csv", "email,phone\n", "someone@example.com,+1 613 444 4444\n"},
		{"json", "[", `{"email":"someone@example.com"},` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cr := &countingReader{r: &repeatReader{prefix: []byte(tc.prefix), body: []byte(tc.body), count: -1}}
			r, err := Open(cr, Options{Name: "endless"})
			if err != nil {
				t.Fatal(err)
			}
			var c Chunk
			if err := r.NextChunk(&c, 20); err != nil || len(c.Records) != 20 {
				t.Fatalf("NextChunk: %v, %d records", err, len(c.Records))
			}
			if cr.n > 1<<20 {
				t.Fatalf("read %d bytes for 20 records", cr.n)
			}
		})
	}
}

func TestFatalErrors(t *testing.T) {
	t.Run("read error", func(t *testing.T) {
		// Failing within the prefix fails Open.
		_, err := Open(&errReader{data: []byte("{\"a\":1}\n"), err: errBoom}, Options{Name: "f.jsonl"})
		if !errors.Is(err, errBoom) || !strings.Contains(err.Error(), "f.jsonl") {
			t.Fatalf("Open: %v", err)
		}
		r, err := Open(&errReader{data: []byte(strings.Repeat("{\"a\":1}\n", 100000) + "{\"a\""), err: errBoom}, Options{Name: "f.jsonl"})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = readAll(t, r, 10)
		if !errors.Is(err, errBoom) || !strings.Contains(err.Error(), "f.jsonl") || strings.Contains(err.Error(), "gzip") {
			t.Fatalf("err %v", err)
		}
		var c Chunk
		if err2 := r.NextChunk(&c, 10); !errors.Is(err2, errBoom) {
			t.Fatalf("the fatal error is not sticky: %v", err2)
		}
	})
	t.Run("corrupt gzip", func(t *testing.T) {
		var body strings.Builder
		for i := 0; i < 20000; i++ {
			fmt.Fprintf(&body, "{\"email\":\"user%d@example.com\"}\n", i)
		}
		z := gz(t, body.String())
		z[len(z)/2] ^= 0xff
		z[len(z)/2+1] ^= 0xff
		r, err := Open(bytes.NewReader(z), Options{Name: "f.jsonl.gz"})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = readAll(t, r, 1000)
		if err == nil || !strings.Contains(err.Error(), "f.jsonl.gz") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("truncated gzip", func(t *testing.T) {
		z := gz(t, strings.Repeat("{\"a\":1}\n", 100000))
		r, err := Open(bytes.NewReader(z[:len(z)-6]), Options{Name: "t.gz"})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = readAll(t, r, 1000)
		if err == nil || !strings.Contains(err.Error(), "corrupt or truncated gzip") {
			t.Fatalf("err %v", err)
		}
	})
}

func TestChunkReuse(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&b, "{\"n\":%d}\n", i)
	}
	r := open(t, b.String(), Options{})
	var c Chunk
	n, maxCap := 0, 0
	for {
		err := r.NextChunk(&c, 100)
		if err != nil {
			break
		}
		for _, s := range c.Records {
			if want := fmt.Sprintf("{\"n\":%d}", n); string(c.Data[s.Start:s.End]) != want || s.Line != int64(n+1) {
				t.Fatalf("record %d = %q at line %d", n, c.Data[s.Start:s.End], s.Line)
			}
			n++
		}
		if n > 200 && cap(c.Data) > maxCap && maxCap > 0 {
			t.Fatalf("chunk data grew from %d to %d after warm-up", maxCap, cap(c.Data))
		}
		maxCap = max(maxCap, cap(c.Data))
	}
	if n != 5000 {
		t.Fatalf("read %d records", n)
	}
}
