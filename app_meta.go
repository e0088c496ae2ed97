package main

import (
	"github.com/audience-uploader/audience-uploader/backend/appsvc"
	"github.com/audience-uploader/audience-uploader/backend/appupload"
	"github.com/audience-uploader/audience-uploader/backend/guilog"
)

// Settings > Meta (issue 21): thin hand-offs to backend/appsvc (meta.go).
// The ad account is saved with SaveSettings; the token only in the keychain.

// MetaState reports the ad account, the address and where the token is
// kept (never the token itself).
func (a *App) MetaState() appsvc.MetaState { return a.svc.MetaState() }

// SaveMetaToken stores an ad account's system-user token in the keychain.
func (a *App) SaveMetaToken(adAccount, token string) (err error) {
	defer guilog.Recover(a.log.Printf, "SaveMetaToken", &err) // a panic never shows the token
	return a.svc.SaveMetaToken(adAccount, token)
}

// DeleteMetaToken removes an ad account's token from the keychain.
func (a *App) DeleteMetaToken(adAccount string) error { return a.svc.DeleteMetaToken(adAccount) }

// TestMetaConnection reads the Terms state and lists the ad account's audiences.
func (a *App) TestMetaConnection() (*appsvc.MetaConnectionTest, error) {
	return a.svc.TestMetaConnection()
}

// StartMetaUpload sends a transform's Meta rows (meta-rows.tsv) exactly
// once; progress arrives as upload:meta-event, the end as upload:meta-done.
func (a *App) StartMetaUpload(req appupload.MetaUploadRequest) error {
	return a.uploader.StartMetaUpload(req)
}

// CancelMetaUpload stops the running upload to Meta (uploading again resumes it).
func (a *App) CancelMetaUpload() bool { return a.uploader.CancelMetaUpload() }

// IsMetaUploading reports whether an upload to Meta runs.
func (a *App) IsMetaUploading() bool { return a.uploader.MetaUploading() }

// MetaAudienceStatus reads a Meta audience once: its status and size in words.
func (a *App) MetaAudienceStatus(audienceID string) (*appupload.MetaResult, error) {
	return a.uploader.MetaStatus(audienceID)
}

// MetaUploadJobs lists the uploads to Meta for History, newest first: one
// the app was closed in the middle of shows there to resume.
func (a *App) MetaUploadJobs() ([]appupload.MetaJob, error) { return a.uploader.MetaJobs() }

// ResumeMetaUpload continues an unfinished upload to Meta through its journal.
func (a *App) ResumeMetaUpload(jobID string) error { return a.uploader.ResumeMetaUpload(jobID) }
