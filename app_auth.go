package main

import (
	"fmt"
	"os"

	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/audience-uploader/audience-uploader/backend/auth"
	"github.com/audience-uploader/audience-uploader/backend/cloud"
	"github.com/audience-uploader/audience-uploader/backend/guilog"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/storage"
)

// Sign-in (Cognito) and the S3 data bucket: thin hand-offs to backend/cloud.

// RestoreSession resumes a remembered sign-in (the frontend's first call
// after Hello). A failed resume is a sentence; the person signs in again.
func (a *App) RestoreSession() (_ cloud.Status, err error) {
	defer guilog.Recover(a.log.Printf, "RestoreSession", &err)
	return a.cloud.Restore(a.ctx)
}

// CloudStatus tells the frontend whether sign-in applies, who is signed in
// and whether the S3 tab can be shown.
func (a *App) CloudStatus() cloud.Status { return a.cloud.Status() }

// SignIn starts a sign-in; the state carries the first challenge, if any.
// Like every method here that is given a secret, a panic inside becomes an
// error naming the method only (guilog.Recover).
func (a *App) SignIn(username, password string, remember bool) (_ auth.State, err error) {
	defer guilog.Recover(a.log.Printf, "SignIn", &err)
	return a.cloud.Auth.SignIn(a.ctx, username, password, remember)
}

// AnswerChallenge answers the pending sign-in challenge.
func (a *App) AnswerChallenge(answer auth.Answer) (_ auth.State, err error) {
	defer guilog.Recover(a.log.Printf, "AnswerChallenge", &err)
	return a.cloud.Auth.Answer(a.ctx, answer)
}

// CancelSignIn drops a sign-in waiting for a challenge answer.
func (a *App) CancelSignIn() auth.State {
	defer guilog.Recover(a.log.Printf, "CancelSignIn", nil)
	return a.cloud.Auth.CancelSignIn()
}

// SignOut revokes and forgets the session.
func (a *App) SignOut() (_ auth.State, err error) {
	defer guilog.Recover(a.log.Printf, "SignOut", &err)
	return a.cloud.Auth.SignOut(a.ctx)
}

// SetClientSecret keeps the app client's secret in the keychain ("" removes it).
func (a *App) SetClientSecret(clientID, secret string) (err error) {
	defer guilog.Recover(a.log.Printf, "SetClientSecret", &err)
	return a.cloud.Auth.SetClientSecret(clientID, secret)
}

// HasClientSecret tells whether a secret is stored for the app client.
func (a *App) HasClientSecret(clientID string) bool { return a.cloud.Auth.HasClientSecret(clientID) }

// ImportRuntimeConfig asks for the web solution's runtimeConfig.json and
// returns the AWS settings with its values (not saved); nil when cancelled.
func (a *App) ImportRuntimeConfig(current settings.AWSSettings) (*settings.AWSSettings, error) {
	p, err := runtime.OpenFileDialog(a.ctx, runtime.OpenDialogOptions{
		Title:   "Import runtimeConfig.json",
		Filters: []runtime.FileFilter{{DisplayName: "runtimeConfig.json (*.json)", Pattern: "*.json"}, {DisplayName: "All files", Pattern: "*"}},
	})
	if err != nil {
		return nil, fmt.Errorf("The file dialog could not open (%v). Type the values in instead.", err)
	}
	if p == "" {
		return nil, nil
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("%s could not be read (%v). Choose the file again.", p, err)
	}
	out, err := cloud.ImportRuntimeConfig(data, current)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// S3List lists a folder of the data bucket ("" is the configured prefix).
func (a *App) S3List(prefix, token string) (*storage.Page, error) {
	return a.cloud.List(a.ctx, prefix, token)
}

// S3Search finds objects by name prefix in a folder and below.
func (a *App) S3Search(prefix, name, token string) (*storage.Page, error) {
	return a.cloud.Search(a.ctx, prefix, name, token)
}
