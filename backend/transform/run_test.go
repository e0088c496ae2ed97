package transform

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/sampledata"
)

// The expectations in this file are computed independently of the
// identifiers package: by hand for e-mails and MAIDs, and with
// libphonenumber's own Parse for phones.

func refEmail(v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		return "", false
	}
	s = strings.ToLower(strings.TrimSpace(s))
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || strings.Count(s, "@") != 1 {
		return "", false
	}
	local, domain := s[:at], s[at+1:]
	if i := strings.IndexByte(local, '+'); i >= 0 {
		local = local[:i]
	}
	if local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", false
	}
	return local + "@" + domain, true
}

func refPhone(v any) (string, bool) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.Number:
		s = x.String()
	default:
		return "", false
	}
	s = strings.TrimSpace(s)
	if strings.ContainsAny(strings.ToLower(s), "abcdefghijklmnopqrstuvwxyz") {
		return "", false
	}
	n, err := phonenumbers.Parse(s, "US")
	if err != nil || !phonenumbers.IsPossibleNumber(n) {
		return "", false
	}
	return strings.TrimPrefix(phonenumbers.Format(n, phonenumbers.E164), "+"), true
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func refMAID(v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		return "", false
	}
	s = strings.ToLower(strings.TrimSpace(s))
	if !uuidRE.MatchString(s) || s == "00000000-0000-0000-0000-000000000000" {
		return "", false
	}
	return s, true
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

var refColumns = []struct {
	column string
	norm   func(any) (string, bool)
}{{"email", refEmail}, {"phone", refPhone}, {"idfa", refMAID}, {"gaid", refMAID}}

// expected computes, from the raw file, the distinct hashes per column and
// the distinct combined rows.
func expected(t *testing.T, path string) (perColumn []map[string]bool, rows map[string]bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	perColumn = make([]map[string]bool, len(refColumns))
	for i := range perColumn {
		perColumn[i] = map[string]bool{}
	}
	rows = map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		var rec map[string]any
		if err := dec.Decode(&rec); err != nil {
			t.Fatal(err)
		}
		cells := make([]string, len(refColumns))
		any := false
		for i, c := range refColumns {
			if n, ok := c.norm(rec[c.column]); ok {
				cells[i] = sha(n)
				perColumn[i][cells[i]] = true
				any = true
			}
		}
		if any {
			rows[strings.Join(cells, ",")] = true
		}
	}
	return perColumn, rows
}

func generate(t testing.TB, rows int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "customers.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sampledata.WriteJSONL(f, sampledata.Options{Rows: rows, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func allMappings(t testing.TB) []Mapping {
	var ms []Mapping
	for _, s := range []string{"email=email", "phone=phone", "idfa=idfa", "gaid=gaid"} {
		m, err := ParseMapping(s)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	return ms
}

func runTransform(t *testing.T, opts Options) *Manifest {
	t.Helper()
	m, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return m
}

// readOutput checks every file against the manifest and returns its lines
// (without headers), failing on any line that appears twice.
func readOutput(t *testing.T, dir string, m *Manifest) map[string][]string {
	t.Helper()
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("output folder mode %v, want 0700", st.Mode().Perm())
	}
	onDisk, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(onDisk) != len(m.Files)+1 {
		t.Errorf("folder holds %d entries, manifest lists %d files (+ manifest): %v", len(onDisk), len(m.Files), onDisk)
	}
	lines := map[string][]string{}
	seen := map[string]bool{}
	for _, f := range m.Files {
		path := filepath.Join(dir, f.Path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", f.Path, st.Mode().Perm())
		}
		sum := md5.Sum(data)
		if hex.EncodeToString(sum[:]) != f.MD5 || int64(len(data)) != f.Bytes {
			t.Errorf("%s: manifest md5/bytes do not match the file", f.Path)
		}
		if !strings.HasSuffix(f.Path, ".csv") || !bytes.HasSuffix(data, []byte("\n")) {
			t.Errorf("%s: want a .csv file ending in a newline", f.Path)
		}
		ls := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		if f.CalculateType == "MULTIPLE_TYPES" {
			ls = ls[1:] // header
		}
		if int64(len(ls)) != f.Rows {
			t.Errorf("%s: %d rows, manifest says %d", f.Path, len(ls), f.Rows)
		}
		for _, l := range ls {
			if seen[f.CalculateType+l] {
				t.Fatalf("%s: line %q written twice", f.Path, l)
			}
			seen[f.CalculateType+l] = true
			if strings.Contains(l, sha("")) {
				t.Fatalf("%s: the hash of the empty string was written", f.Path)
			}
		}
		lines[f.CalculateType] = append(lines[f.CalculateType], ls...)
	}
	return lines
}

