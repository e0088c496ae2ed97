package main

import (
	"github.com/audience-uploader/audience-uploader/backend/appaudiences"
	"github.com/audience-uploader/audience-uploader/backend/appsyncs"
	"github.com/audience-uploader/audience-uploader/backend/syncs"
)

// Syncs view (issue 12): thin hand-offs to backend/appsyncs over the sync
// engine (backend/syncs), whose uploads share the upload state database.

// syncTargets tells the Audiences view which syncs feed which audience.
func (a *App) syncTargets() ([]appaudiences.SyncTarget, error) {
	s, err := a.syncService()
	if err != nil {
		return nil, err
	}
	return s.Targets()
}

// Syncs lists the saved syncs with their last run and audience status.
func (a *App) Syncs() (*appsyncs.List, error) {
	s, err := a.syncService()
	if err != nil {
		return nil, err
	}
	return s.List()
}

// GetSync returns one saved sync (the edit form).
func (a *App) GetSync(name string) (*syncs.Summary, error) {
	s, err := a.syncService()
	if err != nil {
		return nil, err
	}
	return s.Get(name)
}

// SaveSync creates or overwrites a sync by name; adoptFrom ("" from the
// edit form) is the folder the wizard just uploaded into the sync's
// audience (Save as sync), taken as what the sync has put there.
func (a *App) SaveSync(d syncs.Definition, adoptFrom string) (*appsyncs.Saved, error) {
	s, err := a.syncService()
	if err != nil {
		return nil, err
	}
	return s.Save(d, adoptFrom)
}

// DeleteSync removes a sync and its state; the audience stays on its platform.
func (a *App) DeleteSync(name string) error {
	s, err := a.syncService()
	if err != nil {
		return err
	}
	return s.Delete(name)
}

// PlanSync is the plan "Run now" shows before asking: nothing is sent.
func (a *App) PlanSync(name string) (*syncs.Plan, error) {
	s, err := a.syncService()
	if err != nil {
		return nil, err
	}
	return s.Plan(name)
}

// RunSync sends exactly the plan planID that PlanSync showed; when the
// list or the audience changed since, it sends nothing and returns the new
// plan. confirmRemovals is the person's yes to removals over the limit.
func (a *App) RunSync(name, planID string, confirmRemovals bool) (*appsyncs.Outcome, error) {
	s, err := a.syncService()
	if err != nil {
		return nil, err
	}
	return s.Run(name, planID, confirmRemovals)
}

// RecreateSync starts a sync over into a new audience after its audience
// was deleted at its platform.
func (a *App) RecreateSync(name string) (*syncs.Definition, error) {
	s, err := a.syncService()
	if err != nil {
		return nil, err
	}
	return s.Recreate(name)
}
