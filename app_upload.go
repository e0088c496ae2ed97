package main

import (
	"github.com/audience-uploader/audience-uploader/backend/appupload"
	"github.com/audience-uploader/audience-uploader/backend/guilog"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// Upload to TikTok (issue 4): thin hand-offs to backend/appupload, opened at
// startup with the window's context; progress arrives as upload:event, the
// end as upload:done.

// TikTokState reports the TikTok settings, base URL and where the token is
// kept (never the token itself).
func (a *App) TikTokState() (appupload.State, error) { return a.uploader.State() }

// SaveTikTokToken stores an advertiser's access token in the OS keychain.
func (a *App) SaveTikTokToken(advertiserID, token string) (err error) {
	defer guilog.Recover(a.log.Printf, "SaveTikTokToken", &err) // a panic never shows the token
	return a.uploader.SaveToken(advertiserID, token)
}

// DeleteTikTokToken removes an advertiser's token from the keychain.
func (a *App) DeleteTikTokToken(advertiserID string) error {
	return a.uploader.DeleteToken(advertiserID)
}

// TestTikTokConnection lists the advertiser's audiences with the saved settings.
func (a *App) TestTikTokConnection() (*appupload.ConnectionTest, error) {
	return a.uploader.TestConnection()
}

// TikTokAudiences lists the configured advertiser's audiences.
func (a *App) TikTokAudiences() ([]tiktok.Audience, error) { return a.uploader.Audiences() }

// StartUpload uploads a transform's output in the background.
func (a *App) StartUpload(req appupload.UploadRequest) error { return a.uploader.StartUpload(req) }

// ResumeUpload continues an interrupted or failed upload job.
func (a *App) ResumeUpload(jobID string) error { return a.uploader.Resume(jobID) }

// CancelUpload stops the running upload (it can be resumed).
func (a *App) CancelUpload() bool { return a.uploader.CancelUpload() }

// IsUploading reports whether an upload runs.
func (a *App) IsUploading() bool { return a.uploader.Uploading() }

// UploadJobs lists upload jobs, newest first.
func (a *App) UploadJobs() ([]upload.Job, error) { return a.uploader.Jobs() }

// FollowAudience keeps reading an audience's status until it is ready.
func (a *App) FollowAudience(audienceID string) { a.uploader.Follow(audienceID) }

// FollowPendingAudiences follows again the audiences not ready at the last
// check (the frontend calls it at start).
func (a *App) FollowPendingAudiences() ([]upload.Pending, error) { return a.uploader.FollowPending() }

// AudienceStatus reads an audience once.
func (a *App) AudienceStatus(advertiserID, audienceID string) (*upload.AudienceStatus, error) {
	return a.uploader.Status(advertiserID, audienceID)
}
