package records

import (
	"fmt"
	"strings"
	"testing"
)

// v renders extracted values compactly: kind:text, "-" for Missing.
func v(vals []Value) string {
	var parts []string
	for _, x := range vals {
		if x.Kind == Missing {
			parts = append(parts, "-")
			continue
		}
		parts = append(parts, x.Kind.String()+":"+string(x.Bytes))
	}
	return strings.Join(parts, " | ")
}

func TestExtractJSON(t *testing.T) {
	r := open(t, "{}\n", Options{})
	fields := []string{"email", "phone", "contact.email", "a.b.c"}
	ex, err := r.NewExtractor(fields)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]Value, len(fields))
	for _, tc := range []struct {
		name, rec, want string
	}{
		{"plain", `{"email":"a@b.co","phone":"+1 613","x":1,"y":[1,{"z":"}"}]}`, `string:a@b.co | string:+1 613 | - | -`},
		{"white space", " { \"email\" : \"a\" ,\t\"phone\"\r: 12 } ", `string:a | number:12 | - | -`},
		{"escapes", `{"email":"x\"y\\z\/\n\u00e9\ud83d\ude00\ud800"}`, "string:x\"y\\z/\n\u00e9\U0001F600\uFFFD | - | - | -"},
		{"escaped key", `{"em\u0061il":"k"}`, `string:k | - | - | -`},
		{"numbers", `{"email":-1.5e3,"phone":1.6134444444e10}`, `number:-1.5e3 | number:1.6134444444e10 | - | -`},
		{"null bool", `{"email":null,"phone":true}`, `null:null | boolean:true | - | -`},
		{"object and array", `{"email":{"x":[1,2]},"phone":[{"a":1},"]"]}`, `object:{"x":[1,2]} | array:[{"a":1},"]"] | - | -`},
		{"nested path", `{"contact":{"phone":"p","email":"n@x.io"}}`, `- | - | string:n@x.io | -`},
		{"literal dotted key wins (after)", `{"contact":{"email":"nested"},"contact.email":"literal"}`, `- | - | string:literal | -`},
		{"literal dotted key wins (before)", `{"contact.email":"literal","contact":{"email":"nested"}}`, `- | - | string:literal | -`},
		{"partial literal a.b then c", `{"a.b":{"c":"ab-c"},"a":{"b":{"c":"a-b-c"}}}`, `- | - | - | string:ab-c`},
		{"full split", `{"a":{"b":{"c":"a-b-c"}}}`, `- | - | - | string:a-b-c`},
		{"path through non-object", `{"contact":"str","a":{"b":5}}`, `- | - | - | -`},
		{"first of duplicate keys", `{"email":"first","email":"second"}`, `string:first | - | - | -`},
		{"all missing", `{"other":1}`, `- | - | - | -`},
		{"empty object", `{}`, `- | - | - | -`},
		{"deep unwanted nesting", `{"x":` + strings.Repeat("[", 500) + strings.Repeat("]", 500) + `,"email":"d"}`, `string:d | - | - | -`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := ex.Extract([]byte(tc.rec), 1, out); err != nil {
				t.Fatal(err)
			}
			if got := v(out); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestExtractJSONErrors(t *testing.T) {
	r := open(t, "{}\n", Options{Name: "c.jsonl"})
	ex, err := r.NewExtractor([]string{"email", "contact.phone"})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]Value, 2)
	for _, tc := range []struct {
		name, rec string
		line      int64
		want      string
	}{
		{"empty", ``, 7, "c.jsonl:7:1: record is not a JSON object"},
		{"array", `[{"email":"SECRET"}]`, 7, "c.jsonl:7:1: record is not a JSON object"},
		{"string", `"SECRET"`, 7, "c.jsonl:7:1: record is not a JSON object"},
		{"cut off", `{"email":"SECRET","contact":{"phone":"SECRET"`, 7, "c.jsonl:7:46: JSON object is not complete"},
		{"cut off in string", `{"email":"SECRET`, 7, "c.jsonl:7:10: unterminated string"},
		{"cut off in key", `{"email":"SECRET","pho`, 7, "c.jsonl:7:19: unterminated string"},
		{"missing colon", `{"email" "SECRET"}`, 7, "c.jsonl:7:10: expected ':'"},
		{"unquoted key", `{email:"SECRET"}`, 7, "c.jsonl:7:2: expected a quoted key"},
		{"trailing comma", `{"email":"SECRET",}`, 7, "c.jsonl:7:19: expected a quoted key"},
		{"bad literal", `{"x":nul,"email":"SECRET"}`, 7, "c.jsonl:7:6: invalid literal"},
		{"bad number wanted", `{"email":01}`, 7, "c.jsonl:7:10: invalid number"},
		{"bad escape", `{"email":"SE\qRET"}`, 7, "c.jsonl:7:10: invalid escape"},
		{"mismatched bracket", `{"x":[1,{"SECRET":2]],"email":"SECRET"}`, 7, "c.jsonl:7:20: mismatched bracket"},
		{"garbage after", `{"email":"SECRET"} SECRET`, 7, "c.jsonl:7:20: unexpected data after the JSON object"},
		{"two objects on a line", `{"email":"SECRET"}{"email":"SECRET"}`, 7, "unexpected data after the JSON object"},
		{"missing value", `{"email":}`, 7, "c.jsonl:7:10: unexpected character"},
		{"second line of a pretty record", "{\n \"email\": SECRET}", 7, "c.jsonl:8:11: unexpected character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ex.Extract([]byte(tc.rec), tc.line, out)
			if err == nil {
				t.Fatalf("no error; got %s", v(out))
			}
			if _, ok := err.(*RecordError); !ok {
				t.Fatalf("error %T, want *RecordError", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q; want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Fatalf("error %q leaks a value", err)
			}
		})
	}
}

