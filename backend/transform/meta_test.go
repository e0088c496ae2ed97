package transform

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
)

var (
	both     = []destination.Platform{destination.TikTok, destination.Meta}
	metaOnly = []destination.Platform{destination.Meta}
)

func mappings(t *testing.T, specs ...string) []Mapping {
	t.Helper()
	var ms []Mapping
	for _, s := range specs {
		m, err := ParseMapping(s)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	return ms
}

// metaRows checks Meta's file against its manifest entry and returns its
// lines, sorted.
func metaRows(t *testing.T, dir string, m *Manifest) []string {
	t.Helper()
	files := m.FilesFor(destination.Meta)
	if len(files) != 1 {
		t.Fatalf("%d Meta files in the manifest, want 1: %+v", len(files), m.Files)
	}
	f := files[0]
	if f.Path != MetaRowsName || f.Platform != destination.Meta || f.CalculateType != "" {
		t.Errorf("Meta file entry %+v", f)
	}
	data, err := os.ReadFile(filepath.Join(dir, f.Path))
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(filepath.Join(dir, f.Path)); st.Mode().Perm() != 0o600 {
		t.Errorf("%s mode %v, want 0600", f.Path, st.Mode().Perm())
	}
	sum := md5.Sum(data)
	if hex.EncodeToString(sum[:]) != f.MD5 || int64(len(data)) != f.Bytes {
		t.Errorf("%s: manifest md5/bytes do not match the file", f.Path)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if int64(len(lines)) != f.Rows || m.Meta == nil || m.Meta.RowsWritten != f.Rows {
		t.Errorf("%s: %d rows, manifest says %d (counters %+v)", f.Path, len(lines), f.Rows, m.Meta)
	}
	for _, l := range lines {
		if n := strings.Count(l, "\t") + 1; n != len(f.Schema) {
			t.Errorf("%s: line %q has %d cells, the schema %v", f.Path, l, n, f.Schema)
		}
	}
	sort.Strings(lines)
	return lines
}

// The spec's vectors through the transform: Meta's cells are the hashes of
// Meta's normalized values (a phone's digits with the country code and no
// "+", an e-mail that keeps its "+tag"), a MADID goes lowercased and
// unhashed, and the same run writes TikTok's files by TikTok's rules.
func TestMetaRowsSpecVectors(t *testing.T) {
	src := writeFile(t, "vectors.csv", "e-mail,phone number,idfa\n"+
		" Mary@Example.com ,\"+1 (650) 555-1234\",918F1D4F-D195-4A8B-AF47-44683FE11DB9\n"+
		"\" Jane.Doe+shopping@Gmail.com \",,\n"+
		"not an address,+001-800-555-1234,\n"+
		"mary@example.com,+1 650 555 1234,918f1d4f-d195-4a8b-af47-44683fe11db9\n"+ // the first row again, written otherwise
		"nobody,12,not-a-maid\n"+
		",6505551234,\n")
	want := []string{
		"f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79\t" + sha("16505551234") + "\t918f1d4f-d195-4a8b-af47-44683fe11db9",
		sha("jane.doe+shopping@gmail.com") + "\t\t",
		"\t655dbe4f7591d8ffe8c86b433ed53aa325b40e1be892167ae2e17118da8279c9\t", // 18005551234: "+00" is the international prefix
		"\t6069d14bf122fdfd931dc7beb58e5dfbba395b1faf05bdcd42d12358d63d8599\t", // 16505551234 in the default region
	}
	sort.Strings(want)
	ms := mappings(t, "e-mail=email", "phone number=phone", "idfa=idfa")
	var tiktokOut string
	for _, dests := range [][]destination.Platform{both, metaOnly} {
		out := filepath.Join(t.TempDir(), "out")
		m := runTransform(t, Options{Source: src, Mappings: ms, OutDir: out, Destinations: dests, Workers: 2})
		if got := metaRows(t, out, m); !slices.Equal(got, want) {
			t.Errorf("%v: meta rows\n%s\nwant\n%s", dests, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		mc := m.Meta
		if !slices.Equal(mc.Schema, []string{"EMAIL", "PHONE", "MADID"}) || !slices.Equal(m.FilesFor(destination.Meta)[0].Schema, mc.Schema) {
			t.Errorf("schema %v", mc.Schema)
		}
		if mc.NoIdentifier != 1 || mc.DuplicateRows != 1 || mc.RowsWritten != 4 {
			t.Errorf("%v: Meta counters %+v, want 1 without identifier, 1 duplicate, 4 written", dests, mc)
		}
		if e := mc.Keys["EMAIL"]; e.Valid != 3 || e.Invalid["invalid_email"] != 2 || e.Invalid["empty"] != 1 {
			t.Errorf("EMAIL counters %+v", e)
		}
		if p := mc.Keys["PHONE"]; p.Valid != 4 || p.Invalid["invalid_phone"] != 1 || p.Invalid["empty"] != 1 {
			t.Errorf("PHONE counters %+v", p)
		}
		if d := mc.Keys["MADID"]; d.Valid != 2 || d.Invalid["invalid_maid"] != 1 || d.Invalid["empty"] != 3 {
			t.Errorf("MADID counters %+v", d)
		}
		if slices.Equal(dests, metaOnly) {
			if len(m.FilesFor(destination.TikTok)) != 0 || len(m.Counters.Types) != 0 || m.Counters.RowsWritten != 0 {
				t.Errorf("a run for Meta alone wrote TikTok output: %+v %+v", m.Files, m.Counters)
			}
			if csv, _ := filepath.Glob(filepath.Join(out, "*.csv")); len(csv) != 0 {
				t.Errorf("a run for Meta alone left %v", csv)
			}
			continue
		}
		tiktokOut = out
		tk := m.FilesFor(destination.TikTok)
		if len(tk) != 1 || tk[0].CalculateType != "MULTIPLE_TYPES" || tk[0].Platform != "" || tk[0].Schema != nil {
			t.Fatalf("TikTok files %+v", tk)
		}
		if m.Counters.Types["email"].Valid != 3 || m.Counters.RowsRead != 6 {
			t.Errorf("TikTok counters %+v", m.Counters)
		}
	}
	// TikTok drops the "+tag": its e-mail cell is not Meta's.
	data, _ := os.ReadFile(filepath.Join(tiktokOut, "combined-0001.csv"))
	if bytes.Contains(data, []byte(sha("jane.doe+shopping@gmail.com"))) || !bytes.Contains(data, []byte(sha("jane.doe@gmail.com"))) {
		t.Errorf("TikTok's combined file took Meta's e-mail rule:\n%s", data)
	}
	if bytes.Contains(data, []byte("918f1d4f")) {
		t.Errorf("TikTok's file holds a MAID in clear")
	}
}

// Two columns of one Meta key: each value is sent, the second in a row of
// its own, and a value repeated in both columns once.
func TestMetaRowsTwoColumnsOfOneKey(t *testing.T) {
	src := writeFile(t, "two.csv", "home,work,phone\n"+
		"a@example.com,b@example.com,+16505551234\n"+
		"c@example.com,C@example.com,\n")
	out := filepath.Join(t.TempDir(), "out")
	m := runTransform(t, Options{Source: src, Mappings: mappings(t, "home=email", "work=email", "phone=phone"), OutDir: out, Destinations: metaOnly})
	want := []string{
		sha("a@example.com") + "\t" + sha("16505551234"),
		sha("b@example.com") + "\t",
		sha("c@example.com") + "\t",
	}
	sort.Strings(want)
	if got := metaRows(t, out, m); !slices.Equal(got, want) {
		t.Errorf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Equal(m.Meta.Schema, []string{"EMAIL", "PHONE"}) {
		t.Errorf("schema %v", m.Meta.Schema)
	}
}

// TikTok's output does not change when Meta is added to the run: with one
// worker the files are byte for byte those of a TikTok-only run (and the
// manifest's TikTok entries and counters equal), in both layouts; with
// several the same lines. Meta's rows are the same whether TikTok's results
// were reused for phones or not (a run for Meta alone never reuses them).
func TestTikTokOutputUnchangedByMeta(t *testing.T) {
	src, _ := inputs.LocalFile(generate(t, 20000))
	for _, layout := range []Layout{LayoutCombined, LayoutSeparate} {
		for _, workers := range []int{1, 3} {
			run := func(dests []destination.Platform) (string, *Manifest) {
				out := filepath.Join(t.TempDir(), "out")
				return out, runTransform(t, Options{Source: src, Mappings: allMappings(t), OutDir: out, Layout: layout, Workers: workers, Destinations: dests})
			}
			plainDir, plain := run(nil)
			withDir, with := run(both)
			metaDir, alone := run(metaOnly)
			if !reflect.DeepEqual(with.FilesFor(destination.TikTok), plain.Files) && workers == 1 {
				t.Errorf("%s: TikTok files\n%+v\nwith Meta\n%+v", layout, plain.Files, with.FilesFor(destination.TikTok))
			}
			if got, want := withoutTimings(with.Counters), withoutTimings(plain.Counters); got != want {
				t.Errorf("%s/%d: TikTok counters\n%s\nwith Meta\n%s", layout, workers, want, got)
			}
			for _, f := range plain.Files {
				a, _ := os.ReadFile(filepath.Join(plainDir, f.Path))
				b, err := os.ReadFile(filepath.Join(withDir, f.Path))
				if err != nil {
					t.Fatal(err)
				}
				if workers == 1 && !bytes.Equal(a, b) {
					t.Errorf("%s: %s differs when Meta is added", layout, f.Path)
				}
				if !slices.Equal(sortedLines(a), sortedLines(b)) {
					t.Errorf("%s/%d: %s has other lines when Meta is added", layout, workers, f.Path)
				}
			}
			if w, a := metaRows(t, withDir, with), metaRows(t, metaDir, alone); !slices.Equal(w, a) {
				t.Errorf("%s/%d: Meta rows differ with TikTok's phones reused (%d) and not (%d)", layout, workers, len(w), len(a))
			}
			if withoutTimings(with.Meta) != withoutTimings(alone.Meta) {
				t.Errorf("Meta counters differ: %s vs %s", withoutTimings(with.Meta), withoutTimings(alone.Meta))
			}
		}
	}
}

func sortedLines(b []byte) []string {
	ls := strings.Split(string(b), "\n")
	sort.Strings(ls)
	return ls
}

// withoutTimings is counters as JSON without the timings.
func withoutTimings(v any) string {
	b, _ := json.Marshal(v)
	var m map[string]any
	json.Unmarshal(b, &m)
	delete(m, "elapsed_seconds")
	delete(m, "rows_per_second")
	b, _ = json.Marshal(m)
	return string(b)
}

// Manifests written before Meta name no platform: their files are TikTok's.
func TestOldManifestFilesAreTikToks(t *testing.T) {
	var m Manifest
	if err := json.Unmarshal([]byte(`{"version":1,"files":[{"path":"email-0001.csv","calculate_type":"EMAIL_SHA256","rows":3}]}`), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.FilesFor(destination.TikTok)) != 1 || len(m.FilesFor(destination.Meta)) != 0 {
		t.Errorf("old manifest: TikTok %v, Meta %v", m.FilesFor(destination.TikTok), m.FilesFor(destination.Meta))
	}
	b, _ := json.Marshal(m.Files[0])
	if strings.Contains(string(b), "platform") || strings.Contains(string(b), "schema") {
		t.Errorf("a TikTok file entry gained fields: %s", b)
	}
}

// A RowSink for Meta gets the digests of Meta's normalized values.
func TestRowSinkForMetaHasMetaDigests(t *testing.T) {
	src := writeFile(t, "sink.csv", "email,phone\n"+
		"Jane.Doe+shopping@Gmail.com,+1 (650) 555-1234\n"+
		"nobody,\n")
	sink := &sinkRows{cols: 2, workers: map[int]bool{}}
	m := runTransform(t, Options{Source: src, Mappings: mappings(t, "email=email", "phone=phone"), OutDir: filepath.Join(t.TempDir(), "out"),
		Destinations: metaOnly, RowSink: sink.add})
	want := sha("jane.doe+shopping@gmail.com") + "," + sha("16505551234")
	if !slices.Equal(sink.lines, []string{want}) {
		t.Errorf("sink rows %v, want [%s]", sink.lines, want)
	}
	if len(m.Files) != 0 || m.Meta == nil || m.Meta.NoIdentifier != 1 || m.Meta.Keys["EMAIL"].Valid != 1 || len(m.Counters.Types) != 0 {
		t.Errorf("manifest files %v, Meta counters %+v, TikTok %+v", m.Files, m.Meta, m.Counters)
	}
}

// Refused before any work: a Meta sync of MADIDs (Meta takes them
// unhashed, a sync keeps hashes), a sink for two destinations, an unknown
// destination.
func TestMetaRefusals(t *testing.T) {
	src := writeFile(t, "r.csv", "email,idfa\na@example.com,918F1D4F-D195-4A8B-AF47-44683FE11DB9\n")
	sink := func(int, []byte) error { t.Error("the sink was called"); return nil }
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{Mappings: mappings(t, "email=email", "idfa=idfa"), Destinations: metaOnly, RowSink: sink}, "Meta takes mobile advertiser IDs unhashed"},
		{Options{Mappings: mappings(t, "email=email"), Destinations: both, RowSink: sink}, "one destination at a time"},
		{Options{Mappings: mappings(t, "email=email"), Destinations: []destination.Platform{"snap"}}, `destination "snap"`},
		{Options{Mappings: mappings(t, "email=email"), Destinations: []destination.Platform{destination.Meta, destination.Meta}}, "named twice"},
	} {
		c.opts.Source, c.opts.OutDir = src, filepath.Join(t.TempDir(), "out")
		_, err := Run(t.Context(), c.opts)
		if !IsUsageError(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err %v, want a usage error saying %q", err, c.want)
		}
		if _, serr := os.Stat(c.opts.OutDir); serr == nil {
			t.Errorf("a refused run made %s", c.opts.OutDir)
		}
	}
}

// A run for Meta alone is not bound by TikTok's three combined columns of a kind.
func TestMetaAloneTakesMoreColumnsOfAKind(t *testing.T) {
	src := writeFile(t, "four.csv", "a,b,c,d\n1@example.com,2@example.com,3@example.com,4@example.com\n")
	ms := mappings(t, "a=email", "b=email", "c=email", "d=email")
	if _, err := Run(t.Context(), Options{Source: src, Mappings: ms, OutDir: filepath.Join(t.TempDir(), "tk")}); !IsUsageError(err) {
		t.Fatalf("TikTok took four e-mail columns: %v", err)
	}
	out := filepath.Join(t.TempDir(), "out")
	m := runTransform(t, Options{Source: src, Mappings: ms, OutDir: out, Destinations: metaOnly})
	if rows := metaRows(t, out, m); len(rows) != 4 {
		t.Errorf("rows %v", rows)
	}
}

// Past the memory budget Meta's rows are deduplicated on disk like
// TikTok's: the same rows and counts as in memory.
func TestMetaRowsSpillWithSameResult(t *testing.T) {
	src, _ := inputs.LocalFile(generate(t, 60000))
	outA := filepath.Join(t.TempDir(), "a")
	a := runTransform(t, Options{Source: src, Mappings: allMappings(t), OutDir: outA, Workers: 1, Destinations: metaOnly})
	want := metaRows(t, outA, a)
	if a.Meta.DuplicateRows == 0 {
		t.Fatal("the input has no duplicate rows: the test proves nothing")
	}
	for _, dests := range [][]destination.Platform{metaOnly, both} {
		for _, workers := range []int{1, 2} {
			outB := filepath.Join(t.TempDir(), fmt.Sprint("b", workers, len(dests)))
			b := runTransform(t, Options{Source: src, Mappings: allMappings(t), OutDir: outB, Workers: workers, Destinations: dests, DedupMemoryBytes: 300 << 10})
			if got := metaRows(t, outB, b); !slices.Equal(got, want) {
				t.Errorf("%v, %d workers: %d Meta rows after a spill, %d in memory", dests, workers, len(got), len(want))
			}
			if b.Meta.DuplicateRows != a.Meta.DuplicateRows || b.Meta.RowsWritten != a.Meta.RowsWritten {
				t.Errorf("%v, %d workers: counters %+v with spill, %+v in memory", dests, workers, b.Meta, a.Meta)
			}
			if entries, _ := filepath.Glob(filepath.Join(outB, ".spill-*")); len(entries) != 0 {
				t.Errorf("spill files left behind: %v", entries)
			}
		}
	}
}

// The preview shows, beside TikTok's result, what Meta's rules make of
// each value: the "+tag" kept, the MADID sent in clear, a hashed MADID
// refused.
func TestPreviewShowsMetasRules(t *testing.T) {
	src := writeFile(t, "p.csv", "email,idfa\n"+
		"Jane.Doe+shop@Gmail.com,918F1D4F-D195-4A8B-AF47-44683FE11DB9\n"+
		"x@example.com,"+sha("x")+"\n")
	res, err := Preview(t.Context(), PreviewOptions{Source: src, Mappings: mappings(t, "email=email", "idfa=idfa"), Destinations: both})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Rows[0].Cells
	if c[0].Normalized != "jane.doe@gmail.com" || c[0].Meta == nil || c[0].Meta.Key != "EMAIL" ||
		c[0].Meta.Normalized != "jane.doe+shop@gmail.com" || c[0].Meta.Cell != sha("jane.doe+shop@gmail.com") {
		t.Errorf("e-mail cell %+v, Meta %+v", c[0], c[0].Meta)
	}
	if m := c[1].Meta; m.Key != "MADID" || m.Cell != "918f1d4f-d195-4a8b-af47-44683fe11db9" {
		t.Errorf("MADID %+v", m)
	}
	if m := res.Rows[1].Cells[1].Meta; m.Status != "rejected" || m.Reason != "hashed_maid" || res.Rows[1].Cells[1].Status != "prehashed" {
		t.Errorf("hashed MADID: TikTok %+v, Meta %+v", res.Rows[1].Cells[1], m)
	}
	if res.MetaValidShare["idfa"] != 0.5 || res.ValidShare["idfa"] != 1 {
		t.Errorf("shares %v %v", res.ValidShare, res.MetaValidShare)
	}
	plain, _ := Preview(t.Context(), PreviewOptions{Source: src, Mappings: mappings(t, "email=email")})
	if plain.Rows[0].Cells[0].Meta != nil || plain.MetaValidShare != nil {
		t.Errorf("a TikTok preview shows Meta's: %+v", plain.Rows[0].Cells[0])
	}
}
