// Package appupload is the desktop app's TikTok side, all of it: the token,
// the connection test and the uploads over the upload engine (TikTok,
// tiktok.go), and the Service the window calls (app_upload.go), which runs
// uploads and follow-ups in goroutines and forwards their progress as
// named events.
// Nothing here imports Wails, so go test drives it against the stand-in.
package appupload

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/transform"
	"github.com/audience-uploader/audience-uploader/backend/upload"
	"github.com/audience-uploader/audience-uploader/backend/window"
)

// Event names sent to the window.
const (
	EventProgress = "upload:event" // an upload.Event (step, file bytes, retries, rate-limit waits, status)
	EventDone     = "upload:done"  // a Done: the upload (or resume) ended
)

// Events sends named events to the window (backend/window).
type Events = window.Events

// Done ends an upload: Result on success, Error (a sentence) otherwise.
type Done struct {
	JobID     string         `json:"job_id"`
	Result    *upload.Result `json:"result,omitempty"`
	Error     string         `json:"error,omitempty"`
	Cancelled bool           `json:"cancelled"`
}

// State is what Settings → TikTok and step 5 need to know; never the token.
type State struct {
	TikTok    settings.TikTokSettings `json:"tiktok"`
	BaseURL   string                  `json:"base_url"`
	BaseError string                  `json:"base_error,omitempty"`
	Token     TokenStatus             `json:"token"`
	// Ready means an advertiser id and a token are available: Upload can run.
	Ready bool `json:"ready"`
	// Error says why the upload service could not start (state database).
	Error string `json:"error,omitempty"`
}

// UploadRequest is the wizard's upload: a transform's output folder (or its
// manifest) into a new audience (AudienceName) or an existing one
// (AudienceID with Action APPEND, REMOVE or REPLACE).
type UploadRequest struct {
	OutputDir    string `json:"output_dir"`
	AudienceName string `json:"audience_name"`
	AudienceID   string `json:"audience_id"`
	Action       string `json:"action"`
}

// ConnectionTest is the answer to Test connection.
type ConnectionTest struct {
	AdvertiserID string            `json:"advertiser_id"`
	BaseURL      string            `json:"base_url"`
	Audiences    []tiktok.Audience `json:"audiences"`
}

// Service runs one upload at a time and any number of follow-ups.
type Service struct {
	ctx     context.Context
	events  Events
	svc     *TikTok
	initErr error
	meta    *metaSide // uploads to Meta (meta.go)
	load    func() (settings.Settings, error)

	mu        sync.Mutex
	cancel    context.CancelFunc // of the running upload
	jobID     string             // of the running upload, once known
	following map[string]context.CancelFunc
	closed    bool
	wg        sync.WaitGroup
}

// New opens the upload service; ctx bounds every goroutine it starts. An
// error opening the state database is kept and returned by every call.
func New(ctx context.Context, events Events, cfg Config) *Service {
	s := &Service{ctx: ctx, events: events, following: map[string]context.CancelFunc{}}
	cfg.Sink = upload.SinkFunc(func(e upload.Event) {
		if e.JobID != "" {
			s.mu.Lock()
			if s.cancel != nil {
				s.jobID = e.JobID
			}
			s.mu.Unlock()
		}
		s.events.Emit(EventProgress, e)
	})
	if cfg.LoadSettings == nil {
		cfg.LoadSettings = settings.Load
	}
	s.load = cfg.LoadSettings
	s.meta = openMeta(cfg)
	s.svc, s.initErr = OpenTikTok(cfg)
	if s.initErr != nil {
		s.initErr = fmt.Errorf("The upload history could not be opened (%v). Check that the app's data folder is writable, then restart the app.", s.initErr)
	}
	return s
}

// Shutdown stops the running upload and follow-ups and closes the database.
func (s *Service) Shutdown() {
	s.mu.Lock()
	s.closed = true
	if s.cancel != nil {
		s.cancel()
	}
	for _, c := range s.following {
		c()
	}
	s.mu.Unlock()
	s.CancelMetaUpload()
	s.wg.Wait()
	if s.svc != nil {
		s.svc.Close()
	}
	if s.meta.store != nil {
		s.meta.store.Close()
	}
}

// State reports the TikTok settings, the base URL and where the token is.
func (s *Service) State() (State, error) {
	if s.initErr != nil {
		return State{Error: s.initErr.Error()}, nil
	}
	st, err := s.load()
	if err != nil {
		return State{}, fmt.Errorf("The settings could not be read (%v). Open Settings and save them again.", err)
	}
	out := State{TikTok: st.TikTok, Token: s.svc.TokenStatus(st.TikTok.AdvertiserID)}
	out.BaseURL, err = tiktok.ResolveBaseURL(st.TikTok.Environment, st.TikTok.BaseURL)
	if err != nil {
		out.BaseError = err.Error()
	}
	out.Ready = st.TikTok.AdvertiserID != "" && (out.Token.Saved || out.Token.FromEnv) && err == nil
	return out, nil
}

// SaveToken stores the token in the keychain (never in a file).
func (s *Service) SaveToken(advertiserID, token string) error {
	if s.initErr != nil {
		return s.initErr
	}
	advertiserID = strings.TrimSpace(advertiserID)
	if advertiserID == "" {
		return errors.New("Enter the advertiser id first: the token is saved for that advertiser.")
	}
	if strings.TrimSpace(token) == "" {
		return errors.New("The token is empty. Paste the long-lived access token from TikTok for Business.")
	}
	return s.svc.SaveToken(advertiserID, token)
}

// DeleteToken removes the advertiser's token from the keychain.
func (s *Service) DeleteToken(advertiserID string) error {
	if s.initErr != nil {
		return s.initErr
	}
	return s.svc.DeleteToken(strings.TrimSpace(advertiserID))
}

