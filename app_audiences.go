package main

import (
	"fmt"

	"github.com/audience-uploader/audience-uploader/backend/appaudiences"
	"github.com/audience-uploader/audience-uploader/backend/destination"
)

// Audiences view (issue 12): thin hand-offs to backend/appaudiences, which
// reads the settings and token at every call.

// Audiences lists every page of the advertiser's audiences with their
// status and the syncs that feed them. The two services are joined here,
// so neither calls the other back (the Syncs view reads this List).
func (a *App) Audiences() (*appaudiences.List, error) {
	l, err := a.audienceService().List()
	if err != nil {
		return nil, err
	}
	targets, err := a.syncTargets()
	if err != nil {
		return nil, fmt.Errorf("The saved syncs could not be read (%v). Check that the app's data folder is readable, then press Refresh.", err)
	}
	l.MarkSyncs(targets)
	return l, nil
}

// RenameAudience gives an audience a new name on its platform ("tiktok"
// or "meta"; "" is TikTok).
func (a *App) RenameAudience(platform destination.Platform, id, name string) error {
	return a.audienceService().Rename(platform, id, name)
}

// DeleteAudience deletes an audience on its platform (the window asks first).
func (a *App) DeleteAudience(platform destination.Platform, id string) error {
	return a.audienceService().Delete(platform, id)
}

// CreateLookalike makes a lookalike of a customer file audience.
func (a *App) CreateLookalike(req appaudiences.LookalikeRequest) (string, error) {
	return a.audienceService().CreateLookalike(req)
}
