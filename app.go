package main

import (
	"context"
	"fmt"
	"log"
	"path/filepath"
	"time"

	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/audience-uploader/audience-uploader/backend/appsvc"
	"github.com/audience-uploader/audience-uploader/backend/appupload"
	"github.com/audience-uploader/audience-uploader/backend/cloud"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/jobs"
	"github.com/audience-uploader/audience-uploader/backend/records"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// App is the surface the frontend calls (through frontend/src/api). Each
// method is a thin hand-off to backend/appsvc; only native dialogs and
// events live here because they need the Wails runtime.
type App struct {
	ctx      context.Context
	svc      *appsvc.Service
	cloud    *cloud.Service     // sign-in and S3 (app_auth.go)
	uploader *appupload.Service // TikTok uploads (app_upload.go)
	// sources opens every input, for the wizard and the syncs alike.
	sources *inputs.Resolver
	// views are the Audiences and Syncs views' services, made on first
	// use (app_audiences.go, app_syncs.go).
	views   lazyViews
	version string
	started time.Time
	log     *log.Logger
	// secretStore replaces the OS keychain when set: tests keep tokens in
	// memory so that they never read or write the developer's own keychain.
	secretStore secrets.Store
}

// NewApp makes the bound App; the service starts with the window.
func NewApp(version string, started time.Time, logger *log.Logger) *App {
	return &App{version: version, started: started, log: logger}
}

// wailsEvents sends events to the window. Only valid with the context
// Wails hands to OnStartup: anything else makes EventsEmit exit the process.
type wailsEvents struct{ ctx context.Context }

func (w wailsEvents) Emit(name string, data any) { runtime.EventsEmit(w.ctx, name, data) }

// beforeClose asks before quitting while a transform or an upload runs.
func (a *App) beforeClose(ctx context.Context) bool {
	transforming := a.svc != nil && a.svc.Running()
	uploading := a.uploader != nil && (a.uploader.Uploading() || a.uploader.MetaUploading())
	if !transforming && !uploading {
		return false
	}
	title, message := "A transform is running", "Quitting now cancels the run and removes its partial output. Quit anyway?"
	if !transforming {
		title, message = "An upload is running", "Quitting now stops the upload. A TikTok upload resumes from History the next time; a Meta upload cannot be resumed from the app after it restarts, so its audience keeps only what was sent. Quit anyway?"
	}
	answer, err := runtime.MessageDialog(ctx, runtime.MessageDialogOptions{
		Type:          runtime.QuestionDialog,
		Title:         title,
		Message:       message,
		Buttons:       []string{"Quit", "Keep running"},
		DefaultButton: "Keep running",
		CancelButton:  "Keep running",
	})
	if err != nil {
		return true
	}
	return answer != "Quit" && answer != "Yes"
}

func (a *App) shutdown(context.Context) {
	if a.uploader != nil {
		a.uploader.Shutdown()
	}
	if a.svc != nil {
		a.svc.Shutdown()
	}
}

// Hello is the frontend's first call: app info, settings and warnings.
func (a *App) Hello() appsvc.AppInfo { return a.svc.Hello() }

// GetSettings returns the current settings.
func (a *App) GetSettings() settings.Settings { return a.svc.Settings() }

// SaveSettings validates and stores settings.
func (a *App) SaveSettings(s settings.Settings) (settings.Settings, error) {
	return a.svc.SaveSettings(s)
}

// Regions lists the phone regions.
func (a *App) Regions() []appsvc.Region { return a.svc.Regions() }

// ChooseFile shows the native open dialog; "" when cancelled.
func (a *App) ChooseFile() (string, error) {
	p, err := runtime.OpenFileDialog(a.ctx, runtime.OpenDialogOptions{
		Title: "Choose a customer file",
		Filters: []runtime.FileFilter{
			{DisplayName: "Customer files (*.csv, *.tsv, *.txt, *.json, *.jsonl, *.ndjson, *.parquet, *.xlsx, *.gz, *.zst, *.bz2)",
				Pattern: "*.csv;*.tsv;*.txt;*.json;*.jsonl;*.ndjson;*.parquet;*.xlsx;*.gz;*.zst;*.bz2"},
			{DisplayName: "All files", Pattern: "*"},
		},
	})
	if err != nil {
		return "", fmt.Errorf("The file dialog could not open (%v). Drop the file on the window instead.", err)
	}
	return p, nil
}

// ChooseFolder shows the native folder dialog; "" when cancelled.
func (a *App) ChooseFolder(current string) (string, error) {
	p, err := runtime.OpenDirectoryDialog(a.ctx, runtime.OpenDialogOptions{
		Title: "Choose the output folder", DefaultDirectory: current, CanCreateDirectories: true,
	})
	if err != nil {
		return "", fmt.Errorf("The folder dialog could not open (%v). Type the folder's path instead.", err)
	}
	return p, nil
}

// ChooseInputFolder shows the native folder dialog for a folder of part
// files read as one list; "" when cancelled.
func (a *App) ChooseInputFolder() (string, error) {
	p, err := runtime.OpenDirectoryDialog(a.ctx, runtime.OpenDialogOptions{Title: "Choose a folder of part files"})
	if err != nil {
		return "", fmt.Errorf("The folder dialog could not open (%v). Type the folder's full path instead.", err)
	}
	return p, nil
}

// InspectFile checks a chosen file and adds it to the recent files.
func (a *App) InspectFile(path string) (inputs.FileInfo, error) { return a.svc.InspectFile(path) }

// RecentFiles lists recently used files.
func (a *App) RecentFiles() []appsvc.RecentFile { return a.svc.RecentFiles() }

// Discover reads a sample of the file and suggests column types.
func (a *App) Discover(path, region string) (*records.Schema, error) {
	return a.svc.Discover(path, region)
}

// DiscoverWithHeader is Discover with the person's answer to "does the first
// row name the columns?" (yes, no or auto).
func (a *App) DiscoverWithHeader(path, region, header string) (*records.Schema, error) {
	return a.svc.DiscoverWithHeader(path, region, header)
}

// DiscoverInput is Discover with the header answer and, for an Excel
// workbook, the sheet to read.
func (a *App) DiscoverInput(req appsvc.DiscoverRequest) (*records.Schema, error) {
	return a.svc.DiscoverInput(req)
}

// Preview transforms the first rows.
func (a *App) Preview(req appsvc.PreviewRequest) (*transform.PreviewResult, error) {
	return a.svc.Preview(req)
}

// StartRun starts a transform; progress arrives as run:progress events.
func (a *App) StartRun(req appsvc.RunRequest) (appsvc.RunInfo, error) { return a.svc.StartRun(req) }

// CancelRun stops the running transform.
func (a *App) CancelRun() bool { return a.svc.CancelRun() }

// IsRunning reports whether a transform runs.
func (a *App) IsRunning() bool { return a.svc.Running() }

// History lists earlier runs, newest first.
func (a *App) History(limit int) ([]jobs.Job, error) { return a.svc.History(limit) }

// DeleteHistory removes a run from the history (its files stay).
func (a *App) DeleteHistory(id int64) error { return a.svc.DeleteHistory(id) }

// OpenFolder shows a folder in the file manager.
func (a *App) OpenFolder(path string) error { return a.svc.OpenFolder(path) }

// BuildReport returns a run's report (no PII).
func (a *App) BuildReport(jobID int64) (appsvc.Report, error) { return a.svc.BuildReport(jobID) }

// ExportReport asks where to save a run's report and writes it; "" when cancelled.
func (a *App) ExportReport(jobID int64, outputDir string) (string, error) {
	p, err := runtime.SaveFileDialog(a.ctx, runtime.SaveDialogOptions{
		Title: "Export the run report", DefaultDirectory: outputDir,
		DefaultFilename: fmt.Sprintf("report-%d.json", jobID),
		Filters:         []runtime.FileFilter{{DisplayName: "JSON (*.json)", Pattern: "*.json"}},
	})
	if err != nil {
		return "", fmt.Errorf("The save dialog could not open (%v). Use Open folder: the manifest there holds the same counters.", err)
	}
	if p == "" {
		return "", nil
	}
	if filepath.Ext(p) == "" {
		p += ".json"
	}
	return p, a.svc.WriteReport(jobID, p)
}

// WriteReport writes a run's report to a given path.
func (a *App) WriteReport(jobID int64, path string) error { return a.svc.WriteReport(jobID, path) }
