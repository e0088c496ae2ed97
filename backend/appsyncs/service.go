// Package appsyncs is the app's Syncs view (issue 12): the saved syncs of
// backend/syncs with their audience's status and matched users (TikTok) or
// size and status in words (Meta, issue 21), save (from the result screen,
// the New sync form or the edit form), delete, the dry run ("Run now"
// shows it first) and the run. Nothing here imports Wails.
package appsyncs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/appaudiences"
	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/metaupload"
	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/upload"
	"github.com/audience-uploader/audience-uploader/backend/window"
)

// Row is one sync in the view.
type Row struct {
	syncs.Summary
	// Platform is where the sync's audience lives (definitions saved
	// before Meta feed TikTok).
	Platform destination.Platform `json:"platform"`
	// The audience as its platform lists it now ("" status when not found
	// or not listed, e.g. before the first run of a new name).
	AudienceStatus string `json:"audience_status"`
	AudienceLabel  string `json:"audience_label"` // the platform's name of the audience
	MatchedUsers   int64  `json:"matched_users"`
	// AudienceSize and AudienceStatusText say the size and status in
	// words (Meta: its approximate bounds, operation_status and
	// delivery_status).
	AudienceSize       string `json:"audience_size,omitempty"`
	AudienceStatusText string `json:"audience_status_text,omitempty"`
}

// List is the view's content.
type List struct {
	Syncs []Row `json:"syncs"`
	// AudienceError says why the audiences' status could not be read; the
	// syncs are listed anyway.
	AudienceError string `json:"audience_error,omitempty"`
}

// EventProgress is the window event a plan or run sends as it goes.
const EventProgress = "sync:progress"

// ProgressEvent says which stage a plan or run of Sync is in.
type ProgressEvent struct {
	Sync  string `json:"sync"`
	Stage string `json:"stage"` // transform, diff, upload, commit
	Rows  int64  `json:"rows"`  // rows read so far (transform)
}

// Events sends named events to the window (backend/window).
type Events = window.Events

// Config wires the service.
type Config struct {
	// Events receives EventProgress; nil sends none.
	Events Events
	Syncs  *syncs.Service
	// Audiences lists the advertiser's audiences (status, matched users);
	// nil leaves those columns empty.
	Audiences func() (*appaudiences.List, error)
	// Uploads is the upload history the wizard writes: Save looks up the
	// upload of the folder it is asked to adopt there. Nil adopts nothing.
	Uploads *upload.Store
	// MetaUploads is the wizard's Meta upload journal: Save as sync to
	// Meta looks up the folder's upload there. Nil adopts nothing.
	MetaUploads *metaupload.Store
}

// Service answers the view's calls; ctx bounds runs and plans.
type Service struct {
	ctx context.Context
	cfg Config
}

// New returns the service.
func New(ctx context.Context, cfg Config) *Service { return &Service{ctx: ctx, cfg: cfg} }

// List returns every sync with its audience's status.
func (s *Service) List() (*List, error) {
	list, err := s.cfg.Syncs.List()
	if err != nil {
		return nil, fmt.Errorf("The saved syncs could not be read (%v). Check that the app's data folder is readable, then press Refresh.", err)
	}
	out := &List{Syncs: make([]Row, 0, len(list))}
	byID := map[string]appaudiences.Audience{}
	if s.cfg.Audiences != nil && len(list) > 0 {
		al, err := s.cfg.Audiences()
		if err != nil {
			out.AudienceError = err.Error()
		} else {
			for _, a := range al.Audiences {
				byID[a.ID] = a
			}
		}
	}
	for _, sum := range list {
		r := Row{Summary: sum, Platform: destination.TikTok}
		if sum.Destination != "" {
			r.Platform = sum.Destination
		}
		if a, ok := byID[sum.AudienceID]; ok && sum.AudienceID != "" && a.Platform == r.Platform {
			r.AudienceStatus, r.AudienceLabel, r.MatchedUsers = a.Status, a.Name, a.MatchedUsers
			r.AudienceSize, r.AudienceStatusText = a.Size, a.StatusText
		}
		out.Syncs = append(out.Syncs, r)
	}
	return out, nil
}

