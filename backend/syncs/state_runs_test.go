package syncs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
)

// stateGenerations runs one sync through generations of its list (people
// leaving, joining, changing phone and changing back, add-only, most of
// the list changed) and returns the state's digest after each run, and
// the number of files over the last state's base.
func stateGenerations(t *testing.T, noCompaction bool) ([]string, int) {
	e := newEnv(t, standin.Options{})
	var out []string
	var layers []string
	step := func(ids []int, variant map[int]int, mut func(*syncs.Definition)) {
		t.Helper()
		e.writeList(ids, variant)
		e.save("crm", func(d *syncs.Definition) {
			d.MaxRemovals = pct(100)
			if mut != nil {
				mut(d)
			}
		})
		r := e.run("crm")
		if mut == nil {
			e.checkMembers(r.AudienceID)
		}
		dg, err := syncs.StateDigest(e.svc, "crm")
		if err != nil {
			t.Fatal(err)
		}
		_, layers, _ = syncs.StateLayout(e.svc, "crm")
		if per, err := syncs.StateBytesPerIdentifier(e.svc, "crm"); err != nil || per > 40 && !noCompaction {
			t.Errorf("generation %d: %.1f bytes per identifier (%v), the bound is 40", len(out)+1, per, err)
		}
		t.Logf("generation %d: %s, state %s over its base %v", len(out)+1, r.Action, dg, layers)
		out = append(out, dg)
	}
	phones := func(from, to, v int) map[int]int {
		m := map[int]int{}
		for i := from; i < to; i++ {
			m[i] = v
		}
		return m
	}
	step(span(0, 1200), nil, nil)
	step(span(60, 1250), phones(100, 140, 1), nil)              // 60 leave, 40 new phones, 50 join
	step(span(60, 1250), phones(100, 120, 2), nil)              // 20 of them change again, 20 change back
	step(append(span(80, 1230), span(1300, 1340)...), nil, nil) // some with old phones leave
	step(span(80, 1240), phones(200, 260, 3), func(d *syncs.Definition) { d.Mode = syncs.ModeAddOnly })
	step(span(80, 1240), phones(200, 230, 3), nil)  // back to mirror: add-only's extra rows go
	step(span(600, 1900), phones(700, 720, 1), nil) // most of the list changed: REPLACE
	return out, len(layers)
}

// The state holds the same rows, generation after generation, as the
// store before sorted runs kept (testdata/state-generations.txt was
// written by that code, the rows file rewritten whole on every run).
// Each way: deltas only (never merged), a new base after every run, and
// the default bounds.
func TestStateHoldsTheSameRowsAsTheRewrittenStore(t *testing.T) {
	want := strings.Split(strings.TrimSpace(readFile(t, filepath.Join("testdata", "state-generations.txt"))), "\n")
	for _, c := range []struct {
		name        string
		runs, share int
	}{{"deltas only", 1 << 20, 0}, {"compact every run", 0, 0}, {"default bounds", 8, 12}} {
		t.Run(c.name, func(t *testing.T) {
			defer syncs.SetCompaction(c.runs, c.share)()
			got, layers := stateGenerations(t, c.name == "deltas only")
			if c.name == "deltas only" && layers < 8 || c.name == "compact every run" && layers != 0 {
				t.Errorf("%s: the last state has %d files over its base", c.name, layers)
			}
			if len(got) != len(want) {
				t.Fatalf("%d generations, golden has %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("generation %d: %s\nwant          %s", i+1, got[i], want[i])
				}
			}
		})
	}
}

