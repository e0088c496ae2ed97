package appsvc

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/jobs"
	"github.com/audience-uploader/audience-uploader/backend/records"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// Event names the frontend listens to while a run goes.
const (
	EventProgress = "run:progress"
	EventDone     = "run:done"
)

// RunRequest starts a transform.
type RunRequest struct {
	Path        string    `json:"path"`
	Audience    string    `json:"audience"`
	Mappings    []Mapping `json:"mappings"`
	Region      string    `json:"region"`
	PhoneFormat string    `json:"phone_format"`
	Layout      string    `json:"layout"` // auto, combined, separate
	Header      string    `json:"header"` // CSV/TXT: auto (or ""), yes or no, as given to Discover
	Sheet       string    `json:"sheet"`  // Excel: the worksheet ("" for the first), as given to DiscoverInput
	// Destinations are where the output goes: "tiktok" (its customer
	// files), "meta" (meta-rows.tsv) or both; none means TikTok.
	Destinations []string `json:"destinations"`
}

// RunInfo says where a started run writes.
type RunInfo struct {
	JobID     int64  `json:"job_id"`
	OutputDir string `json:"output_dir"`
	Input     string `json:"input"`
}

// ProgressEvent is sent at most 10 times a second while a run goes.
type ProgressEvent struct {
	JobID         int64   `json:"job_id"`
	Rows          int64   `json:"rows"`
	BytesRead     int64   `json:"bytes_read"`
	BytesTotal    int64   `json:"bytes_total"`
	ElapsedMillis int64   `json:"elapsed_ms"`
	RowsPerSecond float64 `json:"rows_per_second"`
	ETASeconds    float64 `json:"eta_seconds"` // -1 when unknown
	Fraction      float64 `json:"fraction"`    // 0..1, -1 when unknown
}

// DoneEvent is sent once when a run ends, however it ends.
type DoneEvent struct {
	JobID     int64               `json:"job_id"`
	Status    jobs.Status         `json:"status"`
	Error     string              `json:"error,omitempty"`
	OutputDir string              `json:"output_dir"`
	Manifest  *transform.Manifest `json:"manifest,omitempty"`
}

// MaxAudienceName is TikTok's limit on an audience name.
const MaxAudienceName = 128

// ValidateAudience checks an audience name: 1 to 128 characters.
func ValidateAudience(name string) error {
	n := len([]rune(strings.TrimSpace(name)))
	if n == 0 {
		return errors.New("The audience name is empty. Type a name of 1 to 128 characters.")
	}
	if n > MaxAudienceName {
		return fmt.Errorf("The audience name has %d characters. Shorten it to at most %d.", n, MaxAudienceName)
	}
	return nil
}

