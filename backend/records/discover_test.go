package records

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/identifiers"
)

func normalizer(t testing.TB) *identifiers.Normalizer {
	t.Helper()
	n, err := identifiers.NewNormalizer(identifiers.Options{Region: "US"})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func fieldByName(t *testing.T, s *Schema, name string) Field {
	t.Helper()
	for _, f := range s.Fields {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no field %q in %+v", name, s.Fields)
	return Field{}
}

func TestDiscoverJSON(t *testing.T) {
	data := `{"id":1,"e-mail":"Jane.Doe@Gmail.com","contact":{"phone":"+1 613 444 4444","mobile":16134444444},"ad":"918F1D4F-D195-4A8B-AF47-44683FE11DB9","tags":["a"],"misc":null,"x":{},"n":"1"}
{"id":2,"e-mail":"  ","contact":{"phone":null,"mobile":1.6134444445e10},"ad":"ABCDEF01-D195-4A8B-AF47-44683FE11DB9","tags":[],"n":2,"addr":"joe@example.org"}
not json
{"id":3,"e-mail":"bob@example.com","contact":{"phone":"(613) 444-4446"},"ad":"00000000-0000-0000-0000-000000000001","n":true,"addr":"amy@example.org"}
{"id":4,"e-mail":"not an email","contact":"none","addr":"x@example.org","a.b":"dotted"}
`
	r := open(t, data, Options{Name: "people.jsonl"})
	s, err := Discover(r, 0, normalizer(t))
	if err != nil {
		t.Fatal(err)
	}
	if s.Records != 4 || s.Format != FormatJSONL || s.Name != "people.jsonl" {
		t.Fatalf("records %d format %s name %s", s.Records, s.Format, s.Name)
	}
	if len(s.Malformed) != 1 || s.Malformed[0].Line != 3 || s.Malformed[0].Column != 1 {
		t.Fatalf("malformed %v", s.Malformed)
	}
	var names []string
	for _, f := range s.Fields {
		names = append(names, f.Name)
	}
	wantNames := "id e-mail contact.phone contact.mobile ad tags misc x n addr contact a.b"
	if strings.Join(names, " ") != wantNames {
		t.Fatalf("fields %q; want %q", names, wantNames)
	}
	for _, tc := range []struct {
		name, typ string
		fill      float64
		samples   string
		sugg      string // type:reason fragment, or "" for none
	}{
		{"id", "number", 1, "1|2|3", ""},
		{"e-mail", "string", 0.75, "Jane.Doe@Gmail.com|bob@example.com|not an email", "email:column name and 66% of values are e-mail addresses"},
		{"contact.phone", "string", 0.5, "+1 613 444 4444|(613) 444-4446", "phone:column name and 100% of values are phone numbers"},
		{"contact.mobile", "number", 0.5, "16134444444|1.6134444445e10", "phone:column name and 100% of values are phone numbers"},
		{"ad", "string", 0.75, "918F1D4F-D195-4A8B-AF47-44683FE11DB9|ABCDEF01-D195-4A8B-AF47-44683FE11DB9|00000000-0000-0000-0000-000000000001", "idfa:100% of values are mobile advertising IDs; upper-case IDs suggest iOS (IDFA)"},
		{"tags", "array", 0.5, `["a"]|[]`, ""},
		{"misc", "null", 0, "", ""},
		{"x", "object", 0.25, "{}", ""},
		{"n", "mixed", 0.75, "1|2|true", ""},
		{"addr", "string", 0.75, "joe@example.org|amy@example.org|x@example.org", "email:100% of values are e-mail addresses"},
		{"contact", "string", 0.25, "none", ""},
		{"a.b", "string", 0.25, "dotted", ""},
	} {
		f := fieldByName(t, s, tc.name)
		if f.Type != tc.typ || f.FillRate != tc.fill || strings.Join(f.Samples, "|") != tc.samples {
			t.Errorf("%s: type %s fill %v samples %q; want %s %v %q", tc.name, f.Type, f.FillRate, f.Samples, tc.typ, tc.fill, tc.samples)
		}
		switch {
		case tc.sugg == "" && f.Suggestion != nil:
			t.Errorf("%s: unexpected suggestion %+v", tc.name, f.Suggestion)
		case tc.sugg != "" && f.Suggestion == nil:
			t.Errorf("%s: no suggestion; want %s", tc.name, tc.sugg)
		case tc.sugg != "":
			typ, reason, _ := strings.Cut(tc.sugg, ":")
			if f.Suggestion.TypeName != typ || f.Suggestion.Type.String() != typ || !strings.Contains(f.Suggestion.Reason, reason) ||
				f.Suggestion.Confidence <= 0 || f.Suggestion.Confidence > 1 {
				t.Errorf("%s: suggestion %+v; want %s", tc.name, f.Suggestion, tc.sugg)
			}
		}
	}
	// A name match with valid values is more confident than values alone.
	if e, a := fieldByName(t, s, "contact.phone").Suggestion, fieldByName(t, s, "addr").Suggestion; e.Confidence != 1 || a.Confidence >= 1 {
		t.Errorf("confidences: named %v, unnamed %v", e.Confidence, a.Confidence)
	}
	// The schema is what the UI gets: it must marshal, and the identifier type goes out by name.
	b, err := json.Marshal(s)
	if err != nil || !strings.Contains(string(b), `"suggestion":{"type":"email"`) {
		t.Fatalf("json %s %v", b, err)
	}
}

func TestDiscoverCSV(t *testing.T) {
	var b strings.Builder
	b.WriteString("Email Address;Phone;customer_id;notes;maid;notes;gaid\n")
	for i := 0; i < 50; i++ {
		email := fmt.Sprintf("user%d@example.com", i)
		if i%10 == 0 {
			email = ""
		}
		fmt.Fprintf(&b, "%s;(613) 444-%04d;%d;\"note; %d\";5f3a2b18-9c4d-4e7f-b8e2-17d3a1e6%04d;;%064x\n", email, 1000+i, 6130000000+i, i, i, i)
	}
	r := open(t, b.String(), Options{Name: "list.csv"})
	s, err := Discover(r, 20, normalizer(t))
	if err != nil {
		t.Fatal(err)
	}
	if s.Records != 20 || s.Delimiter != ";" || s.Format != FormatCSV {
		t.Fatalf("records %d delimiter %q", s.Records, s.Delimiter)
	}
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], `"notes" (column 6) was renamed "notes_2"`) {
		t.Fatalf("warnings %q", s.Warnings)
	}
	for _, tc := range []struct {
		name  string
		fill  float64
		typ   string
		conf  float64 // minimum
		rsn   string
		empty bool
	}{
		{"Email Address", 0.9, "email", 1, "column name and 100% of values are e-mail addresses", false},
		{"Phone", 1, "phone", 1, "column name and 100%", false},
		{"customer_id", 1, "phone", 0.5, "(the column name does not say so)", false},
		{"notes", 1, "", 0, "", false},
		{"maid", 1, "gaid", 0.9, "lower-case IDs suggest Android (GAID)", false},
		{"notes_2", 0, "", 0, "", true},
		{"gaid", 1, "gaid", 0.8, "column name; 100% of values are already SHA-256 hashes", false},
	} {
		f := fieldByName(t, s, tc.name)
		if f.Type != "string" || f.FillRate != tc.fill || (len(f.Samples) == 0) != tc.empty {
			t.Errorf("%s: %+v", tc.name, f)
		}
		if tc.typ == "" {
			if f.Suggestion != nil {
				t.Errorf("%s: unexpected suggestion %+v", tc.name, f.Suggestion)
			}
			continue
		}
		if f.Suggestion == nil || f.Suggestion.TypeName != tc.typ || f.Suggestion.Confidence < tc.conf || !strings.Contains(f.Suggestion.Reason, tc.rsn) {
			t.Errorf("%s: suggestion %+v; want %s >= %v %q", tc.name, f.Suggestion, tc.typ, tc.conf, tc.rsn)
		}
	}
	if samples := fieldByName(t, s, "notes").Samples; strings.Join(samples, "|") != "note; 0|note; 1|note; 2" {
		t.Errorf("samples %q", samples)
	}
}

