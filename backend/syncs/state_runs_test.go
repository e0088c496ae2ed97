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
// the list changed) and returns the state's digest after each run.
func stateGenerations(t *testing.T) []string {
	e := newEnv(t, standin.Options{})
	var out []string
	step := func(ids []int, variant map[int]int, mut func(*syncs.Definition)) {
		t.Helper()
		e.writeList(ids, variant)
		e.save("crm", func(d *syncs.Definition) {
			d.MaxRemovals = pct(100)
			if mut != nil {
				mut(d)
			}
		})
		e.run("crm")
		dg, err := syncs.StateDigest(e.svc, "crm")
		if err != nil {
			t.Fatal(err)
		}
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
	return out
}

// The state holds the same rows, generation after generation, as the
// store before sorted runs kept (testdata/state-generations.txt was
// written by that code, the rows file rewritten whole on every run).
func TestStateHoldsTheSameRowsAsTheRewrittenStore(t *testing.T) {
	got := stateGenerations(t)
	golden := filepath.Join("testdata", "state-generations.txt")
	if os.Getenv("SYNC_WRITE_GOLDEN") != "" {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(golden, []byte(strings.Join(got, "\n")+"\n"), 0o644)
	}
	want := strings.Split(strings.TrimSpace(readFile(t, golden)), "\n")
	if len(got) != len(want) {
		t.Fatalf("%d generations, golden has %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("generation %d: %s\nwant          %s", i+1, got[i], want[i])
		}
	}
}
