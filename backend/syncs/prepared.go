package syncs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
)

// A prepared plan is what the app shows before "Upload these changes": the
// run computed in full (its rows and files written), kept until RunPlan
// sends exactly it. Its identity is the list's, the state's and the
// audience's fingerprints as the plan read them; if any differs when it is
// to be sent, a new plan is made and shown instead.
type prepared struct {
	id         string
	w          *work
	statePrint string
}

// preparedPlans holds one prepared plan per sync, in this process.
type preparedPlans struct {
	mu    sync.Mutex
	plans map[string]*prepared
}

func (pp *preparedPlans) take(name string) *prepared {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	p := pp.plans[name]
	delete(pp.plans, name)
	return p
}

func (pp *preparedPlans) put(name string, p *prepared) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if pp.plans == nil {
		pp.plans = map[string]*prepared{}
	}
	if old := pp.plans[name]; old != nil {
		os.RemoveAll(old.w.dir)
	}
	pp.plans[name] = p
}

// dir is the work folder of name's prepared plan ("" when none): the sweep keeps it.
func (pp *preparedPlans) dir(name string) string {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if p := pp.plans[name]; p != nil {
		return filepath.Base(p.w.dir)
	}
	return ""
}

// listPrint fingerprints the list as listed: each part's name and size, and
// a local file's modification time (an S3 part's name and size only).
func listPrint(src inputs.Source) string {
	h := sha256.New()
	parts := src.Parts
	if len(parts) == 0 {
		parts = []inputs.Source{src}
	}
	for _, p := range parts {
		fmt.Fprintf(h, "%s\x00%d\x00", p.Name, p.Size)
		if p.Path != "" {
			if st, err := os.Stat(p.Path); err == nil {
				fmt.Fprintf(h, "%d", st.ModTime().UnixNano())
			}
		}
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// statePrint fingerprints what the sync knows: its definition, its state
// and any interrupted run, as stored.
func (s *Service) statePrint(name string) string {
	h := sha256.New()
	for _, f := range []string{defFile, stateFile, pendingFile} {
		b, _ := os.ReadFile(filepath.Join(s.syncDir(name), f))
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func planID(statePrint string, w *work) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s", statePrint, w.listPrint, strings.Join(w.seen, "\n"), w.runID)
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// PlanChangedError: the list, the sync's state or the audience changed
// since the plan that was shown; Plan is the new one, to show and confirm.
type PlanChangedError struct {
	Why  string
	Plan *Plan
}

func (e *PlanChangedError) Error() string {
	return fmt.Sprintf("%s since the plan was shown, so nothing was sent: here is the new plan", e.Why)
}

// Prepare is the plan the app shows before sending: computed in full and
// kept, so RunPlan sends exactly it without reading the list again. Its ID
// names it. With an interrupted run to finish first, the plan is a dry run
// (no ID) and RunPlan runs as Run does.
func (s *Service) Prepare(ctx context.Context, name string, opts RunOptions, progress func(Progress)) (*Plan, error) {
	o, err := s.openRun(ctx, name)
	if err != nil {
		return nil, err
	}
	defer o.unlock()
	return s.prepareOpened(ctx, name, o, opts, progress)
}

func (s *Service) prepareOpened(ctx context.Context, name string, o *opened, opts RunOptions, progress func(Progress)) (*Plan, error) {
	if old := s.prepared.take(name); old != nil {
		os.RemoveAll(old.w.dir)
	}
	if o.pending != nil {
		ns := o.pending.NewState
		w, err := s.compute(ctx, o.def, &ns, o.conn, progress, true, true)
		if w != nil {
			defer os.RemoveAll(w.dir)
		}
		if err != nil {
			return nil, err
		}
		w.plan.Resumed = true
		w.plan.guardRemovals(removalLimit(o.def, opts.AllowRemovals))
		return &w.plan, nil
	}
	w, err := s.compute(ctx, o.def, o.state, o.conn, progress, false, false)
	if err != nil {
		if w != nil {
			os.RemoveAll(w.dir)
		}
		return nil, err
	}
	w.plan.guardRemovals(removalLimit(o.def, opts.AllowRemovals))
	pr := &prepared{w: w, statePrint: s.statePrint(name)}
	pr.id = planID(pr.statePrint, w)
	w.plan.ID = pr.id
	s.prepared.put(name, pr)
	plan := w.plan
	return &plan, nil
}

// RunPlan sends the prepared plan id of sync name, exactly as shown. When
// the list, the sync's state or the audience's history changed since (or
// the plan is not this process's), nothing is sent: a new plan is prepared
// and returned in a *PlanChangedError. An empty id (a plan shown with an
// interrupted run to finish) runs as Run does.
func (s *Service) RunPlan(ctx context.Context, name, id string, opts RunOptions, progress func(Progress)) (*Result, error) {
	if id == "" {
		return s.RunWith(ctx, name, opts, progress)
	}
	if progress == nil {
		progress = func(Progress) {}
	}
	o, err := s.openRun(ctx, name)
	if err != nil {
		return nil, err
	}
	defer o.unlock()
	pr := s.prepared.take(name)
	why := ""
	switch {
	case pr == nil || pr.id != id:
		why = "the plan shown is no longer the sync's latest (another plan or run came after it)"
	case s.statePrint(name) != pr.statePrint:
		why = "the sync was saved or run elsewhere"
	default:
		if _, err := os.Stat(pr.w.dir); err != nil {
			why = "the plan's files were cleared by another run"
		} else if src, err := s.source(o.def); err != nil {
			os.RemoveAll(pr.w.dir)
			return nil, err
		} else if listPrint(src) != pr.w.listPrint {
			why = "the list changed"
		} else if pr.w.plan.AudienceID != "" {
			marks, err := s.audienceMarks(ctx, o.conn, pr.w.plan.AudienceID)
			if err != nil {
				os.RemoveAll(pr.w.dir)
				if notFound(err) {
					return nil, s.gone(name, pr.w.plan.AudienceID, err)
				}
				return nil, fmt.Errorf("read audience %s: %w", pr.w.plan.AudienceID, err)
			}
			if strings.Join(marks, "\n") != strings.Join(pr.w.seen, "\n") {
				why = fmt.Sprintf("audience %s changed at %s", pr.w.plan.AudienceID, o.def.platformName())
			}
		}
	}
	if why != "" {
		if pr != nil {
			os.RemoveAll(pr.w.dir)
		}
		p, err := s.prepareOpened(ctx, name, o, opts, progress)
		if err != nil {
			return nil, err
		}
		return nil, &PlanChangedError{Why: why, Plan: p}
	}
	res := &Result{}
	return s.apply(ctx, name, o.def, o.state, nil, o.conn, pr.w, res, opts, progress)
}