func sameSet(t *testing.T, what string, got []string, want map[string]bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d distinct lines written, want %d", what, len(got), len(want))
	}
	for _, g := range got {
		if !want[g] {
			t.Errorf("%s: unexpected line %q", what, g)
			return
		}
	}
}

func TestRunSeparateMatchesIndependentHashes(t *testing.T) {
	input := generate(t, 20000)
	perColumn, _ := expected(t, input)
	src, err := inputs.LocalFile(input)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	m := runTransform(t, Options{Source: src, Mappings: allMappings(t), OutDir: out, Layout: LayoutSeparate, Workers: 3})
	lines := readOutput(t, out, m)
	sameSet(t, "email", lines["EMAIL_SHA256"], perColumn[0])
	sameSet(t, "phone", lines["PHONE_SHA256"], perColumn[1])
	sameSet(t, "idfa", lines["IDFA_SHA256"], perColumn[2])
	sameSet(t, "gaid", lines["GAID_SHA256"], perColumn[3])

	c := m.Counters
	if c.RowsRead != 20000 || c.Malformed != 0 {
		t.Errorf("rows read %d, malformed %d", c.RowsRead, c.Malformed)
	}
	for name, tc := range c.Types {
		total := tc.Valid + tc.Prehashed
		for _, n := range tc.Invalid {
			total += n
		}
		if total != c.RowsRead {
			t.Errorf("%s: valid+prehashed+invalid = %d, want every row (%d)", name, total, c.RowsRead)
		}
		if tc.Valid+tc.Prehashed-tc.Duplicate != int64(len(lines[strings.ToUpper(name)+"_SHA256"])) {
			t.Errorf("%s: valid %d - duplicate %d != written %d", name, tc.Valid, tc.Duplicate, len(lines[strings.ToUpper(name)+"_SHA256"]))
		}
	}
	if c.Types["email"].Duplicate == 0 || c.Types["phone"].Invalid["invalid_phone"] == 0 || c.Types["idfa"].Invalid["zero_maid"] == 0 {
		t.Errorf("the sample's duplicates and invalid values were not counted: %+v", c.Types)
	}
}

func TestRunCombinedMatchesIndependentRows(t *testing.T) {
	input := generate(t, 20000)
	_, rows := expected(t, input)
	src, _ := inputs.LocalFile(input)
	out := filepath.Join(t.TempDir(), "out")
	m := runTransform(t, Options{Source: src, Mappings: allMappings(t), OutDir: out})
	if m.Layout != LayoutCombined || len(m.Files) != 1 || m.Files[0].CalculateType != "MULTIPLE_TYPES" {
		t.Fatalf("want one combined file, got %+v", m.Files)
	}
	data, _ := os.ReadFile(filepath.Join(out, m.Files[0].Path))
	if header, _, _ := strings.Cut(string(data), "\n"); header != "Email_SHA256,Phone_SHA256,MAID_SHA256,MAID_SHA256" {
		t.Errorf("header %q", header)
	}
	lines := readOutput(t, out, m)
	sameSet(t, "combined", lines["MULTIPLE_TYPES"], rows)
	c := m.Counters
	if c.RowsRead != c.RowsWritten+c.DuplicateRows+c.NoIdentifier+c.Malformed {
		t.Errorf("rows do not add up: %+v", c)
	}
	if c.DuplicateRows == 0 {
		t.Error("no duplicate rows found in a sample with 5% duplicates")
	}
}

