package transform

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gofrs/flock"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
)

// entries lists a folder's names, sorted.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestRunPublishesOneFolderWithARunID(t *testing.T) {
	src := writeFile(t, "list.csv", "email\na@example.com\nb@example.com\n")
	parent := t.TempDir()
	ids := map[string]bool{}
	for _, name := range []string{"one", "two"} {
		out := filepath.Join(parent, name)
		m := runTransform(t, Options{Source: src, Mappings: allMappings(t)[:1], OutDir: out})
		readOutput(t, out, m)
		if !isRunID(m.RunID) || ids[m.RunID] {
			t.Errorf("run id %q: want 32 lowercase hex characters, new for each run", m.RunID)
		}
		ids[m.RunID] = true
		var onDisk Manifest
		data, _ := os.ReadFile(filepath.Join(out, ManifestName))
		if err := json.Unmarshal(data, &onDisk); err != nil || onDisk.RunID != m.RunID {
			t.Errorf("manifest.json run_id %q, want %q (%v)", onDisk.RunID, m.RunID, err)
		}
	}
	if got := entries(t, parent); strings.Join(got, " ") != "one two" {
		t.Errorf("the parent folder holds %v, want only the two output folders (no staging folder or lock left)", got)
	}
}

func TestRunReplacesAnEmptyOutputFolder(t *testing.T) {
	src := writeFile(t, "list.csv", "email\na@example.com\n")
	out := filepath.Join(t.TempDir(), "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	m := runTransform(t, Options{Source: src, Mappings: allMappings(t)[:1], OutDir: out})
	readOutput(t, out, m) // checks 0700 too
}

// panicking reads normally for the column check (the first Open), then
// panics in the pipeline's reader once past the first chunk.
type panicking struct {
	r    io.ReadCloser
	read int
}

func (p *panicking) Read(b []byte) (int, error) {
	if p.read > 256<<10 {
		panic("simulated bug in a pipeline goroutine")
	}
	n, err := p.r.Read(b)
	p.read += n
	return n, err
}

func (p *panicking) Close() error { return p.r.Close() }

func TestRunTurnsAPanicIntoAFailureThatCleansUp(t *testing.T) {
	input := generate(t, 50000)
	src, _ := inputs.LocalFile(input)
	open, opens := src.Open, 0
	src.Open = func(ctx context.Context) (io.ReadCloser, error) {
		rc, err := open(ctx)
		if opens++; opens == 1 || err != nil {
			return rc, err
		}
		return &panicking{r: rc}, nil
	}
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	_, err := Run(context.Background(), Options{Source: src, Mappings: allMappings(t), OutDir: out, DedupMemoryBytes: 300 << 10})
	if err == nil || !strings.Contains(err.Error(), "internal error") || !strings.Contains(err.Error(), "simulated bug") {
		t.Fatalf("want an internal-error failure, got %v", err)
	}
	if got := entries(t, parent); len(got) != 0 {
		t.Errorf("a failed run left %v", got)
	}
}

// deadRun leaves in parent what a killed run leaves: a staging folder with
// parts and spill files, and its lock file, held by nobody.
func deadRun(t *testing.T, parent string) string {
	t.Helper()
	dir := stagingPath(parent, newRunID())
	if err := os.MkdirAll(filepath.Join(dir, ".spill-123"), 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ".spill-123", "part-00"), []byte(sha("x")), 0o600)
	os.WriteFile(filepath.Join(dir, "email-0001.csv"), []byte(sha("y")+"\n"), 0o600)
	os.WriteFile(dir+lockSuffix, nil, 0o600)
	return dir
}

