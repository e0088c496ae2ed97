// Package upload turns a transform's manifest into a TikTok audience: it
// uploads the files with bounded concurrency, creates the audience (or
// updates an existing one) in groups of 50 file paths, and keeps every step
// in SQLite so a run killed at any point resumes without re-uploading
// finished files or creating a second audience. It has no GUI dependency:
// progress goes to a Sink that the CLI prints and the desktop app forwards.
package upload

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
)

// BatchSize is how many file paths go into one create or update: TikTok
// allows 500 but recommends fewer than 50.
const BatchSize = 50

// Event kinds sent to a Sink.
const (
	EventStep        = "step"         // Step changed
	EventFileStart   = "file_start"   // a file upload began
	EventFileBytes   = "file_bytes"   // bytes sent of a file (~10/s)
	EventFileDone    = "file_done"    // a file is uploaded (or was already)
	EventRetry       = "retry"        // a request will be retried after Wait
	EventRateLimited = "rate_limited" // waiting because TikTok's rate limit was hit
	EventWarning     = "warning"
	EventAudience    = "audience" // an audience id is known
	EventBatchDone   = "batch_done"
	EventStatus      = "status" // follow-up: Status set
)

// Event is one progress report; fields not relevant to Kind are zero.
type Event struct {
	JobID      string          `json:"job_id"`
	Kind       string          `json:"kind"`
	Time       time.Time       `json:"time"`
	Step       string          `json:"step,omitempty"`
	File       string          `json:"file,omitempty"` // base name
	FileIndex  int             `json:"file_index"`
	Files      int             `json:"files"`
	BytesSent  int64           `json:"bytes_sent,omitempty"`
	BytesTotal int64           `json:"bytes_total,omitempty"`
	Wait       time.Duration   `json:"wait,omitempty"`
	Message    string          `json:"message,omitempty"`
	AudienceID string          `json:"audience_id,omitempty"`
	Status     *AudienceStatus `json:"status,omitempty"`
}

// Sink receives events. Emit must not block for long; it may be called from
// several goroutines.
type Sink interface{ Emit(Event) }

// SinkFunc adapts a function to Sink.
type SinkFunc func(Event)

func (f SinkFunc) Emit(e Event) { f(e) }

// Config configures an Uploader.
type Config struct {
	Client *tiktok.Client // may serve other jobs and callers at the same time
	Store  *Store
	Sink   Sink // may be nil
	// Concurrency is how many files upload at once (default 2).
	Concurrency int
	// CreateAttempts bounds how often a create (or update) whose outcome is
	// unknown is checked and resent (default 6).
	CreateAttempts int
	// RetryWait is the pause before resending such a request (default 2s,
	// doubled each time).
	RetryWait time.Duration
	// PollInitial / PollMax shape follow-up polling (default 5s, 5 min).
	PollInitial, PollMax time.Duration
}

// Uploader runs upload jobs. Each job's TikTok requests reach that job's
// log through its context (tiktok.WithLog), so jobs need not take turns.
type Uploader struct {
	cfg Config
}

// New returns an Uploader; cfg.Client and cfg.Store are required.
func New(cfg Config) (*Uploader, error) {
	if cfg.Client == nil || cfg.Store == nil {
		return nil, errors.New("upload: a TikTok client and a state store are required")
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 2
	}
	if cfg.CreateAttempts <= 0 {
		cfg.CreateAttempts = 6
	}
	if cfg.RetryWait <= 0 {
		cfg.RetryWait = 2 * time.Second
	}
	if cfg.PollInitial <= 0 {
		cfg.PollInitial = 5 * time.Second
	}
	if cfg.PollMax <= 0 {
		cfg.PollMax = 5 * time.Minute
	}
	return &Uploader{cfg: cfg}, nil
}

// jobLog is what the job's context reports TikTok exchanges to: every
// request_id goes into the job's log and waits become events.
func (u *Uploader) jobLog(jobID string) func(tiktok.LogEntry) {
	return func(e tiktok.LogEntry) { u.clientLog(jobID, e) }
}

func (u *Uploader) clientLog(jobID string, e tiktok.LogEntry) {
	le := LogEntry{Time: e.Time, Level: "info", Op: e.Op, RequestID: e.RequestID}
	switch {
	case e.RetryIn > 0:
		le.Level = "warn"
		le.Message = fmt.Sprintf("attempt %d failed; retrying in %s", e.Attempt, e.RetryIn.Round(time.Millisecond))
		kind := EventRetry
		if e.RateLimited {
			kind = EventRateLimited
			le.Message = fmt.Sprintf("TikTok rate limit reached; waiting %s", e.RetryIn.Round(time.Millisecond))
		}
		u.emit(Event{JobID: jobID, Kind: kind, Wait: e.RetryIn, Message: e.Op + ": " + le.Message})
	case e.Err != "":
		le.Level = "warn"
		le.Message = fmt.Sprintf("attempt %d: %s", e.Attempt, e.Err)
	default:
		le.Message = fmt.Sprintf("attempt %d: HTTP %d code %d %s (%s)", e.Attempt, e.HTTPStatus, e.Code, e.Message, e.Duration.Round(time.Millisecond))
		if e.Code != 0 || e.HTTPStatus != 200 {
			le.Level = "warn"
		}
	}
	// The log must not fail the upload; a write error is reported as an event.
	if err := u.cfg.Store.addLog(context.Background(), jobID, le); err != nil {
		u.emit(Event{JobID: jobID, Kind: EventWarning, Message: err.Error()})
	}
}