// Targets lists each sync and the audience it feeds (for the Audiences view).
func (s *Service) Targets() ([]appaudiences.SyncTarget, error) {
	list, err := s.cfg.Syncs.List()
	if err != nil {
		return nil, err
	}
	out := make([]appaudiences.SyncTarget, 0, len(list))
	for _, sum := range list {
		out = append(out, appaudiences.SyncTarget{Name: sum.Name, AudienceID: sum.AudienceID})
	}
	return out, nil
}

// Get returns one sync (the edit form's content).
func (s *Service) Get(name string) (*syncs.Summary, error) {
	sum, err := s.cfg.Syncs.Get(name)
	if err != nil {
		return nil, s.explain(name, "could not be read", err)
	}
	return sum, nil
}

// Saved is a saved sync and, when Save was asked to adopt an upload,
// whether it did.
type Saved struct {
	Definition *syncs.Definition `json:"definition"`
	// Adopted is the upload now taken as what the sync has put into its
	// audience: the first run sends only the difference.
	Adopted *syncs.Adoption `json:"adopted,omitempty"`
	// NotAdopted says why the upload was not taken (the first run then
	// replaces the audience's contents with the list).
	NotAdopted string `json:"not_adopted,omitempty"`
	// Pinned says which analysis a cleanrooms://M/latest input was kept
	// to (syncs.PinLatest), "" for other inputs.
	Pinned string `json:"pinned,omitempty"`
}

// Save creates or overwrites a sync by name. With adoptFrom (Save as sync
// on the result screen: the transform folder the wizard just uploaded into
// the sync's audience), that upload becomes the sync's record, so its first
// run sends only what changed since; when it cannot, the sync is saved
// anyway and NotAdopted says why.
func (s *Service) Save(d syncs.Definition, adoptFrom string) (*Saved, error) {
	pinned, err := s.cfg.Syncs.PinLatest(&d)
	if err != nil {
		return nil, fmt.Errorf("The sync was not saved: %v. Check the query in the AWS Clean Rooms tab, or pick one query instead of the newest.", err)
	}
	out, err := s.cfg.Syncs.Save(d)
	if err != nil {
		if syncs.IsUsage(err) {
			return nil, fmt.Errorf("The sync was not saved: %v. Correct it in the form and save again.", err)
		}
		return nil, fmt.Errorf("The sync was not saved (%v). Check that the app's data folder is writable, then save again.", err)
	}
	saved := &Saved{Definition: out, Pinned: pinned}
	if adoptFrom != "" {
		s.adopt(saved, adoptFrom)
	}
	return saved, nil
}

// Delete removes a sync and its state; the audience stays on its platform.
func (s *Service) Delete(name string) error {
	if err := s.cfg.Syncs.Delete(name); err != nil {
		return s.explain(name, "was not deleted", err)
	}
	return nil
}

// Plan is what "Run now" shows: computed in full and kept (nothing is
// uploaded), so Run sends exactly it. A plan that stops, and an audience
// deleted at TikTok (Action ActionGone: the view offers Start over), are
// returned as plans saying why.
func (s *Service) Plan(name string) (*syncs.Plan, error) {
	p, err := s.cfg.Syncs.Prepare(s.ctx, name, syncs.RunOptions{}, s.progress(name))
	var stop *syncs.StopError
	var gone *syncs.AudienceGoneError
	switch {
	case errors.As(err, &stop):
		return stop.Plan, nil // the view shows why it stops
	case errors.As(err, &gone):
		return &syncs.Plan{Sync: name, AudienceID: gone.AudienceID, Action: ActionGone,
			Reason: fmt.Sprintf("Audience %s no longer exists at %s (it was deleted, or it expired), so this sync cannot change it. Press Start over to create a new audience with the whole list; the sync's record of the old one is discarded.", gone.AudienceID, s.platformName(name))}, nil
	case err != nil:
		return nil, s.explain(name, "could not be planned", err)
	}
	return p, nil
}

// ActionGone is the plan of a sync whose audience its platform no longer has.
const ActionGone = "gone"

