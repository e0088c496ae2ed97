package records

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// readHeaderless opens data and returns its columns, whether it has a header row, and every record.
func readWith(t *testing.T, data []byte, opts Options) (*Reader, []row) {
	t.Helper()
	if opts.Name == "" {
		opts.Name = "list.csv"
	}
	r, err := Open(bytes.NewReader(data), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	rows, errs, err := readAll(t, r, 2)
	if err != nil || len(errs) != 0 {
		t.Fatalf("reading: %v %v", err, errs)
	}
	return r, rows
}

func rowTexts(rows []row) []string {
	var s []string
	for _, r := range rows {
		s = append(s, r.Text)
	}
	return s
}

// A list of bare identifiers has no header row: its first identifier is data, not a column name.
func TestHeaderlessLists(t *testing.T) {
	for _, tc := range []struct {
		name, file, data string
		cols             int
		why              string
	}{
		{"emails", "list.csv", "alice@example.com\nbob@example.com\ncarol@example.com\n", 1, "an e-mail address"},
		{"emails CRLF BOM", "list.csv", "\xEF\xBB\xBFAlice@Example.com\r\nbob@example.com\r\n", 1, "an e-mail address"},
		{"phones", "phones.csv", "(613) 444-4444\n+44 844 412 4653\n613 111 1111\n", 1, "a phone number"},
		{"phones, national", "phones.csv", "6134444444\n6131111111\n", 1, "a phone number"},
		{"maids", "maids.csv", "5f3a2b18-9c4d-4e7f-b8e2-17d3a1e69b25\n918F1D4F-D195-4A8B-AF47-44683FE11DB9\n", 1, "a mobile advertising ID"},
		{"hashes", "hashed.csv", strings.Repeat("a", 64) + "\n" + strings.Repeat("b", 64) + "\n", 1, "a SHA-256 hash"},
		{"email and phone", "two.csv", "alice@example.com,6134444444\nbob@example.com,6131111111\n", 2, "an e-mail address"},
		{"ids and names", "people.csv", "1,Alice\n2,Bob\n3,Carol\n", 2, "numbers like the rows below it"},
		{"bad first email", "list.csv", "alice@@example\nbob@example.com\ncarol@example.com\n", 1, "e-mail addresses like the rows below it"},
		{"txt template", "TikTok template.TXT", "john.smith at example.com\nbob@example.com\n", 1, "one identifier per line"},
		{"txt gz name", "list.txt.gz", "Customers\nbob@example.com\n", 1, "one identifier per line"},
		{"longer rows below", "list.csv", "alice@example.com\nbob@example.com,x\n", 2, "an e-mail address"},
		{"single row", "one.csv", "alice@example.com", 1, "an e-mail address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, compress := range []bool{false, true} {
				data := []byte(tc.data)
				if compress {
					data = gz(t, tc.data)
				}
				r, rows := readWith(t, data, Options{Name: tc.file})
				if r.HasHeader() || !strings.Contains(r.HeaderReason(), tc.why) {
					t.Fatalf("header row %v, reason %q; want none because %q", r.HasHeader(), r.HeaderReason(), tc.why)
				}
				if want := numberedColumns(tc.cols); strings.Join(r.Header(), ",") != strings.Join(want, ",") {
					t.Fatalf("columns %q, want %q", r.Header(), want)
				}
				var want []string
				for _, l := range strings.Split(strings.TrimPrefix(tc.data, "\xEF\xBB\xBF"), "\n") {
					if l = strings.TrimSuffix(l, "\r"); l != "" {
						want = append(want, l)
					}
				}
				if got := rowTexts(rows); strings.Join(got, "|") != strings.Join(want, "|") || rows[0].Line != 1 {
					t.Fatalf("records %q (first on line %d), want %q from line 1", got, rows[0].Line, want)
				}
				// The first record extracts like the others.
				ex, err := r.NewExtractor([]string{"column_1"})
				if err != nil {
					t.Fatal(err)
				}
				out := make([]Value, 1)
				if err := ex.Extract([]byte(rows[0].Text), rows[0].Line, out); err != nil || !strings.HasPrefix(want[0], string(out[0].Bytes)) {
					t.Fatalf("first record extracts %q, %v", out[0].Bytes, err)
				}
			}
		})
	}
}

// Files whose first row names the columns keep it as the header.
func TestHeaderDetected(t *testing.T) {
	for _, tc := range []struct{ name, file, data, header string }{
		{"email", "list.csv", "email\nalice@example.com\n", "email"},
		{"txt with a header", "list.txt", "Email\nalice@example.com\n", "Email"},
		{"ids", "people.csv", "id,name\n1,Alice\n", "id,name"},
		{"header only", "empty.csv", "id,name\n", "id,name"},
		{"names", "people.csv", "first,last,zip\nAlice,Smith,10001\n", "first,last,zip"},
		{"hex-like names", "x.csv", "cafe,face\nab,cd\n", "cafe,face"},
		{"maid column", "maids.csv", "maid\n5f3a2b18-9c4d-4e7f-b8e2-17d3a1e69b25\n", "maid"},
		{"numbers under text", "x.csv", "year,count\n2024,5\n", "year,count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, rows := readWith(t, []byte(tc.data), Options{Name: tc.file})
			if !r.HasHeader() || r.HeaderReason() != "" || strings.Join(r.Header(), ",") != tc.header {
				t.Fatalf("header %v %q (%q), want %q", r.HasHeader(), r.Header(), r.HeaderReason(), tc.header)
			}
			if len(rows) != strings.Count(tc.data, "\n")-1 {
				t.Fatalf("records %q", rowTexts(rows))
			}
		})
	}
}

