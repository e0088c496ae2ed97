package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/audience-uploader/audience-uploader/backend/appaudiences"
	"github.com/audience-uploader/audience-uploader/backend/appsyncs"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	syncs "github.com/audience-uploader/audience-uploader/backend/sync"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// Syncs view (issue 12): thin hand-offs to backend/appsyncs over the sync
// engine (backend/sync), whose uploads share the upload state database.

func (a *App) syncService() (*appsyncs.Service, error) {
	v := &a.views
	v.syncsOnce.Do(func() {
		engine, err := syncs.New(syncs.Config{OpenSource: a.openSyncSource, Connect: a.connectSync})
		if err != nil {
			v.syncsErr = fmt.Errorf("The saved syncs could not be opened (%v). Check that the app's data folder is writable, then restart the app.", err)
			return
		}
		cfg := appsyncs.Config{Syncs: engine, Audiences: a.audienceService().List, Events: v.events}
		if a.uploader != nil {
			cfg.Uploads = a.uploader.Store() // Save as sync adopts the wizard's upload from it
		}
		v.syncs = appsyncs.New(a.ctx, cfg)
	})
	return v.syncs, v.syncsErr
}

// openSyncSource opens a sync's input through the app's one Resolver: a
// local file, folder or glob, an s3:// key or prefix or a cleanrooms://
// result through the signed-in session.
func (a *App) openSyncSource(input string) (inputs.Source, error) {
	src, err := a.sources.Open(input)
	if errors.Is(err, inputs.ErrSchemeUnavailable) {
		return src, errors.New("This sync reads from S3, but S3 is not set up in this app: sign in or set up AWS in Settings, then run it again.")
	}
	return src, err
}

// connectSync builds the engine's TikTok client and uploader with the
// settings and token of the moment.
func (a *App) connectSync(ctx context.Context, advertiserID string) (*syncs.Conn, error) {
	if a.uploader == nil || a.uploader.Store() == nil {
		return nil, errors.New("The upload history could not be opened. Check that the app's data folder is writable, then restart the app.")
	}
	adv, client, err := a.audienceService().Client(advertiserID)
	if err != nil {
		return nil, err
	}
	up, err := upload.New(upload.Config{Client: client, Store: a.uploader.Store()})
	if err != nil {
		return nil, err
	}
	return &syncs.Conn{AdvertiserID: adv, Client: client, Uploader: up}, nil
}

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

// DeleteSync removes a sync and its state; the audience stays at TikTok.
func (a *App) DeleteSync(name string) error {
	s, err := a.syncService()
	if err != nil {
		return err
	}
	return s.Delete(name)
}

// PlanSync is the dry run "Run now" shows before asking: nothing is sent.
func (a *App) PlanSync(name string) (*syncs.Plan, error) {
	s, err := a.syncService()
	if err != nil {
		return nil, err
	}
	return s.Plan(name)
}

// RunSync sends the difference to TikTok.
func (a *App) RunSync(name string) (*syncs.Result, error) {
	s, err := a.syncService()
	if err != nil {
		return nil, err
	}
	return s.Run(name)
}
