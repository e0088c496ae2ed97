package upload

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/datadir"
	"github.com/audience-uploader/audience-uploader/backend/sqlitefile"
)

// Steps of a job and of each target audience.
const (
	StepUploading = "uploading"
	StepAudience  = "audience" // creating or updating the audience
	StepDone      = "done"
	StepFailed    = "failed"
)

// Batch statuses.
const (
	batchPending = "pending"
	batchSending = "sending" // sent or about to be: outcome to be checked on resume
	batchDone    = "done"
)

// DefaultStatePath is upload-state.db in the app's data folder
// (datadir.Path: $AUDIENCE_UPLOADER_DATA_DIR, else the OS convention).
func DefaultStatePath() (string, error) {
	d, err := datadir.Path()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "upload-state.db"), nil
}

// Store keeps upload jobs in SQLite so a killed run resumes where it stopped.
type Store struct {
	db *sql.DB
}

const schema = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  job_key TEXT NOT NULL UNIQUE,
  manifest_path TEXT NOT NULL,
  advertiser_id TEXT NOT NULL,
  audience_name TEXT NOT NULL DEFAULT '',
  audience_id TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL,
  step TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS targets (
  job_id TEXT NOT NULL,
  calculate_type TEXT NOT NULL,
  audience_name TEXT NOT NULL DEFAULT '',
  audience_id TEXT NOT NULL DEFAULT '',
  create_started_at TEXT NOT NULL DEFAULT '',
  rows INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, calculate_type)
);
CREATE TABLE IF NOT EXISTS files (
  job_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  path TEXT NOT NULL,
  calculate_type TEXT NOT NULL,
  rows INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  md5 TEXT NOT NULL,
  file_path TEXT NOT NULL DEFAULT '',
  uploaded_at TEXT NOT NULL DEFAULT '',
  batch INTEGER NOT NULL,
  PRIMARY KEY (job_id, idx)
);
CREATE TABLE IF NOT EXISTS batches (
  job_id TEXT NOT NULL,
  calculate_type TEXT NOT NULL,
  no INTEGER NOT NULL,
  action TEXT NOT NULL,
  status TEXT NOT NULL,
  history_count INTEGER NOT NULL DEFAULT -1,
  history_top TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (job_id, calculate_type, no)
);
CREATE TABLE IF NOT EXISTS log (
  job_id TEXT NOT NULL,
  ts TEXT NOT NULL,
  level TEXT NOT NULL,
  op TEXT NOT NULL DEFAULT '',
  request_id TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_job ON log(job_id);
`

// OpenStore opens (creating) the state database at path through
// sqlitefile: 0600 files (WAL and SHM included) in a 0700 folder.
func OpenStore(path string) (*Store, error) {
	db, err := sqlitefile.Open(context.Background(), path, "busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)")
	if err != nil {
		return nil, fmt.Errorf("open upload state: %w", err)
	}
	// One connection: SQLite serializes writers anyway, and this keeps the
	// pragmas on the connection that writes.
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create upload state schema in %s: %w", path, err)
	}
	if err := migrate(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("upgrade upload state schema in %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// migrations[i] upgrades the schema from user_version i to i+1.
var migrations = []string{
	// 0 → 1: the last status read from TikTok, so the app can resume
	// following audiences that were not ready when it closed.
	`ALTER TABLE targets ADD COLUMN ready INTEGER NOT NULL DEFAULT 0;
	 ALTER TABLE targets ADD COLUMN matched INTEGER NOT NULL DEFAULT 0;
	 ALTER TABLE targets ADD COLUMN checked_at TEXT NOT NULL DEFAULT '';`,
	// 1 → 2: the ids of the advertiser's audiences with the target's name
	// before its first create attempt (JSON array): an unclear create is
	// recovered from what was not there before, never from create_time.
	`ALTER TABLE targets ADD COLUMN existing_ids TEXT NOT NULL DEFAULT '';`,
}

func migrate(db *sql.DB) error {
	var v int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		return err
	}
	for ; v < len(migrations); v++ {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(migrations[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
		if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, v+1)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// recordStatus keeps the last status read for every target of audience id.
func (s *Store) recordStatus(ctx context.Context, st *AudienceStatus) error {
	ready := 0
	if st.Ready {
		ready = 1
	}
	return s.exec(ctx, "audience status", `UPDATE targets SET ready = ?, matched = ?, checked_at = ? WHERE audience_id = ?`,
		ready, st.MatchedUsers, st.CheckedAt.UTC().Format(time.RFC3339Nano), st.AudienceID)
}

// Pending is an audience of a finished job that TikTok had not reported
// ready when last checked.
type Pending struct {
	JobID        string `json:"job_id"`
	AdvertiserID string `json:"advertiser_id"`
	AudienceID   string `json:"audience_id"`
	AudienceName string `json:"audience_name"`
	CheckedAt    string `json:"checked_at,omitempty"`
}

// NotReady lists audiences to keep following (at the app's next start).
func (s *Store) NotReady(ctx context.Context) ([]Pending, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT j.id, j.advertiser_id, t.audience_id, t.audience_name, t.checked_at FROM targets t JOIN jobs j ON j.id = t.job_id
		WHERE j.step = ? AND t.ready = 0 AND t.audience_id <> '' ORDER BY j.created_at`, StepDone)
	if err != nil {
		return nil, fmt.Errorf("list audiences to follow: %w", err)
	}
	defer rows.Close()
	var out []Pending
	for rows.Next() {
		var p Pending
		if err := rows.Scan(&p.JobID, &p.AdvertiserID, &p.AudienceID, &p.AudienceName, &p.CheckedAt); err != nil {
			return nil, fmt.Errorf("list audiences to follow: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// Job is a stored upload job.
type Job struct {
	ID           string    `json:"id"`
	Key          string    `json:"-"`
	ManifestPath string    `json:"manifest_path"`
	AdvertiserID string    `json:"advertiser_id"`
	AudienceName string    `json:"audience_name,omitempty"`
	AudienceID   string    `json:"audience_id,omitempty"` // existing audience updated
	Action       string    `json:"action"`                // CREATE, APPEND, REMOVE, REPLACE
	Step         string    `json:"step"`
	Error        string    `json:"error,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	Targets      []Target  `json:"targets"`
}

// Target is the audience that receives the files of one calculate type.
type Target struct {
	CalculateType   string   `json:"calculate_type"`
	AudienceName    string   `json:"audience_name,omitempty"`
	AudienceID      string   `json:"audience_id,omitempty"`
	CreateStartedAt string   `json:"-"`
	Rows            int64    `json:"rows"`
	existing        []string // audience ids with AudienceName before the first create attempt
}

type fileState struct {
	idx           int
	path          string
	calculateType string
	rows, bytes   int64
	md5           string
	filePath      string
	batch         int
	stamp         fileStamp // as verified before this run sent anything
}

type batchState struct {
	calculateType string
	no            int
	action        string
	status        string
	historyCount  int
	historyTop    string
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func (s *Store) jobBy(ctx context.Context, where string, arg any) (*Job, error) {
	var j Job
	var created, updated string
	err := s.db.QueryRowContext(ctx, `SELECT id, job_key, manifest_path, advertiser_id, audience_name, audience_id, action, step, error, created_at, updated_at FROM jobs WHERE `+where, arg).
		Scan(&j.ID, &j.Key, &j.ManifestPath, &j.AdvertiserID, &j.AudienceName, &j.AudienceID, &j.Action, &j.Step, &j.Error, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read upload job: %w", err)
	}
	j.CreatedAt, j.UpdatedAt = parseTime(created), parseTime(updated)
	rows, err := s.db.QueryContext(ctx, `SELECT calculate_type, audience_name, audience_id, create_started_at, rows, existing_ids FROM targets WHERE job_id = ? ORDER BY rowid`, j.ID)
	if err != nil {
		return nil, fmt.Errorf("read upload job targets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t Target
		var existing string
		if err := rows.Scan(&t.CalculateType, &t.AudienceName, &t.AudienceID, &t.CreateStartedAt, &t.Rows, &existing); err != nil {
			return nil, fmt.Errorf("read upload job targets: %w", err)
		}
		if existing != "" {
			if err := json.Unmarshal([]byte(existing), &t.existing); err != nil {
				return nil, fmt.Errorf("read upload job targets: audiences seen before the create: %w", err)
			}
		}
		j.Targets = append(j.Targets, t)
	}
	return &j, rows.Err()
}

// Job returns a job by id, or nil.
func (s *Store) Job(ctx context.Context, id string) (*Job, error) { return s.jobBy(ctx, "id = ?", id) }

func (s *Store) jobByKey(ctx context.Context, key string) (*Job, error) {
	return s.jobBy(ctx, "job_key = ?", key)
}

// Jobs lists jobs, newest first.
func (s *Store) Jobs(ctx context.Context) ([]Job, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM jobs ORDER BY created_at DESC`)
	if err != nil {
		return nil, fmt.Errorf("list upload jobs: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list upload jobs: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	var out []Job
	for _, id := range ids {
		j, err := s.Job(ctx, id)
		if err != nil {
			return nil, err
		}
		if j != nil {
			out = append(out, *j)
		}
	}
	return out, nil
}

// createJob inserts a job with its targets, files and batches in one
// transaction.
func (s *Store) createJob(ctx context.Context, j *Job, files []fileState, batches []batchState) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create upload job: %w", err)
	}
	defer tx.Rollback()
	ts := now()
	if _, err := tx.ExecContext(ctx, `INSERT INTO jobs (id, job_key, manifest_path, advertiser_id, audience_name, audience_id, action, step, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		j.ID, j.Key, j.ManifestPath, j.AdvertiserID, j.AudienceName, j.AudienceID, j.Action, j.Step, ts, ts); err != nil {
		return fmt.Errorf("create upload job: %w", err)
	}
	for _, t := range j.Targets {
		if _, err := tx.ExecContext(ctx, `INSERT INTO targets (job_id, calculate_type, audience_name, audience_id, rows) VALUES (?,?,?,?,?)`,
			j.ID, t.CalculateType, t.AudienceName, t.AudienceID, t.Rows); err != nil {
			return fmt.Errorf("create upload job target: %w", err)
		}
	}
	for _, f := range files {
		if _, err := tx.ExecContext(ctx, `INSERT INTO files (job_id, idx, path, calculate_type, rows, bytes, md5, batch) VALUES (?,?,?,?,?,?,?,?)`,
			j.ID, f.idx, f.path, f.calculateType, f.rows, f.bytes, f.md5, f.batch); err != nil {
			return fmt.Errorf("create upload job file: %w", err)
		}
	}
	for _, b := range batches {
		if _, err := tx.ExecContext(ctx, `INSERT INTO batches (job_id, calculate_type, no, action, status) VALUES (?,?,?,?,?)`,
			j.ID, b.calculateType, b.no, b.action, batchPending); err != nil {
			return fmt.Errorf("create upload job batch: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create upload job: %w", err)
	}
	j.CreatedAt, j.UpdatedAt = parseTime(ts), parseTime(ts)
	return nil
}

func (s *Store) exec(ctx context.Context, what, q string, args ...any) error {
	if _, err := s.db.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("save upload state (%s): %w", what, err)
	}
	return nil
}

func (s *Store) setStep(ctx context.Context, jobID, step, errText string) error {
	return s.exec(ctx, "step", `UPDATE jobs SET step = ?, error = ?, updated_at = ? WHERE id = ?`, step, errText, now(), jobID)
}

func (s *Store) files(ctx context.Context, jobID string) ([]fileState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT idx, path, calculate_type, rows, bytes, md5, file_path, batch FROM files WHERE job_id = ? ORDER BY idx`, jobID)
	if err != nil {
		return nil, fmt.Errorf("read upload job files: %w", err)
	}
	defer rows.Close()
	var out []fileState
	for rows.Next() {
		var f fileState
		if err := rows.Scan(&f.idx, &f.path, &f.calculateType, &f.rows, &f.bytes, &f.md5, &f.filePath, &f.batch); err != nil {
			return nil, fmt.Errorf("read upload job files: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

func (s *Store) setFilePath(ctx context.Context, jobID string, idx int, filePath string) error {
	ts := ""
	if filePath != "" {
		ts = now()
	}
	return s.exec(ctx, "file path", `UPDATE files SET file_path = ?, uploaded_at = ? WHERE job_id = ? AND idx = ?`, filePath, ts, jobID, idx)
}

func (s *Store) batches(ctx context.Context, jobID, calc string) ([]batchState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT calculate_type, no, action, status, history_count, history_top FROM batches WHERE job_id = ? AND calculate_type = ? ORDER BY no`, jobID, calc)
	if err != nil {
		return nil, fmt.Errorf("read upload job batches: %w", err)
	}
	defer rows.Close()
	var out []batchState
	for rows.Next() {
		var b batchState
		if err := rows.Scan(&b.calculateType, &b.no, &b.action, &b.status, &b.historyCount, &b.historyTop); err != nil {
			return nil, fmt.Errorf("read upload job batches: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

func (s *Store) setBatch(ctx context.Context, jobID string, b batchState) error {
	return s.exec(ctx, "batch", `UPDATE batches SET status = ?, history_count = ?, history_top = ? WHERE job_id = ? AND calculate_type = ? AND no = ?`,
		b.status, b.historyCount, b.historyTop, jobID, b.calculateType, b.no)
}

// setCreateStarted records (ts and the ids of same-named audiences seen
// before) or clears (ts "") a target's create attempt.
func (s *Store) setCreateStarted(ctx context.Context, jobID, calc, ts string, existing []string) error {
	ids := ""
	if ts != "" {
		if existing == nil {
			existing = []string{}
		}
		b, _ := json.Marshal(existing)
		ids = string(b)
	}
	return s.exec(ctx, "create started", `UPDATE targets SET create_started_at = ?, existing_ids = ? WHERE job_id = ? AND calculate_type = ?`, ts, ids, jobID, calc)
}

// moveJob records where a job's folder is now.
func (s *Store) moveJob(ctx context.Context, jobID, manifestPath string, files []fileState) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save upload state (moved folder): %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE jobs SET manifest_path = ?, updated_at = ? WHERE id = ?`, manifestPath, now(), jobID); err != nil {
		return fmt.Errorf("save upload state (moved folder): %w", err)
	}
	for _, f := range files {
		if _, err := tx.ExecContext(ctx, `UPDATE files SET path = ? WHERE job_id = ? AND idx = ?`, f.path, jobID, f.idx); err != nil {
			return fmt.Errorf("save upload state (moved folder): %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save upload state (moved folder): %w", err)
	}
	return nil
}

func (s *Store) setAudienceID(ctx context.Context, jobID, calc, id string) error {
	return s.exec(ctx, "audience id", `UPDATE targets SET audience_id = ? WHERE job_id = ? AND calculate_type = ?`, id, jobID, calc)
}

// claimedAudience reports whether another job already owns audience id.
func (s *Store) claimedAudience(ctx context.Context, jobID, id string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM targets WHERE audience_id = ? AND job_id <> ?`, id, jobID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check audience ownership: %w", err)
	}
	return n > 0, nil
}

// RowsForAudience is the number of rows uploaded to audience id by jobs
// that created or replaced it (0 if unknown), for the match rate.
func (s *Store) RowsForAudience(ctx context.Context, id string) (int64, error) {
	var n sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT SUM(t.rows) FROM targets t JOIN jobs j ON j.id = t.job_id WHERE t.audience_id = ? AND j.action IN ('CREATE','REPLACE') AND j.step = ?`, id, StepDone).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("read rows uploaded to audience %s: %w", id, err)
	}
	return n.Int64, nil
}

// FileMD5s returns the MD5 of each file a job sends, keyed by the file's
// index in the manifest: with the manifest's own MD5s they tell whether a
// folder still holds exactly what the job sent (a sync adopting an upload).
func (s *Store) FileMD5s(ctx context.Context, jobID string) (map[int]string, error) {
	files, err := s.files(ctx, jobID)
	if err != nil {
		return nil, err
	}
	out := make(map[int]string, len(files))
	for _, f := range files {
		out[f.idx] = f.md5
	}
	return out, nil
}

// LogEntry is one line of a job's log.
type LogEntry struct {
	Time      time.Time `json:"time"`
	Level     string    `json:"level"`
	Op        string    `json:"op,omitempty"`
	RequestID string    `json:"request_id,omitempty"`
	Message   string    `json:"message"`
}

func (s *Store) addLog(ctx context.Context, jobID string, e LogEntry) error {
	return s.exec(ctx, "log", `INSERT INTO log (job_id, ts, level, op, request_id, message) VALUES (?,?,?,?,?,?)`,
		jobID, e.Time.UTC().Format(time.RFC3339Nano), e.Level, e.Op, e.RequestID, e.Message)
}

// Log returns a job's log in order.
func (s *Store) Log(ctx context.Context, jobID string) ([]LogEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT ts, level, op, request_id, message FROM log WHERE job_id = ? ORDER BY rowid`, jobID)
	if err != nil {
		return nil, fmt.Errorf("read upload job log: %w", err)
	}
	defer rows.Close()
	var out []LogEntry
	for rows.Next() {
		var e LogEntry
		var ts string
		if err := rows.Scan(&ts, &e.Level, &e.Op, &e.RequestID, &e.Message); err != nil {
			return nil, fmt.Errorf("read upload job log: %w", err)
		}
		e.Time = parseTime(ts)
		out = append(out, e)
	}
	return out, rows.Err()
}