func TestDiscoverNameOnlyAndLimits(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&b, "{\"Mobile Phone\":\"%d\",\"IDFA\":null,\"mail\":\"m%d@x.io\"}\n", i, i)
	}
	r := open(t, b.String(), Options{})
	s, err := Discover(r, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Records != DefaultSample {
		t.Fatalf("sampled %d records", s.Records)
	}
	for name, typ := range map[string]string{"Mobile Phone": "phone", "IDFA": "idfa", "mail": "email"} {
		f := fieldByName(t, s, name)
		if f.Suggestion == nil || f.Suggestion.TypeName != typ || f.Suggestion.Reason != "column name" {
			t.Errorf("%s: %+v", name, f.Suggestion)
		}
	}
	// Discover consumed only the sample: the rest is still there.
	rows, _, err := readAll(t, r, 500)
	if err != nil || len(rows) != 2000 || rows[0].Line != 1001 {
		t.Fatalf("after Discover: %d rows, %v", len(rows), err)
	}
}

func TestDiscoverAllMalformedStops(t *testing.T) {
	r := open(t, strings.Repeat("{bad\n", 5000), Options{})
	s, err := Discover(r, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Records != 0 || len(s.Malformed) != 100 || len(s.Fields) != 0 || s.Fields == nil {
		t.Fatalf("records %d malformed %d fields %v", s.Records, len(s.Malformed), s.Fields)
	}
}

func TestNameType(t *testing.T) {
	for name, want := range map[string]string{
		"email": "email", "E-Mail": "email", "mail": "email", "email_sha256": "email", "contact.emailAddress": "email",
		"phone": "phone", "phone_number": "phone", "Phone Number": "phone", "mobile": "phone", "msisdn": "phone", "tel": "phone",
		"idfa": "idfa", "IDFA": "idfa", "gaid": "gaid", "aaid": "gaid", "google_adid": "gaid",
		"maid": "maid", "advertising_id": "maid", "mobile_ad_id": "maid",
		"maiden_name": "", "mailing_address": "", "id": "", "customer_id": "", "telemetry": "",
	} {
		typ, maid, ok := nameType(name)
		got := ""
		switch {
		case maid:
			got = "maid"
		case ok:
			got = typ.String()
		}
		if got != want {
			t.Errorf("nameType(%q) = %q; want %q", name, got, want)
		}
	}
}