// liveRun is a staging folder whose lock is held (by another descriptor of
// this process, which an OS file lock tells apart like another process).
func liveRun(t *testing.T, parent string) string {
	t.Helper()
	dir := stagingPath(parent, newRunID())
	lock := flock.New(dir + lockSuffix)
	if ok, err := lock.TryLock(); !ok || err != nil {
		t.Fatalf("locking: %v %v", ok, err)
	}
	t.Cleanup(func() { lock.Unlock() })
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRunRemovesDeadRunsBesideItsOutput(t *testing.T) {
	parent := t.TempDir()
	dead := deadRun(t, parent)
	live := liveRun(t, parent)
	os.WriteFile(filepath.Join(parent, ".audience-uploader-staging-notes.txt"), []byte("not ours"), 0o600)
	src := writeFile(t, "list.csv", "email\na@example.com\n")
	runTransform(t, Options{Source: src, Mappings: allMappings(t)[:1], OutDir: filepath.Join(parent, "out")})
	want := []string{".audience-uploader-staging-notes.txt", filepath.Base(live), filepath.Base(live) + lockSuffix, "out"}
	sort.Strings(want)
	if got := entries(t, parent); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("after the run the folder holds %v, want %v (dead run %s removed, the live one and other names kept)", got, want, filepath.Base(dead))
	}
}

