package syncs_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
)

func pct(v float64) *float64 { return &v }

// A list that lost a fifth of its people (a part missing, a failed export)
// stops before anything is sent, in the run and the dry run alike, and goes
// ahead only when allowed: once with AllowRemovals, or by the sync's limit.
func TestLargeRemovalStopsUnlessAllowed(t *testing.T) {
	e := newEnv(t, standin.Options{})
	e.writeList(span(0, 1500), nil)
	e.save("crm", nil)
	r := e.run("crm")
	stateBefore := readFile(t, filepath.Join(e.dir, "crm", "state.json"))
	uploads := e.s.Stats().Uploads

	e.writeList(span(0, 1200), nil) // 300 of 1500 gone: 20%
	p, err := e.svc.Plan(context.Background(), "crm", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Removals == nil || !p.Removals.Over || p.Removals.Removing != 300 || p.Removals.Of != 1500 || p.Removals.Percent != 20 ||
		!strings.Contains(p.Removals.Warning, "remove 300 of the 1500 people") || !strings.Contains(p.Removals.Warning, "Likely causes") {
		t.Fatalf("dry run's guard: %+v", p.Removals)
	}
	_, err = e.svc.Run(context.Background(), "crm", nil)
	var rerr *syncs.RemovalError
	if !errors.As(err, &rerr) || !strings.Contains(err.Error(), "more than the 10% it allows") {
		t.Fatalf("run: %v, want a removal stop", err)
	}
	if e.s.Stats().Uploads != uploads || len(e.s.Members(r.AudienceID)) != 1500 || readFile(t, filepath.Join(e.dir, "crm", "state.json")) != stateBefore {
		t.Fatal("the stopped run sent something or moved the state")
	}
	entries, _ := os.ReadDir(filepath.Join(e.dir, "crm"))
	for _, en := range entries {
		if strings.HasPrefix(en.Name(), "run-") {
			t.Fatalf("the stopped run left %s", en.Name())
		}
	}

	// Allowed for one run: at least the share it removes.
	if _, err := e.svc.RunWith(context.Background(), "crm", syncs.RunOptions{AllowRemovals: pct(19)}, nil); !syncs.IsRemovalStop(err) {
		t.Fatalf("19%% allowed, 20%% removed: %v", err)
	}
	res, err := e.svc.RunWith(context.Background(), "crm", syncs.RunOptions{AllowRemovals: pct(20)}, nil)
	if err != nil || res.Removed != 300 {
		t.Fatalf("allowed run: %v %+v", err, res)
	}
	e.checkMembers(r.AudienceID)

	// The sync's own limit, saved with it.
	e.save("crm", func(d *syncs.Definition) { d.MaxRemovals = pct(30) })
	e.writeList(span(0, 1000), nil) // 200 of 1200: 16.7%
	if res := e.run("crm"); res.Removed != 200 || res.Removals == nil || res.Removals.Over || res.Removals.Limit != 30 {
		t.Fatalf("run under the saved limit: %+v", res.Plan)
	}
	e.checkMembers(r.AudienceID)
}

// A REPLACE (the audience was changed elsewhere) with a list much smaller
// than what the sync put in stops too: its size is what shrinks.
func TestShrinkingReplaceStops(t *testing.T) {
	e := newEnv(t, standin.Options{})
	e.writeList(span(0, 1500), nil)
	e.save("crm", nil)
	r := e.run("crm")
	e.s.ChangeElsewhere(r.AudienceID, "APPEND", "someone-elses-row")
	e.writeList(span(0, 1100), nil)
	_, err := e.svc.Run(context.Background(), "crm", nil)
	var rerr *syncs.RemovalError
	if !errors.As(err, &rerr) || rerr.Plan.Action != syncs.ActionReplace || rerr.Plan.Removals.Removing != 400 {
		t.Fatalf("shrinking replace: %v", err)
	}
	if len(e.s.Members(r.AudienceID)) != 1501 {
		t.Fatal("the stopped replace sent something")
	}
	if _, err := e.svc.Save(syncs.Definition{Name: "bad", Input: e.list, Mappings: nil}); err == nil {
		t.Fatal("saved without mappings")
	}
}

// --max-removals outside 0–100 is refused when saving.
func TestMaxRemovalsIsAPercent(t *testing.T) {
	e := newEnv(t, standin.Options{})
	e.writeList(span(0, 10), nil)
	d := syncs.Definition{Name: "crm", Input: e.list, Mappings: nil, AudienceName: "x", MaxRemovals: pct(150)}
	d.Mappings = append(d.Mappings, mustMap("email=email"))
	if _, err := e.svc.Save(d); err == nil || !syncs.IsUsage(err) || !strings.Contains(err.Error(), "0 to 100") {
		t.Fatalf("150%%: %v", err)
	}
}
