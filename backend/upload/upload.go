// Package upload turns a transform's manifest into a TikTok audience: it
// uploads the files with bounded concurrency, creates the audience (or
// updates an existing one) in groups of 50 file paths, and keeps every step
// in SQLite so a run killed at any point resumes without re-uploading
// finished files or creating a second audience. It has no GUI dependency:
// progress goes to a Sink that the CLI prints and the desktop app forwards.
//
// Files by job: upload.go (running a job), events.go (progress and the job
// log), job.go (a job's key, checks and rows), files.go (the file uploads),
// create.go and update.go (each exactly once), history.go (what the
// audience's history says was applied), store.go (the state database).
package upload

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
)

// BatchSize is how many file paths go into one create or update: TikTok
// allows 500 but recommends fewer than 50.
const BatchSize = 50

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
