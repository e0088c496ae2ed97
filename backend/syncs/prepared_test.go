package syncs_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
)

// What the app shows is what it sends: a prepared plan is sent without
// reading the list again; when the list, the state or the audience changed
// in between, nothing is sent and the new plan comes back to be confirmed.
func TestRunPlanSendsThePlanShown(t *testing.T) {
	e := newEnv(t, standin.Options{})
	e.writeList(span(0, 1200), nil)
	e.save("crm", nil)
	ctx := context.Background()
	r1 := e.run("crm")

	e.writeList(span(50, 1250), nil)
	p, err := e.svc.Prepare(ctx, "crm", syncs.RunOptions{}, nil)
	if err != nil || p.ID == "" || p.Action != syncs.ActionUpdate || p.Added != 50 || p.Removed != 50 {
		t.Fatalf("prepare: %+v %v", p, err)
	}
	var stages []string
	res, err := e.svc.RunPlan(ctx, "crm", p.ID, syncs.RunOptions{}, func(pr syncs.Progress) { stages = append(stages, pr.Stage) })
	if err != nil || res.Added != 50 || res.Removed != 50 {
		t.Fatalf("run plan: %+v %v", res, err)
	}
	if s := strings.Join(stages, ","); strings.Contains(s, "transform") || strings.Contains(s, "diff") {
		t.Fatalf("the shown plan was computed again: stages %s", s)
	}
	e.checkMembers(r1.AudienceID)

	// The list changes after the plan was shown.
	e.writeList(span(60, 1260), nil)
	p, _ = e.svc.Prepare(ctx, "crm", syncs.RunOptions{}, nil)
	e.writeList(span(70, 1270), nil)
	uploads := e.s.Stats().Uploads
	_, err = e.svc.RunPlan(ctx, "crm", p.ID, syncs.RunOptions{}, nil)
	var changed *syncs.PlanChangedError
	if !errors.As(err, &changed) || !strings.Contains(err.Error(), "the list changed") || changed.Plan.ID == "" || changed.Plan.Added != 20 || changed.Plan.Removed != 20 {
		t.Fatalf("list changed: %v", err)
	}
	if e.s.Stats().Uploads != uploads {
		t.Fatal("a changed plan sent something")
	}
	if _, err := e.svc.RunPlan(ctx, "crm", changed.Plan.ID, syncs.RunOptions{}, nil); err != nil {
		t.Fatalf("the new plan, confirmed: %v", err)
	}
	e.checkMembers(r1.AudienceID)

	// The audience changes at TikTok after the plan was shown.
	e.writeList(span(80, 1280), nil)
	p, _ = e.svc.Prepare(ctx, "crm", syncs.RunOptions{}, nil)
	e.s.ChangeElsewhere(r1.AudienceID, "APPEND", "someone-elses-row")
	_, err = e.svc.RunPlan(ctx, "crm", p.ID, syncs.RunOptions{}, nil)
	if !errors.As(err, &changed) || !strings.Contains(err.Error(), "changed at TikTok") || changed.Plan.Action != syncs.ActionReplace {
		t.Fatalf("audience changed: %v", err)
	}

	// Another process runs the sync in between.
	e.writeList(span(90, 1290), nil)
	p, _ = e.svc.Prepare(ctx, "crm", syncs.RunOptions{}, nil)
	other := newService(e.dir, e.base, e.s.Token(), e.state)
	if _, err := other.Run(ctx, "crm", nil); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.RunPlan(ctx, "crm", p.ID, syncs.RunOptions{}, nil)
	if !errors.As(err, &changed) || !strings.Contains(err.Error(), "run elsewhere") || changed.Plan.Action != syncs.ActionNone {
		t.Fatalf("run elsewhere: %v", err)
	}
	e.checkMembers(r1.AudienceID)

	// A shown plan over the removal limit goes only with the allowance.
	e.writeList(span(90, 1100), nil)
	p, _ = e.svc.Prepare(ctx, "crm", syncs.RunOptions{}, nil)
	if p.Removals == nil || !p.Removals.Over {
		t.Fatalf("large removal not flagged: %+v", p.Removals)
	}
	all := 100.0
	if res, err := e.svc.RunPlan(ctx, "crm", p.ID, syncs.RunOptions{AllowRemovals: &all}, nil); err != nil || res.Removed != 190 {
		t.Fatalf("confirmed removal: %+v %v", res, err)
	}
	e.checkMembers(r1.AudienceID)
}