func TestExtractCSV(t *testing.T) {
	r := open(t, "email,phone,name,email\n", Options{Name: "c.csv"})
	fields := []string{"phone", "email", "email_2", "phone"}
	ex, err := r.NewExtractor(fields)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]Value, len(fields))
	for _, tc := range []struct {
		name, rec string
		want      string
	}{
		{"plain", `a@b.co,613,Jo,x@y.z`, `string:613 | string:a@b.co | string:x@y.z | string:613`},
		{"quoted", `"a,b","6""1""3","J
o",""`, `string:6"1"3 | string:a,b | string: | string:6"1"3`},
		{"empty cells", `,,,`, `string: | string: | string: | string:`},
		{"fewer fields are missing", `a@b.co`, `- | string:a@b.co | - | -`},
		{"fewer quoted fields", `"a@b.co",""`, `string: | string:a@b.co | - | string:`},
		{"spaces kept", ` a , b ,c,d`, `string: b  | string: a  | string:d | string: b `},
		{"literal quote in unquoted field", `5'11",x,y,z`, `string:x | string:5'11" | string:z | string:x`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := ex.Extract([]byte(tc.rec), 1, out); err != nil {
				t.Fatal(err)
			}
			if got := v(out); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name, rec, want string
	}{
		{"two extra fields", `SECRET,SECRET,SECRET,SECRET,SECRET,SECRET`, "c.csv:9:29: row has 6 fields, the header has 4 (2 extra)"},
		{"one extra empty field", `SECRET,SECRET,SECRET,SECRET,`, "c.csv:9:29: row has 5 fields, the header has 4 (1 extra)"},
		{"extra quoted fields", `"SECRET",SECRET,SECRET,SECRET,"SECRET","SECRET"`, "c.csv:9:31: row has 6 fields, the header has 4 (2 extra)"},
		{"extra fields after a newline", "\"SEC\nRET\",SECRET,SECRET,SECRET,SECRET", "c.csv:10:27: row has 5 fields, the header has 4 (1 extra)"},
		{"text after closing quote", `"SECRET"SECRET,SECRET`, "c.csv:9:9: unexpected character after a closing quote"},
		{"unterminated quote", `SECRET,"SECRET`, "c.csv:9:8: unterminated quoted field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ex.Extract([]byte(tc.rec), 9, out)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v; want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "SEC") {
				t.Fatalf("error %q leaks a value", err)
			}
		})
	}
}

func TestNewExtractorCSV(t *testing.T) {
	r := open(t, "E-Mail ,phone number,id\n", Options{})
	for _, tc := range []struct {
		fields []string
		err    string
	}{
		{[]string{"E-Mail ", "phone number"}, ""},
		{[]string{"e-mail", "PHONE NUMBER"}, ""}, // unique case-insensitive, trimmed match
		{[]string{"email"}, `column "email" is not in the header of test.file`},
		{nil, "no fields"},
	} {
		_, err := r.NewExtractor(tc.fields)
		if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("NewExtractor(%q) = %v; want %q", tc.fields, err, tc.err)
		}
	}
	r = open(t, "email,EMAIL\n", Options{})
	if _, err := r.NewExtractor([]string{"Email"}); err == nil {
		t.Error("an ambiguous case-insensitive match was accepted")
	}
}

func TestExtractShortOutput(t *testing.T) {
	r := open(t, "{}\n", Options{})
	ex, err := r.NewExtractor([]string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ex.Extract([]byte(`{"a":1}`), 1, make([]Value, 1)); err == nil {
		t.Fatal("Extract accepted a short output slice")
	}
}

func TestSplits(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"email", "[[email]]"},
		{"a.b", "[[a.b] [a b]]"},
		{"a.b.c", "[[a.b.c] [a b.c] [a.b c] [a b c]]"},
		{"a.b.c.d.e.f.g.h", "[[a.b.c.d.e.f.g.h] [a b c d e f g h]]"},
	} {
		if got := fmt.Sprint(splits(tc.in)); got != tc.want {
			t.Errorf("splits(%q) = %s; want %s", tc.in, got, tc.want)
		}
	}
}