// parseDestinations reads the wizard's destinations: TikTok when none.
func parseDestinations(in []string) ([]destination.Platform, error) {
	var out []destination.Platform
	for _, d := range in {
		p := destination.Platform(strings.ToLower(strings.TrimSpace(d)))
		if p != destination.TikTok && p != destination.Meta {
			return nil, fmt.Errorf("The destination %q is unknown. Choose TikTok, Meta or both in Step 2.", d)
		}
		if slices.Contains(out, p) {
			continue
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		out = []destination.Platform{destination.TikTok}
	}
	return out, nil
}

// ErrRunning is returned when a run is asked for while one is going.
var ErrRunning = errors.New("A transform is already running. Wait for it to finish or cancel it first.")

// StartRun validates the request, records a job and starts the transform
// in the background; progress and the end arrive as events.
func (s *Service) StartRun(req RunRequest) (RunInfo, error) {
	if err := ValidateAudience(req.Audience); err != nil {
		return RunInfo{}, err
	}
	maps, err := toMappings(req.Mappings)
	if err != nil {
		return RunInfo{}, err
	}
	pf, err := identifiers.ParsePhoneFormat(orDefault(req.PhoneFormat, "digits"))
	if err != nil {
		return RunInfo{}, sentence(err, "Choose digits or +E.164.")
	}
	layout, err := transform.ParseLayout(req.Layout)
	if err != nil {
		return RunInfo{}, sentence(err, "Choose combined or separate.")
	}
	dests, err := parseDestinations(req.Destinations)
	if err != nil {
		return RunInfo{}, err
	}
	src, err := s.openSource(req.Path)
	if err != nil {
		return RunInfo{}, err
	}
	src.Sheet = req.Sheet
	set := s.Settings()
	destNames := make([]string, len(dests))
	adAccount := ""
	for i, d := range dests {
		destNames[i] = string(d)
		if d == destination.Meta {
			adAccount = set.Meta.AdAccount
		}
	}
	region := orDefault(req.Region, set.DefaultRegion)
	outDir, err := newOutputDir(set.OutputDir, req.Audience, time.Now())
	if err != nil {
		return RunInfo{}, err
	}

	origin := s.origin(src.Name)

	s.mu.Lock()
	if s.run != nil {
		s.mu.Unlock()
		return RunInfo{}, ErrRunning
	}
	if err := s.ctx.Err(); err != nil {
		s.mu.Unlock()
		return RunInfo{}, errors.New("The app is closing, so no new run can start.")
	}
	var jobID int64
	jmaps := make([]jobs.Mapping, len(maps))
	for i, m := range maps {
		jmaps[i] = jobs.Mapping{Column: m.Column, Type: m.TypeName}
	}
	if s.store != nil {
		jobID, err = s.store.Start(s.ctx, jobs.Job{
			Input: src.Name, InputBytes: src.Size, Format: string(records.FormatAuto), Layout: string(layout),
			Region: region, PhoneFormat: orDefault(req.PhoneFormat, "digits"), Mappings: jmaps, OutputDir: outDir,
			Audience: strings.TrimSpace(req.Audience), Origin: origin,
			Destination: strings.Join(destNames, ","), AdAccount: adAccount,
		})
		if err != nil {
			s.opts.Log("history: %v", err)
		}
	}
	ctx, cancel := context.WithCancel(s.ctx)
	s.run = &activeRun{jobID: jobID, cancel: cancel, outDir: outDir}
	s.wg.Add(1)
	s.mu.Unlock()

	thr := newThrottle(100*time.Millisecond, func(p transform.Progress) {
		s.events.Emit(EventProgress, progressEvent(jobID, p))
	})
	opts := transform.Options{
		Source: src, Format: records.FormatAuto, Header: records.HeaderMode(req.Header), Mappings: maps, Region: region, PhoneFormat: pf,
		OutDir: outDir, Layout: layout, MaxFileBytes: int64(set.MaxFileMB) << 20, Workers: set.Workers,
		Progress: thr.offer, Destinations: dests,
	}
	go func() {
		defer s.wg.Done()
		defer cancel()
		m, err := transform.Run(ctx, opts)
		thr.flush()
		done := DoneEvent{JobID: jobID, OutputDir: outDir, Manifest: m}
		res := jobs.Result{}
		switch {
		case err == nil:
			done.Status = jobs.StatusSucceeded
			res = jobs.Result{Status: jobs.StatusSucceeded, Layout: string(m.Layout), RowsRead: m.Counters.RowsRead,
				RowsWritten: m.Counters.RowsWritten, Counters: m.Counters}
			if !slices.Contains(dests, destination.TikTok) && m.Meta != nil {
				res.RowsWritten = m.Meta.RowsWritten // Meta alone: no TikTok file was written
			}
		case errors.Is(err, context.Canceled):
			done.Status = jobs.StatusCancelled
			done.Error = "The run was cancelled; its partial output was removed."
			res = jobs.Result{Status: jobs.StatusCancelled, Error: done.Error}
		default:
			done.Status = jobs.StatusFailed
			done.Error = sentence(err, "Check the file and the column types, then run again.").Error()
			res = jobs.Result{Status: jobs.StatusFailed, Error: done.Error}
		}
		if s.store != nil && jobID != 0 {
			// The history must record the end even while the app shuts down.
			if err := s.store.Finish(context.WithoutCancel(ctx), jobID, res); err != nil {
				s.opts.Log("history: %v", err)
			}
		}
		s.mu.Lock()
		s.run = nil
		s.mu.Unlock()
		s.events.Emit(EventDone, done)
	}()
	return RunInfo{JobID: jobID, OutputDir: outDir, Input: src.Name}, nil
}

// CancelRun stops the running transform; false when none runs.
func (s *Service) CancelRun() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run == nil {
		return false
	}
	s.run.cancel()
	return true
}

// Running reports whether a transform is running.
func (s *Service) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.run != nil
}

// Wait blocks until no transform runs (tests, shutdown).
func (s *Service) Wait() { s.wg.Wait() }

func progressEvent(jobID int64, p transform.Progress) ProgressEvent {
	e := ProgressEvent{JobID: jobID, Rows: p.Rows, BytesRead: p.BytesRead, BytesTotal: p.BytesTotal,
		ElapsedMillis: p.Elapsed.Milliseconds(), ETASeconds: -1, Fraction: -1}
	if sec := p.Elapsed.Seconds(); sec > 0 {
		e.RowsPerSecond = float64(p.Rows) / sec
	}
	if p.BytesTotal > 0 {
		e.Fraction = min(1, float64(p.BytesRead)/float64(p.BytesTotal))
		if p.BytesRead > 0 && p.Elapsed > 0 {
			e.ETASeconds = p.Elapsed.Seconds() * float64(p.BytesTotal-p.BytesRead) / float64(p.BytesRead)
			if e.ETASeconds < 0 {
				e.ETASeconds = 0
			}
		}
	}
	return e
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// newOutputDir picks a new folder under parent named after the audience
// and the time, so runs never overwrite each other.
func newOutputDir(parent, audience string, now time.Time) (string, error) {
	if parent == "" {
		return "", errors.New("No output folder is set. Choose one in Settings.")
	}
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return "", fmt.Errorf("The output folder %s could not be created (%v). Choose another one in Settings.", parent, err)
	}
	base := strings.Trim(unsafeName.ReplaceAllString(strings.TrimSpace(audience), "-"), "-.")
	if len(base) > 60 {
		base = base[:60]
	}
	if base == "" {
		base = "audience"
	}
	name := base + "-" + now.Format("20060102-150405")
	dir := filepath.Join(parent, name)
	for i := 2; ; i++ {
		if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
			return dir, nil
		}
		dir = filepath.Join(parent, fmt.Sprintf("%s-%d", name, i))
	}
}
