// Package appsvc holds the services behind the desktop app's bound methods
// (app.go). Nothing here imports Wails: events go through the Events
// interface, so go test runs the services without a window.
package appsvc

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/jobs"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/window"
)

// Events sends named events to the window (backend/window).
type Events = window.Events

// Options configure a Service.
type Options struct {
	Version      string
	ProcessStart time.Time          // for the start-up measurement
	OpenFolder   func(string) error // shows a folder in the OS file manager; nil uses the OS default
	HistoryPath  string             // "" = jobs.OpenDefault
	// Sources opens every input (local paths and the URLs of inputs.Schemes),
	// built once at start-up and shared with the syncs; nil reads local paths only.
	Sources *inputs.Resolver
	Remote  Remote // describes s3:// objects and names a URL's origin; nil: none (remote.go)
	// Secrets keeps the Meta token (meta.go); nil is the OS keychain.
	Secrets secrets.Store
	Log     func(format string, args ...any)
}

// Service is the app's state: settings, the run history and at most one
// running transform. Its methods are spread over files by job: settings.go,
// inputfile.go (the input file and recent files),
// preview.go (Discover, Preview), run.go (StartRun and its events),
// history.go (past runs and reports), remote.go (s3:// inputs), meta.go
// (Settings > Meta) and openfolder.go.
type Service struct {
	ctx      context.Context // cancelled by Shutdown
	stop     context.CancelFunc
	events   Events
	opts     Options
	store    *jobs.Store
	histErr  error
	settings *settings.Store // the one writer of the settings file

	mu        sync.Mutex
	run       *activeRun
	firstCall time.Duration
	wg        sync.WaitGroup
}

type activeRun struct {
	jobID  int64
	cancel context.CancelFunc
	outDir string
}

// New loads settings and opens the history. A broken settings file or
// history does not stop the app: Hello reports it as a sentence.
func New(ctx context.Context, events Events, opts Options) *Service {
	if opts.OpenFolder == nil {
		opts.OpenFolder = openFolderOS
	}
	if opts.Log == nil {
		opts.Log = func(string, ...any) {}
	}
	if opts.ProcessStart.IsZero() {
		opts.ProcessStart = time.Now()
	}
	ctx, stop := context.WithCancel(ctx)
	s := &Service{ctx: ctx, stop: stop, events: events, opts: opts, settings: settings.NewStore()}
	if opts.HistoryPath != "" {
		s.store, s.histErr = jobs.Open(ctx, opts.HistoryPath)
	} else {
		s.store, s.histErr = jobs.OpenDefault(ctx)
	}
	return s
}

// Shutdown cancels a running transform, waits for it to clean up and
// closes the history.
func (s *Service) Shutdown() {
	s.stop()
	s.wg.Wait()
	if s.store != nil {
		s.store.Close()
	}
}

// AppInfo is what the frontend asks for first.
type AppInfo struct {
	Version       string            `json:"version"`
	Platform      string            `json:"platform"`
	StartupMillis int64             `json:"startup_ms"` // process start to this first call
	Settings      settings.Settings `json:"settings"`
	SettingsPath  string            `json:"settings_path"`
	HistoryPath   string            `json:"history_path"`
	Warnings      []string          `json:"warnings"` // sentences: settings or history problems
	Cores         int               `json:"cores"`
}

// Hello is the frontend's first call into Go; its time since process start
// is the start-up figure we report.
func (s *Service) Hello() AppInfo {
	s.mu.Lock()
	if s.firstCall == 0 {
		s.firstCall = time.Since(s.opts.ProcessStart)
		s.opts.Log("startup: first frontend call %d ms after process start", s.firstCall.Milliseconds())
	}
	info := AppInfo{
		Version:       s.opts.Version,
		Platform:      runtime.GOOS + "/" + runtime.GOARCH,
		StartupMillis: s.firstCall.Milliseconds(),
		Warnings:      []string{},
		Cores:         runtime.NumCPU(),
	}
	s.mu.Unlock()
	info.Settings = s.settings.Get()
	if err := s.settings.LoadErr(); err != nil {
		info.Warnings = append(info.Warnings, "Your settings could not be read, so defaults are in use: "+err.Error())
	}
	info.SettingsPath, _ = settings.Path()
	if s.store != nil {
		info.HistoryPath = s.store.Path()
	}
	if s.histErr != nil {
		info.Warnings = append(info.Warnings, "The run history is unavailable, so runs will not be listed: "+s.histErr.Error())
	}
	return info
}

func orDefault(v, d string) string {
	if strings.TrimSpace(v) == "" {
		return d
	}
	return v
}

// sentence makes err read as a sentence that ends with what to do.
func sentence(err error, todo string) error { return window.Sentence(err, todo) }