func TestValidNumber(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "-0": true, "12": true, "1.5": true, "1e5": true, "1E+5": true, "-1.5e-3": true,
		"": false, "-": false, "01": false, "1.": false, ".5": false, "1e": false, "+1": false, "1.5.2": false, "--1": false,
	} {
		if got := validNumber([]byte(s)); got != want {
			t.Errorf("validNumber(%q) = %v", s, got)
		}
	}
}

// A malformed record in the middle is reported with its line; the records around it are processed.
func TestMalformedRecordsEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       []string // per record: extracted email or the error
	}{
		{"jsonl", "{\"email\":\"a@x.io\"}\n{\"email\":\"SECRET\",\n{\"email\":\"b@x.io\"}\n{\"email\":\"SECRET", []string{
			"a@x.io", "people:2:19: JSON object is not complete (truncated record?)", "b@x.io", "people:4:10: unterminated string"}},
		{"json array", "[\n{\"email\":\"a@x.io\"},\n{\"email\":SECRET},\n{\"email\":\"b@x.io\"}\n]", []string{
			"a@x.io", "people:3:10: unexpected character", "b@x.io"}},
		{"csv", "id,email\n1,a@x.io\n2,SECRET,SECRET\n3,\"SECRET\"x\n4\n5,b@x.io\n", []string{
			"a@x.io", "people:3:10: row has 3 fields, the header has 2 (1 extra)", "people:4:11: unexpected character after a closing quote", "<missing>", "b@x.io"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := open(t, tc.data, Options{Name: "people"})
			ex, err := r.NewExtractor([]string{"email"})
			if err != nil {
				t.Fatal(err)
			}
			rows, errs, err := readAll(t, r, 2)
			if err != nil || len(errs) != 0 {
				t.Fatalf("framing: %v %v", err, errs)
			}
			var got []string
			out := make([]Value, 1)
			for _, rw := range rows {
				if err := ex.Extract([]byte(rw.Text), rw.Line, out); err != nil {
					got = append(got, err.Error())
					continue
				}
				if out[0].Kind == Missing {
					got = append(got, "<missing>")
					continue
				}
				got = append(got, string(out[0].Bytes))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestExtractJSONKeysSharingASlot: keys of one length and the same first
// and last bytes share a slot of a node's kid table, so each must still be
// told apart by its whole text, wanted or not, at the top and nested.
func TestExtractJSONKeysSharingASlot(t *testing.T) {
	if keySlot("axb") != keySlot("ayb") || keySlot("axb") != keySlot([]byte("azb")) {
		t.Fatal("the test's keys do not share a slot")
	}
	r := open(t, "{}\n", Options{})
	fields := []string{"axb", "ayb", "n.axb", "n.q"}
	ex, err := r.NewExtractor(fields)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]Value, len(fields))
	for _, tc := range []struct{ rec, want string }{
		{`{"azb":"no","ayb":"2","axb":"1"}`, `string:1 | string:2 | - | -`},
		{`{"azb":"no","n":{"ayb":"no","axb":"3","q":"4"}}`, `- | - | string:3 | string:4`},
		{`{"a":"no","b":"no","":"no","n.axb":"5"}`, `- | - | string:5 | -`},
	} {
		if err := ex.Extract([]byte(tc.rec), 1, out); err != nil {
			t.Fatalf("%s: %v", tc.rec, err)
		}
		if got := v(out); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.rec, got, tc.want)
		}
	}
}

// TestExtractJSONDoesNotAllocate guards the per-record path: extracting
// fields from a JSON record, escaped values and nested paths included,
// takes no heap allocation once the extractor's scratch has grown.
func TestExtractJSONDoesNotAllocate(t *testing.T) {
	r := open(t, "{}\n", Options{})
	fields := []string{"email", "phone", "idfa", "contact.gaid", "customer_id"}
	ex, err := r.NewExtractor(fields)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]Value, len(fields))
	for _, rec := range []string{
		`{"customer_id":100001,"email":"UseR.1@hoTmaIl.Co.Uk","phone":"(686) 827-7965","idfa":"9151337C-180B-6732-B181-6ADC746ECE65","plan":"free"}`,
		`{"email":"x\"y\u00e9@b.co","ph\u006fne":"+1 613","contact":{"gaid":"g","x":[1,{"y":null}]},"idfa":null}`,
	} {
		b := []byte(rec)
		if err := ex.Extract(b, 1, out); err != nil {
			t.Fatal(err)
		}
		if got := testing.AllocsPerRun(100, func() { ex.Extract(b, 1, out) }); got != 0 {
			t.Errorf("%s: %.1f allocations per record, want 0", rec, got)
		}
	}
}