// Outcome is what "Upload these changes" did: the run, or, when the list,
// the sync or the audience changed since the plan was shown, nothing sent
// and the new plan to show and confirm.
type Outcome struct {
	Result *syncs.Result `json:"result,omitempty"`
	// NewPlan replaces the plan shown; Changed says in a sentence why.
	NewPlan *syncs.Plan `json:"new_plan,omitempty"`
	Changed string      `json:"changed,omitempty"`
}

// Run sends the plan planID that Plan showed, exactly. confirmRemovals is
// the person's explicit yes to the removals that plan showed over the
// sync's limit (its numbers were on screen; the plan's identity pins them).
func (s *Service) Run(name, planID string, confirmRemovals bool) (*Outcome, error) {
	var opts syncs.RunOptions
	if confirmRemovals {
		all := 100.0
		opts.AllowRemovals = &all
	}
	r, err := s.cfg.Syncs.RunPlan(s.ctx, name, planID, opts, s.progress(name))
	var changed *syncs.PlanChangedError
	if errors.As(err, &changed) {
		return &Outcome{NewPlan: changed.Plan, Changed: fmt.Sprintf("Nothing was sent: %s since the plan was shown. Here is the new plan; check it and press Upload these changes again.", changed.Why)}, nil
	}
	if err != nil {
		return nil, s.explain(name, "did not run", err)
	}
	return &Outcome{Result: r}, nil
}

// Recreate starts a sync over into a new audience after its audience was
// deleted at its platform; its next run creates the audience with the whole list.
func (s *Service) Recreate(name string) (*syncs.Definition, error) {
	d, err := s.cfg.Syncs.Recreate(s.ctx, name, "")
	if err != nil {
		return nil, s.explain(name, "was not started over", err)
	}
	return d, nil
}

// progress forwards the engine's stages to the window: every change of
// stage, and the transform's row count at most every quarter second.
func (s *Service) progress(name string) func(syncs.Progress) {
	if s.cfg.Events == nil {
		return nil
	}
	var mu sync.Mutex
	var last ProgressEvent
	var sent time.Time
	return func(p syncs.Progress) {
		e := ProgressEvent{Sync: name, Stage: p.Stage}
		if p.Transform != nil {
			e.Rows = p.Transform.Rows
		}
		mu.Lock()
		due := e.Stage != last.Stage || time.Since(sent) >= 250*time.Millisecond
		if due {
			last, sent = e, time.Now()
		}
		mu.Unlock()
		if due {
			s.cfg.Events.Emit(EventProgress, e)
		}
	}
}

// platformName names the platform sync name feeds, for sentences.
func (s *Service) platformName(name string) string {
	if sum, err := s.cfg.Syncs.Get(name); err == nil && sum.Destination == destination.Meta {
		return "Meta"
	}
	return "TikTok"
}

// explain makes an engine error a sentence saying what to do.
func (s *Service) explain(name, what string, err error) error {
	var stop *syncs.StopError
	switch {
	case errors.Is(err, syncs.ErrNotFound):
		return fmt.Errorf("Sync %q %s: it does not exist any more. Press Refresh to see the saved syncs.", name, what)
	case errors.Is(err, syncs.ErrBusy):
		return fmt.Errorf("Sync %q %s: it is running already (here or from a scheduled command). Wait for that run to finish, then try again.", name, what)
	case errors.As(err, &stop):
		return fmt.Errorf("Sync %q %s: %s", name, what, stop.Plan.Reason)
	case syncs.IsRemovalStop(err):
		return fmt.Errorf("Sync %q %s: %v. If the list is right, press Run now again and confirm the removals.", name, what, err)
	case syncs.IsAudienceGone(err):
		return fmt.Errorf("Sync %q %s: its audience no longer exists at %s (it was deleted, or it expired). Press Run now, then Start over to create a new audience with the whole list.", name, what, s.platformName(name))
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("Sync %q %s: the app is closing. Run it again after restarting; an interrupted run is finished first.", name, what)
	}
	return fmt.Errorf("Sync %q %s: %v. Correct the cause, then run it again; an interrupted run is finished first and nothing is sent twice.", name, what, err)
}
