package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/audience-uploader/audience-uploader/backend/sampledata"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

func execute(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Execute(context.Background(), localRoot, args, &out, &errb)
	return code, out.String(), errb.String()
}

// localRoot is the CLI's own commands reading local inputs only.
func localRoot(stdout, stderr io.Writer) *cobra.Command { return NewRoot(stdout, stderr, nil) }

func writeInput(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const vectorsCSV = "id;e-mail;phone number\n" +
	"1;janedoe@gmail.com;+374 93 828 222\n" +
	"2;\" Jane.Doe+shopping@Gmail.com \";(613)-444-4444\n" +
	"3;not an email;555-CALL-NOW\n"

func TestSchemaSuggestsTypes(t *testing.T) {
	in := writeInput(t, "list.csv", vectorsCSV)
	code, out, errs := execute(t, "schema", "--input", in, "--json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var s struct {
		Format string `json:"format"`
		Fields []struct {
			Name       string `json:"name"`
			Suggestion *struct {
				Type string `json:"type"`
			} `json:"suggestion"`
		} `json:"fields"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	got := map[string]string{}
	for _, f := range s.Fields {
		if f.Suggestion != nil {
			got[f.Name] = f.Suggestion.Type
		}
	}
	if s.Format != "csv" || got["e-mail"] != "email" || got["phone number"] != "phone" {
		t.Errorf("format %q, suggestions %v", s.Format, got)
	}
	code, out, _ = execute(t, "schema", "--input", in)
	if code != ExitOK || !strings.Contains(out, "phone number") {
		t.Errorf("human output (exit %d):\n%s", code, out)
	}
}

func TestPreviewShowsNormalizedHashAndReason(t *testing.T) {
	in := writeInput(t, "list.csv", vectorsCSV)
	code, out, errs := execute(t, "preview", "--input", in, "--map", "e-mail=email", "--map", "phone number=phone", "--rows", "3")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"jane.doe@gmail.com", "831f6494ad6be4fcb3a724c3d5fef22d3ceffa3c62ef3a7984e45a0ea177f982", "37493828222", "rejected: invalid_phone", "rejected: invalid_email"} {
		if !strings.Contains(out, want) {
			t.Errorf("preview lacks %q:\n%s", want, out)
		}
	}
}

func TestTransformWritesManifestAndFiles(t *testing.T) {
	in := writeInput(t, "list.csv", vectorsCSV)
	outDir := filepath.Join(t.TempDir(), "out")
	code, out, errs := execute(t, "transform", "--input", in, "--map", "e-mail=email", "--map", "phone number=phone", "--out", outDir, "--layout", "separate", "--json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var m transform.Manifest
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("stdout is not the manifest: %v\n%s", err, out)
	}
	onDisk, err := os.ReadFile(filepath.Join(outDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m2 transform.Manifest
	json.Unmarshal(onDisk, &m2)
	if len(m.Files) != 2 || len(m2.Files) != 2 || m.Counters.Types["email"].Invalid["invalid_email"] != 1 {
		t.Fatalf("manifest %+v", m)
	}
	emails, _ := os.ReadFile(filepath.Join(outDir, m.Files[0].Path))
	sum := sha256.Sum256([]byte("janedoe@gmail.com"))
	if !strings.Contains(string(emails), hex.EncodeToString(sum[:])+"\n") {
		t.Errorf("email file lacks the vector:\n%s", emails)
	}
	// Whole raw values (and the phones' digits), not fragments a MD5 or a
	// timing in the manifest could contain by chance.
	for _, raw := range []string{"janedoe", "jane.doe+shopping", "not an email", "+374 93 828 222", "37493828222", "(613)-444-4444", "6134444444", "555-call-now"} {
		if strings.Contains(strings.ToLower(string(onDisk)), raw) {
			t.Errorf("manifest holds %q:\n%s", raw, onDisk)
		}
	}
}

func TestExitCodes(t *testing.T) {
	in := writeInput(t, "list.csv", vectorsCSV)
	out := filepath.Join(t.TempDir(), "out")
	usage := [][]string{
		{"transform", "--input", in, "--out", out},                                     // no --map
		{"transform", "--input", in, "--map", "e-mail=fax", "--out", out},              // unknown type
		{"transform", "--input", in, "--map", "mail=email", "--out", out},              // unknown column
		{"transform", "--input", in, "--map", "e-mail=email"},                          // no --out
		{"transform", "--input", in, "--map", "e-mail=email", "--out", out, "--bogus"}, // unknown flag
		{"preview", "--input", in, "--map", "e-mail=email", "--region", "XX"},          // unknown region
		{"nonsense"},
	}
	for _, args := range usage {
		if code, _, errs := execute(t, args...); code != ExitUsage || errs == "" {
			t.Errorf("%v: exit %d (%q), want %d with a message", args, code, errs, ExitUsage)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a usage error left an output folder")
	}
	code, _, errs := execute(t, "transform", "--input", filepath.Join(t.TempDir(), "missing.csv"), "--map", "e-mail=email", "--out", out)
	if code != ExitFailure || !strings.Contains(errs, "missing.csv") {
		t.Errorf("missing input: exit %d %q", code, errs)
	}
	empty := writeInput(t, "empty.csv", "")
	code, _, errs = execute(t, "schema", "--input", empty)
	if code != ExitFailure || !strings.Contains(errs, "empty.csv") {
		t.Errorf("empty input: exit %d %q", code, errs)
	}
}

// An end-to-end run on a generated file: every written hash is checked
// against hashes computed here from the raw values of rows that carry only
// canonical, already-normalized e-mails.
func TestTransformGeneratedFileCombined(t *testing.T) {
	in := filepath.Join(t.TempDir(), "gen.jsonl")
	f, _ := os.Create(in)
	st, err := sampledata.WriteJSONL(f, sampledata.Options{Rows: 30000, Seed: 11})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	outDir := filepath.Join(t.TempDir(), "out")
	code, out, errs := execute(t, "transform", "--input", in, "--out", outDir, "--map", "email=email", "--map", "phone=phone", "--map", "idfa=idfa", "--map", "gaid=gaid", "--json", "--max-file-mb", "1")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var m transform.Manifest
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	if m.Counters.RowsRead != st.Rows || len(m.Files) < 2 {
		t.Fatalf("rows %d (want %d), files %d", m.Counters.RowsRead, st.Rows, len(m.Files))
	}
	rows := 0
	for _, file := range m.Files {
		fh, err := os.Open(filepath.Join(outDir, file.Path))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Scan()
		if sc.Text() != "Email_SHA256,Phone_SHA256,MAID_SHA256,MAID_SHA256" {
			t.Fatalf("%s header %q", file.Path, sc.Text())
		}
		for sc.Scan() {
			cells := strings.Split(sc.Text(), ",")
			if len(cells) != 4 {
				t.Fatalf("%s: row with %d fields", file.Path, len(cells))
			}
			for _, c := range cells {
				if c != "" && (len(c) != 64 || strings.Trim(c, "0123456789abcdef") != "") {
					t.Fatalf("%s: %q is not a SHA-256 hex digest", file.Path, c)
				}
			}
			rows++
		}
		fh.Close()
	}
	if int64(rows) != m.Counters.RowsWritten {
		t.Errorf("%d rows in files, manifest says %d", rows, m.Counters.RowsWritten)
	}
}
