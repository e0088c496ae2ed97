package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/records"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// The fixtures in backend/records/testdata/binary were written by DuckDB (Parquet), openpyxl (Excel) and the
// zstd and bzip2 tools (backend/records/testdata/gen/generate.sh); their rows are formulas of the row index
// i, repeated here to know what every row must hash to. Rows 0-2 hold the spec's test vectors, whose
// published hashes are checked as they are.
const binaryFixtures = "../records/testdata/binary"

var specHash = map[string]string{
	"janedoe@gmail.com":                       "d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69",
	" Jane.Doe+shopping@Gmail.com ":           "831f6494ad6be4fcb3a724c3d5fef22d3ceffa3c62ef3a7984e45a0ea177f982",
	" fake_email@doesnotexist.com ":           "f93ca5969ffbf9d8c9dff54992b7ec422d948252cc907365a0a05aa799ab8db9",
	"+374 93 828 222":                         "65b7e6dcf6f4310f8d7cbfbd78289a753062fb054d6664fb9aaac5df66a422d4",
	"(613)-444-4444":                          "8dcdcb191dd89fbef91b063d9f8f75ccca8d2c9059b47386c3f46d5f88bb5068",
	"+44 844 412 4653":                        "dc008fda46e2e64002cf2f82a4906236282d431c4f75e5b60bfe79fc48546383",
	" 918F1D4F-D195-4A8B-AF47-44683FE11DB9 ":  "b1788682345e37f504a685d799b0855ba23cf0df76b80695ce6a240203606ecd",
	"5f3a2b18-9c4d-4e7f-b8e2-17d3a1e69b25":    "83dc3f5f32b9472613b0f038d36f22585a609d018af6f6067f50da318bf354bd",
	"16134444444 (the (613)-444-4444 number)": "8dcdcb191dd89fbef91b063d9f8f75ccca8d2c9059b47386c3f46d5f88bb5068",
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// fixtureHash is the hash row i's column must have in the output ("" when it is skipped: null or empty).
func fixtureHash(column string, i int) string {
	switch column {
	case "email":
		switch {
		case i == 0:
			return specHash["janedoe@gmail.com"]
		case i == 1:
			return specHash[" Jane.Doe+shopping@Gmail.com "]
		case i == 2:
			return specHash[" fake_email@doesnotexist.com "]
		case i%10 == 7:
			return ""
		}
		return sha(fmt.Sprintf("person%d.name@example.com", i))
	case "phone":
		switch {
		case i == 0:
			return specHash["16134444444 (the (613)-444-4444 number)"]
		case i%10 == 3:
			return ""
		}
		return sha(fmt.Sprint(16135550000 + i))
	case "phone_text":
		switch i {
		case 0:
			return specHash["+374 93 828 222"]
		case 1:
			return specHash["(613)-444-4444"]
		case 2:
			return specHash["+44 844 412 4653"]
		}
		return sha(fmt.Sprintf("1613555%04d", i))
	case "phone_double":
		return sha(fmt.Sprint(16138880000 + i))
	case "phone_decimal":
		return sha(fmt.Sprint(16136660000 + i))
	case "maid":
		switch {
		case i == 0:
			return specHash["5f3a2b18-9c4d-4e7f-b8e2-17d3a1e69b25"]
		case i%10 == 5:
			return ""
		}
		return sha(fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i))
	case "idfa_text":
		if i == 0 {
			return specHash[" 918F1D4F-D195-4A8B-AF47-44683FE11DB9 "]
		}
		return sha(fmt.Sprintf("%08x-aaaa-4bbb-8ccc-%012x", i, i))
	case "contact.email":
		return sha(fmt.Sprintf("nested%d@example.org", i))
	case "contact.level.phone":
		return sha(fmt.Sprint(16137770000 + i))
	case "dict_email":
		return sha(fmt.Sprintf("shared%d@example.net", i%5))
	}
	panic("no formula for column " + column)
}

// expectedRows is the combined file's data rows (sorted) for rows 0..n-1 of the given columns.
func expectedRows(n int, columns []string, hash func(column string, i int) string) []string {
	var rows []string
	for i := range n {
		cells := make([]string, len(columns))
		any := false
		for j, c := range columns {
			cells[j] = hash(c, i)
			any = any || cells[j] != ""
		}
		if any {
			rows = append(rows, strings.Join(cells, ","))
		}
	}
	sort.Strings(rows)
	return rows
}