func TestRunSpillsPastMemoryBudgetWithSameResult(t *testing.T) {
	input := generate(t, 60000)
	src, _ := inputs.LocalFile(input)
	// A partition's smallest set is 1,024 shards of 4 buckets (256 KiB,
	// ~21,000 keys): with a 300 KiB budget, 1 or 2 partitions must spill
	// most of the ~57,000 distinct rows (and 4 the ~228,000 hashes of the
	// separate layout).
	for _, c := range []struct {
		layout  Layout
		workers []int // n workers deduplicate in n partitions
	}{
		{LayoutSeparate, []int{1, 2, 4}},
		{LayoutCombined, []int{1, 2}},
	} {
		outA := filepath.Join(t.TempDir(), "a")
		a := runTransform(t, Options{Source: src, Mappings: allMappings(t), OutDir: outA, Layout: c.layout, Workers: 1})
		la := readOutput(t, outA, a)
		for _, workers := range c.workers {
			outB := filepath.Join(t.TempDir(), fmt.Sprint("b", workers))
			b := runTransform(t, Options{Source: src, Mappings: allMappings(t), OutDir: outB, Layout: c.layout, Workers: workers, DedupMemoryBytes: 300 << 10})
			lb := readOutput(t, outB, b)
			for typ, lines := range la {
				want := map[string]bool{}
				for _, l := range lines {
					want[l] = true
				}
				sameSet(t, fmt.Sprintf("%s %s after spill, %d workers", c.layout, typ, workers), lb[typ], want)
			}
			if a.Counters.DuplicateRows != b.Counters.DuplicateRows {
				t.Errorf("%s, %d workers: %d duplicate rows in memory, %d with spill", c.layout, workers, a.Counters.DuplicateRows, b.Counters.DuplicateRows)
			}
			for name := range a.Counters.Types {
				if a.Counters.Types[name].Duplicate != b.Counters.Types[name].Duplicate {
					t.Errorf("%s, %d workers: %s duplicates: %d in memory, %d with spill", c.layout, workers, name, a.Counters.Types[name].Duplicate, b.Counters.Types[name].Duplicate)
				}
			}
			if entries, _ := filepath.Glob(filepath.Join(outB, ".spill-*")); len(entries) != 0 {
				t.Errorf("spill files left behind: %v", entries)
			}
		}
	}
}

func TestRunSplitsFilesAtTheSizeCap(t *testing.T) {
	input := generate(t, 30000)
	src, _ := inputs.LocalFile(input)
	out := filepath.Join(t.TempDir(), "out")
	m := runTransform(t, Options{Source: src, Mappings: allMappings(t), OutDir: out, MaxFileBytes: 1 << 20})
	if len(m.Files) < 3 {
		t.Fatalf("want several parts of at most 1 MiB, got %d", len(m.Files))
	}
	for _, f := range m.Files {
		if f.Bytes > 1<<20 {
			t.Errorf("%s is %d bytes, over the 1 MiB cap", f.Path, f.Bytes)
		}
		data, _ := os.ReadFile(filepath.Join(out, f.Path))
		if !strings.HasPrefix(string(data), "Email_SHA256,") {
			t.Errorf("%s has no header", f.Path)
		}
	}
	readOutput(t, out, m)
}

func writeFile(t *testing.T, name, content string) inputs.Source {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := inputs.LocalFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// The spec's vectors, end to end through a CSV file.
func TestRunSpecVectors(t *testing.T) {
	src := writeFile(t, "vectors.csv", "e-mail,phone number,idfa,gaid\n"+
		"janedoe@gmail.com,\"+374 93 828 222\", 918F1D4F-D195-4A8B-AF47-44683FE11DB9 ,5f3a2b18-9c4d-4e7f-b8e2-17d3a1e69b25\n"+
		"\" Jane.Doe+shopping@Gmail.com \",(613)-444-4444,,\n"+
		"\" fake_email@doesnotexist.com \",+44 844 412 4653,,\n")
	out := filepath.Join(t.TempDir(), "out")
	ms := []Mapping{}
	for _, s := range []string{"e-mail=email", "phone number=phone", "idfa=idfa", "gaid=gaid"} {
		m, _ := ParseMapping(s)
		ms = append(ms, m)
	}
	m := runTransform(t, Options{Source: src, Mappings: ms, OutDir: out, Layout: LayoutSeparate})
	lines := readOutput(t, out, m)
	want := map[string][]string{
		"EMAIL_SHA256": {"d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69", "831f6494ad6be4fcb3a724c3d5fef22d3ceffa3c62ef3a7984e45a0ea177f982", "f93ca5969ffbf9d8c9dff54992b7ec422d948252cc907365a0a05aa799ab8db9"},
		"PHONE_SHA256": {"65b7e6dcf6f4310f8d7cbfbd78289a753062fb054d6664fb9aaac5df66a422d4", "8dcdcb191dd89fbef91b063d9f8f75ccca8d2c9059b47386c3f46d5f88bb5068", "dc008fda46e2e64002cf2f82a4906236282d431c4f75e5b60bfe79fc48546383"},
		"IDFA_SHA256":  {"b1788682345e37f504a685d799b0855ba23cf0df76b80695ce6a240203606ecd"},
		"GAID_SHA256":  {"83dc3f5f32b9472613b0f038d36f22585a609d018af6f6067f50da318bf354bd"},
	}
	for typ, w := range want {
		got := append([]string(nil), lines[typ]...)
		sort.Strings(got)
		sort.Strings(w)
		if strings.Join(got, " ") != strings.Join(w, " ") {
			t.Errorf("%s: got %v, want %v", typ, got, w)
		}
	}
	if n := m.Counters.Types["idfa"].Invalid["empty"]; n != 2 {
		t.Errorf("empty idfa cells counted %d, want 2", n)
	}
}

func TestRunCountsMalformedRowsAndGoesOn(t *testing.T) {
	var b strings.Builder
	for i := range 50 {
		if i == 24 {
			b.WriteString("{\"email\": \"broken@example.com\", \n") // line 25: cut-off object
			continue
		}
		b.WriteString(`{"email":"user` + strconv.Itoa(i) + `@example.com"}` + "\n")
	}
	src := writeFile(t, "list.jsonl", b.String())
	out := filepath.Join(t.TempDir(), "out")
	m := runTransform(t, Options{Source: src, Mappings: allMappings(t)[:1], OutDir: out})
	c := m.Counters
	if c.RowsRead != 50 || c.Malformed != 1 || c.Types["email"].Valid != 49 {
		t.Fatalf("counters %+v %+v", c, c.Types["email"])
	}
	if len(c.MalformedErrors) != 1 || c.MalformedErrors[0].Line != 25 || c.MalformedErrors[0].File != "list.jsonl" {
		t.Errorf("malformed error %+v, want list.jsonl line 25", c.MalformedErrors)
	}
	if strings.Contains(c.MalformedErrors[0].Error(), "broken@") {
		t.Errorf("error message leaks the value: %s", c.MalformedErrors[0])
	}
}

func TestRunRejectsUnknownColumnBeforeAnyWork(t *testing.T) {
	src := writeFile(t, "list.jsonl", `{"email":"a@example.com"}`+"\n")
	out := filepath.Join(t.TempDir(), "out")
	m, _ := ParseMapping("mail=email")
	_, err := Run(context.Background(), Options{Source: src, Mappings: []Mapping{m}, OutDir: out})
	if !IsUsageError(err) || !strings.Contains(err.Error(), `"mail"`) || !strings.Contains(err.Error(), `"email"`) {
		t.Fatalf("want a usage error naming the column and the columns found, got %v", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("output folder was created: %v", err)
	}
}

func TestRunRefusesNonEmptyOutputFolder(t *testing.T) {
	src := writeFile(t, "list.jsonl", `{"email":"a@example.com"}`+"\n")
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "old.csv"), []byte("x"), 0o600)
	_, err := Run(context.Background(), Options{Source: src, Mappings: allMappings(t)[:1], OutDir: out})
	if !IsUsageError(err) || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("want a usage error, got %v", err)
	}
}

