package syncs_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// With two transform workers and a sort budget of a few kilobytes, the
// rows are sorted in many spilled runs per worker plus in-memory tails:
// membership is still exact after every generation, and the transform
// counters the sort fills in (rows written, duplicates) equal a plain
// transform's.
func TestSpilledSortKeepsMembershipExact(t *testing.T) {
	e := newEnv(t, standin.Options{})
	svc, err := syncs.New(syncs.Config{Dir: e.dir, Workers: 2, MemoryBytes: 16 << 10, MaxFileBytes: 1 << 20,
		Connect: connectFunc(e.base, e.s.Token(), e.state)})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	e.writeList(span(0, 1500), nil)
	e.save("crm", nil)
	r1 := e.run("crm")
	if r1.Action != syncs.ActionCreate || r1.RowsNow != 1500 {
		t.Fatalf("generation 1: %+v", r1.Plan)
	}
	e.checkMembers(r1.AudienceID)
	plain := e.plainCounters()
	if c := r1.Transform; c.RowsWritten != plain.RowsWritten || c.DuplicateRows != plain.DuplicateRows || c.DuplicateRows == 0 {
		t.Fatalf("counters: written %d, duplicates %d; a plain transform: %d, %d", c.RowsWritten, c.DuplicateRows, plain.RowsWritten, plain.DuplicateRows)
	}

	// Generation 2: 100 leave, 120 join, 40 change phones.
	changed := map[int]int{}
	for i := 300; i < 700; i += 10 {
		changed[i] = 1
	}
	e.writeList(span(100, 1620), changed)
	r2 := e.run("crm")
	if r2.Action != syncs.ActionUpdate || r2.Added != 120 || r2.Removed != 100 || r2.Changed != 40 || r2.AppendRows != 160 || r2.RemoveRows != 100 {
		t.Fatalf("generation 2: %+v", r2.Plan)
	}
	e.checkMembers(r1.AudienceID)

	// Generation 3: the phones change back, more leave.
	e.writeList(span(200, 1620), nil)
	r3 := e.run("crm")
	if r3.Action != syncs.ActionUpdate || r3.Added != 0 || r3.Removed != 100 || r3.Changed != 40 || r3.AppendRows != 0 {
		t.Fatalf("generation 3: %+v", r3.Plan)
	}
	e.checkMembers(r1.AudienceID)
}

// plainCounters are the counters of a plain transform of the list.
func (e *env) plainCounters() transform.Counters {
	e.t.Helper()
	src, err := inputs.LocalFile(e.list)
	if err != nil {
		e.t.Fatal(err)
	}
	m, err := transform.Run(context.Background(), transform.Options{Source: src, OutDir: filepath.Join(e.t.TempDir(), "out"),
		Mappings: []transform.Mapping{mustMap("email=email"), mustMap("phone=phone")}})
	if err != nil {
		e.t.Fatal(err)
	}
	return m.Counters
}

// An update writes only its APPEND and REMOVE files: the whole list is
// never written out as files (a 10M-row list's are over a gigabyte). The
// first run, which sends the whole list, writes it.
func TestUpdateWritesOnlyTheChangeFiles(t *testing.T) {
	e := newEnv(t, standin.Options{})
	e.writeList(span(0, 1200), nil)
	e.save("crm", nil)

	// csvFiles lists the customer files in the sync's run folder as the
	// upload starts, by their folder inside the run folder.
	csvFiles := func() map[string]int {
		out := map[string]int{}
		filepath.WalkDir(filepath.Join(e.dir, "crm"), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".csv") {
				out[filepath.Base(filepath.Dir(p))]++
			}
			return nil
		})
		return out
	}
	runWatching := func() (*syncs.Result, map[string]int) {
		var seen map[string]int
		res, err := e.svc.Run(context.Background(), "crm", func(p syncs.Progress) {
			if p.Stage == "upload" && seen == nil {
				seen = csvFiles()
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return res, seen
	}

	r1, files := runWatching()
	if r1.Action != syncs.ActionCreate || files["full"] == 0 || len(files) != 1 {
		t.Fatalf("first run (%s) wrote files in %v, want the whole list only", r1.Action, files)
	}
	e.checkMembers(r1.AudienceID)

	e.writeList(span(30, 1230), nil)
	r2, files := runWatching()
	if r2.Action != syncs.ActionUpdate || r2.Added != 30 || r2.Removed != 30 {
		t.Fatalf("second run: %+v", r2.Plan)
	}
	if files["append"] != 1 || files["remove"] != 1 || len(files) != 2 {
		t.Fatalf("the update wrote files in %v, want one APPEND and one REMOVE file only", files)
	}
	e.checkMembers(r1.AudienceID)
}

// A state rows file cut short (a disk error, a bad copy) stops the run
// with a sentence saying so, before anything is sent; the state stays.
func TestDamagedStateStopsTheRun(t *testing.T) {
	e := newEnv(t, standin.Options{})
	e.writeList(span(0, 1200), nil)
	e.save("crm", nil)
	r1 := e.run("crm")
	rows, _ := filepath.Glob(filepath.Join(e.dir, "crm", "rows-*.bin"))
	if len(rows) != 1 {
		t.Fatalf("rows files: %v", rows)
	}
	info, _ := os.Stat(rows[0])
	if err := os.Truncate(rows[0], info.Size()-5); err != nil {
		t.Fatal(err)
	}
	stateBefore := readFile(t, filepath.Join(e.dir, "crm", "state.json"))
	uploads := e.s.Stats().Uploads
	e.writeList(span(10, 1210), nil)
	_, err := e.svc.Run(context.Background(), "crm", nil)
	if err == nil || !strings.Contains(err.Error(), "state") || !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), "nothing was sent") {
		t.Fatalf("run over a cut state: %v", err)
	}
	if e.s.Stats().Uploads != uploads || readFile(t, filepath.Join(e.dir, "crm", "state.json")) != stateBefore {
		t.Fatal("a run over a damaged state uploaded or changed the state")
	}
	if got := len(e.s.Members(r1.AudienceID)); got != 1200 {
		t.Fatalf("members: %d", got)
	}
}
