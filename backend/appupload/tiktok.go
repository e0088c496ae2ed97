package appupload

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// Config configures the app's TikTok side (New, OpenTikTok). Zero values take the defaults.
type Config struct {
	Secrets      secrets.Store                     // default secrets.Keychain()
	StatePath    string                            // default upload.DefaultStatePath()
	Sink         upload.Sink                       // upload and follow-up events; may be nil
	LoadSettings func() (settings.Settings, error) // default settings.Load
	QPS          float64                           // request ceiling; default 5
	// MetaJournalPath is the Meta upload journal; default the data
	// folder's metaupload.JournalName.
	MetaJournalPath string
}

// TikTok is the TikTok side of the desktop app: token, connection test,
// audience list, uploads with events, resume and follow-up. It reads the
// settings at every call, so a change in Settings > TikTok applies at once.
// Methods are safe for concurrent use; one upload runs at a time.
type TikTok struct {
	cfg   Config
	store *upload.Store

	mu      sync.Mutex
	running bool
}

// OpenTikTok opens the upload state database.
func OpenTikTok(cfg Config) (*TikTok, error) {
	if cfg.Secrets == nil {
		cfg.Secrets = secrets.Keychain()
	}
	if cfg.LoadSettings == nil {
		cfg.LoadSettings = settings.Load
	}
	if cfg.StatePath == "" {
		p, err := upload.DefaultStatePath()
		if err != nil {
			return nil, err
		}
		cfg.StatePath = p
	}
	store, err := upload.OpenStore(cfg.StatePath)
	if err != nil {
		return nil, err
	}
	return &TikTok{cfg: cfg, store: store}, nil
}

// Close closes the state database.
func (s *TikTok) Close() error { return s.store.Close() }

// Store is the service's state database (job history for the app).
func (s *TikTok) Store() *upload.Store { return s.store }

// TokenStatus tells the settings screen where the token comes from. It
// never carries the token.
type TokenStatus struct {
	AdvertiserID      string `json:"advertiser_id"`
	Saved             bool   `json:"saved"`    // in the keychain
	FromEnv           bool   `json:"from_env"` // TIKTOK_ACCESS_TOKEN overrides
	KeychainAvailable bool   `json:"keychain_available"`
	KeychainError     string `json:"keychain_error,omitempty"` // why not, as a sentence
}

// TokenStatus reports whether a token is available for advertiserID.
func (s *TikTok) TokenStatus(advertiserID string) TokenStatus {
	st := TokenStatus{AdvertiserID: advertiserID, FromEnv: strings.TrimSpace(os.Getenv(tiktok.EnvAccessToken)) != "", KeychainAvailable: true}
	if advertiserID == "" {
		return st
	}
	_, err := tiktok.StoredToken(s.cfg.Secrets, s.baseURL(), advertiserID)
	switch {
	case err == nil:
		st.Saved = true
	case errors.Is(err, secrets.ErrUnavailable):
		st.KeychainAvailable = false
		st.KeychainError = fmt.Sprintf("%v: set %s in the environment instead; the token is never written to a file", err, tiktok.EnvAccessToken)
	}
	return st
}

// SaveToken stores the advertiser's token in the keychain, for the
// environment (base URL) in the settings.
func (s *TikTok) SaveToken(advertiserID, token string) error {
	return tiktok.SaveToken(s.cfg.Secrets, s.baseURL(), advertiserID, token)
}

// baseURL is the TikTok base URL in the settings; "" when unset or invalid
// (no token is then found or saved).
func (s *TikTok) baseURL() string {
	st, err := s.cfg.LoadSettings()
	if err != nil {
		return ""
	}
	base, _ := tiktok.ResolveBaseURL(st.TikTok.Environment, st.TikTok.BaseURL)
	return base
}

// DeleteToken removes the advertiser's token from the keychain.
func (s *TikTok) DeleteToken(advertiserID string) error {
	return tiktok.DeleteToken(s.cfg.Secrets, s.baseURL(), advertiserID)
}

// connect builds a client and an uploader from the current settings.
func (s *TikTok) connect(advertiserID string) (string, *upload.Uploader, *tiktok.Client, error) {
	st, err := s.cfg.LoadSettings()
	if err != nil {
		return "", nil, nil, fmt.Errorf("load settings: %w", err)
	}
	conn, err := tiktok.Connect(context.Background(), tiktok.ConnectOptions{Settings: st.TikTok, AdvertiserID: advertiserID, Secrets: s.cfg.Secrets, QPS: s.cfg.QPS})
	if errors.Is(err, tiktok.ErrNoAdvertiser) {
		return "", nil, nil, errors.New("no TikTok advertiser id: set it in Settings > TikTok")
	}
	if err != nil {
		return "", nil, nil, err
	}
	up, err := upload.New(upload.Config{Client: conn.Client, Store: s.store, Sink: s.cfg.Sink})
	if err != nil {
		return "", nil, nil, err
	}
	return conn.AdvertiserID, up, conn.Client, nil
}