// A state an earlier version wrote (a rows file and a links file) is read
// as it was meant, and the next commit keeps it as a base and deltas: the
// same plan, people and rows as a sync that never had the old layout.
func TestStateOfTheEarlierLayoutIsReadAndMigrated(t *testing.T) {
	defer syncs.SetCompaction(1<<20, 0)() // deltas only, so the migrated layout shows
	var digests [2][]string
	var plans [2]*syncs.Result
	for k, legacy := range []bool{false, true} {
		e := newEnv(t, standin.Options{})
		killScenario(e) // generation 2 has 40 people with a new phone: their old rows are links
		restore := syncs.SetCompaction(0, 0)
		e.run("crm")
		restore()
		before, _ := syncs.StateDigest(e.svc, "crm")
		if legacy {
			if err := syncs.WriteLegacyState(e.svc, "crm", e.expected()); err != nil {
				t.Fatal(err)
			}
			if st := readFile(t, filepath.Join(e.dir, "crm", "state.json")); !strings.Contains(st, `"links_file": "rows-`) || !strings.Contains(st, `"links": 40`) || strings.Contains(st, `"deltas"`) {
				t.Fatalf("the legacy state is not what earlier versions wrote:\n%s", st)
			}
		}
		if dg, _ := syncs.StateDigest(e.svc, "crm"); dg != before {
			t.Fatalf("the legacy layout holds other rows: %s, want %s", dg, before)
		}
		changed := map[int]int{}
		for i := 100; i < 140; i++ {
			changed[i] = 1
		}
		for i := 300; i < 330; i++ {
			changed[i] = 2
		}
		e.writeList(span(100, 1260), changed) // the people with links among those who stay; 30 more new phones
		plans[k] = e.run("crm")
		e.checkMembers(plans[k].AudienceID)
		dg, _ := syncs.StateDigest(e.svc, "crm")
		digests[k] = append(digests[k], before, dg)
		st := readFile(t, filepath.Join(e.dir, "crm", "state.json"))
		if strings.Contains(st, "links_file") || !strings.Contains(st, `"deltas"`) {
			t.Fatalf("the state after the first run was not migrated:\n%s", st)
		}
		if legacy {
			if _, layers, _ := syncs.StateLayout(e.svc, "crm"); len(layers) < 2 || !strings.HasSuffix(layers[0], "-links.bin") {
				t.Fatalf("the old links file is not the state's oldest delta: %v", layers)
			}
		}
	}
	if digests[0][0] != digests[1][0] || digests[0][1] != digests[1][1] {
		t.Fatalf("states: %v, from the earlier layout %v", digests[0], digests[1])
	}
	a, b := plans[0].Plan, plans[1].Plan
	if a.Action != b.Action || a.Added != b.Added || a.Removed != b.Removed || a.Changed != b.Changed || a.AppendRows != b.AppendRows || a.RemoveRows != b.RemoveRows || a.PeopleNow != b.PeopleNow {
		t.Fatalf("plans differ:\n%+v\n%+v", a, b)
	}
	t.Logf("after the earlier layout: %s (%s)", b.Action, b.Reason)
}

// A run killed while it merges the deltas into a new base (after its
// commit) leaves a base no state names, whole or cut short, and perhaps
// the old deltas once the new state.json names the new base: the next
// run removes them and goes on from the committed state.
func TestKilledCompactionLeavesTheCommittedState(t *testing.T) {
	defer syncs.SetCompaction(1<<20, 0)()
	e := newEnv(t, standin.Options{})
	killScenario(e)
	e.run("crm")
	want, _ := syncs.StateDigest(e.svc, "crm")
	folder := filepath.Join(e.dir, "crm")
	_, layers, _ := syncs.StateLayout(e.svc, "crm")
	if len(layers) == 0 {
		t.Fatal("no deltas to merge")
	}
	// What the kill leaves: a new base cut short (the old state stays).
	if err := os.WriteFile(filepath.Join(folder, "rows-0123456789abcdef0123456789abcdef.bin"), []byte{0, 3, 1, 2, 3}, 0o600); err != nil {
		t.Fatal(err)
	}
	if dg, err := syncs.StateDigest(e.svc, "crm"); err != nil || dg != want {
		t.Fatalf("state after the kill: %s %v, want %s", dg, err, want)
	}
	defer syncs.SetCompaction(0, 0)() // this run merges
	e.writeList(span(60, 1260), nil)
	r := e.run("crm")
	e.checkMembers(r.AudienceID)
	if _, err := os.Stat(filepath.Join(folder, "rows-0123456789abcdef0123456789abcdef.bin")); !os.IsNotExist(err) {
		t.Fatalf("the cut base is still there: %v", err)
	}
	base, layers, _ := syncs.StateLayout(e.svc, "crm")
	files, _ := filepath.Glob(filepath.Join(folder, "rows-*"))
	if len(layers) != 0 || len(files) != 1 || filepath.Base(files[0]) != base {
		t.Fatalf("after the merge: base %s, deltas %v, files %v", base, layers, files)
	}
}