// transformRows runs the CLI's transform with the combined layout and returns the manifest and the data
// rows of every output file (sorted; the order of rows is not part of the contract).
func transformRows(t *testing.T, args ...string) (transform.Manifest, []string) {
	t.Helper()
	outDir := filepath.Join(t.TempDir(), "out")
	code, out, errs := execute(t, append([]string{"transform", "--layout", "combined", "--out", outDir, "--json"}, args...)...)
	if code != ExitOK {
		t.Fatalf("transform %v: exit %d: %s", args, code, errs)
	}
	var m transform.Manifest
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, f := range m.Files {
		b, err := os.ReadFile(filepath.Join(outDir, f.Path))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		rows = append(rows, lines[1:]...) // after the header
	}
	sort.Strings(rows)
	return m, rows
}

func compareRows(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows written, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("row %d (sorted) is\n%s\nwant\n%s", i, got[i], want[i])
		}
	}
}

func mapArgs(input string, maps ...string) []string {
	args := []string{"--input", input}
	for _, m := range maps {
		args = append(args, "--map", m)
	}
	return args
}

func TestParquetFromDuckDBEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		file string
		rows int
	}{
		{"list_zstd.parquet", 4500}, {"list_snappy.parquet", 4500}, {"list_gzip.parquet", 250}, {"list_uncompressed.parquet", 250},
	} {
		t.Run(tc.file, func(t *testing.T) {
			in := filepath.Join(binaryFixtures, tc.file)
			code, out, errs := execute(t, "schema", "--input", in, "--json")
			if code != ExitOK {
				t.Fatalf("schema: exit %d: %s", code, errs)
			}
			var s records.Schema
			if err := json.Unmarshal([]byte(out), &s); err != nil {
				t.Fatal(err)
			}
			names := map[string]string{}
			for _, f := range s.Fields {
				names[f.Name] = f.Type
			}
			if s.Format != records.FormatParquet || s.Rows == nil || *s.Rows != int64(tc.rows) || names["contact.email"] != "string" || names["phone"] != "number" || names["contact.level.phone"] != "number" {
				t.Fatalf("schema: format %s, rows %v, fields %v", s.Format, s.Rows, names)
			}
			if _, ok := names["tags.list.element"]; ok || len(s.Warnings) == 0 {
				t.Fatalf("the list column is offered, or not warned about: %v %v", names, s.Warnings)
			}

			// Three columns of each header at most: two runs cover every identifier column.
			runs := [][]string{
				{"email", "contact.email", "dict_email", "phone", "phone_text", "phone_double", "maid", "idfa_text"},
				{"phone_decimal", "contact.level.phone"},
			}
			types := map[string]string{"email": "email", "contact.email": "email", "dict_email": "email", "phone": "phone", "phone_text": "phone",
				"phone_double": "phone", "phone_decimal": "phone", "contact.level.phone": "phone", "maid": "gaid", "idfa_text": "idfa"}
			for _, cols := range runs {
				var maps []string
				for _, c := range cols {
					maps = append(maps, c+"="+types[c])
				}
				m, rows := transformRows(t, mapArgs(in, maps...)...)
				if m.Counters.RowsRead != int64(tc.rows) || m.Counters.Malformed != 0 {
					t.Fatalf("counters %+v", m.Counters)
				}
				compareRows(t, rows, expectedRows(tc.rows, cols, fixtureHash))
			}
		})
	}
}