// Connect builds a client and an uploader (with this service's state
// database and Sink) from the current settings, for callers that drive
// uploads themselves (backend/syncs). advertiserID "" means the settings'.
func (s *TikTok) Connect(advertiserID string) (adv string, up *upload.Uploader, client *tiktok.Client, err error) {
	return s.connect(advertiserID)
}

// ConnectionResult is what "Test connection" shows.
type ConnectionResult struct {
	AdvertiserID string `json:"advertiser_id"`
	BaseURL      string `json:"base_url"`
	Audiences    int    `json:"audiences"`
}

// TestConnection lists the advertiser's audiences; its error names the fix
// (new token, Audience Management scope, advertiser id).
func (s *TikTok) TestConnection(ctx context.Context, advertiserID string) (*ConnectionResult, error) {
	adv, _, client, err := s.connect(advertiserID)
	if err != nil {
		return nil, err
	}
	list, err := client.ListAudiences(ctx, adv)
	if err != nil {
		return nil, err
	}
	st, _ := s.cfg.LoadSettings()
	base, _ := tiktok.ResolveBaseURL(st.TikTok.Environment, st.TikTok.BaseURL)
	return &ConnectionResult{AdvertiserID: adv, BaseURL: base, Audiences: len(list)}, nil
}

// ListAudiences returns every audience of the advertiser (all pages).
func (s *TikTok) ListAudiences(ctx context.Context, advertiserID string) ([]tiktok.Audience, error) {
	adv, _, client, err := s.connect(advertiserID)
	if err != nil {
		return nil, err
	}
	list, err := client.ListAudiences(ctx, adv)
	if list == nil && err == nil {
		list = []tiktok.Audience{}
	}
	return list, err
}

// ErrBusy means an upload is already running in this service.
var ErrBusy = errors.New("an upload is already running")

func (s *TikTok) begin() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return ErrBusy
	}
	s.running = true
	return nil
}

func (s *TikTok) end() {
	s.mu.Lock()
	s.running = false
	s.mu.Unlock()
}

// Upload runs (or resumes) the upload of a manifest; it blocks until done,
// so the app calls it from a goroutine and cancels ctx to stop. Progress
// goes to the Sink.
func (s *TikTok) Upload(ctx context.Context, req upload.Request) (*upload.Result, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	adv, up, _, err := s.connect(req.AdvertiserID)
	if err != nil {
		return nil, err
	}
	req.AdvertiserID = adv
	return up.Run(ctx, req)
}

// Resume continues an interrupted or failed job.
func (s *TikTok) Resume(ctx context.Context, jobID string) (*upload.Result, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	job, err := s.store.Job(ctx, jobID)
	if err != nil {
		return nil, err
	}
	if job == nil {
		return nil, fmt.Errorf("no upload job %s", jobID)
	}
	_, up, _, err := s.connect(job.AdvertiserID)
	if err != nil {
		return nil, err
	}
	return up.Resume(ctx, jobID)
}

// Jobs lists upload jobs, newest first.
func (s *TikTok) Jobs(ctx context.Context) ([]upload.Job, error) { return s.store.Jobs(ctx) }

// Unfinished lists jobs that did not reach done (to offer Resume at start).
func (s *TikTok) Unfinished(ctx context.Context) ([]upload.Job, error) {
	all, err := s.store.Jobs(ctx)
	if err != nil {
		return nil, err
	}
	var out []upload.Job
	for _, j := range all {
		if j.Step != upload.StepDone {
			out = append(out, j)
		}
	}
	return out, nil
}

// NotReady lists audiences of finished jobs that were not ready when last
// checked: the app follows them again at start.
func (s *TikTok) NotReady(ctx context.Context) ([]upload.Pending, error) {
	return s.store.NotReady(ctx)
}

// JobLog returns a job's log, request_ids included.
func (s *TikTok) JobLog(ctx context.Context, jobID string) ([]upload.LogEntry, error) {
	return s.store.Log(ctx, jobID)
}

// Status reads an audience once.
func (s *TikTok) Status(ctx context.Context, advertiserID, audienceID string) (*upload.AudienceStatus, error) {
	adv, up, _, err := s.connect(advertiserID)
	if err != nil {
		return nil, err
	}
	return up.Status(ctx, adv, audienceID, 0)
}

// Follow polls an audience until it is ready or ctx ends, with status
// events to the Sink (the app runs it while open, and again at next start
// for audiences not yet ready).
func (s *TikTok) Follow(ctx context.Context, advertiserID, audienceID string) (*upload.AudienceStatus, error) {
	adv, up, _, err := s.connect(advertiserID)
	if err != nil {
		return nil, err
	}
	return up.Follow(ctx, adv, audienceID, 0)
}