// TestConnection lists the advertiser's audiences with the saved settings.
func (s *Service) TestConnection() (*ConnectionTest, error) {
	if s.initErr != nil {
		return nil, s.initErr
	}
	cr, err := s.svc.TestConnection(s.ctx, "")
	if err != nil {
		return nil, err
	}
	list, err := s.svc.ListAudiences(s.ctx, cr.AdvertiserID)
	if err != nil {
		return nil, err
	}
	return &ConnectionTest{AdvertiserID: cr.AdvertiserID, BaseURL: cr.BaseURL, Audiences: list}, nil
}

// Audiences lists the configured advertiser's audiences (every page).
func (s *Service) Audiences() ([]tiktok.Audience, error) {
	if s.initErr != nil {
		return nil, s.initErr
	}
	return s.svc.ListAudiences(s.ctx, "")
}

// Store is the upload state database, shared with the sync engine's
// uploads (job identity, locks); nil when it could not be opened.
func (s *Service) Store() *upload.Store {
	if s.svc == nil {
		return nil
	}
	return s.svc.Store()
}

// Uploading reports whether an upload runs.
func (s *Service) Uploading() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cancel != nil
}

func (s *Service) start(run func(ctx context.Context) (*upload.Result, error), jobID string) error {
	if s.initErr != nil {
		return s.initErr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("The app is closing; start the upload again after it restarts.")
	}
	if s.cancel != nil {
		return errors.New("An upload is already running. Wait for it to finish or cancel it first.")
	}
	ctx, cancel := context.WithCancel(s.ctx)
	s.cancel = cancel
	s.jobID = jobID
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		res, err := run(ctx)
		s.mu.Lock()
		s.cancel = nil
		d := Done{JobID: s.jobID, Result: res}
		s.mu.Unlock()
		cancel()
		if res != nil {
			d.JobID = res.JobID
		}
		if err != nil {
			d.Error = err.Error()
			d.Cancelled = errors.Is(err, context.Canceled)
			if d.Cancelled {
				d.Error = "The upload was cancelled. Files already sent are kept: Resume continues where it stopped."
			}
		}
		s.events.Emit(EventDone, d)
		if res != nil && err == nil {
			for _, t := range res.Targets {
				s.Follow(t.AudienceID)
			}
		}
	}()
	return nil
}

// StartUpload starts uploading a transform's output; progress arrives as
// upload:event, the end as upload:done, then the audiences are followed.
func (s *Service) StartUpload(req UploadRequest) error {
	if strings.TrimSpace(req.OutputDir) == "" {
		return errors.New("There is no transform output to upload. Run the transform first.")
	}
	r := upload.Request{ManifestPath: req.OutputDir, AudienceName: strings.TrimSpace(req.AudienceName), AudienceID: req.AudienceID, Action: req.Action}
	if filepath.Base(req.OutputDir) != transform.ManifestName {
		r.ManifestPath = filepath.Join(req.OutputDir, transform.ManifestName)
	}
	if r.AudienceID != "" {
		r.AudienceName = ""
	} else {
		r.Action = ""
	}
	return s.start(func(ctx context.Context) (*upload.Result, error) { return s.svc.Upload(ctx, r) }, "")
}

// Resume continues an interrupted or failed job, like StartUpload.
func (s *Service) Resume(jobID string) error {
	return s.start(func(ctx context.Context) (*upload.Result, error) { return s.svc.Resume(ctx, jobID) }, jobID)
}

// CancelUpload stops the running upload; false if none runs.
func (s *Service) CancelUpload() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel == nil {
		return false
	}
	s.cancel()
	return true
}

// Follow polls an audience until it is ready or the app closes; status
// events carry its state. Following an audience twice is a no-op.
func (s *Service) Follow(audienceID string) {
	if s.initErr != nil || audienceID == "" {
		return
	}
	s.followAs("", audienceID)
}

func (s *Service) followAs(advertiserID, audienceID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.following[audienceID]; ok || s.closed || s.ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	s.following[audienceID] = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_, err := s.svc.Follow(ctx, advertiserID, audienceID)
		if err != nil && ctx.Err() == nil {
			s.events.Emit(EventProgress, upload.Event{Kind: upload.EventWarning, AudienceID: audienceID,
				Message: fmt.Sprintf("Checking audience %s stopped: %v", audienceID, err)})
		}
		s.mu.Lock()
		delete(s.following, audienceID)
		s.mu.Unlock()
		cancel()
	}()
}

// FollowPending follows, again, the audiences of finished jobs that were not
// ready when last checked (called at start); it returns them.
func (s *Service) FollowPending() ([]upload.Pending, error) {
	if s.initErr != nil {
		return nil, s.initErr
	}
	p, err := s.svc.NotReady(s.ctx)
	if err != nil {
		return nil, err
	}
	for _, x := range p {
		s.followAs(x.AdvertiserID, x.AudienceID)
	}
	if p == nil {
		p = []upload.Pending{}
	}
	return p, nil
}

// Status reads an audience once (History and the status card).
func (s *Service) Status(advertiserID, audienceID string) (*upload.AudienceStatus, error) {
	if s.initErr != nil {
		return nil, s.initErr
	}
	return s.svc.Status(s.ctx, advertiserID, audienceID)
}

// Jobs lists upload jobs, newest first.
func (s *Service) Jobs() ([]upload.Job, error) {
	if s.initErr != nil {
		return nil, s.initErr
	}
	j, err := s.svc.Jobs(s.ctx)
	if j == nil && err == nil {
		j = []upload.Job{}
	}
	return j, err
}