// xlsxRowIndex is the fixture's i of each Excel data row: openpyxl's insert_rows(60) left row 60 blank.
func TestExcelFromOpenpyxlEndToEnd(t *testing.T) {
	in := filepath.Join(binaryFixtures, "list.xlsx")
	const n = 120
	xlsxHash := func(column string, i int) string {
		switch column {
		case "phone":
			if i == 0 {
				return specHash["16134444444 (the (613)-444-4444 number)"]
			}
			return sha(fmt.Sprint(16135550000 + i)) // an int cell, never null here
		case "phone_float":
			return sha(fmt.Sprint(16139990000 + i)) // stored as 1.613999xxxxE+10
		case "maid":
			if i == 0 {
				return specHash["5f3a2b18-9c4d-4e7f-b8e2-17d3a1e69b25"]
			}
			return sha(fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i))
		case "email":
			if i == 2 {
				return sha("person2.name@example.com") // the sheet's row 2 is generated, not a vector
			}
		}
		return fixtureHash(column, i)
	}
	m, rows := transformRows(t, mapArgs(in, "email=email", "phone=phone", "phone_float=phone", "maid=gaid")...)
	if m.Counters.RowsRead != n || m.Counters.Malformed != 0 {
		t.Fatalf("counters %+v", m.Counters)
	}
	compareRows(t, rows, expectedRows(n, []string{"email", "phone", "phone_float", "maid"}, xlsxHash))

	// Preview names Excel's row numbers: data starts on row 2, and the blank row 60 is skipped.
	code, out, errs := execute(t, append([]string{"preview", "--json", "--rows", "60"}, mapArgs(in, "phone_float=phone")...)...)
	var p transform.PreviewResult
	if code != ExitOK || json.Unmarshal([]byte(out), &p) != nil || len(p.Rows) != 60 {
		t.Fatalf("preview (exit %d, %s):\n%s", code, errs, out)
	}
	if p.Rows[0].Line != 2 || p.Rows[57].Line != 59 || p.Rows[58].Line != 61 {
		t.Fatalf("preview lines %d, %d, %d; want 2, 59, 61", p.Rows[0].Line, p.Rows[57].Line, p.Rows[58].Line)
	}
	if c := p.Rows[0].Cells[0]; c.Original != "16139990000" || c.Status != "valid" {
		t.Fatalf("the E-notation float cell reads %+v; want its exact digits", c)
	}

	// --sheet: a headerless one-column sheet (the second), found case-insensitively.
	code, out, errs = execute(t, "schema", "--input", in, "--sheet", "phones ONLY", "--json")
	var s records.Schema
	if code != ExitOK || json.Unmarshal([]byte(out), &s) != nil {
		t.Fatalf("schema --sheet: exit %d: %s", code, errs)
	}
	if s.Sheet != "Phones only" || len(s.Sheets) != 3 || s.HeaderRow == nil || *s.HeaderRow || s.Fields[0].Name != "column_1" || s.Records != 40 {
		t.Fatalf("schema of the second sheet: %+v", s)
	}
	m, rows = transformRows(t, "--input", in, "--sheet", "Phones only", "--map", "column_1=phone")
	compareRows(t, rows, expectedRows(40, []string{"p"}, func(_ string, i int) string { return sha(fmt.Sprintf("1613555%04d", i)) }))

	// An empty sheet and a sheet that is not there: exit 1 or 2 with the file and sheet named.
	for _, tc := range []struct{ sheet, want string }{
		{"Empty", `list.xlsx, sheet "Empty", is empty`},
		{"Customerz", `list.xlsx has no sheet named "Customerz"; its sheets are "Customers", "Phones only", "Empty"`},
	} {
		code, _, errs = execute(t, "transform", "--input", in, "--sheet", tc.sheet, "--map", "email=email", "--out", filepath.Join(t.TempDir(), "o"))
		if (code != 1 && code != 2) || !strings.Contains(errs, tc.want) {
			t.Errorf("--sheet %s: exit %d, stderr %q; want it to contain %q", tc.sheet, code, errs, tc.want)
		}
	}
}

func TestZstdAndBzip2FromTheirToolsEndToEnd(t *testing.T) {
	csvHash := func(column string, i int) string {
		if column == "phone_text" && i > 2 {
			return sha(fmt.Sprintf("1613555%04d", i))
		}
		if column == "email" && i%10 == 7 {
			return sha(fmt.Sprintf("person%d.name@example.com", i)) // no nulls in the CSV
		}
		return fixtureHash(column, i)
	}
	for _, name := range []string{"list.csv.zst", "list.csv.bz2"} {
		t.Run(name, func(t *testing.T) {
			m, rows := transformRows(t, mapArgs(filepath.Join(binaryFixtures, name), "email=email", "phone=phone")...)
			if m.Counters.RowsRead != 300 || m.Counters.Malformed != 0 {
				t.Fatalf("counters %+v", m.Counters)
			}
			compareRows(t, rows, expectedRows(300, []string{"email", "phone_text"}, csvHash))
		})
	}
}
