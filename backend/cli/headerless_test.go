package cli

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/records"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// headerlessList is a list of bare identifiers (the spec's test vectors) as a file without a header row.
type headerlessList struct {
	kind   string   // the --map type
	values []string // one per line, the first one included
	hashes []string // the spec's SHA-256 of each
	raw    []string // what must never leave the process: whole raw and normalized values
}

var headerlessLists = []headerlessList{
	{
		kind:   "email",
		values: []string{"janedoe@gmail.com", " Jane.Doe+shopping@Gmail.com ", " fake_email@doesnotexist.com "},
		hashes: []string{
			"d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69",
			"831f6494ad6be4fcb3a724c3d5fef22d3ceffa3c62ef3a7984e45a0ea177f982",
			"f93ca5969ffbf9d8c9dff54992b7ec422d948252cc907365a0a05aa799ab8db9",
		},
		raw: []string{"janedoe", "jane.doe", "shopping", "fake_email", "doesnotexist"},
	},
	{
		kind:   "phone",
		values: []string{"+374 93 828 222", "(613)-444-4444", "+44 844 412 4653"},
		hashes: []string{
			"65b7e6dcf6f4310f8d7cbfbd78289a753062fb054d6664fb9aaac5df66a422d4",
			"8dcdcb191dd89fbef91b063d9f8f75ccca8d2c9059b47386c3f46d5f88bb5068",
			"dc008fda46e2e64002cf2f82a4906236282d431c4f75e5b60bfe79fc48546383",
		},
		raw: []string{"+374 93 828 222", "37493828222", "(613)-444-4444", "6134444444", "+44 844 412 4653", "448444124653"},
	},
	{
		kind:   "idfa",
		values: []string{" 918F1D4F-D195-4A8B-AF47-44683FE11DB9 ", "5f3a2b18-9c4d-4e7f-b8e2-17d3a1e69b25"},
		hashes: []string{
			"b1788682345e37f504a685d799b0855ba23cf0df76b80695ce6a240203606ecd",
			"83dc3f5f32b9472613b0f038d36f22585a609d018af6f6067f50da318bf354bd",
		},
		raw: []string{"918f1d4f", "44683fe11db9", "5f3a2b18", "17d3a1e69b25"},
	},
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkNoRaw fails when any raw value is in text (compared in lower case).
func checkNoRaw(t *testing.T, where, text string, raw []string) {
	t.Helper()
	low := strings.ToLower(text)
	for _, r := range raw {
		if strings.Contains(low, strings.ToLower(r)) {
			t.Errorf("%s holds the raw value %q:\n%s", where, r, text)
		}
	}
}

// checkDirNoRaw reads every file under dir.
func checkDirNoRaw(t *testing.T, dir string, raw []string) {
	t.Helper()
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		checkNoRaw(t, p, string(b), raw)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A list of e-mails, phones or MAIDs without a header row (CSV or TikTok's .txt, plain or gzip) is read
// from its first line: every identifier is hashed, and none of them is written anywhere as a column name.
func TestHeaderlessListsEndToEnd(t *testing.T) {
	for _, l := range headerlessLists {
		for _, name := range []string{"list.csv", "list.txt", "list.csv.gz", "list.txt.gz"} {
			t.Run(l.kind+"/"+name, func(t *testing.T) {
				content := []byte(strings.Join(l.values, "\n") + "\n")
				if strings.HasSuffix(name, ".gz") {
					content = gzipBytes(t, content)
				}
				in := filepath.Join(t.TempDir(), name)
				if err := os.WriteFile(in, content, 0o600); err != nil {
					t.Fatal(err)
				}

				code, out, errs := execute(t, "schema", "--input", in, "--json")
				if code != ExitOK {
					t.Fatalf("schema: exit %d: %s", code, errs)
				}
				var s records.Schema
				if err := json.Unmarshal([]byte(out), &s); err != nil {
					t.Fatal(err)
				}
				if s.HeaderRow == nil || *s.HeaderRow || len(s.Fields) != 1 || s.Fields[0].Name != "column_1" || s.Records != len(l.values) {
					t.Fatalf("schema: header_row %v, fields %+v, %d records", s.HeaderRow, s.Fields, s.Records)
				}
				checkNoRaw(t, "schema stderr", errs, l.raw)
				code, out, _ = execute(t, "schema", "--input", in)
				if code != ExitOK || !strings.Contains(strings.ToLower(out), "no header row found") || !strings.Contains(out, "--header yes") {
					t.Fatalf("schema text (exit %d):\n%s", code, out)
				}

				outDir := filepath.Join(t.TempDir(), "out")
				code, out, errs = execute(t, "transform", "--input", in, "--map", "column_1="+l.kind, "--out", outDir, "--json")
				if code != ExitOK {
					t.Fatalf("transform: exit %d: %s", code, errs)
				}
				var m transform.Manifest
				if err := json.Unmarshal([]byte(out), &m); err != nil {
					t.Fatal(err)
				}
				typ := l.kind
				if c := m.Counters; c.RowsRead != int64(len(l.values)) || c.RowsWritten != int64(len(l.values)) || c.Types[typ] == nil || c.Types[typ].Valid != int64(len(l.values)) {
					t.Fatalf("counters %+v", c)
				}
				var written string
				for _, f := range m.Files {
					b, err := os.ReadFile(filepath.Join(outDir, f.Path))
					if err != nil {
						t.Fatal(err)
					}
					written += string(b)
				}
				for i, h := range l.hashes {
					if !strings.Contains(written, h+"\n") {
						t.Errorf("the hash of line %d is not in the output:\n%s", i+1, written)
					}
				}
				checkNoRaw(t, "transform stdout", out, l.raw)
				checkNoRaw(t, "transform stderr", errs, l.raw)
				checkDirNoRaw(t, outDir, l.raw)

				// Preview shows line 1 as data.
				code, out, errs = execute(t, "preview", "--input", in, "--map", "column_1="+l.kind, "--json")
				var p transform.PreviewResult
				if code != ExitOK || json.Unmarshal([]byte(out), &p) != nil || len(p.Rows) != len(l.values) || p.Rows[0].Line != 1 || p.Rows[0].Cells[0].Hash != l.hashes[0] {
					t.Fatalf("preview (exit %d, %s):\n%s", code, errs, out)
				}
			})
		}
	}
}

// When the person says the first row is a header (--header yes), the "column name" is a customer's
// identifier: it is still never written to the manifest, stdout or stderr.
func TestHeaderOverrideNeverNamesPersonalData(t *testing.T) {
	l := headerlessLists[0]
	in := writeInput(t, "list.csv", strings.Join(l.values, "\n")+"\n")
	outDir := filepath.Join(t.TempDir(), "out")
	first := l.values[0]
	code, out, errs := execute(t, "transform", "--header", "yes", "--input", in, "--map", first+"=email", "--out", outDir, "--json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var m transform.Manifest
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	if m.Counters.RowsRead != int64(len(l.values)-1) || len(m.Mappings) != 1 || m.Mappings[0].Column != records.PersonalDataColumn {
		t.Fatalf("manifest %+v", m)
	}
	checkNoRaw(t, "stdout", out, l.raw[:1])
	checkNoRaw(t, "stderr", errs, l.raw[:1])
	checkDirNoRaw(t, outDir, l.raw[:1])

	// An unknown column, and a header setting the CLI does not know, are usage errors that name no value.
	code, _, errs = execute(t, "transform", "--header", "yes", "--input", in, "--map", "bob@example.com=email", "--out", filepath.Join(t.TempDir(), "o"))
	if code != ExitUsage || strings.Contains(errs, "@") || !strings.Contains(errs, records.PersonalDataColumn) {
		t.Fatalf("unknown column: exit %d %q", code, errs)
	}
	code, _, errs = execute(t, "schema", "--header", "maybe", "--input", in)
	if code != ExitUsage || !strings.Contains(errs, "auto, yes or no") {
		t.Fatalf("--header maybe: exit %d %q", code, errs)
	}
	// --header no reads a file whose first row looks like a header as data.
	in = writeInput(t, "list.csv", "email\njanedoe@gmail.com\n")
	code, out, errs = execute(t, "schema", "--header", "no", "--input", in, "--json")
	var s records.Schema
	if code != ExitOK || json.Unmarshal([]byte(out), &s) != nil || s.HeaderRow == nil || *s.HeaderRow || s.Records != 2 {
		t.Fatalf("--header no: exit %d %s\n%s", code, errs, out)
	}
}