func (u *Uploader) emit(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if u.cfg.Sink != nil {
		u.cfg.Sink.Emit(e)
	}
}

func (u *Uploader) logf(jobID, level, format string, args ...any) {
	_ = u.cfg.Store.addLog(context.Background(), jobID, LogEntry{Time: time.Now(), Level: level, Message: fmt.Sprintf(format, args...)})
}

// Request describes an upload.
type Request struct {
	ManifestPath string
	AdvertiserID string
	// Exactly one of AudienceName (create a new audience) and AudienceID
	// (update an existing one) is set.
	AudienceName string
	AudienceID   string
	// Action for an existing audience: APPEND (default), REMOVE or REPLACE.
	Action string
}

// Result is a finished (or already finished) job.
type Result struct {
	JobID     string   `json:"job_id"`
	Action    string   `json:"action"`
	Targets   []Target `json:"audiences"`
	Files     int      `json:"files"`
	Rows      int64    `json:"rows"`
	Uploaded  int      `json:"files_uploaded"` // in this run
	Reused    int      `json:"files_reused"`   // uploaded by an earlier run of the job
	Resumed   bool     `json:"resumed"`
	Warnings  []string `json:"warnings,omitempty"`
	AlreadyOK bool     `json:"already_done"`
}

// AudienceIDs lists the job's audience ids.
func (r *Result) AudienceIDs() []string {
	var ids []string
	for _, t := range r.Targets {
		ids = append(ids, t.AudienceID)
	}
	return ids
}