func TestCleanUpInterruptedFindsDeadRunsAnywhere(t *testing.T) {
	data := t.TempDir()
	if removed, err := CleanUpInterrupted(data); err != nil || len(removed) != 0 {
		t.Fatalf("nothing to clean: %v %v", removed, err)
	}
	t.Cleanup(func() { notesDir.Lock(); notesDir.path = ""; notesDir.Unlock() })
	// A run killed after its staging folder got its first files: staged and
	// noted as Run does, then its lock released as the OS does when a
	// process dies, and nothing else.
	parent := t.TempDir()
	st, err := startStaging(filepath.Join(parent, "out"), newRunID())
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(st.dir, "email-0001.csv"), []byte(sha("y")+"\n"), 0o600)
	st.lock.Unlock() // the process dies: the OS releases its lock, nothing else happens
	if st.note == "" {
		t.Fatal("the run left no note in the data folder")
	}
	other := t.TempDir()
	live := liveRun(t, other)
	if err := os.WriteFile(filepath.Join(data, notesFolder, filepath.Base(live)[len(stagingPrefix):]+".json"), []byte(`{"staging":`+jsonString(live)+`}`), 0o600); err != nil {
		t.Fatal(err)
	}

	removed, err := CleanUpInterrupted(data)
	if err != nil || len(removed) != 1 || removed[0] != st.dir {
		t.Fatalf("removed %v (%v), want only %s", removed, err, st.dir)
	}
	if got := entries(t, parent); len(got) != 0 {
		t.Errorf("the dead run's folder still holds %v", got)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the live run's staging folder was removed: %v", err)
	}
	if got := entries(t, filepath.Join(data, notesFolder)); len(got) != 1 {
		t.Errorf("notes left: %v, want only the live run's", got)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// withPartLimits lowers TikTok's limits so small inputs reach them.
func withPartLimits(t *testing.T, parts int, largest int64) {
	oldParts, oldLargest := maxPartsPerSet, partBytesLimit
	maxPartsPerSet, partBytesLimit = parts, largest
	t.Cleanup(func() { maxPartsPerSet, partBytesLimit = oldParts, oldLargest })
}

// checkParts checks the part limit and that the lines are those of a run
// without any limit.
func checkParts(t *testing.T, src inputs.Source, out string, m *Manifest, layout Layout) {
	t.Helper()
	lines := readOutput(t, out, m)
	perType := map[string]int{}
	for _, f := range m.Files {
		perType[f.CalculateType]++
		if f.Bytes > partBytesLimit {
			t.Errorf("%s is %d bytes, over the largest part size", f.Path, f.Bytes)
		}
	}
	for typ, n := range perType {
		if n > maxPartsPerSet {
			t.Errorf("%s: %d files, over the limit of %d", typ, n, maxPartsPerSet)
		}
	}
	if len(m.Notes) != len(perType) || !strings.Contains(m.Notes[0], "instead of 1 MiB") {
		t.Errorf("the manifest does not say, for each file set, that the part size was raised: %q", m.Notes)
	}
	refOut := filepath.Join(t.TempDir(), "ref")
	ref := runTransform(t, Options{Source: src, Mappings: allMappings(t), OutDir: refOut, Layout: layout, MaxFileBytes: 50 << 20})
	for typ, want := range readOutput(t, refOut, ref) {
		set := map[string]bool{}
		for _, l := range want {
			set[l] = true
		}
		sameSet(t, typ, lines[typ], set)
	}
}

// partLimits are, per layout, part limits that 30,000 generated rows pass
// at 1 MiB a part: 7 MiB of combined rows, 1.8 MiB of each type's hashes.
var partLimits = map[Layout]int{LayoutCombined: 3, LayoutSeparate: 1}

func TestRunRaisesThePartSizeToKeepTikTokFileLimit(t *testing.T) {
	src, _ := inputs.LocalFile(generate(t, 30000))
	for _, layout := range []Layout{LayoutCombined, LayoutSeparate} {
		withPartLimits(t, partLimits[layout], 250<<20)
		out := filepath.Join(t.TempDir(), "out")
		m := runTransform(t, Options{Source: src, Mappings: allMappings(t), OutDir: out, Layout: layout, MaxFileBytes: 1 << 20})
		checkParts(t, src, out, m, layout)
	}
}

// A stream's size says nothing about its rows: the set is repacked at the
// end into parts that fit. (A gzipped file's rows are estimated from its
// measured compression, and its parts planned in time.)
func TestRunRepacksPartsWhenTheInputSizeSaysLittle(t *testing.T) {
	plain := generate(t, 30000)
	gz := plain + ".gz"
	in, _ := os.ReadFile(plain)
	f, _ := os.Create(gz)
	zw := gzip.NewWriter(f)
	zw.Write(in)
	zw.Close()
	f.Close()
	src, _ := inputs.LocalFile(gz)
	unknown := src
	unknown.Size = -1
	for _, s := range []inputs.Source{src, unknown} {
		for _, layout := range []Layout{LayoutCombined, LayoutSeparate} {
			withPartLimits(t, partLimits[layout], 250<<20)
			out := filepath.Join(t.TempDir(), "out")
			repacks := countRepacks(t)
			m := runTransform(t, Options{Source: s, Mappings: allMappings(t), OutDir: out, Layout: layout, MaxFileBytes: 1 << 20, DedupMemoryBytes: 300 << 10})
			checkParts(t, s, out, m, layout)
			if s.Size < 0 && len(repacks()) == 0 {
				t.Errorf("a stream of unknown size, %s layout: no set was repacked", layout)
			}
		}
	}
}

func TestRunStopsWhenEvenTheLargestPartsCannotHoldTheList(t *testing.T) {
	withPartLimits(t, 3, 1<<20)
	src, _ := inputs.LocalFile(generate(t, 30000))
	parent := t.TempDir()
	_, err := Run(context.Background(), Options{Source: src, Mappings: allMappings(t), OutDir: filepath.Join(parent, "out"), Layout: LayoutCombined, MaxFileBytes: 1 << 20})
	if !IsUsageError(err) || !strings.Contains(err.Error(), "more than 3 files of 1 MiB") || !strings.Contains(err.Error(), "split the list") {
		t.Fatalf("want a usage error with the numbers and what to do, got %v", err)
	}
	if got := entries(t, parent); len(got) != 0 {
		t.Errorf("the stopped run left %v", got)
	}
	if errors.Is(err, context.Canceled) {
		t.Error("not a cancellation")
	}
}

// A folder that something else fills while the run works is not touched:
// the run's files are not put there, and are removed.
func TestRunDoesNotPublishIntoAFolderFilledMeanwhile(t *testing.T) {
	src, _ := inputs.LocalFile(generate(t, 20000))
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	intruder := filepath.Join(out, "theirs.csv")
	_, err := Run(context.Background(), Options{Source: src, Mappings: allMappings(t), OutDir: out, Workers: 1,
		Progress: func(Progress) {
			os.MkdirAll(out, 0o700)
			os.WriteFile(intruder, []byte("theirs\n"), 0o600)
		}})
	if err == nil || !strings.Contains(err.Error(), "filled by something else") {
		t.Fatalf("want a refusal to publish, got %v", err)
	}
	if got := entries(t, out); strings.Join(got, " ") != "theirs.csv" {
		t.Errorf("the other folder now holds %v", got)
	}
	if got := entries(t, parent); strings.Join(got, " ") != "out" {
		t.Errorf("beside it: %v, want no staging folder left", got)
	}
}
