package inputs_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func gz(s string) string {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.String()
}

func emails(from, to int) string {
	var b strings.Builder
	b.WriteString("email,name\n")
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "user%d@example.com,n%d\n", i, i)
	}
	return b.String()
}

func run(t *testing.T, src inputs.Source) (*transform.Manifest, error) {
	m, _ := transform.ParseMapping("email=email")
	return transform.Run(context.Background(), transform.Options{Source: src, Mappings: []transform.Mapping{m},
		OutDir: filepath.Join(t.TempDir(), "out"), Workers: 1})
}

func TestSkip(t *testing.T) {
	for name, want := range map[string]bool{
		"_SUCCESS": true, "_committed_8734": true, "_started_8734": true, "_metadata": true, ".part-00000.crc": true,
		"part-00000.csv.crc": true, "x.metadata": true, "logs_$folder$": true, ".hidden": true,
		"part-00000-2b1f.c000.snappy.parquet": false, "list.csv": false, "data_2026.csv.gz": false,
	} {
		if got := inputs.Skip(name); got != want {
			t.Errorf("inputs.Skip(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestFolderAndGlobAreOneList reads a folder of gzip parts (with _SUCCESS and
// an empty part) and a glob over them as one list: the rows of all parts,
// deduplicated across them, and the parts named in errors.
func TestFolderAndGlobAreOneList(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "2026-11")
	write(t, dir, map[string]string{
		"part-00000.csv.gz": gz(emails(0, 600)),
		"part-00001.csv.gz": gz(emails(400, 1000) + "\"broken,row\n"),
		"part-00002.csv.gz": "",
		"_SUCCESS":          "",
		"notes.txt.crc":     "x",
	})
	for _, input := range []string{dir, filepath.Join(dir, "*.csv.gz")} {
		src, err := inputs.Local(input)
		if err != nil {
			t.Fatal(err)
		}
		if len(src.Parts) != 2 {
			t.Fatalf("%s: %d parts", input, len(src.Parts))
		}
		m, err := run(t, src)
		if err != nil {
			t.Fatal(err)
		}
		c := m.Counters
		if c.RowsRead != 1200 || c.RowsWritten != 1000 || c.Types["email"].Duplicate != 200 {
			t.Fatalf("%s: read %d, wrote %d, duplicates %d", input, c.RowsRead, c.RowsWritten, c.Types["email"].Duplicate)
		}
		if c.Malformed != 1 || !strings.HasSuffix(c.MalformedErrors[0].File, "part-00001.csv.gz") || c.MalformedErrors[0].Line != 602 {
			t.Fatalf("%s: malformed %v", input, c.MalformedErrors)
		}
		if m.Input != src.Name {
			t.Fatalf("manifest input %q", m.Input)
		}
	}
}

// TestListErrorsNameThePart: mixed formats, a part with other columns, and a
// folder or glob with nothing to read each stop before any work with a
// sentence naming the file.
func TestListErrorsNameThePart(t *testing.T) {
	base := t.TempDir()
	mixed := filepath.Join(base, "mixed")
	write(t, mixed, map[string]string{"a.csv": emails(0, 10), "b.jsonl": "{\"email\":\"x@example.com\"}\n"})
	cols := filepath.Join(base, "cols")
	write(t, cols, map[string]string{"part-0.csv": emails(0, 10), "part-1.csv": "mail,name\nx@example.com,y\n"})
	none := filepath.Join(base, "none")
	write(t, none, map[string]string{"_SUCCESS": "", "part-0.csv": "", ".part-0.csv.crc": "x"})
	onlyEmpty := filepath.Join(base, "emptyparts")
	write(t, onlyEmpty, map[string]string{"part-0.csv.gz": gz(""), "part-1.csv.gz": gz("")})

	for _, tc := range []struct {
		input, want string
		usage       bool
	}{
		{mixed, "b.jsonl is JSON Lines but mixed/a.csv is CSV/TXT", true},
		{cols, "the part cols/part-1.csv does not have the same columns as cols/part-0.csv (it lacks \"email\"; it has \"mail\"", true},
		{none, "holds no data files to read (only 2 bookkeeping file(s) such as _SUCCESS or .crc and 1 empty file(s))", false},
		{onlyEmpty, "every file in emptyparts is empty", false},
		{filepath.Join(base, "nothing-*.csv"), "no file matches", false},
	} {
		src, err := inputs.Local(tc.input)
		if err == nil {
			_, err = run(t, src)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: %v, want %q", tc.input, err, tc.want)
		}
		if tc.usage != transform.IsUsageError(err) {
			t.Fatalf("%s: usage error %v", tc.input, transform.IsUsageError(err))
		}
	}
	// Nothing was written beside the inputs.
	if _, err := os.Stat(filepath.Join(base, "out")); err == nil {
		t.Fatal("an output folder was made")
	}
}