// jobKey identifies "the same upload" across runs: the transform run and
// its files' MD5s, so a moved folder is still the same job (manifests
// without a run id: the manifest's path and creation time), then the
// advertiser, target and action.
func jobKey(manifestPath string, m *Manifest, req Request, action string) string {
	h := sha256.New()
	parts := []string{manifestPath, m.CreatedAt.UTC().Format(time.RFC3339Nano)}
	if m.RunID != "" {
		parts = []string{"run", m.RunID}
		for _, f := range m.Files {
			parts = append(parts, f.CalculateType, f.MD5)
		}
	}
	for _, s := range append(parts, req.AdvertiserID, req.AudienceName, req.AudienceID, action) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func newID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func typeSuffix(calc string) string {
	return strings.ToLower(strings.TrimSuffix(calc, "_SHA256"))
}

// validate checks a request before any state is written.
func (req *Request) validate() (string, error) {
	if req.AdvertiserID == "" {
		return "", errors.New("no advertiser id: pass --advertiser-id or set it in Settings > TikTok")
	}
	switch {
	case req.AudienceName != "" && req.AudienceID != "":
		return "", errors.New("give either a new audience name or an existing audience id, not both")
	case req.AudienceName == "" && req.AudienceID == "":
		return "", errors.New("give a new audience name (--audience) or an existing audience id (--audience-id)")
	case req.AudienceName != "":
		if req.Action != "" && !strings.EqualFold(req.Action, "create") {
			return "", fmt.Errorf("action %s needs an existing audience (--audience-id), not a new name", req.Action)
		}
		if n := len([]rune(req.AudienceName)); n > 120 {
			return "", fmt.Errorf("audience name is %d characters; TikTok allows 128 and a type suffix may be added: use at most 120", n)
		}
		return tiktok.ActionCreate, nil
	}
	a := strings.ToUpper(req.Action)
	if a == "" {
		a = tiktok.ActionAppend
	}
	switch a {
	case tiktok.ActionAppend, tiktok.ActionRemove, tiktok.ActionReplace:
		return a, nil
	}
	return "", fmt.Errorf("unknown action %q: use append, remove or replace", req.Action)
}

// Run starts the job described by req, or resumes it if an earlier run of
// the same job did not finish (or returns its result if it did).
func (u *Uploader) Run(ctx context.Context, req Request) (*Result, error) {
	action, err := req.validate()
	if err != nil {
		return nil, err
	}
	m, err := ReadManifest(req.ManifestPath)
	if err != nil {
		return nil, err
	}
	if err := checkFileLimit(m); err != nil {
		return nil, err
	}
	key := jobKey(m.path, m, req, action)
	// Held until the job ends: another process (the app and the CLI share
	// the state database) gets an error naming this one instead of sending
	// the same create.
	lock, err := u.cfg.Store.lockJob(ctx, key)
	if err != nil {
		return nil, err
	}
	defer lock.unlock()
	job, resumed, err := u.findOrCreateJob(ctx, key, m, req, action)
	if err != nil {
		return nil, err
	}
	return u.execute(ctx, job, m, resumed)
}

// findOrCreateJob looks the job up by key and creates it if new, under the
// state database's lock.
func (u *Uploader) findOrCreateJob(ctx context.Context, key string, m *Manifest, req Request, action string) (*Job, bool, error) {
	lock, err := u.cfg.Store.lockState(ctx)
	if err != nil {
		return nil, false, err
	}
	defer lock.unlock()
	job, err := u.cfg.Store.jobByKey(ctx, key)
	if err != nil || job != nil {
		return job, job != nil, err
	}
	job, err = u.newJob(ctx, m.path, key, m, req, action)
	return job, false, err
}

// checkFileLimit stops before anything is sent when an audience would get
// more files than TikTok takes in one request and keeps per audience.
func checkFileLimit(m *Manifest) error {
	for _, calc := range m.CalculateTypes() {
		n := 0
		for _, f := range m.Files {
			if f.CalculateType == calc {
				n++
			}
		}
		if n > tiktok.MaxFilePaths {
			return fmt.Errorf("the manifest has %d %s files, but TikTok keeps at most %d files per audience: transform the list again with larger files (--max-file-mb up to 250, or Maximum file size in the app) so it fits in %d files, or split the list into several audiences; nothing was sent",
				n, calc, tiktok.MaxFilePaths, tiktok.MaxFilePaths)
		}
	}
	return nil
}

// Resume continues a stored job by id.
func (u *Uploader) Resume(ctx context.Context, jobID string) (*Result, error) {
	job, err := u.cfg.Store.Job(ctx, jobID)
	if err != nil {
		return nil, err
	}
	if job == nil {
		return nil, fmt.Errorf("no upload job %s in the state database", jobID)
	}
	lock, err := u.cfg.Store.lockJob(ctx, job.Key)
	if err != nil {
		return nil, err
	}
	defer lock.unlock()
	// Read again under the lock: another process may have moved it on.
	if job, err = u.cfg.Store.Job(ctx, jobID); err != nil {
		return nil, err
	}
	m, err := ReadManifest(job.ManifestPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("resume job %s: %w. If the folder was moved, upload it again from its new place with the same audience: the job resumes from where it stopped", jobID, err)
	}
	if err != nil {
		return nil, fmt.Errorf("resume job %s: %w", jobID, err)
	}
	return u.execute(ctx, job, m, true)
}

func (u *Uploader) newJob(ctx context.Context, abs, key string, m *Manifest, req Request, action string) (*Job, error) {
	job := &Job{ID: newID(), Key: key, ManifestPath: abs, AdvertiserID: req.AdvertiserID, AudienceName: req.AudienceName,
		AudienceID: req.AudienceID, Action: action, Step: StepUploading}
	types := m.CalculateTypes()
	if action != tiktok.ActionCreate && len(types) > 1 {
		return nil, fmt.Errorf("the manifest has files of %d identifier types (%s) but an audience holds one: transform with --layout combined, or create new audiences", len(types), strings.Join(types, ", "))
	}
	for _, calc := range types {
		t := Target{CalculateType: calc, AudienceID: req.AudienceID, Rows: m.Rows(calc)}
		if action == tiktok.ActionCreate {
			t.AudienceName = req.AudienceName
			if len(types) > 1 {
				// One audience per identifier type: TikTok requires one
				// calculate_type per audience.
				t.AudienceName = fmt.Sprintf("%s (%s)", req.AudienceName, typeSuffix(calc))
			}
		}
		job.Targets = append(job.Targets, t)
	}
	var files []fileState
	var batches []batchState
	for _, calc := range types {
		n := 0
		for i, f := range m.Files {
			if f.CalculateType != calc {
				continue
			}
			files = append(files, fileState{idx: i, path: f.Path, calculateType: calc, rows: f.Rows, bytes: f.Bytes, md5: strings.ToLower(f.MD5), batch: n / BatchSize})
			n++
		}
		for b := 0; b*BatchSize < n; b++ {
			a := action
			switch {
			case action == tiktok.ActionCreate && b == 0:
				a = tiktok.ActionCreate
			case action == tiktok.ActionCreate, action == tiktok.ActionReplace && b > 0:
				// The rest of a new audience, and of a REPLACE past its first
				// 50 files, are appended.
				a = tiktok.ActionAppend
			}
			batches = append(batches, batchState{calculateType: calc, no: b, action: a})
		}
	}
	if err := u.cfg.Store.createJob(ctx, job, files, batches); err != nil {
		return nil, err
	}
	return job, nil
}

// execute drives a job from whatever step it is at to done.
func (u *Uploader) execute(ctx context.Context, job *Job, m *Manifest, resumed bool) (res *Result, err error) {
	ctx = tiktok.WithLog(ctx, u.jobLog(job.ID))
	res = &Result{JobID: job.ID, Action: job.Action, Files: len(m.Files), Rows: m.Rows(""), Resumed: resumed}
	if job.Step == StepDone {
		res.AlreadyOK = true
		res.Targets = job.Targets
		return res, nil
	}
	defer func() {
		if err != nil {
			// A cancelled run is resumable as is; anything else is recorded.
			if ctx.Err() == nil {
				_ = u.cfg.Store.setStep(context.Background(), job.ID, job.Step, err.Error())
			}
			u.logf(job.ID, "error", "%v", err)
		}
	}()
	u.logf(job.ID, "info", "run started at step %s (%d files, %d rows)", job.Step, len(m.Files), res.Rows)

	files, err := u.cfg.Store.files(ctx, job.ID)
	if err != nil {
		return nil, err
	}
	if err := u.bindFiles(ctx, job, m, files); err != nil {
		return nil, err
	}
	if err := u.guards(ctx, job, res); err != nil {
		return nil, err
	}
	u.emit(Event{JobID: job.ID, Kind: EventStep, Step: StepUploading, Files: len(files)})
	if err := u.uploadFiles(ctx, job, files, res); err != nil {
		return nil, err
	}
	job.Step = StepAudience
	if err := u.cfg.Store.setStep(ctx, job.ID, StepAudience, ""); err != nil {
		return nil, err
	}
	u.emit(Event{JobID: job.ID, Kind: EventStep, Step: StepAudience})
	for i := range job.Targets {
		if err := u.applyTarget(ctx, job, &job.Targets[i], files); err != nil {
			return nil, err
		}
	}
	job.Step = StepDone
	if err := u.cfg.Store.setStep(ctx, job.ID, StepDone, ""); err != nil {
		return nil, err
	}
	u.emit(Event{JobID: job.ID, Kind: EventStep, Step: StepDone})
	u.logf(job.ID, "info", "done")
	res.Targets = job.Targets
	return res, nil
}

// bindFiles points the job's files at the manifest as it is now (the
// folder may have moved since the job began) and checks every file's
// contents before any byte goes to TikTok.
func (u *Uploader) bindFiles(ctx context.Context, job *Job, m *Manifest, files []fileState) error {
	if err := checkFileLimit(m); err != nil {
		return err
	}
	if len(files) != len(m.Files) {
		return fmt.Errorf("%s lists %d files, upload job %s was started with %d: the folder changed since; transform the list again into a new folder", m.path, len(m.Files), job.ID, len(files))
	}
	stamps, err := m.VerifyFiles()
	if err != nil {
		return err
	}
	for i := range files {
		f := &files[i]
		mf := m.Files[f.idx]
		if mf.MD5 != f.md5 || mf.CalculateType != f.calculateType {
			return fmt.Errorf("%s is not the file upload job %s was started with (its MD5 or type differs): the folder changed since; transform the list again into a new folder", mf.Path, job.ID)
		}
		f.path, f.stamp = mf.Path, stamps[f.idx]
	}
	if job.ManifestPath != m.path {
		if err := u.cfg.Store.moveJob(ctx, job.ID, m.path, files); err != nil {
			return err
		}
		u.logf(job.ID, "info", "the folder moved from %s to %s; resuming there", filepath.Dir(job.ManifestPath), filepath.Dir(m.path))
		job.ManifestPath = m.path
	}
	return nil
}

// guards warn about small uploads and refuse updates TikTok would reject,
// before anything is sent for this job.
func (u *Uploader) guards(ctx context.Context, job *Job, res *Result) error {
	for _, t := range job.Targets {
		if t.Rows < tiktok.MinAudienceUsers && job.Action != tiktok.ActionRemove {
			w := fmt.Sprintf("only %d rows of %s: TikTok needs about 1,000 matched users to target an audience", t.Rows, t.CalculateType)
			res.Warnings = append(res.Warnings, w)
			u.emit(Event{JobID: job.ID, Kind: EventWarning, Message: w})
			u.logf(job.ID, "warn", "%s", w)
		}
	}
	if job.Action == tiktok.ActionCreate {
		return nil
	}
	batches, err := u.cfg.Store.batches(ctx, job.ID, job.Targets[0].CalculateType)
	if err != nil {
		return err
	}
	if len(batches) > 0 && batches[0].status != batchPending {
		return nil // this job already changed the audience: its own REPLACE is not "another"
	}
	t := job.Targets[0]
	d, err := u.cfg.Client.GetAudience(ctx, job.AdvertiserID, t.AudienceID, 20)
	if err != nil {
		return fmt.Errorf("check audience %s before %s: %w", t.AudienceID, job.Action, err)
	}
	if d.Audience.IsCreator != nil && !*d.Audience.IsCreator {
		return fmt.Errorf("audience %s (%q) was shared with this advertiser by another one: only its owner may change it, so nothing was sent. Create a new audience instead, or upload from the owning advertiser", t.AudienceID, d.Audience.Name)
	}
	if d.Audience.CalculateType != "" && d.Audience.CalculateType != t.CalculateType {
		return fmt.Errorf("audience %s (%q) holds %s but the files are %s: TikTok refuses mixing types", t.AudienceID, d.Audience.Name, d.Audience.CalculateType, t.CalculateType)
	}
	switch job.Action {
	case tiktok.ActionReplace:
		if t.Rows < tiktok.MinAudienceUsers {
			return fmt.Errorf("refusing REPLACE of audience %s with %d rows: TikTok rejects an update that leaves fewer than 1,000 users", t.AudienceID, t.Rows)
		}
		if !d.Audience.IsValid && len(d.History) > 0 && strings.EqualFold(d.History[0].Action, tiktok.ActionReplace) {
			return fmt.Errorf("refusing REPLACE of audience %s: TikTok is still processing an earlier REPLACE (from %s); try again when it is ready (TikTok recommends at most one a day)", t.AudienceID, d.History[0].OptTime)
		}
	case tiktok.ActionRemove:
		if d.Audience.IsValid && d.Audience.CoverNum > 0 && d.Audience.CoverNum < tiktok.MinAudienceUsers {
			return fmt.Errorf("refusing REMOVE from audience %s: it has %d matched users, and TikTok rejects an update that leaves fewer than 1,000", t.AudienceID, d.Audience.CoverNum)
		}
	}
	return nil
}

// uploadFiles uploads every file without a file_path, Concurrency at a time,
// storing each file_path as soon as TikTok returns it.
func (u *Uploader) uploadFiles(ctx context.Context, job *Job, files []fileState, res *Result) error {
	var todo []int
	for i, f := range files {
		if f.filePath == "" {
			todo = append(todo, i)
		} else {
			res.Reused++
			u.emit(Event{JobID: job.ID, Kind: EventFileDone, File: filepath.Base(f.path), FileIndex: f.idx, Files: len(files), BytesSent: f.bytes, BytesTotal: f.bytes, Message: "uploaded by an earlier run"})
		}
	}
	return u.uploadSet(ctx, job, files, todo, res)
}

// uploadSet sends the files todo, Concurrency at a time; the first failure
// stops the others (errgroup, as the transform's workers do).
func (u *Uploader) uploadSet(ctx context.Context, job *Job, files []fileState, todo []int, res *Result) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(u.cfg.Concurrency)
	var mu sync.Mutex // res.Uploaded
	for _, i := range todo {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if err := u.uploadOne(gctx, job, &files[i], len(files)); err != nil {
				return err
			}
			mu.Lock()
			res.Uploaded++
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

func (u *Uploader) uploadOne(ctx context.Context, job *Job, f *fileState, total int) error {
	name := filepath.Base(f.path)
	u.emit(Event{JobID: job.ID, Kind: EventFileStart, File: name, FileIndex: f.idx, Files: total, BytesTotal: f.bytes})
	// bindFiles read this file; one changed (or swapped) since is not sent.
	if fi, err := os.Lstat(f.path); err != nil || !f.stamp.same(fi) {
		return fmt.Errorf("%s changed after it was checked and before it was sent; nothing of it was sent. Transform the list again into a new folder", f.path)
	}
	fp, err := u.cfg.Client.UploadFile(ctx, tiktok.UploadRequest{AdvertiserID: job.AdvertiserID, CalculateType: f.calculateType, Path: f.path, MD5: f.md5,
		Progress: func(sent, size int64) {
			u.emit(Event{JobID: job.ID, Kind: EventFileBytes, File: name, FileIndex: f.idx, Files: total, BytesSent: sent, BytesTotal: size})
		}})
	if err != nil {
		return fmt.Errorf("upload %s: %w", name, err)
	}
	// Stored before anything else happens: a kill after this line never
	// re-uploads the file.
	if err := u.cfg.Store.setFilePath(context.Background(), job.ID, f.idx, fp); err != nil {
		return err
	}
	f.filePath = fp
	u.emit(Event{JobID: job.ID, Kind: EventFileDone, File: name, FileIndex: f.idx, Files: total, BytesSent: f.bytes, BytesTotal: f.bytes})
	return nil
}

// applyTarget creates the target audience (if new) and sends its batches.
func (u *Uploader) applyTarget(ctx context.Context, job *Job, t *Target, files []fileState) error {
	batches, err := u.cfg.Store.batches(ctx, job.ID, t.CalculateType)
	if err != nil {
		return err
	}
	for _, b := range batches {
		if b.status == batchDone {
			continue
		}
		for reupload := 0; ; reupload++ {
			var err error
			if b.action == tiktok.ActionCreate {
				err = u.create(ctx, job, t, &b, files)
			} else {
				err = u.update(ctx, job, t, &b, files)
			}
			if errors.Is(err, tiktok.ErrFileExpired) && reupload < 2 {
				// TikTok refused the request outright: upload the batch's
				// files again and resend it.
				u.logf(job.ID, "warn", "uploaded files of batch %d expired on TikTok; uploading them again", b.no)
				if err := u.reuploadBatch(ctx, job, t.CalculateType, b.no, files); err != nil {
					return err
				}
				continue
			}
			if err != nil {
				return err
			}
			break
		}
		u.emit(Event{JobID: job.ID, Kind: EventBatchDone, AudienceID: t.AudienceID, Message: fmt.Sprintf("%s of batch %d done", b.action, b.no+1)})
	}
	return nil
}

func (u *Uploader) reuploadBatch(ctx context.Context, job *Job, calc string, no int, files []fileState) error {
	var todo []int
	for i := range files {
		f := &files[i]
		if f.calculateType == calc && f.batch == no {
			if err := u.cfg.Store.setFilePath(ctx, job.ID, f.idx, ""); err != nil {
				return err
			}
			f.filePath = ""
			todo = append(todo, i)
		}
	}
	return u.uploadSet(ctx, job, files, todo, &Result{})
}

func batchPaths(files []fileState, calc string, no int) []string {
	var out []string
	for _, f := range files {
		if f.calculateType == calc && f.batch == no {
			out = append(out, f.filePath)
		}
	}
	return out
}

// create makes the audience exactly once. Before the first attempt the ids
// of the advertiser's audiences of that name are stored with
// create_started_at; a run killed while the request was in flight, or a
// request whose outcome is unknown, then looks for an audience of that name
// that was not there before and that this advertiser created. Any definite
// answer clears both, so a later run starts afresh.
func (u *Uploader) create(ctx context.Context, job *Job, t *Target, b *batchState, files []fileState) error {
	wait := u.cfg.RetryWait
	for attempt := 1; ; attempt++ {
		if t.AudienceID == "" && t.CreateStartedAt != "" {
			id, err := u.findCreated(ctx, job, t)
			if err != nil {
				return err
			}
			if id != "" {
				u.logf(job.ID, "info", "found audience %s created by an earlier attempt; not creating another", id)
				if err := u.adopt(ctx, job, t, id); err != nil {
					return err
				}
			}
		}
		if t.AudienceID != "" {
			b.status = batchDone
			return u.cfg.Store.setBatch(ctx, job.ID, *b)
		}
		if t.CreateStartedAt == "" {
			before, err := u.sameNamed(ctx, job, t)
			if err != nil {
				return err
			}
			ids := make([]string, 0, len(before))
			for _, a := range before {
				ids = append(ids, a.AudienceID)
			}
			ts := time.Now().UTC().Format(time.RFC3339Nano)
			if err := u.cfg.Store.setCreateStarted(ctx, job.ID, t.CalculateType, ts, ids); err != nil {
				return err
			}
			t.CreateStartedAt, t.existing = ts, ids
		}
		id, err := u.cfg.Client.CreateAudience(ctx, tiktok.CreateRequest{AdvertiserID: job.AdvertiserID, Name: t.AudienceName,
			FilePaths: batchPaths(files, t.CalculateType, b.no), CalculateType: t.CalculateType})
		if err == nil {
			if err := u.adopt(ctx, job, t, id); err != nil {
				return err
			}
			b.status = batchDone
			return u.cfg.Store.setBatch(ctx, job.ID, *b)
		}
		if !errors.Is(err, tiktok.ErrOutcomeUnknown) && !errors.Is(err, tiktok.ErrRetriesExhausted) {
			// Refused outright (token, permission, parameters, expired
			// files): nothing was created, and nothing made later under
			// that name may be taken for ours.
			if serr := u.cfg.Store.setCreateStarted(ctx, job.ID, t.CalculateType, "", nil); serr != nil {
				return serr
			}
			t.CreateStartedAt, t.existing = "", nil
			return err
		}
		if attempt >= u.cfg.CreateAttempts {
			return fmt.Errorf("create audience %q: gave up after %d attempts: %w", t.AudienceName, attempt, err)
		}
		msg := fmt.Sprintf("create audience %q: outcome unknown (%v); checking before trying again", t.AudienceName, err)
		u.logf(job.ID, "warn", "%s", msg)
		u.emit(Event{JobID: job.ID, Kind: EventRetry, Wait: wait, Message: msg})
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		wait *= 2
	}
}

func (u *Uploader) adopt(ctx context.Context, job *Job, t *Target, id string) error {
	if err := u.cfg.Store.setAudienceID(context.Background(), job.ID, t.CalculateType, id); err != nil {
		return err
	}
	t.AudienceID = id
	u.emit(Event{JobID: job.ID, Kind: EventAudience, AudienceID: id, Message: t.AudienceName})
	u.logf(job.ID, "info", "audience %s (%q) belongs to this job", id, t.AudienceName)
	return nil
}

// sameNamed lists the advertiser's audiences (every page) with the
// target's name.
func (u *Uploader) sameNamed(ctx context.Context, job *Job, t *Target) ([]tiktok.Audience, error) {
	list, err := u.cfg.Client.ListAudiences(ctx, job.AdvertiserID)
	if err != nil {
		return nil, fmt.Errorf("list audiences named %q: %w", t.AudienceName, err)
	}
	var out []tiktok.Audience
	for _, a := range list {
		if a.Name == t.AudienceName {
			out = append(out, a)
		}
	}
	return out, nil
}

// findCreated looks for the audience an unclear create made: the target's
// name and type, not among the ids seen before the first attempt, not owned
// by another job, and created by this advertiser (get's is_creator: an
// audience shared by another advertiser is never taken). create_time is not
// used: TikTok does not say which zone it is in.
func (u *Uploader) findCreated(ctx context.Context, job *Job, t *Target) (string, error) {
	named, err := u.sameNamed(ctx, job, t)
	if err != nil {
		return "", fmt.Errorf("look for an audience created by an earlier attempt: %w", err)
	}
	before := map[string]bool{}
	for _, id := range t.existing {
		before[id] = true
	}
	var fresh []string
	for _, a := range named {
		if before[a.AudienceID] || (a.CalculateType != "" && a.CalculateType != t.CalculateType) {
			continue
		}
		claimed, err := u.cfg.Store.claimedAudience(ctx, job.ID, a.AudienceID)
		if err != nil {
			return "", err
		}
		if !claimed {
			fresh = append(fresh, a.AudienceID)
		}
	}
	if len(fresh) == 0 {
		return "", nil
	}
	var ours, unknown []string
	for i := 0; i < len(fresh); i += 100 {
		details, err := u.cfg.Client.GetAudiences(ctx, job.AdvertiserID, fresh[i:min(i+100, len(fresh))], 0)
		if err != nil {
			return "", fmt.Errorf("look for an audience created by an earlier attempt: %w", err)
		}
		for _, d := range details {
			switch c := d.Audience.IsCreator; {
			case c == nil:
				unknown = append(unknown, d.Audience.AudienceID)
			case *c:
				ours = append(ours, d.Audience.AudienceID)
			}
		}
	}
	switch {
	case len(ours) > 1:
		return "", fmt.Errorf("an earlier attempt to create audience %q had no clear answer, and now %d audiences of that name (%s) that were not there before belong to this advertiser: it cannot be told which is this upload's, so nothing more was sent. Delete the extra ones in TikTok Ads Manager (or rename them), then resume", t.AudienceName, len(ours), strings.Join(ours, ", "))
	case len(ours) == 1:
		return ours[0], nil
	case len(unknown) > 0:
		return "", fmt.Errorf("an earlier attempt to create audience %q had no clear answer, and TikTok does not say who created the new audience(s) of that name (%s), so nothing more was sent. Check them in TikTok Ads Manager, delete any this upload made, then resume", t.AudienceName, strings.Join(unknown, ", "))
	}
	return "", nil
}

// historyWindow is how many history entries are read to tell whether an
// update was applied (TikTok returns at most 100).
const historyWindow = 100

// historyMark is the audience's history as seen before an update: one
// fingerprint per entry, newest first.
type historyMark []string

func (u *Uploader) readHistory(ctx context.Context, job *Job, id string) ([]tiktok.History, error) {
	d, err := u.cfg.Client.GetAudience(ctx, job.AdvertiserID, id, historyWindow)
	if err != nil {
		return nil, fmt.Errorf("read history of audience %s: %w", id, err)
	}
	return d.History, nil
}

func markOf(h []tiktok.History) historyMark {
	m := make(historyMark, 0, len(h))
	for _, e := range h {
		m = append(m, e.Key())
	}
	return m
}

// newSince counts the entries of h with action that the mark does not hold
// (as a multiset: identical entries count once each).
func (m historyMark) newSince(h []tiktok.History, action string) int {
	seen := map[string]int{}
	for _, k := range m {
		seen[k]++
	}
	n := 0
	for _, e := range h {
		k := e.Key()
		if seen[k] > 0 {
			seen[k]--
			continue
		}
		if strings.EqualFold(e.Action, action) {
			n++
		}
	}
	return n
}

// settle waits until the audience's history shows the batch this job
// applied before b: only then is b's mark taken, so a late entry of that
// earlier batch cannot later pass for b's. It reports whether it showed.
func (u *Uploader) settle(ctx context.Context, job *Job, t *Target, b *batchState) (bool, error) {
	batches, err := u.cfg.Store.batches(ctx, job.ID, t.CalculateType)
	if err != nil {
		return false, err
	}
	var prev *batchState
	for i := range batches {
		if batches[i].no < b.no && batches[i].status == batchDone {
			prev = &batches[i]
		}
	}
	if prev == nil {
		return true, nil
	}
	var mark historyMark
	if prev.historyTop != "" && json.Unmarshal([]byte(prev.historyTop), &mark) != nil {
		return true, nil // a mark of an older version: nothing to wait for
	}
	wait := u.cfg.PollInitial
	for attempt := 1; ; attempt++ {
		h, err := u.readHistory(ctx, job, t.AudienceID)
		if err != nil {
			return false, err
		}
		if mark.newSince(h, prev.action) > 0 {
			return true, nil
		}
		if attempt >= u.cfg.CreateAttempts {
			return false, nil
		}
		if err := sleep(ctx, wait); err != nil {
			return false, err
		}
		wait = min(2*wait, u.cfg.PollMax)
	}
}

// update sends one batch exactly once: before sending, the audience's
// history is recorded (once the earlier batch shows in it); if the outcome
// is unknown (or the run was killed mid-request), a new entry with the
// batch's action means TikTok applied it.
func (u *Uploader) update(ctx context.Context, job *Job, t *Target, b *batchState, files []fileState) error {
	wait := u.cfg.RetryWait
	for attempt := 1; ; attempt++ {
		if b.status == batchSending {
			applied, err := u.appliedSince(ctx, job, t, b)
			if err != nil {
				return err
			}
			if applied {
				u.logf(job.ID, "info", "%s of batch %d was applied by an earlier attempt", b.action, b.no)
				b.status = batchDone
				return u.cfg.Store.setBatch(ctx, job.ID, *b)
			}
		} else {
			settled, err := u.settle(ctx, job, t, b)
			if err != nil {
				return err
			}
			h, err := u.readHistory(ctx, job, t.AudienceID)
			if err != nil {
				return err
			}
			mark, _ := json.Marshal(markOf(h))
			b.status, b.historyCount, b.historyTop = batchSending, len(h), string(mark)
			if !settled {
				// The earlier batch never showed: its entry may still come
				// and could not be told from this one's.
				b.historyCount = historyUnsettled
			}
			if err := u.cfg.Store.setBatch(ctx, job.ID, *b); err != nil {
				return err
			}
		}
		err := u.cfg.Client.UpdateAudience(ctx, tiktok.UpdateRequest{AdvertiserID: job.AdvertiserID, AudienceID: t.AudienceID,
			FilePaths: batchPaths(files, t.CalculateType, b.no), Action: b.action})
		if err == nil {
			b.status = batchDone
			return u.cfg.Store.setBatch(ctx, job.ID, *b)
		}
		if !errors.Is(err, tiktok.ErrOutcomeUnknown) && !errors.Is(err, tiktok.ErrRetriesExhausted) {
			// Refused outright: nothing changed, so the next try starts clean.
			b.status = batchPending
			if serr := u.cfg.Store.setBatch(ctx, job.ID, *b); serr != nil {
				return serr
			}
			return err
		}
		if attempt >= u.cfg.CreateAttempts {
			return fmt.Errorf("%s audience %s: gave up after %d attempts: %w", b.action, t.AudienceID, attempt, err)
		}
		msg := fmt.Sprintf("%s to audience %s: outcome unknown (%v); checking before trying again", b.action, t.AudienceID, err)
		u.logf(job.ID, "warn", "%s", msg)
		u.emit(Event{JobID: job.ID, Kind: EventRetry, Wait: wait, Message: msg})
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		wait *= 2
	}
}

// historyUnsettled in a batch's history_count: its mark was taken before
// the earlier batch showed in the history.
const historyUnsettled = -2

// appliedSince tells from the history whether a batch sent with an unknown
// outcome was applied.
func (u *Uploader) appliedSince(ctx context.Context, job *Job, t *Target, b *batchState) (bool, error) {
	h, err := u.readHistory(ctx, job, t.AudienceID)
	if err != nil {
		return false, err
	}
	var mark historyMark
	if json.Unmarshal([]byte(b.historyTop), &mark) != nil {
		return legacyApplied(h, b), nil
	}
	n := mark.newSince(h, b.action)
	if b.historyCount == historyUnsettled && n > 0 {
		// The new entry may be the earlier batch's late one.
		return false, fmt.Errorf("cannot tell whether %s of batch %d to audience %s was applied: TikTok's history had not shown the batch before it when it was sent. Check the audience in TikTok Ads Manager, then resume", b.action, b.no+1, t.AudienceID)
	}
	return n > 0, nil
}

// legacyApplied is the rule of marks stored by earlier versions (a count
// and a digest of 20 entries): a changed history means applied.
func legacyApplied(h []tiktok.History, b *batchState) bool {
	const window = 20
	if len(h) > window {
		h = h[:window]
	}
	d := sha256.New()
	for _, e := range h {
		fmt.Fprintf(d, "%s|%s|%s|%s\n", e.Action, e.ActionDetail, e.OptTime, e.Msg)
	}
	return (b.historyCount < window && len(h) > b.historyCount) || hex.EncodeToString(d.Sum(nil)) != b.historyTop
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
