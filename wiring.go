package main

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/audience-uploader/audience-uploader/backend/appaudiences"
	"github.com/audience-uploader/audience-uploader/backend/appsvc"
	"github.com/audience-uploader/audience-uploader/backend/appsyncs"
	"github.com/audience-uploader/audience-uploader/backend/appupload"
	"github.com/audience-uploader/audience-uploader/backend/auth"
	"github.com/audience-uploader/audience-uploader/backend/cloud"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/storage"
	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// The one place the desktop app is assembled: every service is built here
// (at start-up, or on first use for the Audiences and Syncs views), with
// the one inputs.Resolver the wizard and the syncs share; gui.go binds the
// App, whose methods in app*.go are thin hand-offs to these services. The
// services never call one another back: where two views' data meet (an
// audience's syncs), the App joins them (app_audiences.go).

// startup builds the services when the window opens (Wails' OnStartup).
func (a *App) startup(ctx context.Context) {
	a.ctx = ctx
	a.startCloud()
	a.sources = inputs.NewResolver(a.cloud.Openers(ctx))
	a.svc = appsvc.New(ctx, wailsEvents{ctx}, appsvc.Options{
		Version: a.version, ProcessStart: a.started, Log: a.log.Printf, Remote: a.cloud, Sources: a.sources,
		Secrets: a.secretStore,
	})
	a.uploader = appupload.New(ctx, wailsEvents{ctx}, appupload.Config{Secrets: a.secretStore})
	a.views.events = wailsEvents{ctx} // sync progress (app_syncs.go)
}

// startCloud makes the sign-in service; nothing talks to AWS until the
// frontend asks (RestoreSession), so start-up never waits on the network.
func (a *App) startCloud() {
	var svc *auth.Service
	if a.secretStore != nil {
		svc = auth.NewServiceWith(a.secretStore, true, settings.Load)
	} else {
		svc = auth.NewService() // the OS keychain, when there is one
		if err := svc.KeychainError(); err != nil {
			a.log.Printf("no OS keychain, sign-ins are memory-only: %v", err) // the screen gets plain words
		}
	}
	a.cloud = cloud.New(svc, settings.Load, storage.Options{})
}

// lazyViews holds the Audiences and Syncs views' services, made on first
// use with the window's context (or a test's).
type lazyViews struct {
	audiencesOnce sync.Once
	audiences     *appaudiences.Service
	syncsOnce     sync.Once
	syncs         *appsyncs.Service
	syncsErr      error
	// events is the window (set at startup; nil in tests: no events).
	events appsyncs.Events
}

func (a *App) audienceService() *appaudiences.Service {
	v := &a.views
	v.audiencesOnce.Do(func() {
		v.audiences = appaudiences.New(a.ctx, appaudiences.Config{Secrets: a.secretStore})
	})
	return v.audiences
}

func (a *App) syncService() (*appsyncs.Service, error) {
	v := &a.views
	v.syncsOnce.Do(func() {
		engine, err := syncs.New(syncs.Config{OpenSource: a.openSyncSource, Connect: a.connectSync, ConnectMeta: a.connectMetaSync})
		if err != nil {
			v.syncsErr = fmt.Errorf("The saved syncs could not be opened (%v). Check that the app's data folder is writable, then restart the app.", err)
			return
		}
		cfg := appsyncs.Config{Syncs: engine, Audiences: a.audienceService().List, Events: v.events}
		if a.uploader != nil {
			cfg.Uploads = a.uploader.Store()         // Save as sync adopts the wizard's upload from it
			cfg.MetaUploads = a.uploader.MetaStore() // and a Meta upload from the Meta journal
		}
		v.syncs = appsyncs.New(a.ctx, cfg)
	})
	return v.syncs, v.syncsErr
}

// connectMetaSync reaches a Meta sync's ad account through the app's one
// Meta upload journal, as the wizard's Meta upload does.
func (a *App) connectMetaSync(ctx context.Context, adAccount string) (*syncs.MetaConn, error) {
	if a.uploader == nil {
		return nil, errors.New("Uploads are not available in this app session: restart the app, then run the sync again.")
	}
	acct, dest, err := a.uploader.MetaDestination(ctx, adAccount)
	if err != nil {
		return nil, err
	}
	return &syncs.MetaConn{AdAccount: acct, Destination: dest}, nil
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