// The person can say which it is when the detection gets it wrong.
func TestHeaderOverride(t *testing.T) {
	r, rows := readWith(t, []byte("email\nalice@example.com\n"), Options{Header: HeaderNo})
	if r.HasHeader() || strings.Join(r.Header(), ",") != "column_1" || len(rows) != 2 || !strings.Contains(r.HeaderReason(), "as asked") {
		t.Fatalf("--header no: %v %q %q %q", r.HasHeader(), r.Header(), rowTexts(rows), r.HeaderReason())
	}
	r, rows = readWith(t, []byte("alice@example.com\nbob@example.com\n"), Options{Header: HeaderYes})
	if !r.HasHeader() || r.Header()[0] != "alice@example.com" || len(rows) != 1 {
		t.Fatalf("--header yes: %v %q %q", r.HasHeader(), r.Header(), rowTexts(rows))
	}
	// Even then, the name never appears in a message.
	_, err := r.NewExtractor([]string{"carol@example.com"})
	if err == nil || strings.Contains(err.Error(), "@") || !strings.Contains(err.Error(), PersonalDataColumn) {
		t.Fatalf("NewExtractor error %v", err)
	}
	// A first row that does not parse is data when the file has no header (an error for that row only).
	r, rows = readWith(t, []byte("\"a\"b,c\nd,e\n"), Options{Header: HeaderNo})
	if len(rows) != 2 || len(r.Header()) != 2 {
		t.Fatalf("malformed first row: %q %q", r.Header(), rowTexts(rows))
	}
	if _, err := ParseHeaderMode("maybe"); err == nil {
		t.Fatal("ParseHeaderMode accepted maybe")
	}
	if _, err := Open(strings.NewReader("a\n"), Options{Name: "x", Header: "maybe"}); err == nil {
		t.Fatal("Open accepted header maybe")
	}
}

// Discovery tells whether there is a header row and names the columns of a list without one.
func TestDiscoverHeaderless(t *testing.T) {
	r := open(t, "alice@example.com\nbob@example.com\n", Options{Name: "list.csv"})
	s, err := Discover(r, 0, normalizer(t))
	if err != nil {
		t.Fatal(err)
	}
	if s.HeaderRow == nil || *s.HeaderRow || !strings.Contains(s.HeaderReason, "e-mail address") || s.Records != 2 {
		t.Fatalf("schema %+v", s)
	}
	if f := fieldByName(t, s, "column_1"); f.Suggestion == nil || f.Suggestion.TypeName != "email" || f.FillRate != 1 {
		t.Fatalf("field %+v", f)
	}
	js, _ := json.Marshal(s)
	if !strings.Contains(string(js), `"header_row":false`) {
		t.Fatalf("JSON %s", js)
	}
	r = open(t, "email\nalice@example.com\n", Options{Name: "list.csv"})
	if s, err = Discover(r, 0, nil); err != nil || s.HeaderRow == nil || !*s.HeaderRow {
		t.Fatalf("schema %+v %v", s, err)
	}
}

func TestSafeColumnName(t *testing.T) {
	for name, want := range map[string]string{
		"email":                                "email",
		"Phone Number":                         "Phone Number",
		"column_1":                             "column_1",
		"2024":                                 "2024",
		"":                                     "",
		"alice@example.com":                    PersonalDataColumn,
		" Jane.Doe+shopping@Gmail.com ":        PersonalDataColumn,
		"(613) 444-4444":                       PersonalDataColumn,
		"020 7183 8750":                        PersonalDataColumn, // a GB number: not possible in the US
		"5f3a2b18-9c4d-4e7f-b8e2-17d3a1e69b25": PersonalDataColumn,
		strings.Repeat("ab", 32):               PersonalDataColumn,
		strings.Repeat("ab", 16):               PersonalDataColumn,
	} {
		if got := SafeColumnName(name); got != want {
			t.Errorf("SafeColumnName(%q) = %q, want %q", name, got, want)
		}
	}
}

// A TikTok-template .txt compressed with zstd or bzip2 keeps the .txt rule (one identifier per line, no
// header), even when its first line does not look like an identifier. The files are written by the zstd
// and bzip2 tools (testdata/gen/generate.sh).
func TestTxtRuleThroughZstdAndBzip2(t *testing.T) {
	for _, tc := range []struct{ name, file string }{
		{"template.txt.zst", "template.txt.zst"},
		{"TEMPLATE.TXT.ZSTD", "template.txt.zst"},
		{"template.txt.bz2", "template.txt.bz2"},
		{"template.txt.bzip2", "template.txt.bz2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, rows := readWith(t, fixture(t, tc.file), Options{Name: tc.name})
			if r.HasHeader() || !strings.Contains(r.HeaderReason(), "one identifier per line") {
				t.Fatalf("header row %v, reason %q; want none by the .txt rule", r.HasHeader(), r.HeaderReason())
			}
			if got := rowTexts(rows); strings.Join(got, "|") != "john.smith at example.com|bob@example.com" || rows[0].Line != 1 {
				t.Fatalf("records %q (first on line %d)", got, rows[0].Line)
			}
		})
	}
}