func TestCancelRemovesPartialOutput(t *testing.T) {
	input := generate(t, 200000)
	src, _ := inputs.LocalFile(input)
	out := filepath.Join(t.TempDir(), "out")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	progressed := false
	_, err := Run(ctx, Options{Source: src, Mappings: allMappings(t), OutDir: out, Workers: 1,
		Progress: func(p Progress) {
			if p.Rows > 0 {
				progressed = true
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		if err == nil && !progressed {
			t.Skip("the transform finished before the first progress report")
		}
		t.Fatalf("want cancellation, got %v", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		entries, _ := os.ReadDir(out)
		t.Errorf("output left after cancel: %v", entries)
	}
}

func TestPreviewReadsFirstRows(t *testing.T) {
	src := writeFile(t, "list.jsonl", `{"contact":{"email":" Jane.Doe+shopping@Gmail.com "},"phone":16134444444}`+"\n"+
		`{"contact":{"email":"nope"},"phone":null}`+"\n"+
		`{"contact":{"email":"x@example.com"},"phone":true}`+"\n")
	em, _ := ParseMapping("contact.email=email")
	ph, _ := ParseMapping("phone=phone")
	res, err := Preview(context.Background(), PreviewOptions{Source: src, Mappings: []Mapping{em, ph}, Rows: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 {
		t.Fatalf("want 2 rows, got %d", len(res.Rows))
	}
	c := res.Rows[0].Cells
	if c[0].Normalized != "jane.doe@gmail.com" || c[0].Hash != "831f6494ad6be4fcb3a724c3d5fef22d3ceffa3c62ef3a7984e45a0ea177f982" {
		t.Errorf("email cell %+v", c[0])
	}
	if c[1].Normalized != "16134444444" || c[1].Hash != "8dcdcb191dd89fbef91b063d9f8f75ccca8d2c9059b47386c3f46d5f88bb5068" {
		t.Errorf("phone cell %+v", c[1])
	}
	r := res.Rows[1].Cells
	if r[0].Reason != string(identifiers.ReasonInvalidEmail) || r[1].Reason != string(identifiers.ReasonEmpty) {
		t.Errorf("rejections %+v", r)
	}
	if res.ValidShare["contact.email"] != 0.5 {
		t.Errorf("valid share %v", res.ValidShare)
	}
}

// endless is a JSONL stream that never ends and counts what was read.
type endless struct{ read int64 }

var endlessLine = []byte(`{"email":"someone@example.com","phone":"+1 613 444 4444"}` + "\n")

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = endlessLine[(e.read+int64(i))%int64(len(endlessLine))]
	}
	e.read += int64(len(p))
	return len(p), nil
}
func (e *endless) Close() error { return nil }

// Preview of a huge input touches only its start: here the input never ends.
func TestPreviewReadsOnlyWhatItNeeds(t *testing.T) {
	var e *endless
	src := inputs.Source{Name: "huge.jsonl", Size: 10 << 30, Open: func(context.Context) (io.ReadCloser, error) {
		e = &endless{}
		return e, nil
	}}
	em, _ := ParseMapping("email=email")
	res, err := Preview(context.Background(), PreviewOptions{Source: src, Mappings: []Mapping{em}, Rows: 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 20 || e.read > 4<<20 {
		t.Errorf("%d rows after reading %d bytes", len(res.Rows), e.read)
	}
	schema, err := Discover(context.Background(), src, "", "", 1000, "US")
	if err != nil || schema.Records != 1000 || e.read > 16<<20 {
		t.Errorf("discover: %v, %d records after reading %d bytes", err, schema.Records, e.read)
	}
}

func TestRunCountsEveryKindOfJSONValue(t *testing.T) {
	src := writeFile(t, "kinds.jsonl", `{"phone":16134444444}`+"\n"+
		`{"phone":1.6134444444e10}`+"\n"+
		`{"phone":null}`+"\n"+
		`{"phone":{"n":"6134444444"}}`+"\n"+
		`{"phone":["6134444444"]}`+"\n"+
		`{"phone":true}`+"\n"+
		`{"other":"no phone here"}`+"\n")
	ph, _ := ParseMapping("phone=phone")
	out := filepath.Join(t.TempDir(), "out")
	m := runTransform(t, Options{Source: src, Mappings: []Mapping{ph}, OutDir: out})
	tc := m.Counters.Types["phone"]
	if tc.Valid != 2 || tc.Duplicate != 1 || tc.Invalid["invalid_type"] != 3 || tc.Invalid["empty"] != 2 || m.Counters.NoIdentifier != 5 {
		t.Errorf("counters %+v %+v", m.Counters, tc)
	}
	lines := readOutput(t, out, m)
	if got := lines["PHONE_SHA256"]; len(got) != 1 || got[0] != sha("16134444444") {
		t.Errorf("phone file %v", got)
	}
}

func TestProgressIsThrottledAndEndsAtTheTotal(t *testing.T) {
	input := generate(t, 100000)
	src, _ := inputs.LocalFile(input)
	var calls []Progress
	m := runTransform(t, Options{Source: src, Mappings: allMappings(t), OutDir: filepath.Join(t.TempDir(), "out"), Workers: 1,
		Progress: func(p Progress) { calls = append(calls, p) }})
	if len(calls) == 0 {
		t.Fatal("no progress reported")
	}
	last := calls[len(calls)-1]
	if last.Rows != m.Counters.RowsRead || last.BytesRead != src.Size || last.BytesTotal != src.Size {
		t.Errorf("last report %+v, want all %d rows and %d bytes", last, m.Counters.RowsRead, src.Size)
	}
	// Ten a second at most, plus the final report.
	if limit := int(last.Elapsed/(100*time.Millisecond)) + 2; len(calls) > limit {
		t.Errorf("%d reports in %v", len(calls), last.Elapsed)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i].Rows < calls[i-1].Rows {
			t.Errorf("rows went backwards: %d then %d", calls[i-1].Rows, calls[i].Rows)
		}
	}
}

// Mappings decoded from JSON carry only the type's name.
func TestMappingsByTypeName(t *testing.T) {
	src := writeFile(t, "list.csv", "email\njanedoe@gmail.com\n")
	m := runTransform(t, Options{Source: src, Mappings: []Mapping{{Column: "email", TypeName: "email"}}, OutDir: filepath.Join(t.TempDir(), "out")})
	if m.Counters.Types["email"].Valid != 1 || m.Mappings[0].Type != identifiers.Email {
		t.Errorf("counters %+v, mappings %+v", m.Counters.Types["email"], m.Mappings)
	}
	_, err := Run(context.Background(), Options{Source: src, Mappings: []Mapping{{Column: "email", TypeName: "fax"}}, OutDir: filepath.Join(t.TempDir(), "out")})
	if !IsUsageError(err) {
		t.Errorf("unknown type name: %v", err)
	}
}
